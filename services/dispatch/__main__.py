from services.dispatch.main import main

main()

from services.sla.main import main

main()

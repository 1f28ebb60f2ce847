from services.ingestor.main import main

main()

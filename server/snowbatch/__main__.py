from snowbatch.cli import main

main()

from snowbatch.cli.entry import main

main()

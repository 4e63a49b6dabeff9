from snowbatch.entry import main

main()

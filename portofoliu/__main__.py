from portofoliu.cli import main

main()

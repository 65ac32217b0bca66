from criteria_nlp.cli import main

main()

"""``python -m drills`` runs the same CLI as ``drillhall``."""

from drills.cli.main import main

if __name__ == "__main__":
    main()

"""``python -m drills`` runs the same CLI as ``drillhall``."""

from drills.cli import main

if __name__ == "__main__":
    main()

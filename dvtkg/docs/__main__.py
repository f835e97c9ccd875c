"""``python -m dvtkg.docs [--out DIR] [--no-reasoner]`` = ``dvtkg docs build ...``."""

import sys

from dvtkg import cli

if __name__ == "__main__":
    sys.exit(cli.main(["docs", "build", *sys.argv[1:]]))

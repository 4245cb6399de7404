"""`python -m simulators.police`: the same as `campusgw sim police`."""

import typer

from simulators.police.cli import command

if __name__ == "__main__":
    typer.run(command)

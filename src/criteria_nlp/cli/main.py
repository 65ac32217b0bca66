"""Command-line interface: ``criteria-nlp parse | screen | lint | schema`` (also ``python -m criteria_nlp``).

The group and its commands; each command lives in its own module.
"""

from __future__ import annotations

import signal
import sys

import click

from criteria_nlp.cli.lint import lint_command
from criteria_nlp.cli.parse import parse_command, schema_command
from criteria_nlp.cli.screen import screen_command


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="criteria-nlp")
def cli() -> None:
    """Parse clinical-trial eligibility criteria, screen patients against them, lint protocols."""


for _command in (parse_command, schema_command, screen_command, lint_command):
    cli.add_command(_command)


def main() -> None:
    """The console script: Ctrl-C exits 130 (128 + SIGINT); an output that cannot be written is a clean error."""
    signal.signal(signal.SIGINT, _interrupted)
    try:
        cli()
    except OSError as error:  # -o /dev/full: the data is lost when the file is closed, after the command ran
        click.echo(f"Error: cannot write the output: {error.strerror or error}", err=True)
        sys.exit(1)


def _interrupted(signum: int, frame: object) -> None:
    click.echo("interrupted", err=True)
    sys.exit(128 + signum)


if __name__ == "__main__":
    main()

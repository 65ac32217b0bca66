"""Command-line interface: ``criteria-nlp parse | screen | lint | schema`` (also ``python -m criteria_nlp``).

The group and its commands; each command lives in its own module.
"""

from __future__ import annotations

import click

from criteria_nlp.cli.lint import lint_command
from criteria_nlp.cli.match import match_command
from criteria_nlp.cli.parse import parse_command, schema_command
from criteria_nlp.cli.screen import screen_command
from criteria_nlp.cli.serve import serve_command
from criteria_nlp.cli.trials import trials_group


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="criteria-nlp")
def cli() -> None:
    """Parse clinical-trial eligibility criteria, screen patients against them, lint protocols."""


for _command in (
    parse_command,
    schema_command,
    screen_command,
    lint_command,
    serve_command,
    trials_group,
    match_command,
):
    cli.add_command(_command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()

"""Command-line interface: ``criteria-nlp parse | screen | lint | schema`` (also ``python -m criteria_nlp``).

The group and its commands; each command lives in its own module, imported only when that command runs (or a help
text lists it): the screening command's imports (rich, the evaluation engine) would otherwise be a sixth of a parse
or lint run's start-up.
"""

from __future__ import annotations

import gc
import importlib
import signal
import sys

import click

# commands that resume garbage collection themselves, once their parser is built (resume_collection); every other
# command resumes it as soon as it is loaded
_RESUME_THEMSELVES = frozenset({"parse", "lint"})
_PAUSED = False


def pause_collection() -> None:
    """Start-up (imports, the pipeline and grammar) makes about a million objects that all live until the process
    ends; the collector walking them again and again was a sixth of a command's start-up. Paused by :func:`main`."""
    global _PAUSED
    if gc.isenabled():
        gc.disable()
        _PAUSED = True


def resume_collection() -> None:
    """Start-up is over: what it made is frozen (never walked again, also not by a forked worker, which then shares
    it copy-on-write) and collection resumes for the work that follows. Does nothing unless :func:`main` paused."""
    global _PAUSED
    if _PAUSED:
        gc.freeze()
        gc.enable()
        _PAUSED = False


# name -> "module:attribute" of its click command: the one place a new command is added
COMMANDS = {
    "parse": "criteria_nlp.cli.parse:parse_command",
    "schema": "criteria_nlp.cli.parse:schema_command",
    "screen": "criteria_nlp.cli.screen:screen_command",
    "lint": "criteria_nlp.cli.lint:lint_command",
    "serve": "criteria_nlp.cli.serve:serve_command",
    "trials": "criteria_nlp.cli.trials:trials_group",
    "match": "criteria_nlp.cli.match:match_command",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = COMMANDS[cmd_name].partition(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        if cmd_name not in _RESUME_THEMSELVES:
            resume_collection()
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="criteria-nlp")
def cli() -> None:
    """Parse clinical-trial eligibility criteria, screen patients against them, lint protocols."""


def main() -> None:
    """The console script: Ctrl-C exits 130 (128 + SIGINT); an output that cannot be written is a clean error."""
    signal.signal(signal.SIGINT, _interrupted)
    pause_collection()
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

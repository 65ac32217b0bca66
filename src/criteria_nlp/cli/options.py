"""Options shared by several commands, defined once so that they read and behave alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def jobs_option(what: str) -> Callable[[F], F]:
    """``-j/--jobs N`` (0: one per CPU); ``what`` says what runs in the N processes and that the order is kept."""
    return click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, help=what)


def watch_options(what: str) -> Callable[[F], F]:
    """``--watch`` (``what`` the command does again each time a file is saved), ``--max-runs N`` and
    ``--interval SECONDS`` (:mod:`criteria_nlp.cli.watch`)."""
    options = [
        click.option(
            "--watch",
            is_flag=True,
            help=f"Stay running: {what} each time a file is saved (Ctrl-C to stop).",
        ),
        click.option("--max-runs", type=click.IntRange(min=1), default=None, help="With --watch: stop after N runs."),
        click.option(
            "--interval",
            type=click.FloatRange(min=0.01),
            default=0.2,
            show_default=True,
            help="With --watch: how often the files are checked for changes, in seconds.",
        ),
    ]

    def decorate(function: F) -> F:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate

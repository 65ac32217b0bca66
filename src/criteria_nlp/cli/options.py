"""Options shared by several commands, defined once so that they read and behave alike."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def jobs_option(what: str) -> Callable[[F], F]:
    """``-j/--jobs N`` (0: one per CPU); ``what`` says what runs in the N processes and that the order is kept."""
    return click.option("-j", "--jobs", type=click.IntRange(min=0), default=1, show_default=True, help=what)

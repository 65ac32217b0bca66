"""Command-line interface: ``criteria-nlp parse | screen | lint | schema`` (also ``python -m criteria_nlp``)."""

from criteria_nlp.cli.main import cli, main

__all__ = ["cli", "main"]

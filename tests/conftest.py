"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from criteria_nlp.ir import CriteriaDocument, Presence, Span, VariableRef, walk
from criteria_nlp.pipeline import CriteriaParser, default_parser
from criteria_nlp.resources import shared_dir


@pytest.fixture(scope="session")
def parser() -> CriteriaParser:
    """The default parser; its spaCy pipeline and lexicon are built once per session."""
    return default_parser()


@pytest.fixture(scope="session")
def shared() -> Path:
    """The read-only ``../shared`` folder; tests that need it skip when it is missing."""
    directory = shared_dir()
    if directory is None:
        pytest.skip("../shared is not available")
    return directory


def _span_problems(document: CriteriaDocument) -> list[str]:
    """Every span in ``document`` (criteria, nodes, variables, concepts, windows, diagnostics) outside its text."""
    limit = len(document.text)
    problems: list[str] = []

    def check(where: str, span: Span) -> None:
        if not 0 <= span.start <= span.end <= limit:
            problems.append(f"{where}: span {span.start}-{span.end} outside [0, {limit}]")

    for diagnostic in document.diagnostics:
        check(f"document diagnostic {diagnostic.code}", diagnostic.span)
    for criterion in document.criteria:
        check(f"criterion {criterion.id}", criterion.span)
        if criterion.text != criterion.span.slice(document.text):
            problems.append(f"criterion {criterion.id}: text differs from the text under its span")
        for diagnostic in criterion.diagnostics:
            check(f"criterion {criterion.id} diagnostic {diagnostic.code}", diagnostic.span)
        for node in walk(criterion.expression):
            where = f"criterion {criterion.id} {node.kind}"
            check(where, node.span)
            variable = getattr(node, "variable", None)
            if isinstance(variable, VariableRef):
                check(where + " variable", variable.span)
            if isinstance(node, Presence):
                check(where + " concept", node.concept.span)
                if node.window is not None:
                    check(where + " window", node.window.span)
    return problems


@pytest.fixture(scope="session")
def span_problems() -> Callable[[CriteriaDocument], list[str]]:
    """A checker listing every span of a parsed document that does not lie inside the document text."""
    return _span_problems

"""Renderers for lint reports, one module per output format: terminal text (rich), JSON, SARIF 2.1.0 and a
self-contained HTML page.

Each renderer takes a sequence of :class:`~criteria_nlp.lint.model.LintedDocument` (a parsed document, its report
and the path or URI it was read from), so one call covers one file or a whole directory. The renderers load on
first use: a command renders one format, and SARIF and HTML read the rules' metadata, which the others do not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from criteria_nlp.lazy import lazy_attributes
from criteria_nlp.lint.model import LintedDocument

if TYPE_CHECKING:
    from criteria_nlp.lint.render.html import render_html
    from criteria_nlp.lint.render.json import render_json
    from criteria_nlp.lint.render.sarif import SARIF_SCHEMA, SARIF_VERSION, render_sarif, render_sarif_json
    from criteria_nlp.lint.render.text import render_text

_LAZY = {
    "render_html": "criteria_nlp.lint.render.html",
    "render_json": "criteria_nlp.lint.render.json",
    "SARIF_SCHEMA": "criteria_nlp.lint.render.sarif",
    "SARIF_VERSION": "criteria_nlp.lint.render.sarif",
    "render_sarif": "criteria_nlp.lint.render.sarif",
    "render_sarif_json": "criteria_nlp.lint.render.sarif",
    "render_text": "criteria_nlp.lint.render.text",
}


__getattr__ = lazy_attributes("criteria_nlp.lint.render", _LAZY, globals())


__all__ = [
    "SARIF_SCHEMA",
    "SARIF_VERSION",
    "LintedDocument",
    "render_html",
    "render_json",
    "render_sarif",
    "render_sarif_json",
    "render_text",
]

"""Renderers for lint reports, one module per output format: terminal text (rich), JSON, SARIF 2.1.0 and a
self-contained HTML page.

Each renderer takes a sequence of :class:`~criteria_nlp.lint.model.LintedDocument` (a parsed document, its report
and the path or URI it was read from), so one call covers one file or a whole directory.
"""

from criteria_nlp.lint.model import LintedDocument
from criteria_nlp.lint.render.html import render_html
from criteria_nlp.lint.render.json import render_json
from criteria_nlp.lint.render.sarif import SARIF_SCHEMA, SARIF_VERSION, render_sarif, render_sarif_json
from criteria_nlp.lint.render.text import render_text

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

"""JSON: one :class:`~criteria_nlp.lint.LintReport` object for one document, a JSON array of them for several; the
schema is :func:`criteria_nlp.lint.lint_report_json_schema`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from criteria_nlp.lint.model import LintedDocument


def render_json(items: Sequence[LintedDocument]) -> str:
    if len(items) == 1:
        return items[0].report.model_dump_json(indent=2) + "\n"
    return json.dumps([item.report.model_dump(mode="json") for item in items], indent=2, ensure_ascii=False) + "\n"


__all__ = ["render_json"]

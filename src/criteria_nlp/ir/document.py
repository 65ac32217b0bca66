"""A parsed protocol: its text, its criteria and the document-level diagnostics; the JSON Schema of it all."""

from __future__ import annotations

import json
from typing import Any

from criteria_nlp.ir.constraints import constraint_records
from criteria_nlp.ir.criterion import Criterion, Diagnostic
from criteria_nlp.ir.nodes import Frozen, Section


class CriteriaDocument(Frozen):
    text: str
    source: str | None = None
    criteria: tuple[Criterion, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    def constraints(self) -> list[dict[str, Any]]:
        """The flat numeric-constraint table: one record per criterion (see README)."""
        return constraint_records(self.criteria)

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def section(self, section: Section) -> list[Criterion]:
        return [c for c in self.criteria if c.section == section]


def document_json_schema() -> dict[str, Any]:
    return CriteriaDocument.model_json_schema()


def dump_schema() -> str:
    return json.dumps(document_json_schema(), indent=2)

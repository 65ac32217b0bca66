"""A trace as JSON (the :class:`~criteria_nlp.explain.trace.TraceNode` fields, nested)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from criteria_nlp.explain.trace import TraceNode


def trace_data(trace: TraceNode) -> dict[str, Any]:
    return trace.model_dump(mode="json")


def render_json(trace: TraceNode | Sequence[TraceNode], *, indent: int | None = 2) -> str:
    if isinstance(trace, TraceNode):
        return json.dumps(trace_data(trace), indent=indent, ensure_ascii=False)
    return json.dumps([trace_data(node) for node in trace], indent=indent, ensure_ascii=False)

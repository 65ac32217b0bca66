"""Explanations: the evaluation trace as data (:mod:`~criteria_nlp.explain.trace`), rendered separately as text,
JSON or HTML (``render_text``, ``render_json``, ``render_html``)."""

from criteria_nlp.explain.render_html import render_html
from criteria_nlp.explain.render_json import render_json, trace_data
from criteria_nlp.explain.render_text import outcome_word, render_text
from criteria_nlp.explain.trace import Evidence, TraceNode, evidence_item, trace_node

__all__ = [
    "Evidence",
    "TraceNode",
    "evidence_item",
    "outcome_word",
    "render_html",
    "render_json",
    "render_text",
    "trace_data",
    "trace_node",
]

"""The trace as data and its renderings."""

from __future__ import annotations

import json
from datetime import date, datetime

from criteria_nlp.evaluate import EvaluationContext, evaluate
from criteria_nlp.explain import Evidence, TraceNode, render_html, render_json, render_text
from criteria_nlp.ir import All, ReferenceMultiple, Span, VariableRef
from criteria_nlp.ir.logic import Truth
from criteria_nlp.sources.patient import Observation, Patient

SPAN = Span(start=3, end=20)


def creatinine_trace() -> TraceNode:
    patient = Patient(
        id="p",
        birth_date=date(1980, 1, 1),
        observations=(
            Observation(
                id="cr-1",
                variable="creatinine",
                value=132,
                unit="µmol/L",
                effective=datetime(2026, 10, 2),
                reference_low=45,
                reference_high=106,
            ),
        ),
    )
    node = All(
        span=SPAN,
        children=(
            ReferenceMultiple(
                span=SPAN,
                variable=VariableRef(id="creatinine", mention="creatinine", span=SPAN),
                operator=">",
                factor=2,
                reference="ULN",
            ),
        ),
    )
    return evaluate(node, patient, EvaluationContext(index_date=date(2026, 11, 1)))


def test_trace_mirrors_the_expression_and_carries_evidence() -> None:
    trace = creatinine_trace()
    assert trace.kind == "all" and len(trace.children) == 1
    leaf = trace.children[0]
    assert leaf.kind == "reference_multiple" and leaf.span == SPAN
    assert leaf.outcome is Truth.FALSE
    assert leaf.evidence == (
        Evidence(
            resource_type="Observation",
            resource_id="cr-1",
            value=132,
            unit="µmol/L",
            date="2026-10-02",
            reference_range="45-106 µmol/L",
        ),
    )
    assert leaf.sentence.startswith("creatinine 132 µmol/L (2026-10-02); 2 × ULN = 212 µmol/L")
    assert leaf.sentence.endswith("132 > 212 is false")
    assert leaf.threshold == "> 2 × ULN = 212 µmol/L"


def test_render_text_fits_width_and_colours_only_when_asked() -> None:
    trace = creatinine_trace()
    plain = render_text(trace, width=60)
    assert "\033[" not in plain
    assert all(len(line) <= 60 for line in plain.splitlines())
    assert plain.splitlines()[0].startswith("FALSE")
    coloured = render_text(trace, colour=True, width=60)
    assert "\033[31mFALSE\033[0m" in coloured


def test_render_json_round_trips() -> None:
    trace = creatinine_trace()
    data = json.loads(render_json(trace))
    assert data["outcome"] == "false"
    assert data["children"][0]["evidence"][0]["resource_id"] == "cr-1"
    assert TraceNode.model_validate(data) == trace


def test_render_html_escapes_everything() -> None:
    evil = TraceNode(
        kind="unparsed",
        label="<script>alert(1)</script>",
        outcome=Truth.UNKNOWN,
        sentence="a & b < c",
        evidence=(Evidence(resource_type="Condition", resource_id='"><img src=x>'),),
    )
    page = render_html(evil, title="<t>")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page and "a &amp; b &lt; c" in page and "&lt;t&gt;" in page
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page


def test_truth_operators() -> None:
    T, F, U = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN
    assert (T & U) is U and (F & U) is F and (T | U) is T and (F | U) is U
    assert ~U is U and ~T is F
    assert Truth.of(None) is U and Truth.of(True) is T


def test_unvalidated_construction_equals_validated() -> None:
    from criteria_nlp.explain.trace import evidence_item, trace_node

    evidence = evidence_item("Observation", "o1", value=1.5, unit="mg/dL", date="2026-01-01")
    assert evidence == Evidence(
        resource_type="Observation", resource_id="o1", value=1.5, unit="mg/dL", date="2026-01-01"
    )
    fast = trace_node("comparison", "x > 1", SPAN, Truth.TRUE, "s", evidence=(evidence,), missing=("m",))
    slow = TraceNode(
        kind="comparison",
        label="x > 1",
        span=SPAN,
        outcome=Truth.TRUE,
        sentence="s",
        evidence=(evidence,),
        missing=("m",),
    )
    assert fast == slow
    assert fast.model_dump() == slow.model_dump()
    assert TraceNode.model_validate_json(fast.model_dump_json()) == slow
    assert fast.model_fields_set == slow.model_fields_set | {"conversions", "threshold", "assumed", "children"}

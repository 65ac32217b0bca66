"""Acceptance: the bundled protocol NCT03219801 parses the way a clinician reads it (issue 2)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    CriteriaDocument,
    Demographic,
    Node,
    Not,
    NotComputable,
    Presence,
    ReferenceMultiple,
    children_of,
    walk,
)
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.resources import corpus_path

PROTOCOL = corpus_path("trials", "NCT03219801.txt")


@pytest.fixture(scope="module")
def document() -> CriteriaDocument:
    return parse_criteria(PROTOCOL.read_text(encoding="utf-8"), source=str(PROTOCOL))


def _presence_ids(node: Node) -> set[str | None]:
    return {n.concept.id for n in walk(node) if isinstance(n, Presence)}


def test_sections_labels_and_texts(document: CriteriaDocument) -> None:
    inclusion = document.section("inclusion")
    exclusion = document.section("exclusion")
    assert [c.label for c in inclusion] == [str(n) for n in range(1, 8)]
    assert [c.label for c in exclusion] == [str(n) for n in range(1, 8)]
    assert inclusion[1].text == "Age from 14 to 60 years"
    for criterion in document.criteria:
        assert document.text[criterion.span.start : criterion.span.end] == criterion.text


def test_inclusion_2_age_range(document: CriteriaDocument) -> None:
    expression = document.criterion("inc-2").expression
    assert isinstance(expression, Demographic)
    assert (expression.attribute, expression.low, expression.high, expression.unit) == ("age", 14, 60, "year")
    assert expression.low_inclusive and expression.high_inclusive


def test_inclusion_4_lvef(document: CriteriaDocument) -> None:
    expression = document.criterion("inc-4").expression
    assert isinstance(expression, Comparison)
    assert expression.variable.id == "lvef"
    assert expression.operator == ">="
    assert expression.quantity.value == 50 and expression.quantity.unit == "%"


def test_inclusion_5_group_and_creatinine_above_twice_uln(document: CriteriaDocument) -> None:
    criterion = document.criterion("inc-5")
    assert criterion.status == "computable"
    expression = criterion.expression
    assert isinstance(expression, All)
    multiples = [n for n in expression.children if isinstance(n, ReferenceMultiple)]
    assert {(m.variable.id, m.operator, m.factor, m.reference) for m in multiples} == {
        ("alt", ">", 2.0, "ULN"),
        ("ast", ">", 2.0, "ULN"),
        ("creatinine", ">", 2.0, "ULN"),
    }
    groups = {m.variable.id: m.variable.group for m in multiples}
    assert groups["alt"] == groups["ast"] == "transaminase"  # the group term stays visible
    assert groups["creatinine"] is None


def test_inclusion_1_sle_with_its_diagnostic_criteria(document: CriteriaDocument) -> None:
    expression = document.criterion("inc-1").expression
    assert isinstance(expression, Presence)
    assert expression.concept.id == "sle"
    assert expression.concept.detail is not None and "1997" in expression.concept.detail


@pytest.mark.parametrize(
    ("criterion_id", "concepts"), [("inc-3", {"infection", "hemorrhage"}), ("inc-6", {"infectious_disease"})]
)
def test_negated_presences(document: CriteriaDocument, criterion_id: str, concepts: set[str]) -> None:
    expression = document.criterion(criterion_id).expression
    assert isinstance(expression, Not)
    assert _presence_ids(expression.child) == concepts
    if len(concepts) > 1:
        assert isinstance(expression.child, Any_)  # "no A or B": neither


def test_inclusion_7_consent_is_not_computable(document: CriteriaDocument) -> None:
    criterion = document.criterion("inc-7")
    assert criterion.status == "not_computable"
    assert isinstance(criterion.expression, NotComputable)
    assert criterion.expression.category == "consent"


def test_exclusion_4_pregnancy_or_breastfeeding(document: CriteriaDocument) -> None:
    expression = document.criterion("exc-4").expression
    disjunctions = [n for n in walk(expression) if isinstance(n, Any_)]
    assert disjunctions and _presence_ids(disjunctions[0]) == {"pregnancy", "breastfeeding"}


def test_exclusion_7_any_of_three_with_misspelling(document: CriteriaDocument) -> None:
    criterion = document.criterion("exc-7")
    expression = criterion.expression
    assert isinstance(expression, Any_)
    assert _presence_ids(expression) == {"tuberculosis", "hepatitis", "infectious_disease"}
    hepatitis = next(n for n in children_of(expression) if isinstance(n, Presence) and n.concept.id == "hepatitis")
    assert "severe" in hepatitis.concept.qualifiers  # "sever"
    assert any(d.code == "misspelling" and "sever" in d.message for d in criterion.diagnostics)


def test_json_round_trip_and_schema(document: CriteriaDocument) -> None:
    again = CriteriaDocument.model_validate_json(document.model_dump_json())
    assert again == document
    schema = CriteriaDocument.model_json_schema()
    assert "criteria" in schema["properties"]


def test_cli_constraints_table() -> None:
    result = CliRunner().invoke(cli, ["parse", str(PROTOCOL), "--format", "constraints"])
    assert result.exit_code == 0, result.output
    records = {r["id"]: r for r in map(json.loads, result.output.splitlines())}
    age = records["inc-2"]["constraints"]
    assert age == [
        {
            "variable": "age",
            "mention": "age",
            "interval": [14.0, True, 60.0, True],
            "unit": "year",
            "reference": None,
            "span": age[0]["span"],
        }
    ]
    lvef = records["inc-4"]["constraints"][0]
    assert (lvef["variable"], lvef["interval"], lvef["unit"]) == ("lvef", [50.0, True, None, False], "%")
    uln = {(c["variable"], c["unit"], c["reference"]) for c in records["inc-5"]["constraints"]}
    assert uln == {("alt", "x ULN", "ULN"), ("ast", "x ULN", "ULN"), ("creatinine", "x ULN", "ULN")}


def test_cli_text_tree() -> None:
    result = CliRunner().invoke(cli, ["parse", str(PROTOCOL), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "Inclusion criteria" in result.output and "Exclusion criteria" in result.output
    assert "lvef >= 50 %" in result.output
    assert "not_computable(consent)" in result.output


def test_cli_jsonl_input() -> None:
    lines = "\n".join(
        json.dumps(r)
        for r in [
            {"id": "a", "text": "ANC ≥ 1.5 × 10^9/L"},
            {"id": "b", "text": "Age ≥ 18 years", "section": "inclusion"},
        ]
    )
    result = CliRunner().invoke(cli, ["parse", "-", "--format", "constraints", "--input-format", "jsonl"], input=lines)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["constraints"][0]["variable"] == "anc"
    assert records[0]["constraints"][0]["interval"] == [1.5, True, None, False]
    assert records[1]["constraints"][0]["variable"] == "age"


def test_cli_text_without_criteria_fails_with_a_message_on_stderr() -> None:
    result = CliRunner().invoke(cli, ["parse", "-", "--format", "text"], input="")
    assert result.exit_code == 1
    assert "holds no eligibility criteria" in result.stderr
    assert "holds no eligibility criteria" not in result.stdout

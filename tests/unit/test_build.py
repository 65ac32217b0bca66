"""Stage 4: how the IR builder reads the prose around the numeric islands."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from criteria_nlp.ir import (
    All,
    Any_,
    Conditional,
    Demographic,
    Not,
    NotComputable,
    Presence,
    Unparsed,
    render,
    walk,
)
from criteria_nlp.pipeline import parse_criterion


def test_unknown_unit_is_reported_with_a_suggestion() -> None:
    criterion = parse_criterion("Serum creatinine ≤ 1.5 mgs/dL")
    (unknown,) = [d for d in criterion.diagnostics if d.code == "unit-unknown"]
    assert unknown.suggestion == "mg/dL"
    assert criterion.text[unknown.span.start : unknown.span.end] == "mgs/dL"


def test_a_known_unit_gives_no_unit_diagnostic() -> None:
    criterion = parse_criterion("Serum creatinine ≤ 1.5 mg/dL")
    assert not [d for d in criterion.diagnostics if d.code.startswith("unit")]


def test_negated_threshold() -> None:
    expression = parse_criterion("No ALT > 3 × ULN").expression
    assert isinstance(expression, Not)
    assert render(expression.child) == "alt > 3 x ULN"


def test_variables_joined_by_or_need_only_one() -> None:
    assert isinstance(parse_criterion("ALT or AST > 3 × ULN").expression, Any_)
    assert isinstance(parse_criterion("ALT and AST > 3 × ULN").expression, All)


def test_sex_specific_thresholds_are_conditionals() -> None:
    expression = parse_criterion("Hemoglobin ≥ 12 g/dL for women and ≥ 13 g/dL for men").expression
    assert isinstance(expression, Conditional)
    assert isinstance(expression.when, Demographic) and expression.when.sex == "male"
    assert render(expression.then) == "hemoglobin >= 13 g/dL"
    assert isinstance(expression.otherwise, Conditional)
    assert render(expression.otherwise.then) == "hemoglobin >= 12 g/dL"


def test_a_duration_becomes_the_window_of_its_event() -> None:
    expression = parse_criterion("Stable hemodialysis for at least 3 months").expression
    presences = [n for n in walk(expression) if isinstance(n, Presence)]
    assert presences and presences[0].window is not None
    assert presences[0].window.min_ago is not None and presences[0].window.min_ago.value == 3
    assert not [n for n in walk(expression) if isinstance(n, Demographic)]  # not an age


def test_a_count_of_events_is_reported_not_guessed() -> None:
    expression = parse_criterion("At least two episodes of severe hypoglycaemia").expression
    unparsed = [n for n in walk(expression) if isinstance(n, Unparsed)]
    assert any("count" in n.reason for n in unparsed)


def test_unknown_condition_after_if_is_kept_by_its_words() -> None:
    expression = parse_criterion("ANC ≥ 1.0 × 10^9/L (≥ 0.5 × 10^9/L if bone marrow involvement)").expression
    assert isinstance(expression, Conditional)
    assert isinstance(expression.when, Presence)
    assert expression.when.concept.id is None and expression.when.concept.mention == "bone marrow involvement"


def test_blood_pressure_pair() -> None:
    expression = parse_criterion("Blood pressure ≤ 140/90 mmHg").expression
    assert sorted(render(n) for n in walk(expression) if not isinstance(n, All)) == [
        "diastolic_bp [Blood pressure] <= 90 mmHg",
        "systolic_bp [Blood pressure] <= 140 mmHg",
    ]


def test_grade_of_a_condition() -> None:
    expression = parse_criterion("NYHA class III or IV heart failure").expression
    assert "nyha == 3" in render(expression) and "nyha == 4" in render(expression)


def test_thresholds_joined_by_or_need_only_one() -> None:
    expression = parse_criterion("Serum creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 50 mL/min").expression
    assert render(expression) == "any(creatinine <= 1.5 mg/dL, creatinine_clearance >= 50 mL/min)"


def test_unless_is_an_exception_not_a_requirement() -> None:
    expression = parse_criterion("INR ≤ 1.5 unless on therapeutic anticoagulation").expression
    assert isinstance(expression, Any_)
    assert render(expression.children[0]) == "inr <= 1.5"
    assert isinstance(expression.children[1], Presence)


def test_conditional_threshold_continues_after_a_semicolon() -> None:
    expression = parse_criterion("ALT and AST ≤ 2.5 × ULN; ≤ 5 × ULN if liver metastases are present").expression
    assert isinstance(expression, Conditional)
    assert isinstance(expression.when, Presence) and expression.when.concept.id == "liver_metastases"
    assert render(expression.then) == "all(alt <= 5 x ULN, ast <= 5 x ULN)"
    assert (
        expression.otherwise is not None and render(expression.otherwise) == "all(alt <= 2.5 x ULN, ast <= 2.5 x ULN)"
    )


def test_condition_written_before_its_threshold() -> None:
    expression = parse_criterion("AST ≤ 3 × ULN; in case of hepatic metastases, AST ≤ 5 × ULN").expression
    assert render(expression) == "if present(liver_metastases) then ast <= 5 x ULN else ast <= 3 x ULN"


def test_a_condition_without_its_threshold_is_not_a_requirement() -> None:
    expression = parse_criterion("ALT ≤ 2.5 × ULN. If liver metastases are present").expression
    assert not [n for n in walk(expression) if isinstance(n, Presence)]
    assert [n for n in walk(expression) if isinstance(n, Unparsed)]


@pytest.mark.parametrize(
    ("text", "alternatives"),
    [
        ("Serum creatinine > 2 mg/dL or dialysis", ["creatinine > 2 mg/dL", "present(dialysis)"]),
        ("Hemoglobin < 8 or diagnosed with anemia", ["hemoglobin < 8", "present(diagnosed anemia)"]),
        ("History of malignant tumor or life expectancy under 12 months", None),
        ("LVEF < 40%, or congestive heart failure", ["lvef < 40 %", "present(heart_failure)"]),
    ],
)
def test_threshold_or_condition_are_alternatives(text: str, alternatives: list[str] | None) -> None:
    """A threshold and a condition joined by "or" are met (or exclude) by either one, in both sections."""
    for section in ("inclusion", "exclusion"):
        expression = parse_criterion(text, section=section).expression
        assert isinstance(expression, Any_), render(expression)
        assert len(expression.children) == 2
        if alternatives is not None:
            assert sorted(render(child) for child in expression.children) == sorted(alternatives)


def test_words_not_understood_stay_with_their_alternative() -> None:
    """ "… or dependence on dialysis": the unknown word belongs to the dialysis side, so the threshold alone can
    still decide the criterion."""
    expression = parse_criterion("Creatinine level > 1.5 mg/dL or dependence on dialysis").expression
    assert isinstance(expression, Any_)
    threshold, condition = expression.children
    assert render(threshold) == "creatinine > 1.5 mg/dL"
    assert isinstance(condition, All)
    assert {type(child) for child in condition.children} == {Unparsed, Presence}


@pytest.mark.parametrize(
    "text",
    [
        "ALT > 3 × ULN and active hepatitis B",
        "Patients receiving methylprednisolone or prednisone in a dose of 10 mg/day or greater",
        "At least 2 moderate or severe COPD exacerbations in the last 12 months",
    ],
)
def test_or_inside_one_alternative_does_not_split_threshold_and_condition(text: str) -> None:
    expression = parse_criterion(text).expression
    assert not isinstance(expression, Any_), render(expression)


@pytest.mark.parametrize(
    ("text", "qualifiers"),
    [
        ("Chronic use of opioids", ("chronic", "exposure")),
        ("Treatment with systemic corticosteroids within 4 weeks", ("exposure", "systemic")),
        ("Has received prior immunotherapy", ("exposure", "history")),
    ],
)
def test_treatment_phrases_qualify_the_medication(text: str, qualifiers: tuple[str, ...]) -> None:
    """ "use of", "treatment with", "received" say the treatment was taken; they are not words left unexplained."""
    criterion = parse_criterion(text)
    assert criterion.status == "computable", render(criterion.expression)
    (presence,) = [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    assert tuple(sorted(presence.concept.qualifiers)) == qualifiers
    assert not [d for d in criterion.diagnostics if d.code == "misspelling"]


def test_a_threshold_without_variable_is_reported_not_dropped() -> None:
    criterion = parse_criterion(">/= 5 ppm CO")
    unparsed = [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]
    assert ">/= 5 ppm" in unparsed
    assert criterion.status == "not_computable"


def test_every_written_threshold_is_covered_by_a_node() -> None:
    """Nothing is silently dropped: each comparator followed by a number lies inside some leaf of the expression."""
    texts = [
        json.loads(line)["text"]
        for line in (Path(__file__).parent.parent / "golden" / "parse_cases.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    texts += [
        "TBUT > 5 sec. and < 10 sec.",
        "Bilirubin <2x, AST <3x, Serum creatinine <2x upper limit of normal",
        "Wide field radiotherapy ≤ 4 weeks or limited field radiation for palliation < 2 weeks prior to study",
    ]
    uncovered = []
    checked = 0
    for text in texts:
        criterion = parse_criterion(text)
        leaves = [n.span for n in walk(criterion.expression) if not isinstance(n, All | Any_ | Not | Conditional)]
        for match in re.finditer(r"[<>≤≥]=?\s*\d", text):
            checked += 1
            if not any(span.start <= match.start() < span.end for span in leaves):
                uncovered.append((text, match.group()))
    assert checked > 50
    assert uncovered == []


def test_a_quantity_that_is_no_threshold_is_reported_not_dropped() -> None:
    criterion = parse_criterion("Active fungal infection (prior treated disease stable for 2 weeks is allowable)")
    assert "2 weeks" in [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]
    assert criterion.status == "partial"


def test_a_window_in_a_not_computable_clause_stays_in_it() -> None:
    """Numbers reported as not understood do not turn an administrative criterion into a partial one."""
    criterion = parse_criterion("Participation in clinical trials within 30 days prior to Day 1", section="exclusion")
    assert isinstance(criterion.expression, NotComputable)
    assert criterion.expression.text == criterion.text


@pytest.mark.parametrize("exception", ["with the exception of", "except", "other than", "apart from", "excluding"])
def test_the_exception_to_a_condition_is_not_read_as_a_condition(exception: str) -> None:
    criterion = parse_criterion(
        f"Active cancer of any kind ({exception} non-melanoma skin cancer)", section="exclusion"
    )
    present = {n.concept.id for n in walk(criterion.expression) if isinstance(n, Presence)}
    assert present == {"malignancy"}
    assert "non-melanoma skin cancer" in [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]


def test_non_modifier_of_an_unknown_noun_is_not_a_negated_condition() -> None:
    """ "non-malignant illness" (an exclusion) must not read as "no malignancy", which would exclude nearly all."""
    criterion = parse_criterion("Serious, uncontrolled, non-malignant illness", section="exclusion")
    assert not [n for n in walk(criterion.expression) if isinstance(n, Not | Presence)]
    assert criterion.status == "not_computable"


def test_a_prohibition_is_no_permission() -> None:
    expression = parse_criterion("No concomitant chemotherapy is allowed").expression
    assert render(expression) == "not present(concomitant chemotherapy)"
    assert render(parse_criterion("Patient is eligible for PCI").expression) == "present(coronary_revascularization)"


@pytest.mark.parametrize(
    "text",
    ["Systolic blood pressure < 90 mmHg, or > 160 mmHg", "Serum potassium<3.2mmol/L, or>5.5mmol/L"],
)
def test_a_restated_threshold_after_or_is_an_alternative(text: str) -> None:
    """Read as "all", "< 90 or > 160" could never be met."""
    expression = parse_criterion(text, section="exclusion").expression
    assert isinstance(expression, Any_) and len(expression.children) == 2, render(expression)


def test_anti_prefix_makes_a_treatment_not_the_condition() -> None:
    """ "anti-epileptic medication" must not read as epilepsy (which an exclusion would then exclude)."""
    criterion = parse_criterion("Patients on anti-epileptic medication", section="exclusion")
    assert not [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    assert "anti-epileptic" in [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]


def test_hyphenated_words_are_reported_whole() -> None:
    criterion = parse_criterion("Severe cardio-pulmonary dysfunction, such as left heart failure")
    reported = [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]
    # the state before it ("Severe") is reported with it: no concept took it
    assert "Severe cardio-pulmonary dysfunction" in reported


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("Known liver failure (bilirubin >1.Sx upper limit of normal)", "bilirubin >1.Sx"),
        ("Minimum MADRS score = 15.", "Minimum"),
    ],
)
def test_a_comparator_that_reached_nothing_is_reported(text: str, left: str) -> None:
    criterion = parse_criterion(text)
    assert left in [n.text for n in walk(criterion.expression) if isinstance(n, Unparsed)]
    assert criterion.status == "partial"


def test_pregnant_or_lactating_is_two_conditions() -> None:
    expression = parse_criterion("Pregnant or lactating women", section="exclusion").expression
    assert {n.concept.id for n in walk(expression) if isinstance(n, Presence)} == {"pregnancy", "breastfeeding"}

"""What a time window asks of a condition's records (``corpora/lexicon/evaluation-condition-kinds.tsv``) and what the
"new" qualifiers ask (``evaluation-qualifiers.tsv``): an event's onset, a lasting condition's span, both readings
where the kind is unsure; a "new" qualifier without a window never makes a record a match."""

from __future__ import annotations

from datetime import date

import pytest

from criteria_nlp.evaluate import qualifiers
from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.engine import evaluate
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.plan import PresencePlan, plan_for
from criteria_nlp.ir.logic import Truth
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criterion
from criteria_nlp.sources.patient import Condition, Patient

INDEX = "2026-06-01"


def outcome(text: str, *conditions: Condition) -> Truth:
    patient = Patient(
        id="p", birth_date=date(1970, 1, 1), sex="female", conditions=conditions, conditions_complete=True
    )
    context = EvaluationContext(date.fromisoformat(INDEX))
    return evaluate(parse_criterion(text).expression, PatientIndex(patient, context.lexicon), context).outcome


def record(code: str, onset: str | None, status: str = "active", abatement: str | None = None) -> Condition:
    return Condition(
        id=f"c-{code}",
        system="http://hl7.org/fhir/sid/icd-10",
        code=code,
        onset=onset,
        abatement=abatement,
        clinical_status=status,
    )


def test_every_listed_kind_is_a_condition_of_the_lexicon() -> None:
    lexicon = load_lexicon()
    kinds = qualifiers._condition_kinds()
    assert kinds
    for concept, kind in kinds.items():
        assert kind in ("event", "lasting"), concept
        assert lexicon.concepts[concept].category == "condition", concept


@pytest.mark.parametrize(
    ("text", "code", "onset", "expected"),
    [
        ("Stroke within the last 6 months", "I63.9", "2015-01-01", Truth.FALSE),  # an event: its onset
        ("Stroke within the last 6 months", "I63.9", "2026-03-01", Truth.TRUE),
        ("Stroke within the last 6 months", "I63.9", None, Truth.UNKNOWN),  # no onset: cannot tell
        ("Hepatitis B within the last 6 months", "B18.1", "2015-01-01", Truth.TRUE),  # lasting: its span
        ("Pneumonia within the last 3 months", "J18.9", "2015-01-01", Truth.UNKNOWN),  # unsure kind, readings differ
        ("Pneumonia within the last 3 months", "J18.9", "2026-05-01", Truth.TRUE),  # unsure kind, readings agree
        ("Diagnosis of hypertension in the last 6 months", "I10", "2010-01-01", Truth.FALSE),  # asks the onset
        ("Newly diagnosed hypertension within 3 months", "I10", "2010-01-01", Truth.FALSE),
        ("Newly diagnosed hypertension", "I10", "2026-05-01", Truth.UNKNOWN),  # no window: never a match
        ("Newly diagnosed hypertension", "I10", "2010-01-01", Truth.UNKNOWN),
        ("Recent myocardial infarction", "I21.9", "2015-01-01", Truth.UNKNOWN),
    ],
)
def test_what_a_window_asks(text: str, code: str, onset: str | None, expected: Truth) -> None:
    assert outcome(text, record(code, onset)) is expected


def test_a_new_qualifier_without_any_record_is_absent() -> None:
    assert outcome("Newly diagnosed hypertension") is Truth.FALSE


def test_an_active_stroke_recorded_long_ago_is_still_present_at_the_index_date() -> None:
    # without a window nothing changes: the record is active now
    assert outcome("Stroke", record("I63.9", "2015-01-01")) is Truth.TRUE


def test_a_default_window_of_a_new_qualifier_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = tuple(
        (q, reading, "6 months" if q == "newly_diagnosed" else default)
        for q, reading, default in qualifiers._qualifier_rows()
    )
    monkeypatch.setattr(qualifiers, "_qualifier_rows", lambda: rows)
    node = parse_criterion("Newly diagnosed hypertension").expression
    plan = plan_for(node, EvaluationContext(date.fromisoformat(INDEX)))
    assert isinstance(plan, PresencePlan)
    assert plan.window is not None and plan.window.earliest == date(2025, 12, 1)
    assert plan.window_reads == "onset" and plan.new_unstated is None
    assert outcome("Newly diagnosed hypertension", record("I10", "2026-05-01")) is Truth.TRUE
    assert outcome("Newly diagnosed hypertension", record("I10", "2010-01-01")) is Truth.FALSE

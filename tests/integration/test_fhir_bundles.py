"""Every Synthea R4 bundle in ../shared loads, and a protocol of common thresholds screens each of them.

The expected outcome of every criterion is computed here straight from the raw bundle JSON (no criteria_nlp code),
so the test checks the FHIR reader, the unit conversions and the rule engine together. Synthea records are complete
by construction, so the patients are marked ``conditions_complete`` for the diagnosis criterion.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import PatientDataError
from criteria_nlp.evaluate import months_before
from criteria_nlp.ir import (
    Comparison,
    ConceptRef,
    CriteriaDocument,
    Criterion,
    Demographic,
    Node,
    Presence,
    Quantity,
    Range,
    Span,
    VariableRef,
)
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.resources import shared_dir
from criteria_nlp.screen import screen
from criteria_nlp.sources import load_patient, load_patients

pytestmark = pytest.mark.shared

SHARED = shared_dir()
SYNTHEA = SHARED / "fhir" / "synthea-r4" if SHARED is not None else None
BUNDLES = sorted(SYNTHEA.glob("*.json")) if SYNTHEA is not None and SYNTHEA.is_dir() else []

requires_synthea = pytest.mark.skipif(not BUNDLES, reason="../shared/fhir/synthea-r4 is not available")

SPAN = Span(start=0, end=1)
DIABETES_SNOMED = "44054006"  # Synthea's "Diabetes" condition
LOINC = {
    "bmi": "39156-5",
    "hemoglobin": "718-7",
    "platelets": "777-3",
    "egfr": "33914-3",
    "hba1c": "4548-4",
    "total_cholesterol": "2093-3",
}


def ref(variable: str) -> VariableRef:
    return VariableRef(id=variable, mention=variable, span=SPAN)


def crit(cid: str, section: str, expression: Node) -> Criterion:
    return Criterion(
        id=cid,
        section=section,
        label=cid,
        text=cid,
        span=SPAN,
        expression=expression,
        status="computable",  # type: ignore[arg-type]
    )


def comparison(variable: str, op: str, value: float, unit: str) -> Comparison:
    return Comparison(span=SPAN, variable=ref(variable), operator=op, quantity=Quantity(value=value, unit=unit))  # type: ignore[arg-type]


PROTOCOL = CriteriaDocument(
    text="hand-built common thresholds",
    criteria=(
        crit("age", "inclusion", Demographic(span=SPAN, attribute="age", low=18, high=85, unit="year")),
        crit(
            "bmi",
            "inclusion",
            Range(
                span=SPAN,
                variable=ref("bmi"),
                low=Quantity(value=18.5, unit="kg/m2"),
                high=Quantity(value=40, unit="kg/m2"),
                high_inclusive=False,
            ),
        ),
        crit("hemoglobin", "inclusion", comparison("hemoglobin", ">=", 120, "g/L")),
        crit("platelets", "inclusion", comparison("platelets", ">=", 150, "x10^9/L")),
        crit("egfr", "inclusion", comparison("egfr", ">=", 60, "mL/min/1.73 m2")),
        crit("hba1c", "inclusion", comparison("hba1c", "<", 58, "mmol/mol")),
        crit("total_cholesterol", "inclusion", comparison("total_cholesterol", "<", 240, "mg/dL")),
        crit(
            "diabetes",
            "exclusion",
            Presence(span=SPAN, concept=ConceptRef(id="diabetes_mellitus", mention="diabetes", span=SPAN)),
        ),
    ),
)

# --- the independent reading of the raw JSON ----------------------------------------------------------------------


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def index_date_of(bundle: dict[str, Any]) -> date:
    return max(moment(o["effectiveDateTime"]).date() for o in resources(bundle, "Observation"))


def latest_values(bundle: dict[str, Any], code: str, index: date) -> list[tuple[float, str]]:
    """All (value, UCUM unit) of the most recent observation time within 12 months before ``index``."""
    start = months_before(index, 12)
    found = []
    for obs in resources(bundle, "Observation"):
        if obs["code"]["coding"][0]["code"] != code or "valueQuantity" not in obs:
            continue
        when = moment(obs["effectiveDateTime"])
        if start <= when.date() <= index:
            found.append((when, obs["valueQuantity"]["value"], obs["valueQuantity"]["code"]))
    if not found:
        return []
    newest = max(when for when, _, _ in found)
    return [(value, unit) for when, value, unit in found if when == newest]


def expected_outcomes(bundle: dict[str, Any], index: date) -> dict[str, set[str]]:
    """Criterion id -> the outcomes the raw data allow (several only when same-time values disagree)."""
    patient = resources(bundle, "Patient")[0]
    born = date.fromisoformat(patient["birthDate"])
    age = index.year - born.year - ((index.month, index.day) < (born.month, born.day))
    expected = {"age": {"true" if 18 <= age <= 85 else "false"}}

    def check(criterion: str, code: str, test: Any, unit: str, incompatible: tuple[str, ...] = ()) -> None:
        values = latest_values(bundle, code, index)
        outcomes = set()
        for value, value_unit in values:
            if value_unit in incompatible:  # a unit of another dimension cannot be compared: unknown
                outcomes.add("unknown")
                continue
            assert value_unit == unit, (criterion, value_unit)
            outcomes.add("true" if test(value) else "false")
        expected[criterion] = outcomes or {"unknown"}

    check("bmi", LOINC["bmi"], lambda v: 18.5 <= v < 40, "kg/m2")
    check("hemoglobin", LOINC["hemoglobin"], lambda v: v * 10 >= 120, "g/dL")  # g/dL -> g/L
    check("platelets", LOINC["platelets"], lambda v: v >= 150, "10*3/uL")  # 10^3/µL == 10^9/L
    # some Synthea eGFR values are in mL/min, not normalised to body surface: not comparable with mL/min/1.73 m2
    check("egfr", LOINC["egfr"], lambda v: v >= 60, "mL/min/{1.73_m2}", incompatible=("mL/min",))
    check("hba1c", LOINC["hba1c"], lambda v: 10.929 * (v - 2.15) < 58, "%")  # NGSP % -> IFCC mmol/mol
    check("total_cholesterol", LOINC["total_cholesterol"], lambda v: v < 240, "mg/dL")
    diabetic = False
    for condition in resources(bundle, "Condition"):
        codes = {c["code"] for c in condition["code"]["coding"]}
        onset = moment(condition["onsetDateTime"]).date()
        abated = "abatementDateTime" in condition and moment(condition["abatementDateTime"]).date() <= index
        if DIABETES_SNOMED in codes and onset <= index and not abated:
            diabetic = True
    expected["diabetes"] = {"true" if diabetic else "false"}
    return expected


def expected_decision(outcomes: dict[str, str]) -> str:
    inclusion = [v for k, v in outcomes.items() if k != "diabetes"]
    if "false" in inclusion or outcomes["diabetes"] == "true":
        return "ineligible"
    if all(v == "true" for v in inclusion) and outcomes["diabetes"] == "false":
        return "eligible"
    return "needs_review"


# --- tests ----------------------------------------------------------------------------------------------------------


@requires_synthea
def test_every_bundle_loads() -> None:
    patients = list(load_patients(SYNTHEA))  # type: ignore[arg-type]
    patient_bundles = [p for p in BUNDLES if '"resourceType": "Patient"' in p.read_text(encoding="utf-8")]
    assert len(patients) == len(patient_bundles) >= 30
    for patient in patients:
        assert patient.birth_date is not None and patient.sex in ("female", "male")
        assert any(o.variable == "bmi" for o in patient.observations) or not patient.observations
    non_patient = [p for p in BUNDLES if p not in patient_bundles]
    for path in non_patient:
        with pytest.raises(PatientDataError, match="no Patient resource"):
            load_patient(path)


@requires_synthea
def test_validate_option_accepts_a_real_bundle() -> None:
    first = next(p for p in BUNDLES if not p.name.startswith(("practitioner", "hospital")))
    assert load_patient(first, validate=True).id == load_patient(first).id


@requires_synthea
def test_lexicon_maps_the_codes_this_test_relies_on() -> None:
    lexicon = load_lexicon()
    for variable, code in LOINC.items():
        found = lexicon.by_loinc(code)
        assert found is not None and found.id == variable, code
    assert DIABETES_SNOMED in lexicon.concept("diabetes_mellitus").snomed


@requires_synthea
@pytest.mark.parametrize(
    "path", [p for p in BUNDLES if not p.name.startswith("practitioner")], ids=lambda p: p.stem[:24]
)
def test_screening_matches_the_raw_json(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    index = index_date_of(raw)
    patient = load_patient(path).model_copy(update={"conditions_complete": True})
    result = screen(PROTOCOL, patient, index_date=index)
    allowed = expected_outcomes(raw, index)
    actual = {c.criterion_id: c.outcome.value for c in result.criteria}
    for criterion, outcome in actual.items():
        assert outcome in allowed[criterion], (criterion, outcome, allowed[criterion], result.criteria)
    assert result.decision == expected_decision(actual)
    if all(len(v) == 1 for v in allowed.values()):
        assert result.decision == expected_decision({k: next(iter(v)) for k, v in allowed.items()})

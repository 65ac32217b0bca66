"""The terminology layer wired into parsing and screening (issue 12): composed criteria and patients, decided from
records coded in another system than the criterion's words (tests/golden/terminology_*.jsonl)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp import parse_criteria, parse_criterion, render
from criteria_nlp.ir import NotComputable, Presence, Unparsed, walk
from criteria_nlp.ir.logic import Truth
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.screen import screen
from criteria_nlp.sources.own_json import OWN_JSON

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def _cases(name: str) -> list[dict[str, Any]]:
    lines = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


def _screen(case: dict[str, Any]) -> tuple[Truth, str]:
    header = "Inclusion Criteria:" if case["section"] == "inclusion" else "Exclusion Criteria:"
    data = {
        "id": case["id"],
        "birth_date": "1970-01-01",
        "sex": "female",
        "conditions_complete": True,
        "medications_complete": True,
        "procedures_complete": True,
        **case["records"],
    }
    patient = OWN_JSON.read(data, source=case["id"], strict=False, validate=False, lexicon=load_lexicon())
    result = screen(parse_criteria(f"{header}\n{case['text']}\n"), patient, index_date="2026-06-01")
    return result.criteria[0].outcome, result.explain()


@pytest.mark.parametrize("case", _cases("terminology_screening.jsonl"), ids=lambda c: c["id"])
def test_screening_from_another_code_system(case: dict[str, Any]) -> None:
    outcome, explanation = _screen(case)
    assert outcome.value == case["outcome"], explanation
    assert case["trace"] in explanation


@pytest.mark.parametrize("case", _cases("terminology_parse.jsonl"), ids=lambda c: c["id"])
def test_parse_concepts(case: dict[str, Any]) -> None:
    """``concepts``: presences (mention, id, broader); ``not``: ids no presence has; ``expression``: the whole
    reading; ``restated``: (id, mention) named again and kept on the presence; ``carried``: (id, mention) kept on a
    node the engine does not decide from (``unparsed``, ``not_computable``)."""
    criterion = parse_criterion(case["text"], section=case.get("section", "inclusion"))
    presences = [n for n in walk(criterion.expression) if isinstance(n, Presence)]
    concepts = {(n.concept.mention.lower(), n.concept.id, n.concept.broader) for n in presences}
    for mention, concept_id, broader in case.get("concepts", []):
        assert (mention, concept_id, broader) in concepts, concepts
    for concept_id in case.get("not", []):
        assert concept_id not in {c[1] for c in concepts}, concepts
    if "expression" in case:
        assert render(criterion.expression) == case["expression"]
    restated = {(n.concept.id, span.slice(case["text"])) for n in presences for span in n.concept.restated}
    for concept_id, mention in case.get("restated", []):
        assert (concept_id, mention) in restated, restated
    carried = {
        (c.id, c.span.slice(case["text"]))
        for n in walk(criterion.expression)
        if isinstance(n, Unparsed | NotComputable)
        for c in n.concepts
    }
    for concept_id, mention in case.get("carried", []):
        assert (concept_id, mention) in carried, carried


BROADER_RECORDS = [
    ("Glioma", None),
    ("Malignant neoplasm of brain", "C71.9"),
    ("Brain stem glioma", None),
]


@pytest.mark.parametrize("display,icd10", BROADER_RECORDS)
def test_a_broader_match_never_makes_a_leaf_true(display: str, icd10: str | None) -> None:
    """ "pontine glioma" is read as Glioma (broader): whatever glioma or brain record the patient has, at the index
    date and coded or not, the leaf is never TRUE."""
    system = "http://hl7.org/fhir/sid/icd-10-cm" if icd10 else "http://snomed.info/sct"
    condition = {"id": "c1", "system": system, "code": icd10 or "900000009", "display": display}
    condition |= {"clinical_status": "active", "onset": "2025-01-01"}
    case = {"id": "broader", "section": "inclusion", "text": "Pontine glioma", "records": {"conditions": [condition]}}
    criterion = parse_criterion("Pontine glioma", section="inclusion")
    assert any(isinstance(n, Presence) and n.concept.broader for n in walk(criterion.expression))
    outcome, explanation = _screen(case)
    assert outcome is not Truth.TRUE, explanation


def test_broader_is_left_out_of_json_when_false() -> None:
    exact = parse_criterion("Bladder cancer", section="inclusion")
    broader = parse_criterion("Pontine glioma", section="inclusion")
    assert '"broader"' not in exact.model_dump_json()
    assert '"broader":true' in broader.model_dump_json()

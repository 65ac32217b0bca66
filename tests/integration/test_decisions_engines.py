"""Every case of the decision-safety golden set (``tests/golden/decisions.jsonl``) screened by population screening:
DuckDB (and Spark, in the slow tests) must give the Python engine's decision, per-criterion outcomes and missing
data. A disagreement is a confident wrong decision that only population screening makes.

Cases sharing a protocol and an index date are screened as one population (each patient under its case's id).
Cases whose protocol or patient is refused ("error") have nothing to compare and are counted. An engine's known
disagreement is a case of ``decisions_engines_known.jsonl`` (strict xfail with its reason, never deleted).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import CriteriaError
from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.knowledge.lexicon import load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.screen import screen
from criteria_nlp.sources.fhir import patient_from_fhir
from criteria_nlp.sources.own_json import OWN_JSON
from criteria_nlp.sources.patient import Patient

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden"


def _load(name: str) -> list[dict[str, Any]]:
    lines = (GOLDEN / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


CASES = _load("decisions.jsonl")
KNOWN = _load("decisions_engines_known.jsonl")
BY_ID = {case["id"]: case for case in CASES + KNOWN}
Group = tuple[str, str]  # protocol text, index date


@cache
def _document(protocol: str) -> CriteriaDocument:
    return parse_criteria(protocol)


def _patient(case: dict[str, Any]) -> Patient:
    """The case's patient under the case's id (ids are unique in a population; cases reuse "p1")."""
    data = case["patient"]
    if "resourceType" in data:
        patient = patient_from_fhir(data, source=case["id"])
    else:
        patient = OWN_JSON.read(data, source=case["id"], strict=False, validate=False, lexicon=load_lexicon())
    return patient.model_copy(update={"id": case["id"]})


def _row(case: dict[str, Any]) -> dict[str, Any] | None:
    """The Python engine's row for the case as population screening words it; None when the input is refused."""
    try:
        patient = _patient(case)
        result = screen(_document(case["protocol"]), patient, index_date=case["index_date"])
    except CriteriaError:
        return None
    criteria = {
        c.criterion_id: None if c.outcome.value == "unknown" else c.outcome.value == "true" for c in result.criteria
    }
    return {
        "patient": case["id"],
        "decision": result.decision,
        "criteria": criteria,
        "missing": list(result.missing_data),
    }


@cache
def _expected() -> dict[str, dict[str, Any] | None]:
    return {case_id: _row(case) for case_id, case in BY_ID.items()}


@cache
def _groups() -> dict[Group, list[str]]:
    """The ids of the screenable cases by protocol and index date, in file order."""
    groups: dict[Group, list[str]] = {}
    for case_id, row in _expected().items():
        if row is not None:
            case = BY_ID[case_id]
            groups.setdefault((case["protocol"], case["index_date"]), []).append(case_id)
    return groups


def _group_of(case_id: str) -> Group:
    case = BY_ID[case_id]
    return case["protocol"], case["index_date"]


def _screened(group: Group, engine: str, **options: Any) -> dict[str, dict[str, Any]]:
    protocol, index_date = group
    ids = _groups()[group]
    population = ArrowPopulation(patients_to_tables(_patient(BY_ID[i]) for i in ids), name="decisions")
    table = screen_population(_document(protocol), population, engine=engine, index_date=index_date, **options)
    return {row["patient"]: row for row in table.to_pylist()}


@cache
def _duckdb(group: Group) -> dict[str, dict[str, Any]]:
    return _screened(group, "duckdb", connection=_connection())


@cache
def _connection() -> Any:
    import duckdb

    return duckdb.connect()


def _params(engine: str) -> list[Any]:
    """Every case id; a known disagreement of ``engine`` is a strict xfail."""
    return [
        pytest.param(case["id"], id=case["id"], marks=[pytest.mark.xfail(reason=case["xfail"], strict=True)])
        if engine in case.get("engines", ())
        else pytest.param(case["id"], id=case["id"])
        for case in CASES + KNOWN
    ]


def _assert_same(case_id: str, found: dict[str, Any] | None) -> None:
    expected = _expected()[case_id]
    if expected is None:
        pytest.skip("input refused by the Python engine: nothing to compare")
    assert found is not None, f"{case_id}: the population lost the patient"
    assert found["decision"] == expected["decision"], f"{case_id}: {BY_ID[case_id]['why']}"
    assert found["criteria"] == expected["criteria"], case_id
    assert found["missing"] == expected["missing"], case_id


@pytest.mark.parametrize("case_id", _params("duckdb"))
def test_duckdb_decides_the_case_as_python(case_id: str) -> None:
    found = _duckdb(_group_of(case_id)).get(case_id) if _expected()[case_id] is not None else None
    _assert_same(case_id, found)


def test_nearly_every_case_is_compared_and_refusals_are_counted() -> None:
    refused = [case["id"] for case in CASES if _expected()[case["id"]] is None]
    assert len(CASES) - len(refused) >= 850
    # a refusal is only ever a case that expects one: a case screened by Python is never silently left out
    assert all("error" in BY_ID[case_id]["acceptable"] for case_id in refused), refused
    assert len(refused) == 8, refused  # grows only with new "error" cases (then update the count)


def test_known_engine_disagreements_say_why() -> None:
    assert (GOLDEN / "decisions_engines_known.jsonl").read_text(encoding="utf-8").startswith("# Known disagreements")
    assert len(BY_ID) == len(CASES) + len(KNOWN)  # ids are unique across both files
    for known in KNOWN:
        assert known["id"].startswith("rt4-known-") and known["why"] and known["xfail"]
        assert known["engines"] and set(known["engines"]) <= {"duckdb", "spark"}
        assert "needs_review" in known["acceptable"]  # the safe answer is always acceptable


# --- Spark (slow; the session of test_population_engines) -----------------------------------------------------------


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    pytest.importorskip("pyspark")
    from criteria_nlp.spark import local_session

    session = local_session("local[1]")
    session.conf.set("spark.sql.shuffle.partitions", "1")
    session.sparkContext.setLogLevel("ERROR")
    yield session


@cache
def _spark(group: Group, session: Any) -> dict[str, dict[str, Any]]:
    return _screened(group, "spark", spark=session)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
@pytest.mark.parametrize("case_id", _params("spark"))
def test_spark_decides_the_case_as_python(spark: Any, case_id: str) -> None:
    found = _spark(_group_of(case_id), spark).get(case_id) if _expected()[case_id] is not None else None
    _assert_same(case_id, found)

"""Population screening: the DuckDB engine (and Spark, in the slow tests) decide every patient exactly as the Python
engine does, criterion by criterion, with the same missing data.

Populations: the demo patients, the Synthea bundles of ../shared, and small populations drawn by hypothesis with
what makes SQL and Python part ways (missing and undated values, odd and unknown units, comparators, several values
on a day, reference ranges, deceased patients, partial birth dates, statuses and verification of records, flags).
"""

from __future__ import annotations

import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from criteria_nlp.ir import AtLeast, Conditional, CriteriaDocument, Not
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.resources import shared_dir
from criteria_nlp.sources import load_patients
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, Procedure

ROOT = Path(__file__).resolve().parents[2]
PROTOCOLS = sorted((ROOT / "corpora" / "trials").glob("*.txt"))
INDEX = "2026-11-01"
COMMON = """Inclusion Criteria:
- Age 18 to 75 years
- Hemoglobin >= 10 g/dL
- Serum creatinine <= 1.5 mg/dL
- ALT < 3 x ULN
- Platelets between 100 and 400 x10^9/L
- Female
Exclusion Criteria:
- Active tuberculosis
- Pregnancy or breastfeeding
- History of myocardial infarction
- Diabetes mellitus within the last 6 months
- HbA1c > 8%
- Currently taking warfarin
- Age over 80 years unless hemoglobin >= 12 g/dL
- Myocardial infarction within the last 6 months
- Pneumonia within the last 3 months
- Newly diagnosed diabetes
"""


def common_protocol() -> CriteriaDocument:
    """The common thresholds, plus criteria built from their leaves with every container kind."""
    doc = parse_criteria(COMMON)
    leaves = {c.id: c.expression for c in doc.criteria}
    span = doc.criteria[0].expression.span
    extra = [
        ("exc-20", Not(child=leaves["inc-2"], span=span)),
        ("exc-21", AtLeast(count=2, children=(leaves["inc-3"], leaves["exc-11"], leaves["exc-7"]), span=span)),
        ("exc-22", Conditional(when=leaves["inc-6"], then=leaves["exc-8"], span=span)),
        ("exc-23", Conditional(when=leaves["exc-9"], then=leaves["inc-4"], otherwise=leaves["inc-5"], span=span)),
    ]
    criteria = list(doc.criteria)
    for number, expression in extra:
        criteria.append(criteria[-1].model_copy(update={"id": number, "label": number, "expression": expression}))
    return doc.model_copy(update={"criteria": tuple(criteria)})


def protocols() -> list[CriteriaDocument]:
    return [parse_criteria(path.read_text(encoding="utf-8"), source=str(path)) for path in PROTOCOLS] + [
        common_protocol()
    ]


def assert_same(population: ArrowPopulation, doc: CriteriaDocument, engine: str = "duckdb", **options: Any) -> None:
    expected = screen_population(doc, population, engine="python", index_date=INDEX, **options).to_pylist()
    found = screen_population(doc, population, engine=engine, index_date=INDEX, **options).to_pylist()
    assert [row["patient"] for row in found] == [row["patient"] for row in expected]
    for got, want in zip(found, expected, strict=True):
        assert got == want, f"{doc.source or 'common'}: patient {want['patient']}"


DEMO = ArrowPopulation(patients_to_tables(load_patients(ROOT / "corpora" / "patients")), name="demo")


@pytest.mark.parametrize("doc", protocols(), ids=lambda doc: Path(doc.source or "common").stem)
def test_duckdb_decides_the_demo_patients_as_python(doc: CriteriaDocument) -> None:
    assert_same(DEMO, doc)


def test_options_reach_both_engines() -> None:
    doc = protocols()[0]
    assert_same(DEMO, doc, defer_not_computable=True, assume_default_ranges=True, lookback_months=48)


def synthea() -> ArrowPopulation:
    shared = shared_dir()
    folder = shared / "fhir" / "synthea-r4" if shared is not None else None
    if folder is None or not folder.is_dir():
        pytest.skip("../shared/fhir/synthea-r4 is not available")
    complete = (
        p.model_copy(update={"conditions_complete": True, "medications_complete": True, "procedures_complete": True})
        for p in load_patients(folder)
    )
    return ArrowPopulation(patients_to_tables(complete), name="synthea")


@pytest.mark.shared
def test_duckdb_decides_the_synthea_bundles_as_python() -> None:
    population = synthea()
    for doc in protocols():
        assert_same(population, doc)


# --- hypothesis populations ---------------------------------------------------------------------------------------

DAYS = [date(2026, 11, 1) - timedelta(days=d) for d in (-3, 0, 1, 40, 200, 364, 366, 500)]
LABS = {  # variable, LOINC, units as written (some odd, one unknown)
    "hemoglobin": ("718-7", ["g/dL", "g/L", "mmol/L", "furlong", None]),
    "creatinine": ("2160-0", ["mg/dL", "umol/L", "µmol/L", None]),
    "alt": ("1742-6", ["U/L", "IU/L", None]),
    "platelets": ("777-3", ["10*9/L", "10*3/uL", "/uL"]),
    "hba1c": ("4548-4", ["%", "mmol/mol"]),
}
CONDITIONS = [  # system, code, text
    ("http://snomed.info/sct", "56717001", "Tuberculosis"),
    ("http://hl7.org/fhir/sid/icd-10", "A15.0", None),
    ("http://snomed.info/sct", "22298006", "Myocardial infarction"),
    ("http://hl7.org/fhir/sid/icd-10", "E11.9", "Type 2 diabetes"),
    ("http://snomed.info/sct", "77386006", "Pregnancy"),
    (None, None, "active tuberculosis of the lung"),
    (None, None, "diabetes mellitus"),
    ("http://hl7.org/fhir/sid/icd-10", "J18.9", "Pneumonia"),
]
STATUSES = [None, "active", "resolved", "inactive", "Remission"]
VERIFICATIONS = [None, "confirmed", "refuted", "provisional", "entered-in-error"]


def moments() -> st.SearchStrategy[datetime | None]:
    return st.one_of(
        st.none(),
        st.builds(lambda d, h: datetime(d.year, d.month, d.day, h), st.sampled_from(DAYS), st.integers(0, 23)),
    )


@st.composite
def observations(draw: st.DrawFn, patient: str) -> list[Observation]:
    found = []
    for number in range(draw(st.integers(0, 6))):
        variable = draw(st.sampled_from(sorted(LABS)))
        loinc, units = LABS[variable]
        low = draw(st.one_of(st.none(), st.sampled_from([5.0, 10.0, 40.0])))
        found.append(
            Observation(
                id=f"{patient}-o{number}",
                variable=draw(st.sampled_from([variable, None])),
                system="http://loinc.org",
                code=loinc,
                value=draw(st.one_of(st.none(), st.sampled_from([0.5, 1.5, 8.0, 10.0, 12.0, 100.0, 120.0, 400.0]))),
                comparator=draw(st.sampled_from([None, None, "<", "<=", ">", ">="])),
                unit=draw(st.sampled_from(units)),
                effective=draw(moments()),
                reference_low=low,
                reference_high=None if low is None else draw(st.sampled_from([20.0, 40.0, 60.0])),
            )
        )
    return found


@st.composite
def patients(draw: st.DrawFn, number: int) -> Patient:
    name = f"p{number}"
    conditions = []
    for n in range(draw(st.integers(0, 3))):
        system, code, text = draw(st.sampled_from(CONDITIONS))
        conditions.append(
            Condition(
                id=f"{name}-c{n}",
                system=system,
                code=code,
                text=text,
                onset=draw(moments()),
                abatement=draw(st.one_of(st.none(), moments())),
                clinical_status=draw(st.sampled_from(STATUSES)),
                verification_status=draw(st.sampled_from(VERIFICATIONS)),
                alternate_codes=draw(st.sampled_from([(), (("http://hl7.org/fhir/sid/icd-10", "I21.9"),)])),
            )
        )
    medications = [
        Medication(
            id=f"{name}-m{n}",
            system="http://www.nlm.nih.gov/research/umls/rxnorm",
            code="11289",
            display="Warfarin",
            status=draw(st.sampled_from([None, "active", "stopped", "completed"])),
            start=draw(moments()),
            end=draw(st.one_of(st.none(), moments())),
        )
        for n in range(draw(st.integers(0, 1)))
    ]
    procedures = [
        Procedure(id=f"{name}-x{n}", display="screening test for diabetes", performed_start=draw(moments()))
        for n in range(draw(st.integers(0, 1)))
    ]
    birth = draw(st.one_of(st.none(), st.dates(date(1900, 1, 1), date(2026, 12, 31))))
    deceased = draw(st.sampled_from([None, False, True]))
    return Patient(
        id=name,
        birth_date=birth,
        birth_date_precision=draw(st.sampled_from(["day", "day", "month", "year"])),
        deceased=deceased,
        deceased_date=draw(st.sampled_from([None, date(2020, 1, 1), date(2027, 1, 1)])) if deceased else None,
        sex=draw(st.sampled_from([None, "female", "male", "other"])),
        observations=tuple(draw(observations(name))),
        conditions=tuple(conditions),
        medications=tuple(medications),
        procedures=tuple(procedures),
        pregnant=draw(st.sampled_from([None, True, False])),
        breastfeeding=draw(st.sampled_from([None, False])),
        conditions_complete=draw(st.booleans()),
        medications_complete=draw(st.booleans()),
    )


@st.composite
def populations(draw: st.DrawFn) -> ArrowPopulation:
    count = draw(st.integers(1, 8))
    return ArrowPopulation(patients_to_tables([draw(patients(n)) for n in range(count)]), name="drawn")


COMMON_DOC = common_protocol()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.booleans())
def test_duckdb_decides_drawn_populations_as_python(population: ArrowPopulation, assume: bool) -> None:
    assert_same(population, COMMON_DOC, assume_default_ranges=assume)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.booleans())
def test_duckdb_evidence_of_drawn_populations_is_python_s(population: ArrowPopulation, assume: bool) -> None:
    assert_same(population, COMMON_DOC, assume_default_ranges=assume, evidence=True)


@pytest.mark.parametrize("doc", protocols(), ids=lambda doc: Path(doc.source or "common").stem)
def test_duckdb_evidence_of_the_demo_patients_is_python_s(doc: CriteriaDocument) -> None:
    assert_same(DEMO, doc, evidence=True)


def test_evidence_is_off_by_default() -> None:
    table = screen_population(COMMON_DOC, DEMO, index_date=INDEX)
    assert "evidence" not in table.schema.names


def test_evidence_shows_the_value_its_conversion_and_the_range_used() -> None:
    """Creatinine in µmol/L against a threshold in mg/dL, ALT without its own range (the lexicon's, assumed), an
    age from a birth date recorded as a year only (an interval: no single converted age)."""
    patient = Patient(
        id="p",
        birth_date=date(1980, 1, 1),
        birth_date_precision="year",
        observations=(
            Observation(id="o1", system="http://loinc.org", code="2160-0", value=132.0, unit="umol/L",
                        effective=datetime(2026, 10, 2, 9)),
            Observation(id="o2", system="http://loinc.org", code="1742-6", value=50.0, unit="U/L",
                        effective=datetime(2026, 10, 3, 9), comparator=">"),
        ),
    )  # fmt: skip
    population = ArrowPopulation(patients_to_tables([patient]), name="one")
    for engine in ("duckdb", "python"):
        row = screen_population(
            COMMON_DOC, population, engine=engine, index_date=INDEX, assume_default_ranges=True, evidence=True
        ).to_pylist()[0]
        (age,) = row["evidence"]["inc-1"]
        assert (age["date"], age["converted"], age["converted_unit"]) == (date(1980, 1, 1), None, "year")
        (creatinine,) = row["evidence"]["inc-3"]
        assert (creatinine["value"], creatinine["unit"], creatinine["date"]) == (132.0, "umol/L", date(2026, 10, 2))
        assert creatinine["converted_unit"] == "mg/dL"
        assert creatinine["converted"] == pytest.approx(132.0 / 88.42, rel=1e-3)
        (alt,) = row["evidence"]["inc-4"]
        assert (alt["value"], alt["comparator"], alt["reference_source"]) == (50.0, ">", "lexicon")
        assert alt["reference_high"] is not None and alt["converted"] == 50.0
        assert row["evidence"]["inc-2"] == []  # no hemoglobin: nothing read


@pytest.mark.slow
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(populations(), st.booleans())
def test_duckdb_decides_many_drawn_populations_as_python(population: ArrowPopulation, assume: bool) -> None:
    assert_same(population, COMMON_DOC, assume_default_ranges=assume)


# --- Spark (one local session for the module) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def spark_session() -> Any:
    pytest.importorskip("pyspark")
    from criteria_nlp.spark import local_session

    session = local_session("local[1]")
    session.conf.set("spark.sql.shuffle.partitions", "1")
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize("doc", [COMMON_DOC, protocols()[0]], ids=["common", "bundled"])
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_decides_as_python(spark_session: Any, doc: CriteriaDocument) -> None:
    shared = shared_dir()
    population = DEMO
    if shared is not None and (shared / "fhir" / "synthea-r4").is_dir():
        population = synthea()
    assert_same(population, doc, engine="spark", spark=spark_session)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(population=populations())
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_decides_drawn_populations_as_python(spark_session: Any, population: ArrowPopulation) -> None:
    assert_same(population, COMMON_DOC, engine="spark", spark=spark_session)


@settings(
    max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(population=populations(), assume=st.booleans())
@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_evidence_is_python_s(spark_session: Any, population: ArrowPopulation, assume: bool) -> None:
    assert_same(
        population, COMMON_DOC, engine="spark", spark=spark_session, assume_default_ranges=assume, evidence=True
    )
    assert_same(DEMO, protocols()[0], engine="spark", spark=spark_session, evidence=True)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java")
def test_spark_reads_an_export_without_condition_file_as_python(spark_session: Any, tmp_path: Path) -> None:
    """An NDJSON export without Condition.ndjson (nor Procedure.ndjson): Spark reads the rest (it failed with
    DuckDB's binder error while materialising the views) and decides as the Python engine, conditions unknown."""
    import importlib.util

    from criteria_nlp.population.read import read_population

    spec = importlib.util.spec_from_file_location("bundles_to_ndjson", ROOT / "scripts" / "bundles_to_ndjson.py")
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    script.bundles_to_ndjson(ROOT / "corpora" / "patients", tmp_path / "nd")
    (tmp_path / "nd" / "Condition.ndjson").unlink()
    population = read_population(tmp_path / "nd")
    assert set(population.absent_kinds) >= {"conditions"}  # type: ignore[attr-defined]
    spark = screen_population(COMMON_DOC, population, engine="spark", spark=spark_session, index_date=INDEX)
    python = screen_population(COMMON_DOC, read_population(tmp_path / "nd"), engine="python", index_date=INDEX)
    assert spark.to_pylist() == python.to_pylist()
    assert all(row["criteria"]["exc-7"] is None for row in python.to_pylist())  # active tuberculosis: unknown

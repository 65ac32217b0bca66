"""Classes of drugs as data (``corpora/lexicon/drug_classes.tsv``): which medication records are a therapy concept,
read strictly, matched by RxNorm code and by name, and decided alike by the Python and the DuckDB engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_nlp.knowledge.drug_classes import COLUMNS, drug_class, drug_classes, names_classed_drug, unclassed_drugs
from criteria_nlp.knowledge.lexicon import LexiconFileError, load_lexicon
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.tables import patients_to_tables
from criteria_nlp.screen import screen
from criteria_nlp.sources.patient import Medication, Patient

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HEADER = "\t".join(COLUMNS)


def test_every_class_is_a_concept_and_the_chemotherapy_drugs_are_in_it() -> None:
    concepts = load_lexicon().concepts
    classes = drug_classes()
    assert set(classes) <= set(concepts)
    assert {"chemotherapy", "anticoagulants", "corticosteroids", "insulin_therapy"} <= set(classes)
    chemotherapy = classes["chemotherapy"]
    assert chemotherapy.codes["12574"] == ("gemcitabine", "member")
    assert chemotherapy.codes["3002"] == ("cyclophosphamide", "member")
    assert chemotherapy.codes["6851"] == ("methotrexate", "possible")


@pytest.mark.parametrize(
    ("concept", "codes", "text", "membership", "drug"),
    [
        ("chemotherapy", (("rxnorm", "12574"),), "", "member", "gemcitabine"),
        ("chemotherapy", (), "1 ML DOCEtaxel 20 MG/ML Injection", "member", "docetaxel"),
        ("chemotherapy", (), "Methotrexate 10 MG Oral Tablet", "possible", "methotrexate"),
        ("corticosteroids", (), "Hydrocortisone 10 MG/ML Topical Cream", "possible", "hydrocortisone"),
        ("corticosteroids", (), "hydrocortisone 10 MG Oral Tablet", "member", "hydrocortisone"),
        ("anticoagulants", (), "heparin lock flush", "possible", "heparin"),
        ("anticoagulants", (), "heparin sodium, porcine", "member", "heparin"),
        ("insulin_therapy", (), "Lantus 100 UNT/ML Injectable Solution", "member", "insulin"),
        ("opioids", (), "Acetaminophen 325 MG / oxyCODONE Hydrochloride 5 MG Oral Tablet", "member", "oxycodone"),
        ("immunotherapy", (), "pembrolizumab 25 MG/ML Injectable Solution", "member", "pembrolizumab"),
        ("antiretroviral_therapy", (), "emtricitabine 200 MG / tenofovir 300 MG", "possible", "emtricitabine"),
        # in a combination, a member decides over a possible one named before it
        ("antiretroviral_therapy", (), "emtricitabine / tenofovir / dolutegravir", "member", "dolutegravir"),
    ],
)
def test_a_record_is_a_member_by_code_or_by_name(
    concept: str, codes: tuple[tuple[str, str], ...], text: str, membership: str, drug: str
) -> None:
    table = drug_class(concept)
    assert table is not None
    found = table.match(codes, text)
    assert found is not None
    assert (found.membership, found.drug) == (membership, drug)
    assert drug in found.why and "drug_classes.tsv" in found.why


@pytest.mark.parametrize(
    ("concept", "codes", "text"),
    [
        ("chemotherapy", (), "Leucovorin 100 MG Injection"),  # given beside chemotherapy, not one
        ("chemotherapy", (("rxnorm", "12575"),), "unknown product"),  # a code is matched exactly
        ("chemotherapy", (("loinc", "12574"),), ""),  # a gemcitabine number in another code system
        ("corticosteroids", (), "Cortisonex 5 MG"),  # whole words only
        ("anticoagulants", (), "Alteplase 100 MG Injection"),  # a thrombolytic
    ],
)
def test_other_records_are_not_members(concept: str, codes: tuple[tuple[str, str], ...], text: str) -> None:
    table = drug_class(concept)
    assert table is not None
    assert table.match(codes, text) is None


def test_a_concept_without_a_class_has_none() -> None:
    assert drug_class("pregnancy") is None
    assert drug_class("no_such_concept") is None


@pytest.mark.parametrize(
    ("rows", "problem"),
    [
        (["member\tchemotherapy\tgemcitabine\t12574\t"], None),
        (["membre\tchemotherapy\tgemcitabine\t12574\t"], "unknown kind"),
        (["member\tchemotheraphy\tgemcitabine\t12574\t"], "is not a concept id"),
        (["member\tchemotherapy\tgemcitabine\t12a74\t"], "malformed RxNorm code"),
        (["member\tchemotherapy\tgemcitabine\t12574\t", "member\tchemotherapy\tcisplatin\t12574\t"], "already belongs"),
        (["member\tchemotherapy\tgemcitabine\t\t", "possible\tchemotherapy\tGemcitabine\t\t"], "listed twice"),
        (["member\tchemotherapy\tab\t\t"], "too short"),
        (["except\tchemotherapy\tcisplatin\t\toral"], "no drug of the class"),
        (["except\tchemotherapy\t\t\t"], "except row"),
        (["member\tchemotherapy\tgemcitabine\t12574"], "expected 5 tab-separated fields"),
        (["member\tchemotherapy\tgemcitabine\t12574|\t"], "empty item"),
    ],
)
def test_the_table_is_read_strictly(tmp_path: Path, rows: list[str], problem: str | None) -> None:
    path = tmp_path / "drug_classes.tsv"
    path.write_text("# a header comment\n" + HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    if problem is None:
        assert drug_classes(path)["chemotherapy"].codes["12574"] == ("gemcitabine", "member")
        return
    with pytest.raises(LexiconFileError, match=problem) as raised:
        drug_classes(path)
    assert "drug_classes.tsv line" in str(raised.value)


def test_a_table_without_its_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "drug_classes.tsv"
    path.write_text("kind\tclass\tdrug\n", encoding="utf-8")
    with pytest.raises(LexiconFileError, match="column header"):
        drug_classes(path)


PROTOCOL = """Exclusion Criteria:
- Prior chemotherapy
- Current use of anticoagulants
- Corticosteroid therapy
"""


def _patient(pid: str, display: str, code: str | None = None, **flags: bool) -> Patient:
    medication = Medication(
        id="m1",
        system=RXNORM if code else None,
        code=code,
        display=display,
        status="active",
        start="2025-11-01",
    )
    complete = {"conditions_complete": True, "medications_complete": True, "procedures_complete": True} | flags
    return Patient(id=pid, birth_date="1970-01-01", sex="female", medications=[medication], **complete)


def test_the_python_and_duckdb_engines_agree_on_class_members() -> None:
    patients = [
        _patient("coded-member", "gemcitabine", "12574"),
        _patient("named-member", "Warfarin Sodium 5 MG Oral Tablet"),
        _patient("possible", "Methotrexate 10 MG Oral Tablet"),
        _patient("doubted", "Hydrocortisone 10 MG/ML Topical Cream"),
        _patient("lock-flush", "heparin lock flush"),
        _patient("unlisted-incomplete", "Mitoxantrone 2 MG/ML Injectable Solution", medications_complete=False),
        _patient("unlisted-complete", "Amlodipine 5 MG Oral Tablet"),
    ]
    trial = parse_criteria(PROTOCOL)
    population = ArrowPopulation(patients_to_tables(patients))
    python = screen_population(trial, population, engine="python", index_date="2026-06-01").to_pylist()
    duckdb = screen_population(trial, population, engine="duckdb", index_date="2026-06-01").to_pylist()
    decided = [(row["patient"], row["criteria"], row["decision"]) for row in python]
    assert [(row["patient"], row["criteria"], row["decision"]) for row in duckdb] == decided
    outcomes = {row["patient"]: dict(row["criteria"]) for row in python}
    chemotherapy, anticoagulants, steroids = (criterion.id for criterion in trial.criteria)
    assert outcomes["coded-member"][chemotherapy] is True
    assert outcomes["named-member"][anticoagulants] is True
    assert outcomes["possible"][chemotherapy] is None
    assert outcomes["doubted"][steroids] is None
    assert outcomes["lock-flush"][anticoagulants] is None
    assert outcomes["unlisted-incomplete"][chemotherapy] is None  # the medication list could hold chemotherapy
    assert outcomes["unlisted-complete"][chemotherapy] is False
    assert {row["decision"] for row in python if row["patient"] == "unlisted-complete"} == {"eligible"}


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("none\t-\tamlodipine\t\t", None),
        ("none\t-\tgemcitabine\t\t", "a drug of the class chemotherapy"),
        ("none\tchemotherapy\tamlodipine\t\t", "a none row"),
        ("member\t-\tamlodipine\t\t", "a none row"),
        ("none\t-\tamlodipine\t12574\t", "listed twice"),
    ],
)
def test_none_rows_name_drugs_of_no_class(tmp_path: Path, row: str, problem: str | None) -> None:
    path = tmp_path / "drug_classes.tsv"
    path.write_text(f"{HEADER}\nmember\tchemotherapy\tgemcitabine\t12574\t\n{row}\n", encoding="utf-8")
    if problem is None:
        assert unclassed_drugs(path)[1] == {"amlodipine"}
        return
    with pytest.raises(LexiconFileError, match=problem):
        unclassed_drugs(path)


def test_a_drug_the_table_does_not_list_leaves_a_class_unknown_on_a_complete_list() -> None:
    assert names_classed_drug((), "Amlodipine 5 MG Oral Tablet")  # a none row
    assert names_classed_drug((), "Apixaban 5 MG Oral Tablet")  # another class
    assert names_classed_drug((("rxnorm", "12574"),), "")  # a listed code
    assert not names_classed_drug((), "Mitoxantrone 2 MG/ML Injectable Solution")
    doc = parse_criteria("Exclusion Criteria:\n- Prior chemotherapy\n")
    outcomes = {
        display: screen(doc, _patient(display, display), index_date="2026-06-01").decision
        for display in ("Mitoxantrone 2 MG/ML Injectable Solution", "Amlodipine 5 MG Oral Tablet")
    }
    assert outcomes == {
        "Mitoxantrone 2 MG/ML Injectable Solution": "needs_review",
        "Amlodipine 5 MG Oral Tablet": "eligible",
    }

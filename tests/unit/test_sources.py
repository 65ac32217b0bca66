"""The reader registry: each input format is picked by its reader's ``accepts``; an unknown format fails loudly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from criteria_nlp.errors import CriteriaError, PatientDataError
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.resources import corpus_path
from criteria_nlp.sources import READERS, Patient, load_patient, load_patients
from criteria_nlp.sources import load as load_module
from criteria_nlp.sources.fhir import FHIR_R4
from criteria_nlp.sources.load import reader_for
from criteria_nlp.sources.own_json import OWN_JSON
from criteria_nlp.sources.reader import SourceReader

DEMO = corpus_path("patients")
PATIENT = {"resourceType": "Patient", "id": "pat1", "birthDate": "1970-02-03", "gender": "female"}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def test_registry_lists_each_reader_once_with_a_name_and_what_it_expects() -> None:
    assert READERS == (FHIR_R4, OWN_JSON)
    assert [reader.name for reader in READERS] == ["fhir-r4", "own-json"]
    assert all(reader.expected for reader in READERS)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bundle(PATIENT), FHIR_R4),
        (PATIENT, FHIR_R4),
        ({"resourceType": "Observation", "id": "o"}, FHIR_R4),
        ({"id": "p", "sex": "female"}, OWN_JSON),
        ({"name": "no id"}, OWN_JSON),
    ],
)
def test_each_reader_is_picked_by_accepts(data: dict[str, Any], expected: SourceReader) -> None:
    assert reader_for(data, "<test>") is expected
    assert [reader for reader in READERS if reader.accepts(data)] == [expected]


def test_demo_files_are_read_by_their_reader() -> None:
    for name, reader in (("sle-fhir-bundle.json", FHIR_R4), ("sle-eligible.json", OWN_JSON)):
        data = json.loads((DEMO / name).read_text(encoding="utf-8"))
        assert reader_for(data, name) is reader


@pytest.mark.parametrize("content", ["[1, 2]", '"a patient"', "42", "null"])
def test_unknown_format_names_the_file_and_what_was_expected(tmp_path: Path, content: str) -> None:
    path = tmp_path / "odd.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CriteriaError) as caught:
        load_patient(path)
    error = caught.value
    assert isinstance(error, PatientDataError)
    assert str(path) in str(error) and "no patient reader accepts" in str(error)
    assert error.expected == [f"{reader.expected} [{reader.name}]" for reader in READERS]
    assert "FHIR R4 Bundle" in str(error) and "own patient JSON" in str(error)


def test_unknown_format_in_a_directory_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"id": "p"}), encoding="utf-8")
    (tmp_path / "b.json").write_text("[]", encoding="utf-8")
    with pytest.raises(PatientDataError, match=r"b\.json: no patient reader accepts this JSON list"):
        list(load_patients(tmp_path))


def test_describes_patient_lets_load_patients_skip_documents_without_one() -> None:
    assert not FHIR_R4.describes_patient(bundle({"resourceType": "Practitioner", "id": "dr"}))
    assert FHIR_R4.describes_patient(bundle(PATIENT)) and FHIR_R4.describes_patient(PATIENT)
    assert OWN_JSON.describes_patient({"id": "p"})


class _ToyReader:
    """A format of its own, to show that a new source is one reader and one entry in READERS."""

    name = "toy"
    expected = 'a toy record ({"toy": id})'

    def accepts(self, data: object) -> bool:
        return isinstance(data, dict) and "toy" in data

    def describes_patient(self, data: dict[str, Any]) -> bool:
        return True

    def read(self, data: dict[str, Any], *, source: str, strict: bool, validate: bool, lexicon: Lexicon) -> Patient:
        return Patient(id=str(data["toy"]), source=source)


def test_a_new_reader_joins_by_one_entry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    toy: SourceReader = _ToyReader()
    monkeypatch.setattr(load_module, "READERS", (toy, *READERS))
    assert load_patient({"toy": 7}).id == "7"
    (tmp_path / "t.json").write_text('{"toy": "t1"}', encoding="utf-8")
    assert [(p.id, p.source) for p in load_patients(tmp_path)] == [("t1", str(tmp_path / "t.json"))]
    (tmp_path / "odd.json").write_text("[]", encoding="utf-8")
    with pytest.raises(PatientDataError, match=r"toy record"):
        load_patient(tmp_path / "odd.json")

"""Write an OMOP CDM 5.4 folder (CSV tables and a small ``concept`` table for the codes used) from a folder of FHIR
R4 bundles.

    python scripts/bundles_to_omop.py BUNDLES_DIR OUT_DIR

Each bundle is read by criteria_nlp's FHIR reader, and its patient written as OMOP rows: ``person`` (person_id
numbered in file order, ``person_source_value`` = the FHIR id), ``death``, ``measurement`` (numeric observations,
the comparator as ``operator_concept_id``, the unit as ``unit_source_value`` and a UCUM unit concept), ``observation``
(text-valued observations), ``condition_occurrence`` (the SNOMED concept, the first ICD-10 alternate as source
value), ``drug_exposure``, ``procedure_occurrence``; ``concept`` numbers every (vocabulary, code) used from
2,000,000,000 (the CDM's range for local concepts). What OMOP cannot hold is left out: condition clinical and
verification statuses, medication statuses, reference ranges whose unit differs, observation ids. Used by the tests
to build an OMOP sample from ``../shared/fhir/synthea-r4`` in a temporary folder; the output is never committed.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from criteria_nlp.knowledge.codes import ICD10_SYSTEMS, LOINC_SYSTEM, RXNORM_SYSTEM, SNOMED_SYSTEM
from criteria_nlp.population.omop import GENDERS, OPERATORS
from criteria_nlp.sources import load_patients
from criteria_nlp.sources.patient import Patient

_VOCABULARY = {LOINC_SYSTEM: "LOINC", SNOMED_SYSTEM: "SNOMED", RXNORM_SYSTEM: "RxNorm"} | dict.fromkeys(
    ICD10_SYSTEMS, "ICD10CM"
)
COLUMNS = {
    "person": "person_id gender_concept_id year_of_birth month_of_birth day_of_birth birth_datetime "
    "person_source_value",
    "death": "person_id death_date",
    "measurement": "measurement_id person_id measurement_concept_id measurement_date measurement_datetime "
    "operator_concept_id value_as_number unit_concept_id range_low range_high measurement_source_value "
    "unit_source_value value_source_value",
    "observation": "observation_id person_id observation_concept_id observation_date observation_datetime "
    "value_as_number value_as_string observation_source_value unit_source_value",
    "condition_occurrence": "condition_occurrence_id person_id condition_concept_id condition_start_date "
    "condition_start_datetime condition_end_date condition_end_datetime condition_source_value "
    "condition_source_concept_id",
    "drug_exposure": "drug_exposure_id person_id drug_concept_id drug_exposure_start_date drug_exposure_start_datetime "
    "drug_exposure_end_date drug_exposure_end_datetime drug_source_value",
    "procedure_occurrence": "procedure_occurrence_id person_id procedure_concept_id procedure_date procedure_datetime "
    "procedure_end_date procedure_end_datetime procedure_source_value",
    "concept": "concept_id concept_name domain_id vocabulary_id concept_class_id standard_concept concept_code "
    "valid_start_date valid_end_date invalid_reason",
}


class _Writer:
    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in COLUMNS}
        self.concepts: dict[tuple[str, str], int] = {}
        self.names: dict[int, tuple[str, str]] = {}

    def concept(self, vocabulary: str | None, code: str | None, name: str | None, domain: str) -> int:
        if not vocabulary or not code:
            return 0
        key = (vocabulary, code)
        if key not in self.concepts:
            self.concepts[key] = 2_000_000_000 + len(self.concepts)
            self.names[self.concepts[key]] = (name or code, domain)
        return self.concepts[key]

    def add(self, table: str, **row: Any) -> None:
        row.setdefault(f"{table}_id" if table != "condition_occurrence" else "condition_occurrence_id", None)
        self.rows[table].append(row)


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment is not None else None


def _instant(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=None).isoformat(sep=" ") if moment is not None else None


def _patient(out: _Writer, person: int, patient: Patient) -> None:
    birth = patient.birth_date
    gender = {value: key for key, value in GENDERS.items()}.get(patient.sex or "", 0)
    out.add(
        "person", person_id=person, gender_concept_id=gender, year_of_birth=birth.year if birth else None,
        month_of_birth=birth.month if birth and patient.birth_date_precision != "year" else None,
        day_of_birth=birth.day if birth and patient.birth_date_precision == "day" else None,
        birth_datetime=None, person_source_value=patient.id,
    )  # fmt: skip
    if patient.deceased:
        out.add("death", person_id=person, death_date=patient.deceased_date)
    operators = {value: key for key, value in OPERATORS.items()}
    for o in patient.observations:
        concept = out.concept(_VOCABULARY.get(o.system or ""), o.code, o.display, "Measurement")
        when = {"date": _day(o.effective), "datetime": _instant(o.effective)}
        if o.value is None and o.value_text is not None:
            out.add(
                "observation", observation_id=len(out.rows["observation"]) + 1, person_id=person,
                observation_concept_id=concept, observation_date=when["date"], observation_datetime=when["datetime"],
                value_as_number=None, value_as_string=o.value_text, observation_source_value=o.code,
                unit_source_value=o.unit,
            )  # fmt: skip
            continue
        unit = out.concept("UCUM", o.unit, o.unit, "Unit")
        out.add(
            "measurement", measurement_id=len(out.rows["measurement"]) + 1, person_id=person,
            measurement_concept_id=concept, measurement_date=when["date"], measurement_datetime=when["datetime"],
            operator_concept_id=operators.get(o.comparator or "", 4172703 if o.value is not None else None),
            value_as_number=o.value, unit_concept_id=unit, range_low=o.reference_low, range_high=o.reference_high,
            measurement_source_value=o.code, unit_source_value=o.unit, value_source_value=None,
        )  # fmt: skip
    _records(out, person, patient)


def _records(out: _Writer, person: int, patient: Patient) -> None:
    for c in patient.conditions:
        icd = next((code for system, code in c.alternate_codes if system in ICD10_SYSTEMS), None)
        source = out.concept("ICD10CM", icd, icd, "Condition") if icd else 0
        out.add(
            "condition_occurrence", condition_occurrence_id=len(out.rows["condition_occurrence"]) + 1,
            person_id=person, condition_concept_id=out.concept(_VOCABULARY.get(c.system or ""), c.code, c.display,
                                                               "Condition"),
            condition_start_date=_day(c.onset), condition_start_datetime=_instant(c.onset),
            condition_end_date=_day(c.abatement), condition_end_datetime=_instant(c.abatement),
            condition_source_value=icd or c.code, condition_source_concept_id=source,
        )  # fmt: skip
    for m in patient.medications:
        out.add(
            "drug_exposure", drug_exposure_id=len(out.rows["drug_exposure"]) + 1, person_id=person,
            drug_concept_id=out.concept(_VOCABULARY.get(m.system or ""), m.code, m.display, "Drug"),
            drug_exposure_start_date=_day(m.start), drug_exposure_start_datetime=_instant(m.start),
            drug_exposure_end_date=_day(m.end), drug_exposure_end_datetime=_instant(m.end), drug_source_value=m.code,
        )  # fmt: skip
    for p in patient.procedures:
        out.add(
            "procedure_occurrence", procedure_occurrence_id=len(out.rows["procedure_occurrence"]) + 1,
            person_id=person, procedure_concept_id=out.concept(_VOCABULARY.get(p.system or ""), p.code, p.display,
                                                               "Procedure"),
            procedure_date=_day(p.performed_start), procedure_datetime=_instant(p.performed_start),
            procedure_end_date=_day(p.performed_end), procedure_end_datetime=_instant(p.performed_end),
            procedure_source_value=p.code,
        )  # fmt: skip


def _write(path: Path, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def bundles_to_omop(bundles: Path, out: Path) -> int:
    """Write the OMOP folder; returns the number of persons written."""
    writer = _Writer()
    persons = 0
    for persons, patient in enumerate(load_patients(bundles), start=1):
        _patient(writer, persons, patient)
    for (vocabulary, code), concept in writer.concepts.items():
        name, domain = writer.names[concept]
        writer.rows["concept"].append(
            {"concept_id": concept, "concept_name": name, "domain_id": domain, "vocabulary_id": vocabulary,
             "concept_class_id": domain, "standard_concept": "S", "concept_code": code,
             "valid_start_date": "1970-01-01", "valid_end_date": "2099-12-31", "invalid_reason": None}
        )  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    for table, columns in COLUMNS.items():
        _write(out / f"{table}.csv", columns.split(), writer.rows[table])
    return persons


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bundles", type=Path)
    parser.add_argument("out", type=Path)
    arguments = parser.parse_args()
    print(f"{bundles_to_omop(arguments.bundles, arguments.out)} persons written to {arguments.out}")


if __name__ == "__main__":
    main()

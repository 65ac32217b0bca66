"""Synthetic populations for benchmarks: the long tables written as Parquet, generated with numpy (vectorised: a
million patients take seconds).

Distributions: ages 0-100 (mean 52), sexes (2 % other or unrecorded), 3 % deceased, partial birth dates, pregnancy
recorded for some women of child-bearing age; about 8 lab results a patient from common laboratory tests (codes
read from the lexicon: a code it does not know is skipped), in several units (creatinine in mg/dL or µmol/L,
haemoglobin in g/dL or g/L...), 4 % without a value, 2 % with a comparator, some on the same day, most with a
reference range; conditions with SNOMED CT or ICD-10 codes (tuberculosis, pregnancy, diabetes...), some with an
ICD-10 alternate; medications with RxNorm codes; procedures. ``read_population`` reads the folder back
(:class:`~criteria_nlp.population.folder.ParquetTablesPopulation`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from criteria_nlp.knowledge.codes import ICD10CM_SYSTEM, LOINC_SYSTEM, RXNORM_SYSTEM, SNOMED_SYSTEM
from criteria_nlp.population.tables import arrow_schema

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

INDEX_DATE = "2025-01-01"
# (LOINC, mean, sd, [(unit, factor from the first unit)]): realistic adult values, the first unit the usual one
LABS: tuple[tuple[str, float, float, tuple[tuple[str, float], ...]], ...] = (
    ("2160-0", 1.0, 0.45, (("mg/dL", 1.0), ("umol/L", 88.42))),
    ("1742-6", 32.0, 25.0, (("U/L", 1.0),)),
    ("1920-8", 30.0, 22.0, (("U/L", 1.0),)),
    ("718-7", 13.4, 1.9, (("g/dL", 1.0), ("g/L", 10.0))),
    ("777-3", 250.0, 75.0, (("10*3/uL", 1.0), ("10*9/L", 1.0))),
    ("6690-2", 7.2, 2.6, (("10*3/uL", 1.0),)),
    ("1975-2", 0.8, 0.5, (("mg/dL", 1.0), ("umol/L", 17.1))),
    ("33914-3", 82.0, 24.0, (("mL/min/{1.73_m2}", 1.0),)),
    ("4548-4", 6.1, 1.3, (("%", 1.0),)),
    ("2345-7", 108.0, 32.0, (("mg/dL", 1.0), ("mmol/L", 1 / 18.016))),
    ("8480-6", 128.0, 18.0, (("mm[Hg]", 1.0),)),
    ("8462-4", 79.0, 11.0, (("mm[Hg]", 1.0),)),
    ("29463-7", 78.0, 18.0, (("kg", 1.0), ("[lb_av]", 2.20462))),
    ("2823-3", 4.2, 0.5, (("mmol/L", 1.0),)),
)
CONDITIONS: tuple[tuple[str, str, str], ...] = (
    (SNOMED_SYSTEM, "38341003", "Hypertensive disorder"),
    (SNOMED_SYSTEM, "44054006", "Diabetes mellitus type 2"),
    (SNOMED_SYSTEM, "56717001", "Tuberculosis"),
    (SNOMED_SYSTEM, "195967001", "Asthma"),
    (SNOMED_SYSTEM, "22298006", "Myocardial infarction"),
    (SNOMED_SYSTEM, "254837009", "Malignant neoplasm of breast"),
    (SNOMED_SYSTEM, "86406008", "Human immunodeficiency virus infection"),
    (SNOMED_SYSTEM, "77386006", "Pregnancy"),
    (ICD10CM_SYSTEM, "E11.9", "Type 2 diabetes mellitus without complications"),
    (ICD10CM_SYSTEM, "A15.0", "Tuberculosis of lung"),
    (ICD10CM_SYSTEM, "I10", "Essential (primary) hypertension"),
    (ICD10CM_SYSTEM, "N18.3", "Chronic kidney disease, stage 3"),
)
MEDICATIONS: tuple[tuple[str, str], ...] = (
    ("860975", "metformin 500 MG"),
    ("314076", "lisinopril 10 MG"),
    ("855332", "warfarin 5 MG"),
    ("617312", "atorvastatin 10 MG"),
    ("312617", "prednisone 5 MG"),
    ("1049502", "oxycodone 10 MG"),
)
PROCEDURES: tuple[tuple[str, str], ...] = (
    ("73761001", "Colonoscopy"),
    ("80146002", "Appendectomy"),
    ("232717009", "Coronary artery bypass grafting"),
    ("385763009", "Hemodialysis"),
)


def _strings(prefix: str, numbers: np.ndarray) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.binary_join_element_wise(prefix, pc.cast(pa.array(numbers), pa.string()), "")


def _pick(rng: np.random.Generator, values: list[Any], size: int, p: list[float] | None = None) -> pa.Array:
    import pyarrow as pa

    return pa.array(values).take(pa.array(rng.choice(len(values), size=size, p=p)))


def _moments(rng: np.random.Generator, size: int, days: int) -> np.ndarray:
    """Times in the ``days`` before the index date, some repeated (several results a day)."""
    import numpy as np

    index = np.datetime64(INDEX_DATE, "us")
    offsets = rng.integers(0, days * 86_400, size=size).astype("timedelta64[s]").astype("timedelta64[us]")
    moments = index - offsets
    same_day = rng.random(size) < 0.15
    moments[1:][same_day[1:]] = moments[:-1][same_day[1:]] + np.timedelta64(2, "h")
    return moments


def _patients(rng: np.random.Generator, n: int) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    ages = np.clip(rng.normal(52, 19, n), 0.2, 100)
    birth = np.datetime64(INDEX_DATE, "D") - (ages * 365.25).astype("timedelta64[D]")
    sex = rng.choice(np.array(["female", "male", "other", ""], dtype=object), n, p=[0.49, 0.49, 0.01, 0.01])
    precision = rng.choice(np.array(["day", "month", "year"], dtype=object), n, p=[0.96, 0.02, 0.02])
    deceased = rng.random(n) < 0.03
    died = birth + (rng.random(n) * (np.datetime64(INDEX_DATE, "D") - birth).astype(int)).astype("timedelta64[D]")
    childbearing = (sex == "female") & (ages >= 15) & (ages <= 45)
    recorded = childbearing & (rng.random(n) < 0.3)
    columns = {
        "patient_id": _strings("p", np.arange(n)),
        "position": pa.array(np.arange(n)),
        "birth_date": pa.array(birth),
        "birth_date_precision": pa.array(precision),
        "sex": pa.array(sex, mask=sex == ""),
        "deceased": pa.array(deceased, mask=~deceased),
        "deceased_date": pa.array(died, mask=~deceased),
        "pregnant": pa.array(rng.random(n) < 0.1, mask=~recorded),
        "breastfeeding": pa.nulls(n, pa.bool_()),
        "conditions_complete": pa.array(rng.random(n) < 0.3),
        "medications_complete": pa.array(rng.random(n) < 0.3),
        "procedures_complete": pa.array(rng.random(n) < 0.3),
        "source": pa.array(np.full(n, "synthetic", dtype=object)),
    }
    return pa.table(columns).cast(arrow_schema("patients"))


def _observations(rng: np.random.Generator, n: int, per_patient: float) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    from criteria_nlp.knowledge.lexicon import load_lexicon
    from criteria_nlp.sources.fhir import _normalized_unit

    lexicon = load_lexicon()
    # one choice per (lab, unit): code, mean, sd, unit, factor; categorical columns are small arrays taken by index
    choices = [
        (code, mean, sd, unit, factor)
        for code, mean, sd, units in LABS
        if lexicon.by_loinc(code) is not None
        for unit, factor in units
    ]
    owner = patients_of(rng, n, per_patient)
    size = len(owner)
    which = rng.integers(0, len(choices), size)
    mean, sd, factor = (np.array([choice[k] for choice in choices], dtype=float)[which] for k in (1, 2, 4))
    value = np.abs(rng.normal(mean, sd)) * factor
    missing = rng.random(size) < 0.04
    comparator = np.where((rng.random(size) < 0.02) & ~missing, rng.integers(1, 5, size), 0)
    has_range = rng.random(size) < 0.7
    low = np.where(has_range, (mean - 1.5 * sd).clip(0) * factor, np.nan)
    high = np.where(has_range, (mean + 1.5 * sd) * factor, np.nan)
    index = pa.array(which)
    codes = [choice[0] for choice in choices]
    units = [choice[3] for choice in choices]
    variables = [lexicon.by_loinc(code) for code in codes]

    def column(values: list[Any]) -> pa.Array:
        return pa.array(values, type=pa.string()).take(index)

    columns = {
        "patient_id": _strings("p", owner),
        "id": _strings("o", np.arange(size)),
        "variable": column([variable.id if variable else None for variable in variables]),
        "system": column([LOINC_SYSTEM] * len(choices)),
        "code": column(codes),
        "display": column([variable.name if variable else None for variable in variables]),
        "value": pa.array(np.round(value, 2), mask=missing),
        "comparator": pa.array([None, "<", ">", "<=", ">="], type=pa.string()).take(pa.array(comparator)),
        "unit": column(units),
        "unit_normalized": column([_normalized_unit(unit, unit) for unit in units]),
        "value_text": pa.nulls(size, pa.string()),
        "effective": pa.array(_moments(rng, size, 3 * 365)),
        "reference_low": pa.array(np.round(low, 2), mask=~has_range),
        "reference_high": pa.array(np.round(high, 2), mask=~has_range),
    }
    return pa.table(columns).cast(arrow_schema("observations"))


def patients_of(rng: np.random.Generator, n: int, per_patient: float) -> np.ndarray:
    """The owning patient of each record: Poisson(per_patient) records a patient, in patient order."""
    import numpy as np

    return np.repeat(np.arange(n), rng.poisson(per_patient, n))


def _conditions(rng: np.random.Generator, n: int) -> tuple[pa.Table, pa.Table]:
    import numpy as np
    import pyarrow as pa

    owner = patients_of(rng, n, 1.5)
    size = len(owner)
    which = rng.integers(0, len(CONDITIONS), size)
    system, code, display = (np.array([c[k] for c in CONDITIONS], dtype=object)[which] for k in range(3))
    onset = _moments(rng, size, 20 * 365)
    resolved = rng.random(size) < 0.25
    ids = _strings("c", np.arange(size))
    columns = {
        "patient_id": _strings("p", owner), "id": ids, "system": pa.array(system), "code": pa.array(code),
        "display": pa.array(display), "text": pa.array(display), "onset": pa.array(onset),
        "abatement": pa.array(onset + np.timedelta64(30, "D"), mask=~resolved),
        "clinical_status": pa.array(np.where(resolved, "resolved", "active")),
        "verification_status": pa.array(np.full(size, "confirmed", dtype=object)),
    }  # fmt: skip
    alternate = (system == SNOMED_SYSTEM) & (rng.random(size) < 0.3)
    codes = {
        "patient_id": _strings("p", owner[alternate]), "condition_id": ids.filter(pa.array(alternate)),
        "ordinal": pa.array(np.zeros(int(alternate.sum()), dtype=np.int32)),
        "system": pa.array(np.full(int(alternate.sum()), ICD10CM_SYSTEM, dtype=object)),
        "code": pa.array(np.full(int(alternate.sum()), "R69", dtype=object)),
    }  # fmt: skip
    return pa.table(columns).cast(arrow_schema("conditions")), pa.table(codes).cast(arrow_schema("condition_codes"))


def _medications(rng: np.random.Generator, n: int) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    owner = patients_of(rng, n, 1.0)
    size = len(owner)
    which = rng.integers(0, len(MEDICATIONS), size)
    code, display = (np.array([m[k] for m in MEDICATIONS], dtype=object)[which] for k in range(2))
    start = _moments(rng, size, 5 * 365)
    stopped = rng.random(size) < 0.5
    columns = {
        "patient_id": _strings("p", owner), "id": _strings("m", np.arange(size)),
        "system": pa.array(np.full(size, RXNORM_SYSTEM, dtype=object)), "code": pa.array(code),
        "display": pa.array(display), "status": pa.array(np.where(stopped, "stopped", "active")),
        "start": pa.array(start), "end": pa.array(start + np.timedelta64(90, "D"), mask=~stopped),
        "text": pa.array(display),
    }  # fmt: skip
    return pa.table(columns).cast(arrow_schema("medications"))


def _procedures(rng: np.random.Generator, n: int) -> pa.Table:
    import numpy as np
    import pyarrow as pa

    owner = patients_of(rng, n, 0.5)
    size = len(owner)
    which = rng.integers(0, len(PROCEDURES), size)
    code, display = (np.array([p[k] for p in PROCEDURES], dtype=object)[which] for k in range(2))
    start = _moments(rng, size, 10 * 365)
    columns = {
        "patient_id": _strings("p", owner), "id": _strings("x", np.arange(size)),
        "system": pa.array(np.full(size, SNOMED_SYSTEM, dtype=object)), "code": pa.array(code),
        "display": pa.array(display), "performed_start": pa.array(start),
        "performed_end": pa.array(start + np.timedelta64(1, "h")),
    }  # fmt: skip
    return pa.table(columns).cast(arrow_schema("procedures"))


def synthetic_tables(n_patients: int, *, seed: int = 0) -> dict[str, pa.Table]:
    """The long tables of ``n_patients`` synthetic patients (deterministic for a seed)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    conditions, condition_codes = _conditions(rng, n_patients)
    return {
        "patients": _patients(rng, n_patients),
        "observations": _observations(rng, n_patients, 8.0),
        "conditions": conditions,
        "condition_codes": condition_codes,
        "medications": _medications(rng, n_patients),
        "procedures": _procedures(rng, n_patients),
    }


def write_synthetic(directory: str | Path, n_patients: int, *, seed: int = 0, format: str = "parquet") -> Path:
    """Write the tables as ``<table>.parquet`` in ``directory`` (created); returns the directory."""
    import pyarrow.parquet as pq

    if format != "parquet":
        raise ValueError(f"format {format!r}: only 'parquet' is written")
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    for table, data in synthetic_tables(n_patients, seed=seed).items():
        pq.write_table(data, folder / f"{table}.parquet", compression="zstd")
    return folder

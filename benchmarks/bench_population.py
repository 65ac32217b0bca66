"""Population screening: DuckDB (and optionally Spark) against the Python engine on synthetic populations.

    python benchmarks/bench_population.py                   # 10k and 100k patients
    python benchmarks/bench_population.py --sizes 1000000   # 1M
    python benchmarks/bench_population.py --spark           # Spark local mode too
    python benchmarks/bench_population.py --evidence        # DuckDB with the evidence column too (its cost)

The population is :func:`criteria_nlp.population.synthetic.synthetic_tables` (``--data bench``: this script's own
DuckDB generator: labs in several units, a few values per patient over two years, conditions with statuses,
medications); the Python engine is timed on a sample of the
same tables and scaled per patient. Peak memory is the process's maximum resident size.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
INDEX = "2026-11-01"
TWENTY = """Inclusion Criteria:
- Age 18 to 75 years
- Hemoglobin >= 10 g/dL
- Serum creatinine <= 1.5 mg/dL
- ALT < 3 x ULN
- AST < 3 x ULN
- Platelets >= 100 x10^9/L
- eGFR >= 45 mL/min/1.73m2
- BMI between 18 and 40 kg/m2
- Total cholesterol < 300 mg/dL
- Female
Exclusion Criteria:
- Active tuberculosis
- Pregnancy or breastfeeding
- History of myocardial infarction
- Diabetes mellitus within the last 6 months
- HbA1c > 8%
- Currently taking warfarin
- Hepatitis B
- Malignancy
- Heart failure
- Age over 80 years unless hemoglobin >= 12 g/dL
"""

LABS = [  # variable, LOINC, unit, mean, spread
    ("hemoglobin", "718-7", "g/dL", 13.5, 2.0),
    ("hemoglobin", "718-7", "g/L", 135.0, 20.0),
    ("creatinine", "2160-0", "mg/dL", 1.0, 0.4),
    ("creatinine", "2160-0", "umol/L", 88.0, 30.0),
    ("alt", "1742-6", "U/L", 30.0, 20.0),
    ("ast", "1920-8", "U/L", 28.0, 15.0),
    ("platelets", "777-3", "10*9/L", 250.0, 70.0),
    ("egfr", "33914-3", "mL/min/{1.73_m2}", 80.0, 25.0),
    ("bmi", "39156-5", "kg/m2", 28.0, 6.0),
    ("total_cholesterol", "2093-3", "mg/dL", 190.0, 40.0),
    ("hba1c", "4548-4", "%", 6.0, 1.2),
]
CONDITIONS = [
    ("http://snomed.info/sct", "44054006", "Diabetes mellitus type 2"),
    ("http://snomed.info/sct", "22298006", "Myocardial infarction"),
    ("http://hl7.org/fhir/sid/icd-10", "A15.0", "Tuberculosis of lung"),
    ("http://snomed.info/sct", "84114007", "Heart failure"),
    ("http://snomed.info/sct", "38341003", "Hypertension"),
    ("http://snomed.info/sct", "77386006", "Pregnancy"),
]


def generate(con: Any, patients: int) -> dict[str, Any]:
    """The long tables of a synthetic population, built in DuckDB and returned as Arrow tables."""
    from criteria_nlp.population.tables import SCHEMA, arrow_schema

    labs = " UNION ALL ".join(
        f"SELECT {n} AS k, '{v}' AS variable, '{c}' AS code, '{u}' AS unit, {m} AS mean, {s} AS spread"
        for n, (v, c, u, m, s) in enumerate(LABS)
    )
    conditions = " UNION ALL ".join(
        f"SELECT {n} AS k, '{s}' AS system, '{c}' AS code, '{d}' AS display" for n, (s, c, d) in enumerate(CONDITIONS)
    )
    con.execute("SELECT setseed(0.42)")
    sql = {
        "patients": f"""SELECT 'p' || i AS patient_id, i AS position,
            DATE '1930-01-01' + CAST(floor(random() * 30000) AS INTEGER) AS birth_date,
            CASE WHEN random() < 0.02 THEN 'year' ELSE 'day' END AS birth_date_precision,
            CASE WHEN random() < 0.5 THEN 'female' ELSE 'male' END AS sex,
            random() < 0.01 AS deceased, CAST(NULL AS DATE) AS deceased_date,
            CASE WHEN random() < 0.03 THEN TRUE WHEN random() < 0.5 THEN NULL ELSE FALSE END AS pregnant,
            CAST(NULL AS BOOLEAN) AS breastfeeding, random() < 0.7 AS conditions_complete,
            random() < 0.7 AS medications_complete, TRUE AS procedures_complete, CAST(NULL AS VARCHAR) AS source
            FROM range({patients}) t(i)""",
        "observations": f"""SELECT 'p' || i AS patient_id, 'o' || i || '-' || j AS id,
            CAST(NULL AS VARCHAR) AS variable,
            'http://loinc.org' AS system, l.code, l.variable AS display,
            round(l.mean + l.spread * (random() + random() + random() - 1.5) * 2, 1) AS value,
            CASE WHEN random() < 0.01 THEN '<' ELSE NULL END AS comparator, l.unit,
            CAST(NULL AS VARCHAR) AS unit_normalized, CAST(NULL AS VARCHAR) AS value_text,
            TIMESTAMP '2026-11-01' - INTERVAL (CAST(floor(random() * 700) AS INTEGER)) DAY AS effective,
            CASE WHEN l.variable IN ('alt', 'ast') THEN 7.0 END AS reference_low,
            CASE WHEN l.variable IN ('alt', 'ast') THEN 40.0 END AS reference_high
            FROM range({patients}) t(i), range(14) s(j), ({labs}) l
            WHERE l.k = CAST(floor(hash(i, j) % {len(LABS)}) AS INTEGER)""",
        "conditions": f"""SELECT 'p' || i AS patient_id, 'c' || i || '-' || j AS id, c.system, c.code, c.display,
            CAST(NULL AS VARCHAR) AS text,
            TIMESTAMP '2026-11-01' - INTERVAL (CAST(floor(random() * 3000) AS INTEGER)) DAY AS onset,
            CASE WHEN random() < 0.3 THEN TIMESTAMP '2026-11-01'
                - INTERVAL (CAST(floor(random() * 300) AS INTEGER)) DAY END AS abatement,
            CASE WHEN random() < 0.2 THEN 'resolved' ELSE 'active' END AS clinical_status,
            CASE WHEN random() < 0.05 THEN 'provisional' ELSE 'confirmed' END AS verification_status
            FROM range({patients}) t(i), range(2) s(j), ({conditions}) c
            WHERE c.k = CAST(floor(hash(i, j, 7) % {len(CONDITIONS) * 3}) AS INTEGER)""",
        "condition_codes": "SELECT CAST(NULL AS VARCHAR) AS patient_id, CAST(NULL AS VARCHAR) AS condition_id, "
        "CAST(NULL AS INTEGER) AS ordinal, CAST(NULL AS VARCHAR) AS system, CAST(NULL AS VARCHAR) AS code LIMIT 0",
        "medications": f"""SELECT 'p' || i AS patient_id, 'm' || i AS id,
            'http://www.nlm.nih.gov/research/umls/rxnorm' AS system, '11289' AS code, 'Warfarin' AS display,
            CASE WHEN random() < 0.5 THEN 'active' ELSE 'stopped' END AS status,
            TIMESTAMP '2024-01-01' AS start, CAST(NULL AS TIMESTAMP) AS "end", CAST(NULL AS VARCHAR) AS text
            FROM range({patients}) t(i) WHERE hash(i, 3) % 10 = 0""",
        "procedures": "SELECT CAST(NULL AS VARCHAR) AS patient_id, CAST(NULL AS VARCHAR) AS id, "
        "CAST(NULL AS VARCHAR) AS system, CAST(NULL AS VARCHAR) AS code, CAST(NULL AS VARCHAR) AS display, "
        "CAST(NULL AS TIMESTAMP) AS performed_start, CAST(NULL AS TIMESTAMP) AS performed_end LIMIT 0",
    }
    tables = {}
    for name in SCHEMA:
        table = con.execute(sql[name]).to_arrow_table()
        tables[name] = table.select([c for c, _ in SCHEMA[name]]).cast(arrow_schema(name))
    return tables


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import duckdb

    from criteria_nlp.pipeline import parse_criteria
    from criteria_nlp.population.engines import screen_population
    from criteria_nlp.population.source import ArrowPopulation
    from criteria_nlp.population.synthetic import INDEX_DATE as SYNTHETIC_INDEX
    from criteria_nlp.population.synthetic import synthetic_tables

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated population sizes")
    parser.add_argument("--sample", type=int, default=2000, help="patients the Python engine is timed on")
    parser.add_argument("--spark", action="store_true", help="time Spark local mode too")
    parser.add_argument("--evidence", action="store_true", help="time DuckDB with evidence=True too")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--data",
        choices=("synthetic", "bench"),
        default="synthetic",
        help="population.synthetic.synthetic_tables (default) or this script's own DuckDB generator",
    )
    arguments = parser.parse_args()
    protocols = {
        "bundled": parse_criteria((ROOT / "corpora" / "trials" / "NCT03219801.txt").read_text(encoding="utf-8")),
        "20-criteria": parse_criteria(TWENTY),
    }
    spark = None
    if arguments.spark:
        from criteria_nlp.spark import local_session

        spark = local_session(f"local[{arguments.threads}]")
        spark.conf.set("spark.sql.shuffle.partitions", str(arguments.threads * 2))
    for size in (int(s) for s in arguments.sizes.split(",")):
        con = duckdb.connect()
        con.execute(f"SET threads = {arguments.threads}")
        started = time.perf_counter()
        tables = synthetic_tables(size, seed=0) if arguments.data == "synthetic" else generate(con, size)
        population = ArrowPopulation(tables, name=f"synthetic-{size}")
        index = SYNTHETIC_INDEX if arguments.data == "synthetic" else INDEX
        generated = time.perf_counter() - started
        rows = population.tables["observations"].num_rows
        print(f"{size} patients ({rows} observations), generated in {generated:.1f} s")
        sample = ArrowPopulation(_head(population.tables, arguments.sample), name="sample")
        warm = ArrowPopulation(_head(population.tables, 5), name="warm-up")
        for name, doc in protocols.items():
            started = time.perf_counter()
            result = screen_population(doc, population, engine="duckdb", index_date=index, connection=con)
            duck = time.perf_counter() - started
            # warm-up: the lexicon and terminology tables load on the first patient, not per patient
            screen_population(doc, warm, engine="python", index_date=index)
            started = time.perf_counter()
            screen_population(doc, sample, engine="python", index_date=index)
            python = (time.perf_counter() - started) / sample.tables["patients"].num_rows
            decisions = result.column("decision").value_counts().to_pylist()
            line = (
                f"  {name} ({len(doc.criteria)} criteria): duckdb {duck:.1f} s ({size / duck:,.0f} patients/s), "
                f"python {python * 1e3:.2f} ms/patient (scaled {python * size:.0f} s), "
                f"ratio {python * size / duck:.0f}x, "
                f"peak RSS {peak_mb():.0f} MB; {decisions}"
            )
            if arguments.evidence:
                started = time.perf_counter()
                screen_population(doc, population, engine="duckdb", index_date=index, connection=con, evidence=True)
                with_evidence = time.perf_counter() - started
                line += f"; duckdb with evidence {with_evidence:.1f} s ({with_evidence / duck:.2f}x)"
            if spark is not None:
                started = time.perf_counter()
                screen_population(doc, population, engine="spark", index_date=index, spark=spark)
                line += f"; spark local[{arguments.threads}] {time.perf_counter() - started:.1f} s"
            print(line, flush=True)
        con.close()


def _head(tables: dict[str, Any], count: int) -> dict[str, Any]:
    """The first ``count`` patients and their records."""
    import pyarrow as pa
    import pyarrow.compute as pc

    patients = tables["patients"].slice(0, count)
    keep = patients.column("patient_id")
    wanted = pa.array(keep.to_pylist())
    return {
        name: patients if name == "patients" else table.filter(pc.is_in(table.column("patient_id"), value_set=wanted))
        for name, table in tables.items()
    }


if __name__ == "__main__":
    main()

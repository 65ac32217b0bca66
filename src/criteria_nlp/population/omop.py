"""An OMOP CDM 5.4 population (a folder of CSV or Parquet tables, or a DuckDB database) as the long tables.

Read by the CDM's standard columns, in DuckDB views (nothing is loaded in Python):

* ``person`` -> patients: ``person_id`` (the patient id; input order is ``person_id`` order), ``gender_concept_id``
  (8507 male, 8532 female, 8521 other, 8551 unknown), ``year/month/day_of_birth`` (a missing day or month gives a
  month or year precision, as a partial FHIR birthDate does; a day without its month is not read; an impossible date
  is unknown) or ``birth_datetime`` where it agrees with them; ``death.death_date`` (a person
  without a death row is not known to be alive: ``deceased`` stays unknown).
* ``measurement`` (and ``observation`` rows with a ``value_as_number`` or ``value_as_string``) -> observations: the
  code from ``measurement_concept_id`` through ``concept`` (vocabulary_id -> system URL, concept_code), or without a
  concept table (or concept 0) from ``measurement_source_value``, read as LOINC when it looks like a LOINC code;
  ``value_as_number``; ``operator_concept_id`` (4171756 <, 4171754 <=, 4172703 =, 4172704 >, 4171755 >=);
  ``unit_source_value`` or the UCUM code of ``unit_concept_id``; ``range_low/high``; ``measurement_date`` (with
  ``measurement_datetime`` when it falls on that day; the same for every record's dates). The unit is normalised,
  the variable found and the values checked exactly as for FHIR (:mod:`criteria_nlp.population.reader_lookups`).
* ``condition_occurrence`` -> conditions (start/end as onset/abatement; the source value as an alternate code when
  it differs from the standard concept), ``drug_exposure`` -> medications, ``procedure_occurrence`` -> procedures.

A clinical table that is absent (no ``condition_occurrence``, no ``drug_exposure``...) is missing data for every
patient, not an empty record: it is reported in ``problems``, listed in ``absent_kinds`` and never taken as "none
recorded", also with ``--assume-complete-records`` (as a FHIR NDJSON export without ``Condition.ndjson``).

``condition_status_concept_id`` 32899 (Preliminary diagnosis) is an unconfirmed condition (FHIR's "provisional").
Not read: other statuses (OMOP keeps no clinical status, nor a prescription status: they stay unknown),
pregnancy and breastfeeding (OMOP records them as observations or conditions of many concepts; none is mapped to the
patient flags), visit and provider tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from criteria_nlp.knowledge.codes import (
    ICD10_SYSTEM,
    ICD10CM_SYSTEM,
    LOINC_SYSTEM,
    RXNORM_SYSTEM,
    SNOMED_SYSTEM,
)
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.population.reader_lookups import (
    checked_observations_sql,
    register_check_table,
    store,
    unit_table,
    variable_table,
)
from criteria_nlp.population.source import arrow_from_views
from criteria_nlp.population.tables import (
    TABLES,
    arrow_schema,
    patients_in_part,
    position_parts,
    tables_to_patients,
)

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa

    from criteria_nlp.sources.patient import Patient

OMOP_TABLES = (
    "person",
    "death",
    "measurement",
    "observation",
    "condition_occurrence",
    "drug_exposure",
    "procedure_occurrence",
    "concept",
)
VOCABULARIES = {
    "LOINC": LOINC_SYSTEM,
    "SNOMED": SNOMED_SYSTEM,
    "ICD10CM": ICD10CM_SYSTEM,
    "ICD10": ICD10_SYSTEM,
    "RxNorm": RXNORM_SYSTEM,
    "RxNorm Extension": RXNORM_SYSTEM,
}
OPERATORS = {4171756: "<", 4171754: "<=", 4172704: ">", 4171755: ">="}  # 4172703 "=" is no comparator
GENDERS = {8507: "male", 8532: "female", 8521: "other", 8551: "unknown"}
# condition_status_concept_id: a preliminary diagnosis (a "possible" or "rule-out" one) is not a confirmed one
CONDITION_STATUS = {32899: "provisional"}
# the tables each record kind is read from: a CDM without any of them says nothing about that kind
KIND_TABLES = {
    "observations": ("measurement", "observation"),
    "conditions": ("condition_occurrence",),
    "medications": ("drug_exposure",),
    "procedures": ("procedure_occurrence",),
}
_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".tsv")


def omop_files(folder: Path) -> dict[str, Path]:
    """The OMOP tables found in ``folder`` (``person.csv``, ``PERSON.parquet``...), by table name."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        name = path.name.lower()
        for suffix in _SUFFIXES:
            if name.endswith(suffix) and name[: -len(suffix)] in OMOP_TABLES and path.is_file():
                found.setdefault(name[: -len(suffix)], path)
    return found


def _case(column: str, mapping: dict[int, str]) -> str:
    whens = " ".join(f"WHEN {key} THEN '{value}'" for key, value in mapping.items())
    return f"(CASE TRY_CAST({column} AS BIGINT) {whens} END)"


class OmopPopulation:
    """OMOP CDM tables in a folder (CSV, Parquet) or a DuckDB database file."""

    def __init__(self, path: str | Path, *, lexicon: Lexicon | None = None) -> None:
        self.path = Path(path)
        self.name = str(path)
        self.lexicon = lexicon if lexicon is not None else load_lexicon()
        self.problems: list[str] = []
        self.files = omop_files(self.path) if self.path.is_dir() else {}
        self._tables: dict[str, pa.Table] | None = None
        present = set(self.files) if self.path.is_dir() else _database_tables(self.path)
        # a kind with no table is missing data for everyone, not an empty record: it stays unknown, even when the
        # records are declared complete (--assume-complete-records)
        self.absent_kinds = tuple(kind for kind, tables in KIND_TABLES.items() if not set(tables) & present)
        for kind in self.absent_kinds:
            names = " or ".join(KIND_TABLES[kind])
            self.problems.append(f"{self.name}: no {names} table: {kind} are unknown for every patient (not absent)")

    # --- sources ----------------------------------------------------------------------------------------------
    def _sources(self, con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
        """A temp view ``_omop_<table>`` per table present, and each one's (lower-case) columns."""
        present: dict[str, str] = {}
        if self.path.is_file():
            location = str(self.path).replace("'", "''")
            con.execute(f"ATTACH IF NOT EXISTS '{location}' AS _omop_db (READ_ONLY)")
            rows = con.sql("SELECT table_name FROM duckdb_tables() WHERE database_name = '_omop_db'").fetchall()
            rows += con.sql("SELECT view_name FROM duckdb_views() WHERE database_name = '_omop_db'").fetchall()
            for (table,) in rows:
                if table.lower() in OMOP_TABLES:
                    present[table.lower()] = f'_omop_db."{table}"'
        else:
            for table, path in self.files.items():
                location = str(path).replace("'", "''")
                reader = "read_parquet" if path.name.lower().endswith(".parquet") else "read_csv"
                options = "" if reader == "read_parquet" else ", header = true, all_varchar = true"
                present[table] = f"{reader}('{location}'{options})"
        columns: dict[str, list[str]] = {}
        for table, source in present.items():
            con.execute(f"CREATE OR REPLACE TEMP VIEW _omop_{table} AS SELECT * FROM {source}")
            columns[table] = [row[0].lower() for row in con.sql(f"DESCRIBE _omop_{table}").fetchall()]
        if "person" not in columns:
            from criteria_nlp.errors import PatientDataError

            raise PatientDataError(f"{self.name}: no OMOP person table")
        return columns

    # --- the tables -------------------------------------------------------------------------------------------
    def register(self, con: duckdb.DuckDBPyConnection) -> None:
        columns = self._sources(con)

        def col(table: str, name: str, kind: str = "VARCHAR") -> str:
            return f"TRY_CAST(t.{name} AS {kind})" if name in columns.get(table, []) else f"NULL::{kind}"

        self._concepts(con, columns)
        con.execute(f"CREATE OR REPLACE TEMP TABLE _omop_patients AS {self._patients_sql(col, columns)}")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _omop_observations_raw AS {self._observations_sql(col, columns)}")
        pairs = con.sql("SELECT DISTINCT unit_code, unit FROM _omop_observations_raw WHERE unit IS NOT NULL").fetchall()
        store(con, "_omop_units", unit_table(pairs))
        codes = con.sql("SELECT DISTINCT system, code FROM _omop_observations_raw").fetchall()
        store(con, "_omop_variables", variable_table(codes, self.lexicon))
        con.execute(
            """CREATE OR REPLACE TEMP TABLE _omop_observations_typed AS
            SELECT o.patient_id, o.id, v.variable, o.system, o.code, o.display, o.value, o.comparator, o.unit,
              u.unit_normalized, o.value_text, o.effective, o.reference_low, o.reference_high
            FROM _omop_observations_raw o
            LEFT JOIN _omop_variables v ON o.system IS NOT DISTINCT FROM v.system AND o.code IS NOT DISTINCT FROM v.code
            LEFT JOIN _omop_units u
              ON o.unit_code IS NOT DISTINCT FROM u.ucum AND o.unit IS NOT DISTINCT FROM u.unit_text"""
        )
        register_check_table(con, "_omop_observations_typed", "_omop_checks", self.lexicon)
        checked = checked_observations_sql("_omop_observations_typed", "_omop_checks")
        con.execute(f"CREATE OR REPLACE TEMP TABLE _omop_observations AS {checked}")
        for table, query in self._record_sql(col, columns).items():
            con.execute(f"CREATE OR REPLACE TEMP VIEW _omop_{table} AS {query}")
        for table in TABLES:
            names = ", ".join(f'"{column}"' for column in arrow_schema(table).names)
            con.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {names} FROM _omop_{table}")

    def _concepts(self, con: duckdb.DuckDBPyConnection, columns: dict[str, list[str]]) -> None:
        systems = " ".join(f"WHEN '{vocabulary}' THEN '{url}'" for vocabulary, url in VOCABULARIES.items())
        source = (
            "SELECT TRY_CAST(concept_id AS BIGINT) AS concept_id, CAST(vocabulary_id AS VARCHAR) AS vocabulary_id, "
            f"CASE CAST(vocabulary_id AS VARCHAR) {systems} ELSE CAST(vocabulary_id AS VARCHAR) END AS system, "
            "CAST(concept_code AS VARCHAR) AS code, CAST(concept_name AS VARCHAR) AS name FROM _omop_concept"
            if "concept" in columns
            else "SELECT NULL::BIGINT AS concept_id, NULL AS vocabulary_id, NULL AS system, NULL AS code, NULL AS name "
            "LIMIT 0"
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE _omop_concepts AS {source}")

    def _patients_sql(self, col: _Column, columns: dict[str, list[str]]) -> str:
        year, month, day = (col("person", f"{part}_of_birth", "INTEGER") for part in ("year", "month", "day"))
        born_at = col("person", "birth_datetime", "TIMESTAMP")
        death = (
            "(SELECT TRY_CAST(person_id AS VARCHAR) AS person_id, min(TRY_CAST(death_date AS DATE)) AS died "
            "FROM _omop_death GROUP BY ALL)"
            if "death" in columns
            else "(SELECT NULL::VARCHAR AS person_id, NULL::DATE AS died LIMIT 0)"
        )
        # the required year/month/day of birth, an impossible one (30 February, month 13) unknown rather than an
        # error that stops every patient; a day without its month says nothing (1960-?-20 is not 20 January)
        parts = (
            f"TRY_CAST(printf('%04d-%02d-%02d', {year}, coalesce({month}, 1), "
            f"CASE WHEN {month} IS NULL THEN 1 ELSE coalesce({day}, 1) END) AS DATE)"
        )
        # the optional birth_datetime only where it agrees with the parts it is given with (an ETL's midnight UTC
        # of another day, or another person's, must not decide an age)
        agrees = (
            f"{born_at} IS NOT NULL AND ({year} IS NULL OR (year({born_at}) = {year} AND "
            f"({month} IS NULL OR month({born_at}) = {month}) AND ({day} IS NULL OR day({born_at}) = {day})))"
        )
        born = f"CASE WHEN {agrees} THEN CAST({born_at} AS DATE) WHEN {year} IS NOT NULL THEN {parts} END"
        return f"""
        WITH people AS (
          SELECT {col("person", "person_id")} AS patient_id, TRY_CAST({col("person", "person_id")} AS BIGINT) AS number,
            {born} AS born,
            CASE WHEN ({agrees}) OR ({day} IS NOT NULL AND {month} IS NOT NULL) THEN 'day'
                 WHEN {month} IS NOT NULL THEN 'month' ELSE 'year' END AS precision,
            {_case(col("person", "gender_concept_id"), GENDERS)} AS sex
          FROM _omop_person t
        )
        SELECT patient_id, row_number() OVER (ORDER BY number, patient_id) - 1 AS position,
          CASE WHEN born IS NULL OR born IN (DATE '1900-01-01', DATE '1800-01-01') OR year(born) < 1890 THEN NULL
               ELSE born END AS birth_date,
          CASE WHEN born IS NULL THEN 'day' ELSE precision END AS birth_date_precision, sex,
          CASE WHEN d.died IS NOT NULL OR d.person_id IS NOT NULL THEN true END AS deceased, d.died AS deceased_date,
          NULL::BOOLEAN AS pregnant, NULL::BOOLEAN AS breastfeeding, false AS conditions_complete,
          false AS medications_complete, false AS procedures_complete, '{self.name.replace("'", "''")}' AS source
        FROM people LEFT JOIN {death} d ON d.person_id = people.patient_id"""

    def _coded(self, col: _Column, table: str, concept: str, source: str) -> tuple[str, str]:
        """(SELECT columns, JOIN) giving system, code, display of a concept column, else of its source value."""
        pattern = {
            "measurement": (r"^\d{1,7}-\d$", LOINC_SYSTEM),
            "observation": (r"^\d{1,7}-\d$", LOINC_SYSTEM),
            "condition_occurrence": (r"^[A-Z]\d\d(\.\w+)?$", ICD10CM_SYSTEM),
            "drug_exposure": (r"^\d+$", RXNORM_SYSTEM),
            "procedure_occurrence": (r"^\d+$", SNOMED_SYSTEM),
        }[table]
        value = col(table, source)
        guessed = f"CASE WHEN regexp_matches(trim({value}), '{pattern[0]}') THEN '{pattern[1]}' END"
        select = f"coalesce(c.system, {guessed}) AS system, coalesce(c.code, trim({value})) AS code, c.name AS display"
        join = f"LEFT JOIN _omop_concepts c ON c.concept_id = {col(table, concept, 'BIGINT')} AND c.concept_id <> 0"
        return select, join

    def _observations_sql(self, col: _Column, columns: dict[str, list[str]]) -> str:
        parts = []
        for table, prefix in (("measurement", "measurement"), ("observation", "observation")):
            if table not in columns:
                continue
            coded, join = self._coded(col, table, f"{prefix}_concept_id", f"{prefix}_source_value")
            when = _moment(col(table, f"{prefix}_datetime", "TIMESTAMP"), col(table, f"{prefix}_date", "DATE"))
            text = col(table, "value_as_string") if table == "observation" else "NULL::VARCHAR"
            only_numbers = (
                f"WHERE {col(table, 'value_as_number', 'DOUBLE')} IS NOT NULL OR {text} IS NOT NULL"
                if table == "observation"
                else ""
            )
            parts.append(
                f"""SELECT {col(table, "person_id")} AS patient_id, '{table}/' || {col(table, f"{prefix}_id")} AS id,
                  {coded}, {col(table, "value_as_number", "DOUBLE")} AS value,
                  {_case(col(table, "operator_concept_id"), OPERATORS)} AS comparator,
                  coalesce(nullif(trim({col(table, "unit_source_value")}), ''), u.code) AS unit,
                  CASE WHEN u.vocabulary_id = 'UCUM' THEN u.code END AS unit_code,
                  CASE WHEN {col(table, "value_as_number", "DOUBLE")} IS NULL
                       THEN coalesce({text}, {col(table, "value_source_value")}) END AS value_text,
                  CAST({when} AS TIMESTAMP) AS effective, {col(table, "range_low", "DOUBLE")} AS reference_low,
                  {col(table, "range_high", "DOUBLE")} AS reference_high
                FROM _omop_{table} t {join}
                LEFT JOIN _omop_concepts u ON u.concept_id = {col(table, "unit_concept_id", "BIGINT")}
                  AND u.concept_id <> 0 {only_numbers}"""
            )
        empty = ", ".join(
            f"NULL::{kind} AS {name}"
            for name, kind in (
                ("patient_id", "VARCHAR"), ("id", "VARCHAR"), ("system", "VARCHAR"), ("code", "VARCHAR"),
                ("display", "VARCHAR"), ("value", "DOUBLE"), ("comparator", "VARCHAR"), ("unit", "VARCHAR"),
                ("unit_code", "VARCHAR"), ("value_text", "VARCHAR"), ("effective", "TIMESTAMP"),
                ("reference_low", "DOUBLE"), ("reference_high", "DOUBLE"),
            )
        )  # fmt: skip
        return " UNION ALL ".join(parts) if parts else f"SELECT {empty} LIMIT 0"

    def _record_sql(self, col: _Column, columns: dict[str, list[str]]) -> dict[str, str]:
        """conditions, condition_codes, medications, procedures (empty when the OMOP table is absent)."""

        def when(table: str, stem: str) -> str:
            return _moment(col(table, f"{stem}_datetime", "TIMESTAMP"), col(table, f"{stem}_date", "DATE"))

        table = "condition_occurrence"
        coded, join = self._coded(col, table, "condition_concept_id", "condition_source_value")
        source_coded, source_join = self._coded(col, table, "condition_source_concept_id", "condition_source_value")
        source_join = source_join.replace(" c ", " s ").replace("c.concept_id", "s.concept_id")
        source_coded = source_coded.replace("c.", "s.")
        conditions = f"""
          SELECT {col(table, "person_id")} AS patient_id, 'condition/' || {col(table, "condition_occurrence_id")} AS id,
            {coded}, c.name AS text, CAST({when(table, "condition_start")} AS TIMESTAMP) AS onset,
            CASE WHEN {when(table, "condition_end")} >= {when(table, "condition_start")}
                 THEN CAST({when(table, "condition_end")} AS TIMESTAMP) END AS abatement,
            NULL::VARCHAR AS clinical_status,
            {_case(col(table, "condition_status_concept_id"), CONDITION_STATUS)} AS verification_status,
            {{'system': {source_coded.split(" AS system")[0]}, 'code': trim({col(table, "condition_source_value")})}}
              AS source_code
          FROM _omop_{table} t {join} {source_join}"""
        queries = {
            "conditions": conditions if table in columns else _empty("conditions"),
            "medications": self._simple(col, columns, "drug_exposure", "drug",
                                        when("drug_exposure", "drug_exposure_start"),
                                        when("drug_exposure", "drug_exposure_end")),
            "procedures": self._simple(col, columns, "procedure_occurrence", "procedure",
                                       when("procedure_occurrence", "procedure"),
                                       when("procedure_occurrence", "procedure_end")),
        }  # fmt: skip
        queries["condition_codes"] = (
            "SELECT patient_id, id AS condition_id, 0::INTEGER AS ordinal, source_code.system AS system, "
            "source_code.code AS code FROM _omop_conditions WHERE source_code.code IS NOT NULL AND "
            "source_code.code IS DISTINCT FROM code"
            if table in columns
            else _empty("condition_codes")
        )
        return queries

    def _simple(self, col: _Column, columns: dict[str, list[str]], table: str, stem: str, start: str, end: str) -> str:
        if table not in columns:
            return _empty("medications" if table == "drug_exposure" else "procedures")
        key = "drug_exposure_id" if table == "drug_exposure" else "procedure_occurrence_id"
        coded, join = self._coded(col, table, f"{stem}_concept_id", f"{stem}_source_value")
        base = f"SELECT {col(table, 'person_id')} AS patient_id, '{stem}/' || {col(table, key)} AS id, {coded}"
        if table == "drug_exposure":
            return (
                f"{base}, NULL::VARCHAR AS status, CAST({start} AS TIMESTAMP) AS start, CAST({end} AS TIMESTAMP) "
                f'AS "end", c.name AS text FROM _omop_{table} t {join}'
            )
        return (
            f"{base}, CAST({start} AS TIMESTAMP) AS performed_start, "
            f"CAST(coalesce({end}, {start}) AS TIMESTAMP) AS performed_end FROM _omop_{table} t {join}"
        )

    def arrow(self) -> dict[str, pa.Table]:
        """The tables, materialised once (the Python engine's parts are read from them)."""
        if self._tables is None:
            self._tables = arrow_from_views(self)
        return dict(self._tables)

    def patients(self) -> Iterator[Patient]:
        """The patients of the SQL mapping (OMOP has one mapping, the SQL one; Python reads its tables)."""
        return tables_to_patients(self.arrow())

    # --- read in parts (the Python engine's workers) ---------------------------------------------------------
    def patient_parts(self, size: int) -> Iterator[tuple[int, int]]:
        """Ranges of positions: the tables are made here (by DuckDB) and each worker builds its parts' patients
        from them (shared copy-on-write where the workers are forked)."""
        return position_parts(self.arrow()["patients"], size)

    def read_part(self, part: tuple[int, int]) -> tuple[list[Patient], list[str]]:
        return list(patients_in_part(self.arrow(), part)), []


class _Column(Protocol):
    """``col(table, column, type)``: the column cast to the type, or a typed NULL when the table lacks it."""

    def __call__(self, table: str, name: str, kind: str = "VARCHAR") -> str: ...


def _database_tables(path: Path) -> set[str]:
    """The OMOP tables (and views) a DuckDB database file holds, by lower-case name."""
    import duckdb

    from criteria_nlp.errors import PatientDataError

    con = duckdb.connect()
    try:
        location = str(path).replace("'", "''")
        con.execute(f"ATTACH '{location}' AS _omop_db (READ_ONLY)")
        rows = con.sql("SELECT table_name FROM duckdb_tables() WHERE database_name = '_omop_db'").fetchall()
        rows += con.sql("SELECT view_name FROM duckdb_views() WHERE database_name = '_omop_db'").fetchall()
    except duckdb.Error as error:
        raise PatientDataError(f"{path}: cannot be read as a DuckDB database: {error}") from error
    finally:
        con.close()
    return {name.lower() for (name,) in rows if name.lower() in OMOP_TABLES}


def _moment(moment: str, day: str) -> str:
    """A record's time: the CDM's required ``_date``, with the optional ``_datetime`` only when it falls on that day
    (an ETL that writes the datetime in UTC, or copies a visit's, would otherwise move the record to another day)."""
    return f"(CASE WHEN {day} IS NULL THEN {moment} WHEN CAST({moment} AS DATE) = {day} THEN {moment} ELSE {day} END)"


def _empty(table: str) -> str:
    kinds = {"string": "VARCHAR", "double": "DOUBLE", "int32": "INTEGER", "int64": "BIGINT", "bool": "BOOLEAN"}
    kinds |= {"timestamp[us]": "TIMESTAMP", "date32[day]": "DATE"}
    columns = ", ".join(f'NULL::{kinds[str(field.type)]} AS "{field.name}"' for field in arrow_schema(table))
    return f"SELECT {columns} LIMIT 0"

"""The SQL that flattens FHIR R4 resources (as DuckDB reads NDJSON lines) into the long tables.

Each statement restates one part of :mod:`criteria_nlp.sources.fhir`'s mapping (read its docstring: the rules are
the same, and :mod:`criteria_nlp.population.ndjson` tests that both give the same tables); the rules that depend on a
few distinct values (units, LOINC -> variable, the value checks) are lookup tables from
:mod:`criteria_nlp.population.reader_lookups`. A JSON ``null`` is read as an absent field (FHIR JSON never holds one).

Every resource line is parsed once, by ``from_json`` into a struct of the fields read; the fields whose type the
Python reader checks (a value must be a JSON number, a date a JSON string) stay JSON and are tested with
``json_type``.
"""

from __future__ import annotations

from criteria_nlp.knowledge.codes import ICD10_SYSTEMS, LOINC_SYSTEM, SNOMED_SYSTEM, UCUM_SYSTEM
from criteria_nlp.sources.fhir_records import _NORMAL_RANGE_TYPES, _SEX_CODES

_J = '"JSON"'
_V = '"VARCHAR"'
STRUCTURES = {
    "Patient": f'{{"resourceType":{_V},"id":{_V},"birthDate":{_J},"gender":{_J},"deceasedBoolean":{_J},'
    f'"deceasedDateTime":{_J}}}',
    "Observation": f'{{"resourceType":{_V},"id":{_V},"status":{_V},"subject":{{"reference":{_V}}},'
    f'"effectiveDateTime":{_J},"effectivePeriod":{_J},"effectiveInstant":{_J},"code":{_J},'
    f'"valueQuantity":{_J},"valueString":{_J},"valueCodeableConcept":{_J},"valueBoolean":{_J},'
    f'"valueInteger":{_J},"valueRange":{_J},"valueRatio":{_J},"valueSampledData":{_J},"valueTime":{_J},'
    f'"valueDateTime":{_J},"valuePeriod":{_J},"referenceRange":{_J},"component":[{_J}]}}',
    "Condition": f'{{"resourceType":{_V},"id":{_V},"subject":{{"reference":{_V}}},"code":{_J},'
    f'"clinicalStatus":{_J},"verificationStatus":{_J},"onsetDateTime":{_J},"onsetPeriod":{_J},'
    f'"abatementDateTime":{_J},"abatementPeriod":{_J},"abatementBoolean":{_J},"abatementAge":{_J},'
    f'"abatementRange":{_J},"abatementString":{_J}}}',
    "Medication": f'{{"resourceType":{_V},"id":{_V},"status":{_J},"subject":{{"reference":{_V}}},'
    f'"medicationCodeableConcept":{_J},"medicationReference":{_J},"contained":[{_J}],"effectiveDateTime":{_J},'
    f'"authoredOn":{_J},"effectivePeriod":{_J},"code":{_J}}}',
    "Procedure": f'{{"resourceType":{_V},"id":{_V},"status":{_V},"subject":{{"reference":{_V}}},"code":{_J},'
    f'"performedDateTime":{_J},"performedPeriod":{_J}}}',
}
ELEMENT = (
    f'{{"code":{_J},"valueQuantity":{_J},"valueString":{_J},"valueCodeableConcept":{_J},"valueBoolean":{_J},'
    f'"valueInteger":{_J},"referenceRange":{_J}}}'
)
PATIENT_REFERENCE = r"^(?:.*/)?Patient/|^urn:uuid:"
"""Stripped from a subject reference to give the patient's id ("Patient/123", "urn:uuid:123", "https://…/Patient/123")."""


def text(json: str) -> str:
    """The JSON value as text when it is a JSON string (the Python reader's ``isinstance(value, str)``)."""
    return f"(CASE WHEN json_type({json}) = 'VARCHAR' THEN ({json})->>'$' END)"


def field(json: str, path: str) -> str:
    return text(f"json_extract({json}, '$.{path}')")


def fhir_timestamp(value: str) -> str:
    """parse_fhir_datetime: "2019" and "2019-05" are the period's first day; an offset is converted to naive UTC."""
    s = f"trim({value})"
    offset = rf"regexp_extract({s}, '([+-])(\d\d):(\d\d)$', ['sign', 'h', 'm'])"
    return f"""(CASE
      WHEN {value} IS NULL THEN NULL
      WHEN length({s}) = 4 THEN try_strptime({s}, '%Y')
      WHEN length({s}) = 7 THEN try_strptime({s}, '%Y-%m')
      WHEN regexp_matches({s}, 'T.*Z$') THEN try_cast(rtrim({s}, 'Z') AS TIMESTAMP)
      WHEN regexp_matches({s}, 'T.*[+-]\\d\\d:\\d\\d$') THEN
        try_cast(left({s}, length({s}) - 6) AS TIMESTAMP)
        - to_minutes((CASE WHEN {offset}.sign = '-' THEN -1 ELSE 1 END)
                     * (try_cast({offset}.h AS INTEGER) * 60 + try_cast({offset}.m AS INTEGER)))
      ELSE try_cast({s} AS TIMESTAMP) END)"""


def truthy(json: str) -> str:
    """The JSON value unless Python would read it as false (absent, "", 0, false, [], {})."""
    falsy = "('\"\"', '0', 'false', '[]', '{}')"
    return f"(CASE WHEN {json} IS NULL OR ({json})::VARCHAR IN {falsy} THEN NULL ELSE {json} END)"


def period_time(period: str, first: str) -> str:
    """``period.get(first) or period.get("start") or period.get("end")``, read as a timestamp."""
    first_value = truthy(f"json_extract({period}, '$.{first}')")
    start_value = truthy(f"json_extract({period}, '$.start')")
    chosen = f"coalesce({first_value}, {start_value}, json_extract({period}, '$.end'))"
    return f"(CASE WHEN json_type({period}) = 'OBJECT' THEN {fhir_timestamp(text(chosen))} END)"


def codings(concept: str) -> str:
    """The concept's codings with a string code: a list of {system ('' when none), code, display}."""
    raw = f'from_json({concept}, \'{{"coding":["JSON"]}}\').coding'
    return (
        f"list_transform(list_filter({raw}, lambda x: json_type(x, '$.code') = 'VARCHAR'), "
        f"lambda x: {{'system': coalesce({field('x', 'system')}, ''), 'code': x->>'$.code', "
        f"'display': {field('x', 'display')}}})"
    )


def concept_text(concept: str) -> str:
    """The concept's text, else the first coding's display."""
    raw = f'from_json({concept}, \'{{"coding":["JSON"]}}\').coding'
    first = f"list_filter({raw}, lambda x: json_type(x, '$.display') = 'VARCHAR')[1]"
    return f"coalesce({field(concept, 'text')}, {first}->>'$.display')"


def status_code(json: str) -> str:
    """A status as a code (a string) or the first coding's code (a CodeableConcept)."""
    raw = f'from_json({json}, \'{{"coding":["JSON"]}}\').coding'
    first = f"list_filter({raw}, lambda x: json_type(x, '$.code') = 'VARCHAR')[1]"
    return f"coalesce({text(json)}, {first}->>'$.code')"


def patient_key(reference: str) -> str:
    return f"regexp_replace({reference}, '{PATIENT_REFERENCE}', '')"


CONDITION_SYSTEMS = ", ".join(f"'{system}'" for system in (SNOMED_SYSTEM, *ICD10_SYSTEMS))
NUMBER = "('UBIGINT', 'BIGINT', 'DOUBLE')"


def observation_elements_sql(source: str) -> str:
    """One row per observation element (the resource itself, each component), fields as read, before lookups."""
    main = (
        "{'code': r.code, 'valueQuantity': r.valueQuantity, 'valueString': r.valueString, "
        "'valueCodeableConcept': r.valueCodeableConcept, 'valueBoolean': r.valueBoolean, "
        "'valueInteger': r.valueInteger, 'referenceRange': r.referenceRange}"
    )
    has_value = " OR ".join(
        f"r.{name} IS NOT NULL"
        for name in [
            "valueQuantity",
            "valueString",
            "valueCodeableConcept",
            "valueBoolean",
            "valueInteger",
            "valueRange",
            "valueRatio",
            "valueSampledData",
            "valueTime",
            "valueDateTime",
            "valuePeriod",
        ]
    )
    period_start = truthy("json_extract(r.effectivePeriod, '$.start')")
    period = text(f"coalesce({period_start}, json_extract(r.effectivePeriod, '$.end'))")
    effective = f"""CASE
        WHEN r.effectiveDateTime IS NOT NULL THEN {fhir_timestamp(text("r.effectiveDateTime"))}
        WHEN json_type(r.effectivePeriod) = 'OBJECT' THEN {fhir_timestamp(period)}
        WHEN r.effectiveInstant IS NOT NULL THEN {fhir_timestamp(text("r.effectiveInstant"))} END"""
    component_codes = codings(f"from_json(c, '{ELEMENT}').code")
    return f"""
    WITH resources AS (
      SELECT key, r, sex, {effective} AS effective FROM {source}
      WHERE r.status IS NULL OR r.status NOT IN ('entered-in-error', 'cancelled')
    ), elements AS (
      SELECT key, sex, coalesce(nullif(r.id, ''), '?') AS id, effective, {main}::{_element_type()} AS e
      FROM resources WHERE ({has_value}) OR r.component IS NULL
      UNION ALL
      SELECT key, sex, coalesce(nullif(r.id, ''), '?') || '/' || ({component_codes})[1].code,
        effective, from_json(c, '{ELEMENT}') AS e
      FROM (SELECT key, r, sex, effective, unnest(r.component) AS c FROM resources WHERE r.component IS NOT NULL)
      WHERE json_type(c) = 'OBJECT'
    ), coded AS (
      SELECT key, sex, id, effective, e, {codings("e.code")} AS codes, {concept_text("e.code")} AS concept_text
      FROM elements
    ), chosen AS (
      SELECT *, coalesce(list_filter(codes, lambda x: x.system = '{LOINC_SYSTEM}')[1], codes[1]) AS coding,
        CASE WHEN json_type(e.valueQuantity) = 'OBJECT' THEN e.valueQuantity END AS q
      FROM coded WHERE len(codes) > 0
    )
    SELECT key AS patient_id, id, nullif(coding.system, '') AS system, coding.code AS code,
      coalesce(nullif(coding.display, ''), concept_text) AS display, effective,
      q IS NOT NULL AS has_quantity,
      CASE WHEN json_type(q, '$.value') IN {NUMBER} AND isfinite(json_extract(q, '$.value')::DOUBLE)
           THEN json_extract(q, '$.value')::DOUBLE END AS quantity_value,
      {field("q", "comparator")} AS comparator_text, json_extract(q, '$.comparator') IS NOT NULL AS has_comparator,
      nullif({field("q", "unit")}, '') AS unit_text,
      CASE WHEN json_extract(q, '$.system') IS NULL OR {field("q", "system")} = '{UCUM_SYSTEM}'
           THEN {field("q", "code")} END AS ucum,
      coalesce(nullif({field("q", "code")}, ''), nullif({field("q", "unit")}, '')) AS value_unit,
      sex, CASE WHEN json_type(e.referenceRange) = 'ARRAY'
           THEN list_filter(from_json(e.referenceRange, '["JSON"]'), lambda x: json_type(x) = 'OBJECT') END AS ranges,
      CASE WHEN q IS NULL THEN coalesce({text("e.valueString")},
           CASE WHEN json_type(e.valueCodeableConcept) = 'OBJECT' THEN {concept_text("e.valueCodeableConcept")}
                WHEN json_type(e.valueBoolean) = 'BOOLEAN'
                THEN (e.valueBoolean)::VARCHAR END) END AS value_text,
      CASE WHEN q IS NULL AND {text("e.valueString")} IS NULL
           AND json_type(e.valueCodeableConcept) IS DISTINCT FROM 'OBJECT'
           AND json_type(e.valueBoolean) IS DISTINCT FROM 'BOOLEAN'
           AND json_type(e.valueInteger) IN ('UBIGINT', 'BIGINT')
           THEN (e.valueInteger)::DOUBLE END AS integer_value
    FROM chosen"""


def _element_type() -> str:
    names = (
        "code",
        "valueQuantity",
        "valueString",
        "valueCodeableConcept",
        "valueBoolean",
        "valueInteger",
        "referenceRange",
    )
    return "STRUCT(" + ", ".join(f'"{name}" JSON' for name in names) + ")"


def _coded(concept: str, path: str) -> str:
    """The codes (strings) of the codings of ``concept``'s ``path`` (a CodeableConcept or a list of them)."""
    codings = f"json_extract({concept}, '{path}')"
    objects = f"list_filter(from_json({codings}, '[\"JSON\"]'), lambda c: json_type(c) = 'OBJECT')"
    return f"(CASE WHEN json_type({codings}) = 'ARRAY' THEN list_transform({objects}, lambda c: c->>'$.code') END)"


def _range_sex(item: str) -> str:
    """``fhir_records._range_sex``: the one sex the range's ``appliesTo`` names, else NULL."""
    cases = " ".join(f"WHEN '{code}' THEN '{sex}'" for code, sex in _SEX_CODES.items())
    concepts = (
        f"list_filter(from_json(json_extract({item}, '$.appliesTo'), '[\"JSON\"]'), lambda a: json_type(a) = 'OBJECT')"
    )
    codes = f"flatten(list_transform({concepts}, lambda a: {_coded('a', '$.coding')}))"
    named = f"list_transform({codes}, lambda k: CASE k {cases} END)"
    sexes = f"list_distinct(list_filter({named}, lambda k: k IS NOT NULL))"
    return f"(CASE WHEN json_type({item}, '$.appliesTo') = 'ARRAY' AND len({sexes}) = 1 THEN {sexes}[1] END)"


def _range_limits(item: str) -> str:
    """``fhir_records._limits`` as one text: each bound's value and unit, and the age band."""
    parts = []
    for side in ("low", "high"):
        limit = f"json_extract({item}, '$.{side}')"
        value = f"json_extract({limit}, '$.value')"
        number = f"CASE WHEN json_type({value}) IN {NUMBER} THEN ({value})::DOUBLE::VARCHAR END"
        unit = (
            f"coalesce({truthy(f'json_extract({limit}, {chr(39)}$.code{chr(39)})')}, json_extract({limit}, '$.unit'))"
        )
        parts.append(
            f"CASE WHEN json_type({limit}) = 'OBJECT' THEN coalesce({number}, nullif(({value})::VARCHAR, 'null'), '~') "
            f"|| '|' || coalesce(nullif(({unit})::VARCHAR, 'null'), '~') ELSE '-' END"
        )
    age = f"json_extract({item}, '$.age')"
    parts.append(f"coalesce(nullif(({age})::VARCHAR, 'null'), '-')")
    return " || '#' || ".join(f"({part})" for part in parts)


def patient_range_sql(ranges: str, sex: str) -> str:
    """``fhir_records.patient_range``: of the reference ranges (JSON objects), the normal ones (no ``type``, or typed
    normal); of those, the patient's sex's when it is known (else the ones for no sex); the first of them when they
    all agree, else NULL (age bands, an unknown sex: no range is surely the patient's)."""
    normal_types = ", ".join(f"'{kind}'" for kind in sorted(_NORMAL_RANGE_TYPES))
    kinds = _coded("x", "$.type.coding")
    normal = (
        f"list_filter({ranges}, lambda x: json_type(x, '$.type') IS DISTINCT FROM 'OBJECT' "
        f"OR coalesce(len({kinds}), 0) = 0 OR len(list_filter({kinds}, lambda k: k IN ({normal_types}))) > 0)"
    )
    specific = f"list_filter(normal, lambda x: {_range_sex('x')} = {sex})"
    fitting = f"list_filter(normal, lambda x: coalesce({_range_sex('x')}, {sex}) = {sex})"
    return f"""SELECT * EXCLUDE (normal, candidates),
      CASE WHEN len(list_distinct(list_transform(candidates, lambda x: {_range_limits("x")}))) = 1
           THEN candidates[1] END AS range
    FROM (SELECT *, CASE WHEN {sex} IN ('female', 'male') AND len({specific}) > 0 THEN {specific}
                         WHEN {sex} IN ('female', 'male') THEN {fitting} ELSE normal END AS candidates
          FROM (SELECT * EXCLUDE ({ranges}), {normal} AS normal FROM {{elements}}))"""


def range_bounds_sql(elements: str) -> str:
    """The elements with the patient's reference range's bounds and their units read (the Python reader's
    ``reference_range``; only for a usable valueQuantity)."""
    bound = {}
    for side in ("low", "high"):
        limit = f"json_extract(range, '$.{side}')"
        bound[side] = (
            f"CASE WHEN quantity_value IS NOT NULL AND json_type({limit}) = 'OBJECT' "
            f"AND json_type({limit}, '$.value') IN {NUMBER} "
            f"THEN json_extract({limit}, '$.value')::DOUBLE END AS {side}, "
            f"coalesce(nullif({field(limit, 'code')}, ''), {field(limit, 'unit')}) AS {side}_unit"
        )
    chosen = patient_range_sql("ranges", "sex").replace("{elements}", elements)
    return f"SELECT * EXCLUDE (range, sex), {bound['low']}, {bound['high']} FROM ({chosen})"


def observations_raw_sql(elements: str, units: str, same: str, variables: str) -> str:
    """The observation columns as the Python FHIR reader leaves them (before check_observation)."""
    mismatch = {
        side: f"({side} IS NOT NULL AND {side}_unit IS NOT NULL AND value_unit IS NOT NULL "
        f"AND NOT coalesce(s_{side}.same, false))"
        for side in ("low", "high")
    }
    joins = "".join(
        f" LEFT JOIN {same} s_{side} ON s_{side}.first = e.{side}_unit AND s_{side}.second = e.value_unit"
        for side in ("low", "high")
    )
    return f"""
    WITH looked AS (
      SELECT e.*, v.variable, u.unit_normalized AS quantity_unit_normalized,
        coalesce(u.contradicts, false) AS contradicts,
        coalesce(e.unit_text, e.ucum) AS quantity_unit,
        {mismatch["low"]} OR {mismatch["high"]} AS range_mismatch
      FROM {elements} e
      LEFT JOIN {variables} v ON e.system IS NOT DISTINCT FROM v.system AND e.code IS NOT DISTINCT FROM v.code
      LEFT JOIN {units} u ON e.ucum IS NOT DISTINCT FROM u.ucum AND e.unit_text IS NOT DISTINCT FROM u.unit_text{joins}
    )
    SELECT patient_id, id, variable, system, code, display,
      CASE WHEN quantity_value IS NOT NULL THEN
        CASE WHEN has_comparator AND comparator_text IS DISTINCT FROM '<' AND comparator_text IS DISTINCT FROM '<='
                  AND comparator_text IS DISTINCT FROM '>' AND comparator_text IS DISTINCT FROM '>=' THEN NULL
             WHEN contradicts THEN NULL
             WHEN quantity_unit IS NOT NULL AND quantity_unit_normalized IS NULL AND variable IS NOT NULL
                  AND system = '{LOINC_SYSTEM}' THEN NULL
             ELSE quantity_value END
      ELSE integer_value END AS value,
      CASE WHEN quantity_value IS NOT NULL AND comparator_text IN ('<', '<=', '>', '>=') THEN comparator_text END
        AS comparator,
      CASE WHEN quantity_value IS NOT NULL THEN quantity_unit END AS unit,
      CASE WHEN quantity_value IS NOT NULL THEN quantity_unit_normalized END AS unit_normalized,
      value_text, effective,
      CASE WHEN NOT range_mismatch THEN low END AS reference_low,
      CASE WHEN NOT range_mismatch THEN high END AS reference_high
    FROM looked"""


def patients_sql(source: str) -> str:
    """The patients table from the staged Patient resources (``position``: line order, first of a repeated id)."""
    birth = text("r.birthDate")
    # the day as written, never moved to UTC by a time zone after it (as fhir.py's patient_fields)
    day = fhir_timestamp(f"left(trim({birth}), 10)")
    born = f"(CASE WHEN {fhir_timestamp(birth)} IS NOT NULL THEN CAST({day} AS DATE) END)"
    return f"""
    WITH read AS (
      SELECT coalesce(nullif(r.id, ''), '?') AS patient_id, line, filename, r, {born} AS born, trim({birth}) AS birth
      FROM {source}
    ), first AS (
      SELECT * FROM read QUALIFY row_number() OVER (PARTITION BY patient_id ORDER BY line) = 1
    )
    SELECT patient_id, row_number() OVER (ORDER BY line) - 1 AS position,
      CASE WHEN born IS NULL OR born IN (DATE '0001-01-01', DATE '1900-01-01', DATE '1800-01-01')
             OR year(born) < 1890 THEN NULL ELSE born END AS birth_date,
      CASE WHEN born IS NOT NULL AND length(birth) = 4 THEN 'year'
           WHEN born IS NOT NULL AND length(birth) = 7 THEN 'month' ELSE 'day' END AS birth_date_precision,
      CASE WHEN {text("r.gender")} IN ('female', 'male', 'other', 'unknown') THEN {text("r.gender")} END AS sex,
      CASE WHEN json_type(r.deceasedBoolean) = 'BOOLEAN' THEN (r.deceasedBoolean)::VARCHAR = 'true'
           WHEN r.deceasedDateTime IS NOT NULL THEN true END AS deceased,
      CASE WHEN json_type(r.deceasedBoolean) IS DISTINCT FROM 'BOOLEAN' AND r.deceasedDateTime IS NOT NULL
           THEN CAST({fhir_timestamp(text("r.deceasedDateTime"))} AS DATE) END AS deceased_date,
      NULL::BOOLEAN AS pregnant, NULL::BOOLEAN AS breastfeeding, false AS conditions_complete,
      false AS medications_complete, false AS procedures_complete, filename AS source, line
    FROM first"""


def conditions_sql(source: str) -> str:
    """Conditions with their codings listed (``codes``: SNOMED and ICD-10 first; ``primary``: the first of them)."""
    onset = f"""CASE WHEN r.onsetDateTime IS NOT NULL THEN {fhir_timestamp(text("r.onsetDateTime"))}
      ELSE {period_time("r.onsetPeriod", "start")} END"""
    abatement = f"""CASE WHEN r.abatementDateTime IS NOT NULL THEN {fhir_timestamp(text("r.abatementDateTime"))}
      ELSE {period_time("r.abatementPeriod", "end")} END"""
    return f"""
    WITH read AS (
      SELECT key, coalesce(nullif(r.id, ''), '?') AS id, {codings("r.code")} AS codes,
        {concept_text("r.code")} AS text,
        coalesce({status_code("r.clinicalStatus")}, {abated_without_date("r")}) AS clinical_status,
        {status_code("r.verificationStatus")} AS verification_status, {onset} AS onset, {abatement} AS abatement
      FROM {source}
    ), ordered AS (
      SELECT *, list_concat(list_filter(codes, lambda x: x.system IN ({CONDITION_SYSTEMS})),
                            list_filter(codes, lambda x: x.system NOT IN ({CONDITION_SYSTEMS}))) AS ranked
      FROM read
      WHERE verification_status IS DISTINCT FROM 'entered-in-error' AND (len(codes) > 0 OR text IS NOT NULL)
    )
    SELECT key AS patient_id, id, nullif(ranked[1].system, '') AS system, nullif(ranked[1].code, '') AS code,
      ranked[1].display AS display, text, onset,
      CASE WHEN abatement < onset THEN NULL ELSE abatement END AS abatement, clinical_status, verification_status,
      list_filter(ranked, lambda x: x.system <> coalesce(ranked[1].system, '') OR x.code <> ranked[1].code)
        AS alternates
    FROM ordered"""


def abated_without_date(resource: str) -> str:
    """'resolved' when the Condition says it has ended without a date (``fhir_records.abated_without_date``:
    ``abatementBoolean`` true, or an age, a range or a string), else NULL."""
    given = " OR ".join(
        f"({resource}.{name} IS NOT NULL AND ({resource}.{name})::VARCHAR NOT IN ('null', '\"\"', '{{}}'))"
        for name in ("abatementAge", "abatementRange", "abatementString")
    )
    return f"(CASE WHEN ({resource}.abatementBoolean)::VARCHAR = 'true' OR {given} THEN 'resolved' END)"


def medications_sql(source: str, medications: str) -> str:
    """MedicationRequest / MedicationStatement, a ``medicationReference`` resolved in ``contained`` or among the
    Medication resources (``Medication/<id>``); an end on a day before the start is not trusted (``check``)."""
    reference = field("r.medicationReference", "reference")
    contained = (
        f"list_filter(r.contained, lambda x: {field('x', 'resourceType')} = 'Medication' "
        f"AND '#' || coalesce(x->>'$.id', 'None') = {reference})[1]"
    )
    start = f"coalesce({truthy('r.effectiveDateTime')}, r.authoredOn)"
    period_start = "json_extract(r.effectivePeriod, '$.start')"
    return f"""
    WITH read AS (
      SELECT key, coalesce(nullif(r.id, ''), '?') AS id, {text("r.status")} AS status,
        CASE WHEN r.medicationCodeableConcept IS NOT NULL THEN r.medicationCodeableConcept
             ELSE json_extract(coalesce({contained}, m.resource), '$.code') END AS concept,
        CASE WHEN json_type(r.effectivePeriod) = 'OBJECT' THEN coalesce({truthy(period_start)}, {start})
             ELSE {start} END
          AS start_value,
        CASE WHEN json_type(r.effectivePeriod) = 'OBJECT' THEN json_extract(r.effectivePeriod, '$.end') END AS end_value
      FROM {source} LEFT JOIN {medications} m ON {reference} = 'Medication/' || m.id
      WHERE (r.status IS NULL OR r.status::VARCHAR <> '"entered-in-error"')
    )
    SELECT patient_id, id, system, code, display, status, start,
      CASE WHEN CAST("end" AS DATE) < CAST(start AS DATE) THEN NULL ELSE "end" END AS "end", text
    FROM (SELECT key AS patient_id, id, nullif(({codings("concept")})[1].system, '') AS system,
      nullif(({codings("concept")})[1].code, '') AS code, ({codings("concept")})[1].display AS display, status,
      {fhir_timestamp(text("start_value"))} AS start, {fhir_timestamp(text("end_value"))} AS "end",
      {concept_text("concept")} AS text
    FROM read WHERE concept IS NOT NULL)"""


def procedures_sql(source: str) -> str:
    """Procedures with a coded code; ``not-done`` and ``entered-in-error`` skipped."""
    start = f"""CASE WHEN r.performedDateTime IS NOT NULL THEN {fhir_timestamp(text("r.performedDateTime"))}
      ELSE {period_time("r.performedPeriod", "start")} END"""
    return f"""
    WITH read AS (
      SELECT key, coalesce(nullif(r.id, ''), '?') AS id, {codings("r.code")} AS codes, {concept_text("r.code")} AS text,
        {start} AS performed_start, r.performedPeriod AS period
      FROM {source} WHERE r.status IS NULL OR r.status NOT IN ('entered-in-error', 'not-done')
    )
    SELECT key AS patient_id, id, nullif(codes[1].system, '') AS system, codes[1].code AS code,
      coalesce(nullif(codes[1].display, ''), text) AS display, performed_start,
      CASE WHEN json_type(period) = 'OBJECT' THEN {fhir_timestamp(field("period", "end"))} ELSE performed_start END
        AS performed_end
    FROM read WHERE len(codes) > 0"""

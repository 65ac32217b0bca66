"""The rule engine: evaluate an IR expression against one patient, in three-valued logic, with a trace.

Three-valued rules (the contract; SQL / CQL / Kleene semantics)
----------------------------------------------------------------
* Every node evaluates to :class:`Truth` ``TRUE``, ``FALSE`` or ``UNKNOWN``. Missing data is ``UNKNOWN``, never
  ``FALSE``.
* ``all``: FALSE if any child is FALSE, else UNKNOWN if any child is UNKNOWN, else TRUE (an empty ``all`` is TRUE).
  ``any``: TRUE if any child is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE (an empty ``any`` is FALSE).
  ``not``: swaps TRUE and FALSE; ``not UNKNOWN`` is UNKNOWN.
* ``conditional``: ``when`` TRUE -> ``then``; ``when`` FALSE -> ``otherwise`` (TRUE when there is none: a rule that
  does not apply is met); ``when`` UNKNOWN -> the common outcome of both branches if they agree, else UNKNOWN.
  Without ``otherwise`` this is Kleene's implication ``not when or then``.
* ``not_computable`` and ``unparsed`` are UNKNOWN, with "needs review" in the sentence.

Measurements (``comparison``, ``range``, ``reference_multiple``)
----------------------------------------------------------------
* The most recent observation of the variable dated within the look-back (``lookback_months``, default 12, before
  the index date, inclusive) decides; older values, values dated after the index date, values without a date and
  values without a usable number are ignored and the trace says so. No value within the look-back -> UNKNOWN with
  the missing datum ("lvef (LOINC 10230-1) within 12 months").
* Observations are matched by lexicon variable id (set by the loaders from the LOINC code).
* The observation's value is converted to the threshold's unit with :func:`criteria_nlp.knowledge.units.convert`, using
  the lexicon's molar mass for mass <-> substance and the HbA1c NGSP % <-> IFCC mmol/mol relation. Units that cannot be
  converted give UNKNOWN with the reason, never an exception. A threshold written without a unit takes the
  lexicon's canonical unit and is marked *assumed*.
* ``k x ULN/LLN`` uses the observation's own reference range (compared in the observation's unit); without one,
  the lexicon's default reference range, marked *assumed* in the trace.
* Equality and the inclusive bounds tolerate a relative 1e-9 so that a converted boundary value (88.4 µmol/L =
  1 mg/dL) still meets ``<= 1 mg/dL``.

Age and sex
-----------
Age is the number of completed years (or months / weeks / days, as the criterion's unit says) between the birth
date and the index date. A missing birth date or a sex other than female/male recorded is UNKNOWN.

Presence of conditions, states, treatments, procedures
------------------------------------------------------
* Records match a concept through its lexicon codes: SNOMED CT codes (the lexicon lists descendants explicitly) and
  ICD-10 prefixes (``E11`` matches ``E11.9``) or category ranges (``A15-A19`` matches ``A17.0``). Refuted and
  entered-in-error records are ignored; unconfirmed, provisional and differential diagnoses make the answer UNKNOWN
  at best.
* Without a window a condition or medication must be active at the index date: onset on or before it, not abated
  by it, and, when no abatement date is recorded, a clinical status other than resolved/inactive/remission (for
  medications: not stopped/completed/cancelled). A procedure counts when performed on or before the index date.
  Qualifiers "history"/"prior"/"previous"/"past" ask for any record up to the index date, active or not.
* With a window ("within 6 months", "at least 4 weeks ago") the record's time span must overlap
  [index - max_ago, index - min_ago]; a procedure's date must fall inside it. An anchor other than the index date
  ("before randomisation") is taken as the index date and marked assumed.
* A record whose text (but no code) names the concept is a *text-only match*: UNKNOWN, reported as such for review.
  Text is compared only within the record kind of the concept's category (a condition's name in a procedure such
  as "screening test for diabetes" is not a match).
* Absence. In screening practice the absence of a record is weak evidence: problem lists are incomplete, and a
  patient "without tuberculosis" in the data may simply have been treated elsewhere. So when nothing matches, the
  answer is FALSE only if the patient's record is explicitly complete for that kind of record
  (``Patient.conditions_complete`` for conditions and states, ``medications_complete``, ``procedures_complete``);
  otherwise UNKNOWN, naming the record that would decide it. The flags default to False for every loader, FHIR
  included: Synthea bundles are complete by construction, but real bundles are not, and the loader cannot tell.
* Pregnancy and breastfeeding: ``Patient.pregnant`` / ``Patient.breastfeeding`` decide when recorded; otherwise an
  active coded condition makes it TRUE; a male patient is FALSE; otherwise the absence rule above.

Performance: a :class:`PatientIndex` groups a patient's observations by variable (newest first) and flattens the
coded records once; :class:`EvaluationContext` caches unit conversion factors and concept code sets, so one context
should serve a whole screening run.
"""

from __future__ import annotations

import calendar
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from criteria_nlp.errors import CriteriaEvaluationError, CriteriaSemanticError
from criteria_nlp.explain.trace import Evidence, TraceNode, evidence_item, trace_node
from criteria_nlp.ir import (
    KINDS,
    Comparison,
    ConceptRef,
    Demographic,
    Node,
    NotComputable,
    Presence,
    Quantity,
    Range,
    ReferenceMultiple,
    TemporalWindow,
    Unparsed,
    VariableRef,
    kind_of,
    render,
)
from criteria_nlp.ir.logic import Truth, all_of, any_of
from criteria_nlp.knowledge.lexicon import Concept, Lexicon, Variable, load_lexicon
from criteria_nlp.sources.patient import Observation, Patient

__all__ = [
    "EvaluationContext",
    "PatientIndex",
    "Truth",
    "all_of",
    "any_of",
    "evaluate",
    "months_before",
]

_RELATIVE_TOLERANCE = 1e-9
_WORD = re.compile(r"\w+")
_HISTORY_QUALIFIERS = frozenset({"history", "history of", "prior", "previous", "past", "ever"})
_INACTIVE_CONDITION = frozenset({"resolved", "inactive", "remission"})
_INACTIVE_MEDICATION = frozenset({"stopped", "completed", "cancelled", "entered-in-error", "not-taken"})
_UNCONFIRMED = frozenset({"unconfirmed", "provisional", "differential"})
_TIME_UNITS: dict[str, tuple[str, float]] = {}
for _names, _base, _factor in (
    (("day", "days", "d"), "day", 1.0),
    (("week", "weeks", "wk", "wks", "w"), "day", 7.0),
    (("month", "months", "mo", "mon", "mos"), "month", 1.0),
    (("year", "years", "yr", "yrs", "y", "a"), "month", 12.0),
    (("hour", "hours", "h", "hr", "hrs"), "day", 1 / 24),
):
    for _alias in _names:
        _TIME_UNITS[_alias] = (_base, _factor)


def months_before(day: date, months: int) -> date:
    """``day`` minus calendar months, clamped to the month's length (31 March - 1 month = 28/29 February)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def time_before(day: date, quantity: Quantity) -> date | None:
    """``day`` minus a duration such as 6 month or 4 week; None for a unit that is not a duration."""
    unit = (quantity.unit_normalized or quantity.unit or "").strip().lower()
    base = _TIME_UNITS.get(unit) or _TIME_UNITS.get(unit.rstrip("s"))
    if base is None:
        return None
    kind, factor = base
    amount = quantity.value * factor
    if kind == "month":
        whole = math.floor(amount)
        result = months_before(day, whole)
        return result - timedelta(days=round((amount - whole) * 30.44))
    return day - timedelta(days=amount)


def _as_date(moment: datetime | None) -> date | None:
    if moment is None:
        return None
    if moment.tzinfo is not None and moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.date()


def _sort_key(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    offset = moment.utcoffset()
    return (moment - offset if offset else moment).replace(tzinfo=None)


def _fmt(value: float) -> str:
    """A number as a person would write it: up to 4 significant digits, no trailing zeros."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:.0f}" if value == round(value) else f"{value:.1f}"
    return f"{value:.4g}"


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=_RELATIVE_TOLERANCE, abs_tol=1e-12)


def _holds(value: float, operator: str, threshold: float) -> bool:
    if operator == "<":
        return value < threshold and not _close(value, threshold)
    if operator == "<=":
        return value <= threshold or _close(value, threshold)
    if operator == ">":
        return value > threshold and not _close(value, threshold)
    if operator == ">=":
        return value >= threshold or _close(value, threshold)
    if operator == "==":
        return _close(value, threshold)
    if operator == "!=":
        return not _close(value, threshold)
    raise CriteriaEvaluationError(f"unknown comparison operator {operator!r}")


def _code_system(system: str | None) -> str | None:
    """ "snomed" / "icd10" / "loinc" / "rxnorm" for a FHIR system URL or short name (cached: systems repeat)."""
    found = _SYSTEMS.get(system)
    if found is None and system not in _SYSTEMS:
        found = _SYSTEMS[system] = _classify_system(system)
    return found


_SYSTEMS: dict[str | None, str | None] = {}


def _classify_system(system: str | None) -> str | None:
    text = (system or "").lower()
    if "snomed" in text:
        return "snomed"
    if "icd-10" in text or "icd10" in text:
        return "icd10"
    if "loinc" in text:
        return "loinc"
    if "rxnorm" in text:
        return "rxnorm"
    return text or None


def _icd(code: str) -> str:
    return code.replace(".", "").strip().upper()


@dataclass(slots=True)
class _Record:
    """A condition, medication or procedure flattened for matching."""

    resource_type: str
    id: str
    codes: tuple[tuple[str | None, str], ...]
    text: str
    start: date | None
    end: date | None
    status: str | None
    verification: str | None

    def evidence(self) -> Evidence:
        return evidence_item(
            resource_type=self.resource_type,
            resource_id=self.id,
            text=self.text or None,
            date=self.start.isoformat() if self.start else None,
        )


class PatientIndex:
    """A patient pre-indexed for evaluation, built lazily on first use and then reused by every criterion.

    Observations are grouped by variable once; each variable's list is sorted newest first when first asked for.
    Conditions, medications and procedures are flattened into records indexed by code; concept matches are cached
    per concept.
    """

    def __init__(self, patient: Patient, lexicon: Lexicon) -> None:
        self.patient = patient
        self.undated: dict[str, int] = {}
        self._unsorted: dict[str, list[Observation]] = {}
        self._sorted: dict[str, list[tuple[date, Observation]]] = {}
        for observation in patient.observations:
            variable_id = observation.variable
            if variable_id is None and observation.code and _code_system(observation.system) in (None, "loinc"):
                variable = lexicon.by_loinc(observation.code)
                variable_id = variable.id if variable is not None else None
            if variable_id is None:
                continue
            if observation.effective is None:
                self.undated[variable_id] = self.undated.get(variable_id, 0) + 1
                continue
            bucket = self._unsorted.get(variable_id)
            if bucket is None:
                self._unsorted[variable_id] = [observation]
            else:
                bucket.append(observation)
        self._records: list[_Record] | None = None
        self._by_code: dict[tuple[str | None, str], list[_Record]] = {}
        self._icd10: list[tuple[str, _Record]] = []
        self._texts: dict[str, list[tuple[_Record, str]]] = {}
        self._words: dict[str, frozenset[str]] = {}
        self.concept_matches: dict[str, list[_Record]] = {}
        self.text_matches: dict[tuple[str, str], list[_Record]] = {}

    def observations(self, variable_id: str) -> list[tuple[date, Observation]]:
        """(date, observation) of one variable, newest first; ties broken by id, never by input order."""
        found = self._sorted.get(variable_id)
        if found is None:
            items = [(_sort_key(o.effective), o.id, o) for o in self._unsorted.get(variable_id, ()) if o.effective]
            items.sort(key=lambda item: (item[0], item[1]), reverse=True)
            found = [(moment.date(), obs) for moment, _, obs in items]
            self._sorted[variable_id] = found
        return found

    @property
    def records(self) -> list[_Record]:
        if self._records is None:
            self._records = self._build_records()
        return self._records

    def coded(self, codes: _ConceptCodes) -> list[_Record]:
        """Records whose code belongs to a concept (SNOMED exactly, ICD-10 by prefix or range)."""
        _ = self.records
        found: list[_Record] = []
        if len(codes.snomed) < len(self._by_code):
            for code in codes.snomed:
                found.extend(self._by_code.get(("snomed", code), ()))
        else:
            for (system, code), records in self._by_code.items():
                if system == "snomed" and code in codes.snomed:
                    found.extend(records)
        if codes.icd10:
            found.extend(record for code, record in self._icd10 if codes.matches_icd10(code))
        if not found:
            return found
        unique = {id(record): record for record in found}
        return sorted(unique.values(), key=lambda r: (r.resource_type, r.id))

    def texts(self, resource_type: str) -> list[tuple[_Record, str]]:
        _ = self.records
        return self._texts.get(resource_type, [])

    def words(self, resource_type: str) -> frozenset[str]:
        """Every word in the record texts of one kind: a concept none of whose names fits costs no regex search."""
        found = self._words.get(resource_type)
        if found is None:
            found = frozenset(word for _, lower in self.texts(resource_type) for word in _WORD.findall(lower))
            self._words[resource_type] = found
        return found

    def _build_records(self) -> list[_Record]:
        patient = self.patient
        records: list[_Record] = []
        for condition in patient.conditions:
            codes = ((condition.system, condition.code),) if condition.code else ()
            records.append(
                _Record(
                    "Condition",
                    condition.id,
                    tuple((_code_system(s), c) for s, c in codes + condition.alternate_codes),
                    _joined_text(condition.text, condition.display),
                    _as_date(condition.onset),
                    _as_date(condition.abatement),
                    condition.clinical_status,
                    condition.verification_status,
                )
            )
        for medication in patient.medications:
            records.append(
                _Record(
                    "Medication",
                    medication.id,
                    ((_code_system(medication.system), medication.code),) if medication.code else (),
                    _joined_text(medication.text, medication.display),
                    _as_date(medication.start),
                    _as_date(medication.end),
                    medication.status,
                    None,
                )
            )
        for procedure in patient.procedures:
            start = _as_date(procedure.performed_start) or _as_date(procedure.performed_end)
            records.append(
                _Record(
                    "Procedure",
                    procedure.id,
                    ((_code_system(procedure.system), procedure.code),) if procedure.code else (),
                    procedure.display or "",
                    start,
                    _as_date(procedure.performed_end) or start,
                    None,
                    None,
                )
            )
        for record in records:
            for system, code in record.codes:
                self._by_code.setdefault((system, code), []).append(record)
                if system == "icd10":
                    self._icd10.append((code, record))
            if record.text:
                self._texts.setdefault(record.resource_type, []).append((record, record.text.lower()))
        for items in self._texts.values():
            items.sort(key=lambda item: item[0].id)
        return records


def _joined_text(text: str | None, display: str | None) -> str:
    if text and display and text != display:
        return f"{text} {display}"
    return text or display or ""


@dataclass(frozen=True, slots=True)
class _ConceptCodes:
    snomed: frozenset[str]
    icd10: tuple[tuple[str, str], ...]  # (first, last) code prefixes; a single code is (code, code)
    pattern: re.Pattern[str] | None
    word_sets: tuple[frozenset[str], ...] = ()  # the words of each surface form: a cheap filter before the regex

    def may_name(self, words: frozenset[str]) -> bool:
        return any(needed <= words for needed in self.word_sets)

    def matches_icd10(self, code: str) -> bool:
        """ICD-10 by prefix ("E11" matches "E11.9") or by category range ("A15-A19" matches "A17.0")."""
        normalized = _icd(code)
        return any(normalized[: len(first)] >= first and normalized[: len(last)] <= last for first, last in self.icd10)


def _icd_range(text: str) -> tuple[str, str]:
    first, _, last = text.partition("-")
    return _icd(first), _icd(last or first)


@dataclass
class EvaluationContext:
    """What an evaluation is relative to: the index date, the look-back for measurements, the lexicon.

    ``index_date`` defaults to today. One context caches conversion factors and concept code sets; reuse it.
    """

    index_date: date = field(default_factory=date.today)
    lookback_months: int = 12
    lexicon: Lexicon = field(default_factory=load_lexicon)
    _conversions: dict[tuple[str, str, float | None, str | None], tuple[float, float, str] | str] = field(
        default_factory=dict, repr=False
    )
    _concepts: dict[str, _ConceptCodes] = field(default_factory=dict, repr=False)
    _units: dict[str, str | None] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if isinstance(self.index_date, datetime):
            self.index_date = self.index_date.date()
        elif isinstance(self.index_date, str):
            self.index_date = parse_index_date(self.index_date)
        if self.lookback_months < 0:
            raise CriteriaEvaluationError(f"lookback_months must not be negative, got {self.lookback_months}")
        self.lookback_start = months_before(self.index_date, self.lookback_months)

    def conversion(self, from_unit: str, to_unit: str, variable: Variable | None) -> tuple[float, float, str] | str:
        """``(slope, offset, note)`` with ``to = slope * from + offset``, or the reason the units do not convert.

        Conversions are affine (linear, or HbA1c's NGSP <-> IFCC), so two points determine them; caching the pair
        keeps pint out of the per-patient loop.
        """
        molar_mass = variable.molar_mass if variable is not None else None
        analyte = variable.id if variable is not None else None
        key = (from_unit, to_unit, molar_mass, analyte)
        cached = self._conversions.get(key)
        if cached is not None:
            return cached
        from criteria_nlp.knowledge.units import convert

        try:
            one = convert(1.0, from_unit, to_unit, molar_mass=molar_mass, analyte=analyte)
            two = convert(2.0, from_unit, to_unit, molar_mass=molar_mass, analyte=analyte).value
        except CriteriaSemanticError as error:
            result: tuple[float, float, str] | str = f"{from_unit} cannot be converted to {to_unit}: {error.message}"
        else:
            slope = two - one.value
            steps = " ".join(one.steps)
            note = ""
            if "HbA1c" in steps:
                note = " (HbA1c: IFCC mmol/mol = 10.929 × (NGSP % − 2.15))"
            elif "g/mol" in steps and molar_mass is not None:
                note = f" (molar mass {_fmt(molar_mass)} g/mol)"
            elif "valence" in steps:
                note = " (ion valence)"
            result = (slope, one.value - slope, note)
        self._conversions[key] = result
        return result

    def normalized_unit(self, unit: str) -> str | None:
        if unit not in self._units:
            from criteria_nlp.knowledge.units import normalize_unit

            try:
                self._units[unit] = normalize_unit(unit)
            except CriteriaSemanticError:
                self._units[unit] = None
        return self._units[unit]

    def concept_codes(self, concept: Concept) -> _ConceptCodes:
        cached = self._concepts.get(concept.id)
        if cached is None:
            words = sorted(
                {s.lower() for s in (concept.name, *concept.synonyms) if len(s) >= 4},
                key=len,
                reverse=True,
            )
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b") if words else None
            cached = _ConceptCodes(
                frozenset(concept.snomed),
                tuple(_icd_range(c) for c in concept.icd10),
                pattern,
                tuple(frozenset(_WORD.findall(w)) for w in words),
            )
            self._concepts[concept.id] = cached
        return cached


def parse_index_date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise CriteriaEvaluationError(f"index date {text!r} is not an ISO date (YYYY-MM-DD)") from error


Evaluator = Callable[[Node, PatientIndex, EvaluationContext], TraceNode]


def evaluate(node: Node, patient: Patient | PatientIndex, context: EvaluationContext | None = None) -> TraceNode:
    """Evaluate ``node`` for one patient; the trace's ``outcome`` is the answer."""
    ctx = context if context is not None else EvaluationContext()
    index = patient if isinstance(patient, PatientIndex) else PatientIndex(patient, ctx.lexicon)
    return _evaluate(node, index, ctx)


def _evaluate(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    kind = getattr(node, "kind", None)
    evaluator = EVALUATORS.get(kind) if isinstance(kind, str) else None
    if evaluator is None:
        if isinstance(kind, str) and kind in KINDS and not KINDS[kind].is_leaf:
            return _eval_container(node, index, ctx)
        raise CriteriaEvaluationError(
            f"no evaluator for node kind {kind!r}",
            start=getattr(getattr(node, "span", None), "start", None),
            expected=sorted(EVALUATORS),
        )
    return evaluator(node, index, ctx)


_LABELS: dict[int, tuple[Node, str]] = {}


def _label(node: Node) -> str:
    """``ir.render(node)``, cached: labels are rendered once per node, not once per patient."""
    cached = _LABELS.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_LABELS) > 50_000:
        _LABELS.clear()
    label = render(node)
    _LABELS[id(node)] = (node, label)
    return label


def _trace(
    node: Node,
    outcome: Truth,
    sentence: str,
    *,
    label: str | None = None,
    evidence: tuple[Evidence, ...] = (),
    conversions: tuple[str, ...] = (),
    threshold: str | None = None,
    assumed: bool = False,
    missing: tuple[str, ...] = (),
    children: tuple[TraceNode, ...] = (),
) -> TraceNode:
    return trace_node(
        kind=node.kind,
        label=label if label is not None else _label(node),
        span=node.span,
        outcome=outcome,
        sentence=sentence,
        evidence=evidence,
        conversions=conversions,
        threshold=threshold,
        assumed=assumed,
        missing=missing,
        children=children,
    )


# --- logic ------------------------------------------------------------------------------------------------------


def _eval_container(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    """Any container kind: its children evaluated in order, combined by its rule in :mod:`criteria_nlp.ir.kinds`."""
    kind = kind_of(node)
    assert kind.combine is not None and kind.label is not None
    children = tuple(_evaluate(child, index, ctx) for child in kind.children(node))
    outcome, sentence = kind.combine(node, [child.outcome for child in children])
    return _trace(node, outcome, sentence, children=children, label=kind.label(node))


def _eval_not_computable(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, NotComputable)
    return _trace(
        node,
        Truth.UNKNOWN,
        f"not computable from patient data ({node.category}): needs review — {node.text}",
        missing=(f"review: {node.category} ({node.text})",),
    )


def _eval_unparsed(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Unparsed)
    return _trace(
        node,
        Truth.UNKNOWN,
        f"not understood ({node.reason}): needs review — {node.text}",
        missing=(f"review: unparsed text ({node.text})",),
    )


# --- measurements -------------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Selection:
    observation: Observation | None
    observed_on: date | None
    notes: list[str]


def _select(variable_id: str, index: PatientIndex, ctx: EvaluationContext) -> _Selection:
    """The most recent usable observation within the look-back, and what was ignored on the way."""
    notes: list[str] = []
    future = unusable = 0
    chosen: Observation | None = None
    chosen_on: date | None = None
    older: list[tuple[date, Observation]] = []
    for observed_on, observation in index.observations(variable_id):
        if observed_on > ctx.index_date:
            future += 1
        elif observation.value is None:
            unusable += 1
        elif observed_on < ctx.lookback_start:
            older.append((observed_on, observation))
            break
        else:
            chosen, chosen_on = observation, observed_on
            break
    if future:
        notes.append(f"{future} value(s) dated after the index date {ctx.index_date} ignored")
    if unusable:
        notes.append(f"{unusable} more recent record(s) without a usable number ignored")
    if older:
        observed_on, observation = older[0]
        notes.append(
            f"values before the {ctx.lookback_months}-month look-back ({ctx.lookback_start}) ignored "
            f"(most recent {_fmt(observation.value or 0)} {observation.unit or ''} on {observed_on})".replace(" )", ")")
        )
    if index.undated.get(variable_id):
        notes.append(f"{index.undated[variable_id]} undated value(s) ignored")
    return _Selection(chosen, chosen_on, notes)


def _missing_description(variable: Variable, ctx: EvaluationContext) -> str:
    loinc = f" (LOINC {variable.loinc[0]})" if variable.loinc else ""
    return f"{variable.id}{loinc} within {ctx.lookback_months} months"


def _name(variable_id: str) -> str:
    return variable_id.replace("_", " ")


def _observation_evidence(observation: Observation, observed_on: date | None) -> Evidence:
    reference = None
    if observation.reference_low is not None or observation.reference_high is not None:
        low = _fmt(observation.reference_low) if observation.reference_low is not None else ""
        high = _fmt(observation.reference_high) if observation.reference_high is not None else ""
        reference = f"{low}-{high}" + (f" {observation.unit}" if observation.unit else "")
    return evidence_item(
        resource_type="Observation",
        resource_id=observation.id,
        value=observation.value,
        unit=observation.unit,
        text=observation.display,
        date=observed_on.isoformat() if observed_on else None,
        reference_range=reference,
    )


def _lookup_variable(node: Node, ref: VariableRef, ctx: EvaluationContext) -> Variable | TraceNode:
    if ref.id is None:
        return _trace(
            node,
            Truth.UNKNOWN,
            f"{ref.mention!r} is not a variable the lexicon knows, so no data can be matched: needs review",
            missing=(f"review: unknown variable {ref.mention!r}",),
        )
    variable = ctx.lexicon.variables.get(ref.id)
    if variable is None:
        return _trace(
            node,
            Truth.UNKNOWN,
            f"variable id {ref.id!r} is not in the lexicon: needs review",
            missing=(f"review: unknown variable id {ref.id!r}",),
        )
    return variable


@dataclass(slots=True)
class _Value:
    """An observation's value in a target unit, with the conversion sentence fragment."""

    value: float
    shown: str
    conversions: list[str]


def _in_unit(
    observation: Observation, observed_on: date | None, target: str | None, variable: Variable, ctx: EvaluationContext
) -> _Value | str:
    assert observation.value is not None
    name = _name(variable.id)
    unit_text = f" {observation.unit}" if observation.unit else ""
    when = f" ({observed_on})" if observed_on else ""
    shown = f"{name} {_fmt(observation.value)}{unit_text}{when}"
    source = observation.unit_normalized
    if observation.unit is not None and source is None:
        source = ctx.normalized_unit(observation.unit)
        if source is None:
            return f"{shown}: unit {observation.unit!r} is not known"
    if target is None or source is None:
        if target is not None and source is None:
            return f"{shown}: the observation has no unit, the threshold is in {target}"
        if source is not None and target is None and variable.unit is not None:
            return f"{shown}: the threshold has no unit"
        return _Value(observation.value, shown, [])
    if source == target:
        return _Value(observation.value, shown, [])
    conversion = ctx.conversion(source, target, variable)
    if isinstance(conversion, str):
        return f"{shown}: {conversion}"
    slope, offset, note = conversion
    converted = slope * observation.value + offset
    step = f"{_fmt(observation.value)}{unit_text} = {_fmt(converted)} {target}{note}"
    return _Value(converted, f"{shown} = {_fmt(converted)} {target}", [step])


def _threshold_unit(quantity: Quantity, variable: Variable, ctx: EvaluationContext) -> tuple[str | None, bool] | str:
    """The normalised unit of a threshold, whether it was assumed, or why it is unusable."""
    if quantity.unit_normalized:
        return quantity.unit_normalized, False
    if quantity.unit:
        normalized = ctx.normalized_unit(quantity.unit)
        if normalized is None:
            return f"the threshold's unit {quantity.unit!r} is not known"
        return normalized, False
    return variable.unit, variable.unit is not None


def _eval_comparison(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Comparison)
    if node.variable.id == "age":
        return _age_trace(
            node,
            index,
            ctx,
            _age_unit(node.quantity.unit_normalized or node.quantity.unit),
            lambda age: _holds(age, node.operator, node.quantity.value),
            f"{node.operator} {node.quantity}",
        )
    variable = _lookup_variable(node, node.variable, ctx)
    if isinstance(variable, TraceNode):
        return variable
    unit = _threshold_unit(node.quantity, variable, ctx)
    threshold_text = f"{node.operator} {node.quantity}"
    if isinstance(unit, str):
        return _trace(node, Truth.UNKNOWN, f"{unit}: needs review", threshold=threshold_text)
    target, assumed = unit
    if assumed:
        threshold_text = f"{node.operator} {_fmt(node.quantity.value)} {target}"
    selection = _select(variable.id, index, ctx)
    return _measured(
        node,
        variable,
        selection,
        ctx,
        target,
        [(node.operator, node.quantity.value)],
        threshold_text,
        assumed=assumed,
        assumed_note=f"the criterion gives no unit; the lexicon's unit {target} is assumed" if assumed else None,
    )


def _measured(
    node: Node,
    variable: Variable,
    selection: _Selection,
    ctx: EvaluationContext,
    target: str | None,
    tests: list[tuple[str, float]],
    threshold_text: str,
    *,
    assumed: bool = False,
    assumed_note: str | None = None,
) -> TraceNode:
    notes = list(selection.notes)
    if assumed_note:
        notes.insert(0, assumed_note)
    observation = selection.observation
    if observation is None:
        sentence = f"no {_name(variable.id)} within {ctx.lookback_months} months before {ctx.index_date}"
        return _trace(
            node,
            Truth.UNKNOWN,
            "; ".join([sentence, *notes]),
            threshold=threshold_text,
            assumed=assumed,
            missing=(_missing_description(variable, ctx),),
        )
    evidence = (_observation_evidence(observation, selection.observed_on),)
    value = _in_unit(observation, selection.observed_on, target, variable, ctx)
    if isinstance(value, str):
        return _trace(
            node,
            Truth.UNKNOWN,
            "; ".join([value, *notes]),
            evidence=evidence,
            threshold=threshold_text,
            assumed=assumed,
            missing=(f"{_missing_description(variable, ctx)} in a unit convertible to {target}",),
        )
    outcome = Truth.of(all(_holds(value.value, op, limit) for op, limit in tests))
    comparison = " and ".join(f"{_fmt(value.value)} {op} {_fmt(limit)}" for op, limit in tests)
    sentence = f"{value.shown}; {comparison} is {outcome.value}"
    return _trace(
        node,
        outcome,
        "; ".join([sentence, *notes]),
        evidence=evidence,
        conversions=tuple(value.conversions),
        threshold=threshold_text,
        assumed=assumed,
    )


def _eval_range(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Range)
    variable = _lookup_variable(node, node.variable, ctx)
    if isinstance(variable, TraceNode):
        return variable
    bounds = [(q, ">=" if node.low_inclusive else ">") for q in (node.low,) if q is not None]
    bounds += [(q, "<=" if node.high_inclusive else "<") for q in (node.high,) if q is not None]
    low = f"{'[' if node.low_inclusive else '('}{node.low if node.low is not None else '-inf'}"
    high = f"{node.high if node.high is not None else 'inf'}{']' if node.high_inclusive else ')'}"
    threshold_text = f"in {low}, {high}"
    selection = _select(variable.id, index, ctx)
    units = [_threshold_unit(q, variable, ctx) for q, _ in bounds]
    problem = next((u for u in units if isinstance(u, str)), None)
    if problem is not None:
        return _trace(node, Truth.UNKNOWN, f"{problem}: needs review", threshold=threshold_text)
    resolved = [u for u in units if not isinstance(u, str)]
    targets = {u[0] for u in resolved}
    assumed = any(u[1] for u in resolved)
    note = f"the criterion gives no unit; the lexicon's unit {variable.unit} is assumed" if assumed else None
    if len(targets) <= 1:
        target = next(iter(targets), None)
        tests = [(op, q.value) for q, op in bounds]
        return _measured(
            node, variable, selection, ctx, target, tests, threshold_text, assumed=assumed, assumed_note=note
        )
    # Bounds written in different units: evaluate each bound in its own unit.
    parts = [
        _measured(node, variable, selection, ctx, unit[0], [(op, q.value)], threshold_text, assumed=unit[1])
        for (q, op), unit in zip(bounds, resolved, strict=True)
    ]
    outcome = all_of(part.outcome for part in parts)
    return _trace(
        node,
        outcome,
        "; ".join(part.sentence for part in parts),
        evidence=parts[0].evidence,
        conversions=tuple(c for part in parts for c in part.conversions),
        threshold=threshold_text,
        assumed=assumed,
        missing=tuple(dict.fromkeys(m for part in parts for m in part.missing)),
    )


def _eval_reference_multiple(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, ReferenceMultiple)
    variable = _lookup_variable(node, node.variable, ctx)
    if isinstance(variable, TraceNode):
        return variable
    threshold_text = f"{node.operator} {_fmt(node.factor)} × {node.reference}"
    selection = _select(variable.id, index, ctx)
    observation = selection.observation
    if observation is None or observation.value is None:
        return _measured(node, variable, selection, ctx, None, [], threshold_text)
    own = observation.reference_high if node.reference == "ULN" else observation.reference_low
    if own is not None:
        limit = node.factor * own
        unit_text = f" {observation.unit}" if observation.unit else ""
        outcome = Truth.of(_holds(observation.value, node.operator, limit))
        sentence = (
            f"{_name(variable.id)} {_fmt(observation.value)}{unit_text} ({selection.observed_on}); "
            f"{_fmt(node.factor)} × {node.reference} = {_fmt(limit)}{unit_text} (reference range of the observation); "
            f"{_fmt(observation.value)} {node.operator} {_fmt(limit)} is {outcome.value}"
        )
        return _trace(
            node,
            outcome,
            "; ".join([sentence, *selection.notes]),
            evidence=(_observation_evidence(observation, selection.observed_on),),
            threshold=f"{threshold_text} = {_fmt(limit)}{unit_text}",
        )
    reference = variable.reference
    default = None
    if reference is not None:
        default = reference.high if node.reference == "ULN" else reference.low
    if reference is None or default is None:
        return _trace(
            node,
            Truth.UNKNOWN,
            f"{_name(variable.id)} has no reference range on observation {observation.id} and the lexicon gives no "
            f"default {node.reference}: needs review",
            evidence=(_observation_evidence(observation, selection.observed_on),),
            threshold=threshold_text,
            missing=(f"{node.reference} of {variable.id} (reference range)",),
        )
    target = ctx.normalized_unit(reference.unit) if reference.unit else None
    value = _in_unit(observation, selection.observed_on, target, variable, ctx)
    evidence = (_observation_evidence(observation, selection.observed_on),)
    if isinstance(value, str):
        return _trace(node, Truth.UNKNOWN, value, evidence=evidence, threshold=threshold_text, assumed=True)
    limit = node.factor * default
    outcome = Truth.of(_holds(value.value, node.operator, limit))
    low = _fmt(reference.low) if reference.low is not None else ""
    high = _fmt(reference.high) if reference.high is not None else ""
    sentence = (
        f"{value.shown}; {_fmt(node.factor)} × {node.reference} = {_fmt(limit)} {reference.unit} (assumed: the "
        f"lexicon's default reference range {low}-{high} {reference.unit}, the observation has none); "
        f"{_fmt(value.value)} {node.operator} {_fmt(limit)} is {outcome.value}"
    )
    return _trace(
        node,
        outcome,
        "; ".join([sentence, *selection.notes]),
        evidence=evidence,
        conversions=tuple(value.conversions),
        threshold=f"{threshold_text} = {_fmt(limit)} {reference.unit}",
        assumed=True,
    )


# --- demographics -------------------------------------------------------------------------------------------------


def _age_unit(unit: str | None) -> str | None:
    text = (unit or "year").strip().lower()
    base = _TIME_UNITS.get(text) or _TIME_UNITS.get(text.rstrip("s"))
    if base is None:
        return None
    if base == ("month", 12.0):
        return "year"
    if base == ("month", 1.0):
        return "month"
    if base == ("day", 7.0):
        return "week"
    if base == ("day", 1.0):
        return "day"
    return None


def completed_age(birth: date, on: date, unit: str = "year") -> int:
    """Completed years / months / weeks / days of age on a date."""
    if unit == "day":
        return (on - birth).days
    if unit == "week":
        return (on - birth).days // 7
    months = (on.year - birth.year) * 12 + (on.month - birth.month) - (1 if on.day < birth.day else 0)
    return months if unit == "month" else months // 12


def _age_trace(
    node: Node,
    index: PatientIndex,
    ctx: EvaluationContext,
    unit: str | None,
    test: Callable[[int], bool],
    threshold_text: str,
) -> TraceNode:
    birth = index.patient.birth_date
    if unit is None:
        return _trace(node, Truth.UNKNOWN, "the age criterion's unit is not a duration: needs review")
    if birth is None:
        return _trace(
            node,
            Truth.UNKNOWN,
            "no birth date recorded",
            threshold=threshold_text,
            missing=("birth date",),
        )
    if birth > ctx.index_date:
        return _trace(
            node,
            Truth.UNKNOWN,
            f"birth date {birth} is after the index date {ctx.index_date}: needs review",
            threshold=threshold_text,
        )
    age = completed_age(birth, ctx.index_date, unit)
    outcome = Truth.of(test(age))
    evidence = (
        evidence_item(resource_type="Patient", resource_id=index.patient.id, text="birth date", date=str(birth)),
    )
    sentence = f"age {age} {unit}s at {ctx.index_date} (born {birth}); age {threshold_text} is {outcome.value}"
    return _trace(node, outcome, sentence, evidence=evidence, threshold=threshold_text)


def _eval_demographic(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Demographic)
    if node.attribute == "sex":
        recorded = index.patient.sex
        evidence = (evidence_item(resource_type="Patient", resource_id=index.patient.id, text=f"sex {recorded}"),)
        if node.sex is None:
            return _trace(node, Truth.UNKNOWN, "the criterion names no sex: needs review")
        if recorded not in ("female", "male"):
            return _trace(
                node,
                Truth.UNKNOWN,
                f"sex recorded as {recorded or 'nothing'}; the criterion asks for {node.sex}",
                evidence=evidence,
                missing=("sex",),
            )
        outcome = Truth.of(recorded == node.sex)
        return _trace(node, outcome, f"sex {recorded}; {node.sex} is {outcome.value}", evidence=evidence)
    unit = _age_unit(node.unit)
    low = f"{'[' if node.low_inclusive else '('}{_fmt(node.low) if node.low is not None else '-inf'}"
    high = f"{_fmt(node.high) if node.high is not None else 'inf'}{']' if node.high_inclusive else ')'}"

    def test(age: int) -> bool:
        if node.low is not None and not _holds(age, ">=" if node.low_inclusive else ">", node.low):
            return False
        return node.high is None or _holds(age, "<=" if node.high_inclusive else "<", node.high)

    return _age_trace(node, index, ctx, unit, test, f"in {low}, {high} {unit or node.unit}s")


# --- presence -------------------------------------------------------------------------------------------------


_TEXT_MATCH_KINDS: dict[str, tuple[str, ...]] = {
    "condition": ("Condition",),
    "state": ("Condition",),
    "medication": ("Medication",),
    "procedure": ("Procedure",),
}
_COMPLETE_FLAG = {
    "condition": ("conditions_complete", "condition"),
    "state": ("conditions_complete", "condition"),
    "other": ("conditions_complete", "condition"),
    "medication": ("medications_complete", "medication"),
    "procedure": ("procedures_complete", "procedure"),
}


def _window_bounds(window: TemporalWindow | None, ctx: EvaluationContext) -> tuple[date | None, date, str] | str:
    """(earliest, latest, description) of a window, or why it cannot be used."""
    if window is None:
        return None, ctx.index_date, ""
    latest = ctx.index_date
    earliest: date | None = None
    words = []
    if window.min_ago is not None:
        moved = time_before(ctx.index_date, window.min_ago)
        if moved is None:
            return f"window unit {window.min_ago.unit!r} is not a duration"
        latest = moved
        words.append(f"at least {window.min_ago} before")
    if window.max_ago is not None:
        moved = time_before(ctx.index_date, window.max_ago)
        if moved is None:
            return f"window unit {window.max_ago.unit!r} is not a duration"
        earliest = moved
        words.append(f"within {window.max_ago} before")
    if earliest is not None and earliest > latest:
        return "the window is empty (its earliest date is after its latest)"
    anchor = window.anchor or "the index date"
    span = f"{earliest or 'any time'} to {latest}"
    return earliest, latest, f"{' and '.join(words)} {anchor} ({span})"


def _timing(
    record: _Record, earliest: date | None, latest: date, active_at_latest: bool, index_date: date
) -> tuple[Truth, str]:
    """Whether a matched record falls in time: TRUE / FALSE / UNKNOWN and a phrase saying why."""
    start, end = record.start, record.end
    status = (record.status or "").lower()
    inactive_statuses = _INACTIVE_MEDICATION if record.resource_type == "Medication" else _INACTIVE_CONDITION
    if record.resource_type == "Procedure":
        if start is None:
            return Truth.UNKNOWN, "performed on an unknown date"
        if start > latest:
            return Truth.FALSE, f"performed {start}, after {latest}"
        if earliest is not None and start < earliest:
            return Truth.FALSE, f"performed {start}, before {earliest}"
        return Truth.TRUE, f"performed {start}"
    if start is not None and start > latest:
        return Truth.FALSE, f"began {start}, after {latest}"
    if active_at_latest:
        if end is not None and end <= latest:
            return Truth.FALSE, f"ended {end}"
        if end is None and status in inactive_statuses:
            return Truth.FALSE, f"status {status}"
        return Truth.TRUE, f"active (since {start})" if start else "active (start date not recorded)"
    if end is not None and earliest is not None and end < earliest:
        return Truth.FALSE, f"ended {end}, before {earliest}"
    if start is None and earliest is not None:
        if end is None and status not in inactive_statuses and latest == index_date:
            return Truth.TRUE, "active now (start date not recorded)"
        return Truth.UNKNOWN, "start date not recorded"
    if end is None and status in inactive_statuses and earliest is not None:
        return Truth.UNKNOWN, f"status {status} with no end date"
    return Truth.TRUE, f"from {start or '?'}" + (f" to {end}" if end else "")


def _candidates(
    concept: Concept | None, ref: ConceptRef, index: PatientIndex, ctx: EvaluationContext
) -> tuple[list[_Record], list[_Record]]:
    """(records matching by code, records matching by text only), cached per patient and concept.

    Text is only compared within the record kind the concept's category names: a procedure "screening test for
    diabetes" says nothing about having diabetes.
    """
    key = concept.id if concept is not None else f"mention:{ref.mention.lower()}"
    coded = index.concept_matches.get(key)
    if coded is None:
        coded = index.coded(ctx.concept_codes(concept)) if concept is not None else []
        index.concept_matches[key] = coded
    category = concept.category if concept is not None else ref.category
    text_key = (key, category)
    texts = index.text_matches.get(text_key)
    if texts is None:
        codes = ctx.concept_codes(concept) if concept is not None else None
        pattern = codes.pattern if codes is not None else _mention_pattern(ref.mention)
        texts = []
        if pattern is not None:
            coded_ids = {id(record) for record in coded}
            for kind in _TEXT_MATCH_KINDS.get(category, ("Condition",)):
                if codes is not None and not codes.may_name(index.words(kind)):
                    continue
                texts.extend(
                    record
                    for record, lower in index.texts(kind)
                    if id(record) not in coded_ids and pattern.search(lower)
                )
        index.text_matches[text_key] = texts
    return coded, texts


@lru_cache(maxsize=1024)
def _mention_pattern(mention: str) -> re.Pattern[str] | None:
    if len(mention) < 4:
        return None
    return re.compile(r"\b" + re.escape(mention.lower()) + r"\b")


def _eval_presence(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Presence)
    ref = node.concept
    concept: Concept | None = None
    if ref.id is not None:
        concept = ctx.lexicon.concepts.get(ref.id)
        if concept is None:
            return _trace(
                node,
                Truth.UNKNOWN,
                f"concept id {ref.id!r} is not in the lexicon: needs review",
                missing=(f"review: unknown concept {ref.id!r}",),
            )
    name = concept.name.lower() if concept is not None else ref.mention
    bounds = _window_bounds(node.window, ctx)
    if isinstance(bounds, str):
        return _trace(node, Truth.UNKNOWN, f"{bounds}: needs review")
    earliest, latest, window_text = bounds
    anchor_assumed = node.window is not None and node.window.anchor is not None
    historical = any(q.lower() in _HISTORY_QUALIFIERS for q in ref.qualifiers)
    active_at_latest = node.window is None and not historical
    patient = index.patient

    if ref.id in ("pregnancy", "breastfeeding") and node.window is None:
        flag = patient.pregnant if ref.id == "pregnancy" else patient.breastfeeding
        if flag is not None:
            outcome = Truth.of(flag)
            return _trace(
                node,
                outcome,
                f"{ref.id} recorded as {'yes' if flag else 'no'} on the patient; present is {outcome.value}",
                evidence=(evidence_item(resource_type="Patient", resource_id=patient.id, text=f"{ref.id}: {flag}"),),
            )

    matched: list[tuple[Truth, _Record, str]] = []
    text_matches: list[tuple[Truth, _Record, str]] = []
    coded_records, text_records = _candidates(concept, ref, index, ctx)
    for record in coded_records:
        verification = (record.verification or "").lower()
        if verification in ("refuted", "entered-in-error"):
            continue
        timing, why = _timing(record, earliest, latest, active_at_latest, ctx.index_date)
        if timing is Truth.TRUE and verification in _UNCONFIRMED:
            timing, why = Truth.UNKNOWN, f"{why}; diagnosis {verification}"
        matched.append((timing, record, why))
    for record in text_records:
        if (record.verification or "").lower() in ("refuted", "entered-in-error"):
            continue
        timing, why = _timing(record, earliest, latest, active_at_latest, ctx.index_date)
        if timing is not Truth.FALSE:
            text_matches.append((Truth.UNKNOWN, record, f"{why}; text-only match"))

    where = f" {window_text}" if window_text else (" before the index date" if historical else " at the index date")
    evidence = tuple(record.evidence() for _, record, _ in matched + text_matches)

    def describe(items: list[tuple[Truth, _Record, str]]) -> str:
        return "; ".join(f"{r.resource_type} {r.id} {r.text!r}: {why}" for _, r, why in items)

    true_matches = [m for m in matched if m[0] is Truth.TRUE]
    if true_matches:
        return _trace(
            node,
            Truth.TRUE,
            f"{name} present{where}: {describe(true_matches)}",
            evidence=evidence,
            assumed=anchor_assumed,
        )
    unsure = [m for m in matched if m[0] is Truth.UNKNOWN]
    if unsure or text_matches:
        kind = "text-only match, needs review" if not unsure else "matching record with uncertain timing or status"
        return _trace(
            node,
            Truth.UNKNOWN,
            f"{name}{where}: {kind}: {describe(unsure + text_matches)}",
            evidence=evidence,
            assumed=anchor_assumed,
            missing=(f"review: {name} ({kind})",),
        )
    if ref.id in ("pregnancy", "breastfeeding") and patient.sex == "male":
        return _trace(
            node,
            Truth.FALSE,
            f"{name}: not applicable to a male patient",
            evidence=(evidence_item(resource_type="Patient", resource_id=patient.id, text="sex male"),),
        )
    if concept is None:
        return _trace(
            node,
            Truth.UNKNOWN,
            f"{ref.mention!r} is not a concept the lexicon knows, and no record mentions it: needs review",
            missing=(f"review: unknown concept {ref.mention!r}",),
        )
    category = concept.category if concept.category in _COMPLETE_FLAG else "condition"
    flag_name, record_kind = _COMPLETE_FLAG[category]
    others = f" (matching records outside the time: {describe(matched)})" if matched else ""
    if getattr(patient, flag_name):
        return _trace(
            node,
            Truth.FALSE,
            f"no record of {name}{where}; the {record_kind} list is marked complete{others}",
            evidence=evidence,
            assumed=anchor_assumed,
        )
    return _trace(
        node,
        Truth.UNKNOWN,
        f"no record of {name}{where}, but the {record_kind} list is not marked complete{others}",
        evidence=evidence,
        assumed=anchor_assumed,
        missing=(f"{name}{where} ({record_kind} list not known to be complete)",),
    )


# leaves only: every container kind is evaluated by its registered rule (``_eval_container``)
EVALUATORS: dict[str, Evaluator] = {
    "comparison": _eval_comparison,
    "range": _eval_range,
    "reference_multiple": _eval_reference_multiple,
    "presence": _eval_presence,
    "demographic": _eval_demographic,
    "not_computable": _eval_not_computable,
    "unparsed": _eval_unparsed,
}

"""The evaluation rules of each leaf as data: what a leaf needs from a patient's record and how it is decided.

:func:`plan_for` turns an IR leaf into a frozen plan once per evaluation context (the index date, the look-back and
the lexicon are fixed there): the variable and its LOINC codes, the thresholds in their units, the unit conversion,
the look-back and the selection policy, the source of a reference limit, the code sets and statuses of a presence,
the time window, the age unit. The Python engine reads plans (:mod:`criteria_nlp.evaluate.measurements`,
:mod:`~criteria_nlp.evaluate.presence`, :mod:`~criteria_nlp.evaluate.demographics`); another backend (SQL) reads the
same plans instead of the IR, so that the rules are written once.

A leaf that no patient data can decide as written (an unknown variable, a unit that is not a duration) plans to a
:class:`Review`: its outcome is UNKNOWN for every patient, with the reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any, Literal, Protocol

from criteria_nlp.errors import CriteriaEvaluationError
from criteria_nlp.evaluate.dates import window_duration
from criteria_nlp.evaluate.defined_by import definition_of

# Lookback and Window are read from here by the engines (re-exported)
from criteria_nlp.evaluate.lookback import Lookback as Lookback
from criteria_nlp.evaluate.lookback import Window as Window
from criteria_nlp.evaluate.lookback import lookback_of, window_dates
from criteria_nlp.evaluate.qualifiers import (
    default_window,
    history_qualifiers,
    names_a_past_form,
    new_qualifier,
    state_words,
    window_reading,
)
from criteria_nlp.evaluate.wording import fmt, interval_text
from criteria_nlp.ir import (
    Comparison,
    ConceptRef,
    Demographic,
    Node,
    Presence,
    Quantity,
    Range,
    ReferenceMultiple,
    TemporalWindow,
    VariableRef,
)
from criteria_nlp.knowledge.drug_classes import drug_class
from criteria_nlp.knowledge.durations import Duration
from criteria_nlp.knowledge.lexicon import Concept, Lexicon, ReferenceRange, Variable

RELATIVE_TOLERANCE = 1e-9
"""Equality and inclusive bounds tolerate this relative difference, so that a converted boundary value
(88.4 µmol/L = 1 mg/dL) still meets ``<= 1 mg/dL``."""

# FHIR status codes
IGNORED_VERIFICATION = frozenset({"refuted", "entered-in-error"})
UNCONFIRMED_VERIFICATION = frozenset({"unconfirmed", "provisional", "differential"})
INACTIVE_CONDITION = frozenset({"resolved", "inactive", "remission"})
# medication statuses (MedicationRequest, MedicationStatement, MedicationAdministration): never taken (an order not
# yet actionable or withdrawn, a statement of intent, a dose not given) is no use at all, neither current nor prior;
# "unknown" says nothing about use (unknown wherever it would decide); "on-hold" is a therapy suspended for now:
# whether the patient takes it at the index date is unknown, that it was taken before is read from its dates
NOT_TAKEN_MEDICATION = frozenset({"draft", "intended", "not-taken", "not-done", "cancelled", "entered-in-error"})
INACTIVE_MEDICATION = frozenset({"stopped", "completed"}) | NOT_TAKEN_MEDICATION
# a medication record that ends or withdraws its episode: beside a record of the same start still in time, the two
# disagree (``presence.disagreeing_records``); a draft or an intention plans the episode and disagrees with nothing
ENDING_MEDICATION = INACTIVE_MEDICATION - {"draft", "intended"}
UNKNOWN_MEDICATION = frozenset({"unknown"})
HELD_MEDICATION = frozenset({"on-hold"})

# the record kinds whose text may name a concept of a category
TEXT_MATCH_KINDS: dict[str, tuple[str, ...]] = {
    "condition": ("Condition",),
    "state": ("Condition",),
    "medication": ("Medication",),
    "procedure": ("Procedure",),
}
# the patient flag saying a kind of record is complete, and the record list's name
COMPLETENESS: dict[str, tuple[str, str]] = {
    "condition": ("conditions_complete", "condition"),
    "state": ("conditions_complete", "condition"),
    "other": ("conditions_complete", "condition"),
    "medication": ("medications_complete", "medication"),
    "procedure": ("procedures_complete", "procedure"),
}
# concepts a patient flag decides when recorded (and that a male patient cannot have)
PATIENT_FLAGS = frozenset({"pregnancy", "breastfeeding"})
# concepts only a woman can have: FALSE for a man whatever the records (childbearing potential has no code either)
FEMALE_ONLY = PATIENT_FLAGS | {"childbearing_potential"}

WORD = re.compile(r"\w+")


def holds(value: float, operator: str, limit: float) -> bool:
    """``value operator limit``, with :data:`RELATIVE_TOLERANCE` on equality and on the inclusive bounds."""
    if operator == "<":
        return value < limit and not _close(value, limit)
    if operator == "<=":
        return value <= limit or _close(value, limit)
    if operator == ">":
        return value > limit and not _close(value, limit)
    if operator == ">=":
        return value >= limit or _close(value, limit)
    if operator == "==":
        return _close(value, limit)
    if operator == "!=":
        return not _close(value, limit)
    raise CriteriaEvaluationError(f"unknown comparison operator {operator!r}")


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class Conversion:
    """``target = slope × source + offset``: conversions are affine (linear, or HbA1c's NGSP <-> IFCC)."""

    source: str
    target: str
    slope: float
    offset: float
    note: str  # what beyond the units it rests on (" (molar mass 113.1 g/mol)"), "" for none

    def apply(self, value: float) -> float:
        return self.slope * value + self.offset


@dataclass(frozen=True, slots=True)
class CodeSet:
    """The codes of a concept: SNOMED CT exactly (the lexicon lists descendants), ICD-10 by prefix or range."""

    snomed: frozenset[str]
    icd10: tuple[tuple[str, str], ...]  # (low, high) keys; a single code is (code, code), see knowledge.codes
    pattern: re.Pattern[str] | None  # the concept's names, for the text-match fallback
    word_sets: tuple[frozenset[str], ...] = ()  # the words of each name: a cheap filter before the regex

    def may_name(self, words: frozenset[str]) -> bool:
        return any(needed <= words for needed in self.word_sets)


@dataclass(frozen=True, slots=True)
class Test:
    """One comparison ``value operator limit`` with the value in ``unit``; ``assumed`` when the criterion gave no
    unit and the lexicon's canonical unit was taken."""

    operator: str
    limit: float
    unit: str | None
    assumed: bool = False


@dataclass(frozen=True, slots=True)
class Review:
    """A leaf no patient data decides as written: UNKNOWN for every patient."""

    reason: str  # the trace's sentence
    missing: tuple[str, ...] = ()
    threshold: str | None = None


@dataclass(frozen=True, slots=True)
class MeasurementPlan:
    """A comparison or range on a measured variable: every test must hold (each bound may have its own unit).

    ``conversions`` are those from the lexicon's canonical unit to each test's unit; an observation in another unit
    is converted through the context's cache, computed once per (unit, unit, variable).
    """

    variable: str
    loinc: tuple[str, ...]
    lexicon_unit: str | None
    tests: tuple[Test, ...]
    threshold: str  # the threshold as the trace shows it
    lookback: Lookback
    conversions: tuple[Conversion, ...]
    assumed_note: str | None  # why a unit was assumed


@dataclass(frozen=True, slots=True)
class ReferencePlan:
    """``variable operator factor × ULN/LLN``: the observation's own reference range first, else the lexicon's
    default range (in ``default.unit``), then marked assumed."""

    variable: str
    loinc: tuple[str, ...]
    lexicon_unit: str | None
    operator: str
    factor: float
    reference: Literal["ULN", "LLN"]
    sources: tuple[Literal["observation", "lexicon"], ...]  # where the limit is read, in order
    default: ReferenceRange | None  # the lexicon's range
    default_limit: float | None  # ULN or LLN of the lexicon's range (None when it has none)
    default_unit: str | None  # the lexicon range's unit, normalised
    threshold: str
    lookback: Lookback


@dataclass(frozen=True, slots=True)
class AgePlan:
    """Age in completed ``unit``s at the index date (``base``/``factor``: the unit's length in calendar months or
    days, from :mod:`criteria_nlp.knowledge.durations`); every test must hold."""

    unit: str  # year, month, week or day
    base: Literal["month", "day"]
    factor: float
    tests: tuple[Test, ...]
    threshold: str


@dataclass(frozen=True, slots=True)
class SexPlan:
    sex: str  # "female" or "male"


@dataclass(frozen=True, slots=True)
class PresencePlan:
    """A condition, state, medication or procedure present (in a window, or at the index date)."""

    concept: str | None  # lexicon id, None for a concept the lexicon does not know
    mention: str
    key: str  # what a patient's matches are cached under: the concept id, or the mention
    name: str  # as the trace names it
    category: str
    codes: CodeSet | None  # None: no codes, only the text of the mention
    text_pattern: re.Pattern[str] | None  # text-match fallback (a text-only match is UNKNOWN)
    text_kinds: tuple[str, ...]  # record kinds whose text is compared
    window: Window | None
    historical: bool  # a "history of" qualifier: any record up to the index date
    active_at_latest: bool  # no window and not historical: the record must be active at the index date
    ignored_verification: frozenset[str]
    unconfirmed_verification: frozenset[str]
    inactive_condition: frozenset[str]
    inactive_medication: frozenset[str]
    patient_flag: Literal["pregnant", "breastfeeding"] | None  # a patient flag that decides when recorded
    not_applicable_to: str | None  # a sex for which the concept is FALSE ("male" for pregnancy)
    complete_flag: str  # the Patient flag that makes absence FALSE
    record_list: str  # "condition", "medication", "procedure"
    # the terminology layer (knowledge.terminology): records whose ids (from codes, else from display text) are
    # this id or lie under it match too; set for every concept, and the only way to match a namespaced id
    # ("mesh:D001749"), for which ``concept`` stays None and ``codes`` None
    term_id: str | None = None
    # the criterion names something narrower than its id ("pontine glioma" read as Glioma): a record of the id can
    # never make the leaf TRUE, only UNKNOWN; ``narrower_words`` are the words the id leaves out
    broader: bool = False
    narrower_words: tuple[str, ...] = ()
    # codes of the concept naming a past, latent or inactive form (Z22.7 latent tuberculosis), left out of ``codes``
    # for a presence at the index date: a record with one is an unsure match (UNKNOWN), never TRUE
    past_form_codes: CodeSet | None = None
    # how a window reads a condition's record (medications and states are read by their span, procedures by their
    # date): "span" (a lasting condition: the span overlaps the window), "onset" (an event, or a criterion asking
    # when it began: the onset falls in the window), "either" (a condition of unsure kind: decided only where both
    # readings agree); see ``corpora/lexicon/evaluation-condition-kinds.tsv``
    window_reads: Literal["span", "onset", "either"] = "span"
    # a "new" qualifier ("newly diagnosed") with no window stated and no default: a record can make the leaf at most
    # UNKNOWN (``broader`` is then set too), the qualifier as written for the trace
    new_unstated: str | None = None
    # medication statuses (see NOT_TAKEN_MEDICATION): never taken, unknown use, held at the index date
    not_taken_medication: frozenset[str] = NOT_TAKEN_MEDICATION
    unknown_medication: frozenset[str] = UNKNOWN_MEDICATION
    ending_medication: frozenset[str] = ENDING_MEDICATION
    held_medication: frozenset[str] = HELD_MEDICATION
    # a condition or state the lexicon gives no code (childbearing potential): only a record's text could name it,
    # so a record list marked complete does not show it absent
    uncoded: bool = False
    # a condition a measurement defines (evaluation-measured-conditions.tsv: fever, temperature >= 38 degC): no
    # record of it is no absence while the most recent value meets the definition (UNKNOWN, for review)
    measured: MeasurementPlan | None = None
    # a concept a drug of its class shows too (chemotherapy: gemcitabine on the medication list, drug_classes.tsv):
    # its absence needs this Patient flag as well (the medication list complete)
    also_complete: str | None = None


Plan = MeasurementPlan | ReferencePlan | AgePlan | SexPlan | PresencePlan | Review


class PlanContext(Protocol):
    """What planning reads from an evaluation context (:class:`criteria_nlp.evaluate.context.EvaluationContext`)."""

    index_date: date
    lookback_months: int
    lookback_start: date
    lexicon: Lexicon
    assume_default_ranges: bool

    plans: dict[int, tuple[Node, Plan]]

    def conversion(self, source: str, target: str, variable: Variable | None) -> Conversion | str: ...

    def normalized_unit(self, unit: str) -> str | None: ...

    def concept_codes(self, concept: Concept) -> CodeSet: ...


def split_past_forms(codes: CodeSet) -> tuple[CodeSet, CodeSet | None]:
    """(the concept's codes without those naming a past, latent or inactive form, those codes or None): see
    :mod:`criteria_nlp.evaluate.qualifiers`."""
    snomed = frozenset(code for code in codes.snomed if names_a_past_form("snomed", code))
    icd10 = tuple((low, high) for low, high in codes.icd10 if low == high and names_a_past_form("icd10", low))
    if not snomed and not icd10:
        return codes, None
    now = replace(codes, snomed=codes.snomed - snomed, icd10=tuple(e for e in codes.icd10 if e not in icd10))
    return now, CodeSet(snomed, icd10, None)


_PLAN_CACHE_LIMIT = 50_000


def plan_for(node: Node, context: PlanContext) -> Plan:
    """The plan of a leaf, made once per node and context (the node is kept, so that its id is not reused)."""
    cached = context.plans.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    planner = PLANNERS.get(node.kind)
    if planner is None:
        raise CriteriaEvaluationError(
            f"no plan for node kind {node.kind!r}", start=node.span.start, expected=sorted(PLANNERS)
        )
    if len(context.plans) > _PLAN_CACHE_LIMIT:
        context.plans.clear()
    plan = planner(node, context)
    context.plans[id(node)] = (node, plan)
    return plan


# --- measurements -------------------------------------------------------------------------------------------------


def _variable(ref: VariableRef, context: PlanContext) -> Variable | Review:
    if ref.id is None:
        return Review(
            f"{ref.mention!r} is not a variable the lexicon knows, so no data can be matched: needs review",
            (f"review: unknown variable {ref.mention!r}",),
        )
    variable = context.lexicon.variables.get(ref.id)
    if variable is None:
        return Review(
            f"variable id {ref.id!r} is not in the lexicon: needs review", (f"review: unknown variable id {ref.id!r}",)
        )
    return variable


def _threshold_unit(quantity: Quantity, variable: Variable, context: PlanContext) -> tuple[str | None, bool] | str:
    """The normalised unit of a threshold, whether it was assumed, or why it is unusable."""
    if quantity.unit_normalized:
        return quantity.unit_normalized, False
    if quantity.unit:
        normalized = context.normalized_unit(quantity.unit)
        if normalized is None:
            return f"the threshold's unit {quantity.unit!r} is not known"
        return normalized, False
    return variable.unit, variable.unit is not None


def _measurement(
    variable: Variable,
    bounds: list[tuple[str, Quantity]],
    threshold: str,
    context: PlanContext,
    window: TemporalWindow | None = None,
) -> MeasurementPlan | Review:
    lookback = lookback_of(context, window)
    if isinstance(lookback, str):
        return Review(f"{lookback}: needs review", threshold=threshold)
    tests: list[Test] = []
    for operator, quantity in bounds:
        unit = _threshold_unit(quantity, variable, context)
        if isinstance(unit, str):
            return Review(f"{unit}: needs review", threshold=threshold)
        tests.append(Test(operator, quantity.value, unit[0], unit[1]))
    conversions = []
    for target in dict.fromkeys(test.unit for test in tests):
        if variable.unit is not None and target is not None and target != variable.unit:
            conversion = context.conversion(variable.unit, target, variable)
            if isinstance(conversion, Conversion):
                conversions.append(conversion)
    assumed = any(test.assumed for test in tests)
    return MeasurementPlan(
        variable=variable.id,
        loinc=variable.loinc,
        lexicon_unit=variable.unit,
        tests=tuple(tests),
        threshold=threshold,
        lookback=lookback,
        conversions=tuple(conversions),
        assumed_note=f"the criterion gives no unit; the lexicon's unit {variable.unit} is assumed" if assumed else None,
    )


def _plan_comparison(node: Comparison, context: PlanContext) -> Plan:
    if node.variable.id == "age":
        duration = _age_duration(node.quantity.unit_normalized or node.quantity.unit)
        return _age(duration, [(node.operator, node.quantity.value)], f"{node.operator} {node.quantity}")
    variable = _variable(node.variable, context)
    if isinstance(variable, Review):
        return variable
    threshold = f"{node.operator} {node.quantity}"
    plan = _measurement(variable, [(node.operator, node.quantity)], threshold, context, node.window)
    if isinstance(plan, MeasurementPlan) and plan.tests[0].assumed:
        return replace(plan, threshold=f"{node.operator} {fmt(node.quantity.value)} {plan.tests[0].unit}")
    return plan


def _plan_range(node: Range, context: PlanContext) -> Plan:
    variable = _variable(node.variable, context)
    if isinstance(variable, Review):
        return variable
    bounds = [(">=" if node.low_inclusive else ">", q) for q in (node.low,) if q is not None]
    bounds += [("<=" if node.high_inclusive else "<", q) for q in (node.high,) if q is not None]
    threshold = f"in {interval_text(node.low, node.low_inclusive, node.high, node.high_inclusive)}"
    return _measurement(variable, bounds, threshold, context, node.window)


def _plan_reference_multiple(node: ReferenceMultiple, context: PlanContext) -> Plan:
    variable = _variable(node.variable, context)
    if isinstance(variable, Review):
        return variable
    threshold = f"{node.operator} {fmt(node.factor)} × {node.reference}"
    lookback = lookback_of(context, node.window)
    if isinstance(lookback, str):
        return Review(f"{lookback}: needs review", threshold=threshold)
    default = variable.reference
    limit = None
    if default is not None:
        limit = default.high if node.reference == "ULN" else default.low
    return ReferencePlan(
        variable=variable.id,
        loinc=variable.loinc,
        lexicon_unit=variable.unit,
        operator=node.operator,
        factor=node.factor,
        reference=node.reference,
        sources=("observation", "lexicon") if limit is not None and context.assume_default_ranges else ("observation",),
        default=default,
        default_limit=limit,
        default_unit=context.normalized_unit(default.unit) if default is not None and default.unit else None,
        threshold=threshold,
        lookback=lookback,
    )


# --- demographics -------------------------------------------------------------------------------------------------


def _age_duration(unit: str | None) -> Duration | None:
    """Ages are counted in completed years (the default), months, weeks or days."""
    duration = window_duration(unit or "year")
    return duration if duration is not None and duration.name in ("year", "month", "week", "day") else None


def _age(duration: Duration | None, tests: list[tuple[str, float]], threshold: str) -> AgePlan | Review:
    if duration is None:
        return Review("the age criterion's unit is not a duration: needs review")
    return AgePlan(
        unit=duration.name,
        base=duration.base,
        factor=duration.factor,
        tests=tuple(Test(operator, limit, duration.name) for operator, limit in tests),
        threshold=threshold,
    )


def _plan_demographic(node: Demographic, context: PlanContext) -> Plan:
    if node.attribute == "sex":
        if node.sex is None:
            return Review("the criterion names no sex: needs review")
        return SexPlan(node.sex)
    tests = [(">=" if node.low_inclusive else ">", node.low)] if node.low is not None else []
    tests += [("<=" if node.high_inclusive else "<", node.high)] if node.high is not None else []
    duration = _age_duration(node.unit)
    interval = interval_text(node.low, node.low_inclusive, node.high, node.high_inclusive)
    return _age(duration, tests, f"in {interval} {duration.name if duration else node.unit}s")


# --- presence -----------------------------------------------------------------------------------------------------


@cache
def _mention_pattern(mention: str) -> re.Pattern[str] | None:
    if len(mention) < 4:
        return None
    return re.compile(r"\b" + re.escape(mention.lower()) + r"\b")


def _plan_presence(node: Presence, context: PlanContext) -> Plan:
    ref = node.concept
    concept: Concept | None = None
    if ref.id is not None:
        concept = context.lexicon.concepts.get(ref.id)
        if concept is None and not is_term_id(ref.id):
            return Review(
                f"concept id {ref.id!r} is not in the lexicon: needs review", (f"review: unknown concept {ref.id!r}",)
            )
    new = new_qualifier(ref.qualifiers)
    window = window_dates(node.window or default_window(new, node.span), context)
    if isinstance(window, str):
        return Review(f"{window}: needs review")
    new_unstated = new[0] if new is not None and window is None else None
    historical = any(q.lower() in history_qualifiers() for q in ref.qualifiers)
    codes = context.concept_codes(concept) if concept is not None else None
    past_forms = None
    if codes is not None and not historical:
        codes, past_forms = split_past_forms(codes)
    states = state_words(ref.qualifiers)
    broader = ref.broader or bool(states) or new_unstated is not None
    category = concept.category if concept is not None else ref.category
    complete_flag, record_list = COMPLETENESS[category if category in COMPLETENESS else "condition"]
    classed = concept is not None and category != "medication" and drug_class(concept.id) is not None
    flagged = ref.id in PATIENT_FLAGS
    term = ref.id if concept is not None or (ref.id is not None and is_term_id(ref.id)) else None
    return PresencePlan(
        concept=concept.id if concept is not None else None,
        mention=ref.mention,
        # a concept whose past forms are left out matches other records than the same concept with them
        key=(concept.id + ("@now" if past_forms is not None else ""))
        if concept is not None
        else (term or f"mention:{ref.mention.lower()}"),
        name=concept.name.lower() if concept is not None else (f"{ref.mention} ({term})" if term else ref.mention),
        category=category,
        codes=codes,
        text_pattern=codes.pattern if codes is not None else _mention_pattern(ref.mention),
        text_kinds=TEXT_MATCH_KINDS.get(category, ("Condition",)),
        window=window,
        historical=historical,
        active_at_latest=window is None and not historical,
        ignored_verification=IGNORED_VERIFICATION,
        unconfirmed_verification=UNCONFIRMED_VERIFICATION,
        inactive_condition=INACTIVE_CONDITION,
        inactive_medication=INACTIVE_MEDICATION,
        patient_flag=("pregnant" if ref.id == "pregnancy" else "breastfeeding") if flagged and window is None else None,
        not_applicable_to="male" if ref.id in FEMALE_ONLY else None,
        complete_flag=complete_flag,
        record_list=f"{record_list} and medication" if classed else record_list,
        also_complete="medications_complete" if classed else None,
        term_id=term,
        broader=broader,
        narrower_words=tuple(dict.fromkeys((*(_narrower_words(ref) if ref.broader else ()), *states))),
        past_form_codes=past_forms,
        window_reads=window_reading(ref.qualifiers, category, concept.id if concept else None) if window else "span",
        new_unstated=new_unstated,
        uncoded=codes is not None and not codes.snomed and not codes.icd10 and category in ("condition", "state"),
        measured=_defined_by_measurement(node, context),
    )


def _defined_by_measurement(node: Presence, context: PlanContext) -> MeasurementPlan | None:
    """The definition of a condition a measurement defines, as a measurement plan on the presence's window when
    it ends at the index date (the default look-back without one); None for a window ending before it."""
    ref, window = node.concept, node.window
    words = ref.mention.lower().split()
    definition = definition_of((ref.id or "", " ".join(words), words[-1] if words else ""))
    if definition is None or (window is not None and (window.min_ago is not None or window.max_ago is None)):
        return None
    variable = context.lexicon.variables.get(definition.variable)
    if variable is None:
        return None
    limit = Quantity(value=definition.limit, unit=definition.unit)
    threshold = f"{definition.operator} {fmt(definition.limit)} {definition.unit}"
    plan = _measurement(variable, [(definition.operator, limit)], threshold, context, window)
    return plan if isinstance(plan, MeasurementPlan) else None


def is_term_id(concept_id: str) -> bool:
    """A namespaced id of the generated terminology ("mesh:D001749", "icd10cm:E11.9", "drugbank:DB00331")."""
    return ":" in concept_id


def _narrower_words(ref: ConceptRef) -> tuple[str, ...]:
    """The words of a broader mention its id leaves out: the qualifiers that are words of the mention, else its
    detail ("that required steroids")."""
    words = set(ref.mention.lower().split())
    found = tuple(q for q in ref.qualifiers if q in words)
    return found or ((ref.detail,) if ref.detail else ())


Planner = Callable[[Any, PlanContext], Plan]
PLANNERS: dict[str, Planner] = {
    "comparison": _plan_comparison,
    "range": _plan_range,
    "reference_multiple": _plan_reference_multiple,
    "demographic": _plan_demographic,
    "presence": _plan_presence,
}

"""Screen patients against a parsed protocol: a decision per patient, with the reasons and the data still needed.

Decision rules (three-valued, per criterion; an exclusion criterion's expression describes what excludes):

* **ineligible** if any inclusion criterion is FALSE or any exclusion criterion is TRUE;
* **eligible** if every inclusion criterion is TRUE, every exclusion criterion is FALSE and no criterion of an
  unknown section is present;
* **needs_review** otherwise, listing the criteria that are unknown, the data that would decide them
  (``missing_data``) and the criteria no patient data can decide (``not_computable``: consent, judgement).
  By default this includes a patient for whom only not-computable criteria remain; ``defer_not_computable=True``
  calls such a patient eligible, with those criteria listed for confirmation at enrolment.

A criterion whose section is "unknown" (the segmenter could not tell) cannot make a patient ineligible, nor let one be
eligible: whatever its outcome, it sends an otherwise eligible patient to review, with a warning.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.evaluate import EvaluationContext, PatientIndex, evaluate, parse_index_date
from criteria_nlp.explain import TraceNode, outcome_word, render_html, render_json, render_text
from criteria_nlp.ir import (
    KINDS,
    CriteriaDocument,
    Criterion,
    NotComputable,
    Section,
    Truth,
    UnknownKindError,
    Unparsed,
    walk,
)
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.sources.patient import Patient

Decision = Literal["eligible", "ineligible", "needs_review"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CriterionResult(_Frozen):
    """One criterion for one patient. ``met`` reads the outcome against the section: an exclusion that is FALSE is
    met (the patient is not excluded by it); None when unknown."""

    criterion_id: str
    section: Section
    label: str | None
    text: str
    outcome: Truth
    met: bool | None
    trace: TraceNode


class ScreeningResult(_Frozen):
    patient_id: str
    source: str | None = None
    index_date: date
    lookback_months: int
    decision: Decision
    reasons: tuple[str, ...]
    criteria: tuple[CriterionResult, ...]
    unknown: tuple[str, ...]
    missing_data: tuple[str, ...]
    not_computable: tuple[str, ...]
    warnings: tuple[str, ...]

    def explain(self, *, colour: bool = False, width: int | None = None, evidence: bool = True) -> str:
        """The decision, one line per criterion, then the evidence tree behind each criterion."""
        lines = [f"patient {self.patient_id}: {self.decision} (index date {self.index_date})"]
        lines.extend(f"  reason: {reason}" for reason in self.reasons)
        lines.extend(f"  missing: {item}" for item in self.missing_data)
        lines.extend(f"  not computable: {item}" for item in self.not_computable)
        lines.extend(f"  warning: {item}" for item in self.warnings)
        lines.append("")
        for result in self.criteria:
            met = {True: "met", False: "NOT met", None: "undecided"}[result.met]
            lines.append(
                f"{result.section} {result.label or result.criterion_id}: "
                f"{outcome_word(result.outcome, colour)} ({met}) — {result.text}"
            )
        for result in self.criteria:
            lines.append("")
            lines.append(f"[{result.section} {result.label or result.criterion_id}] {result.text}")
            lines.append(render_text(result.trace, colour=colour, width=width, evidence=evidence))
        return "\n".join(lines)

    def to_json(self, *, indent: int | None = 2) -> str:
        return self.model_dump_json(indent=indent)

    def to_html(self) -> str:
        traces = [result.trace for result in self.criteria]
        return render_html(traces, title=f"Patient {self.patient_id}: {self.decision}")

    def traces_json(self) -> str:
        return render_json([result.trace for result in self.criteria])


def _criterion_name(criterion: Criterion) -> str:
    return f"{criterion.section} {criterion.label or criterion.id}"


def _met(section: Section, outcome: Truth) -> bool | None:
    if outcome is Truth.UNKNOWN or section == "unknown":
        return None if outcome is Truth.UNKNOWN else outcome is Truth.TRUE
    return (outcome is Truth.TRUE) if section == "inclusion" else (outcome is Truth.FALSE)


def deciding_leaves(trace: TraceNode) -> list[TraceNode]:
    """The leaves that decided a node's outcome: for a false ``all`` its false children, for a true ``any`` its
    true children, through ``not`` to the child, and every child where all of them count (the node kind says
    which, see :mod:`criteria_nlp.ir.kinds`)."""
    if not trace.children:
        return [trace]
    kind = KINDS.get(trace.kind)
    if kind is None or kind.deciding is None:
        raise UnknownKindError(f"a trace of kind {trace.kind!r} has children but no rule for which decided it")
    outcomes = [child.outcome for child in trace.children]
    chosen = [trace.children[i] for i in kind.deciding(trace.outcome, outcomes)]
    return [leaf for child in chosen for leaf in deciding_leaves(child)]


def _reason(trace: TraceNode) -> str:
    return "; ".join(dict.fromkeys(leaf.sentence for leaf in deciding_leaves(trace)))


def require_criteria(doc: CriteriaDocument) -> None:
    """A protocol without criteria decides nothing: screening it is an error, never "eligible" for everyone."""
    if not doc.criteria:
        where = f"{doc.source}: " if doc.source else ""
        raise CriteriaInputError(
            f"{where}the protocol holds no eligibility criteria (empty, or section headers only); nothing to screen",
            expected=["criteria under an Inclusion or Exclusion header"],
        )


def screen(
    doc: CriteriaDocument,
    patient: Patient,
    *,
    index_date: date | str | None = None,
    lookback_months: int = 12,
    lexicon: Lexicon | None = None,
    context: EvaluationContext | None = None,
    defer_not_computable: bool = False,
    assume_default_ranges: bool = False,
) -> ScreeningResult:
    """Evaluate every criterion of ``doc`` for ``patient`` and decide (see the module docstring for the rules).

    ``assume_default_ranges=True`` lets a "k × ULN" threshold use the lexicon's default reference range when the
    observation carries none (marked assumed in the trace); by default such a threshold is unknown.
    ``defer_not_computable=True`` lets a patient be eligible while criteria that are wholly not computable
    (consent, willingness: the whole expression is one ``not_computable`` node) remain; they are still listed in
    ``not_computable`` and in the reasons, for confirmation at enrolment.
    """
    require_criteria(doc)
    ctx = context if context is not None else _context(index_date, lookback_months, lexicon, assume_default_ranges)
    index = PatientIndex(patient, ctx.lexicon)
    results: list[CriterionResult] = []
    for criterion in doc.criteria:
        trace = evaluate(criterion.expression, index, ctx)
        results.append(
            CriterionResult(
                criterion_id=criterion.id,
                section=criterion.section,
                label=criterion.label,
                text=criterion.text,
                outcome=trace.outcome,
                met=_met(criterion.section, trace.outcome),
                trace=trace,
            )
        )
    return _decide(doc, patient, ctx, results, defer_not_computable)


def _decide(
    doc: CriteriaDocument,
    patient: Patient,
    ctx: EvaluationContext,
    results: list[CriterionResult],
    defer_not_computable: bool,
) -> ScreeningResult:
    reasons: list[str] = []
    unknown: list[str] = []
    missing: list[str] = []
    not_computable: list[str] = []
    warnings = list(patient.warnings)
    deferred: list[str] = []
    failed = False
    undecided = False
    for criterion, result in zip(doc.criteria, results, strict=True):
        name = _criterion_name(criterion)
        if result.outcome is Truth.UNKNOWN:
            if defer_not_computable and isinstance(criterion.expression, NotComputable):
                deferred.append(name)
            else:
                undecided = True
            unknown.append(name)
            kinds = {node.kind for node in walk(criterion.expression)}
            if kinds & {"not_computable", "unparsed"}:
                categories = [
                    node.category if isinstance(node, NotComputable) else "unparsed"
                    for node in walk(criterion.expression)
                    if isinstance(node, NotComputable | Unparsed)
                ]
                not_computable.append(f"{name} ({', '.join(dict.fromkeys(categories))}): {criterion.text}")
            for node in result.trace.walk():
                if node.outcome is Truth.UNKNOWN and not node.children:
                    missing.extend(m for m in node.missing if not m.startswith("review:"))
            continue
        if criterion.section == "unknown":
            undecided = True
            unknown.append(name)
            warnings.append(f"{name} has no known section (inclusion or exclusion); its outcome needs review")
            continue
        if result.met is False:
            failed = True
            reasons.append(f"{name} is {result.outcome.value}: {_reason(result.trace)} ({criterion.text})")
    deceased = deceased_reason(patient, ctx.index_date)
    if deceased is not None:
        reasons.insert(0, deceased)
        failed = True
    decision: Decision = "ineligible" if failed else ("needs_review" if undecided else "eligible")
    if decision == "needs_review":
        reasons.extend(f"{name} is unknown" for name in unknown)
    elif decision == "eligible" and deferred:
        reasons.extend(f"{name} is not computable: to be confirmed at enrolment" for name in deferred)
    return ScreeningResult(
        patient_id=patient.id,
        source=patient.source,
        index_date=ctx.index_date,
        lookback_months=ctx.lookback_months,
        decision=decision,
        reasons=tuple(reasons),
        criteria=tuple(results),
        unknown=tuple(unknown),
        missing_data=tuple(dict.fromkeys(missing)),
        not_computable=tuple(not_computable),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def deceased_reason(patient: Patient, index_date: date) -> str | None:
    """Why a patient who died on or before the index date is never eligible, or None (the matcher applies it too).
    A date of death without ``deceased`` is a death (as FHIR's ``deceasedDateTime``); ``deceased=False`` is not."""
    if not patient.deceased and (patient.deceased is False or patient.deceased_date is None):
        return None
    if patient.deceased_date is not None and patient.deceased_date > index_date:
        return None
    when = f" on {patient.deceased_date}" if patient.deceased_date is not None else ""
    return f"the patient is recorded as deceased{when}: never eligible"


def _context(
    index_date: date | str | None, lookback_months: int, lexicon: Lexicon | None, assume_default_ranges: bool
) -> EvaluationContext:
    if isinstance(index_date, datetime):
        day = index_date.date()
    elif isinstance(index_date, date):
        day = index_date
    elif isinstance(index_date, str):
        day = parse_index_date(index_date)
    else:
        day = date.today()
    if lexicon is None:
        return EvaluationContext(
            index_date=day, lookback_months=lookback_months, assume_default_ranges=assume_default_ranges
        )
    return EvaluationContext(
        index_date=day, lookback_months=lookback_months, lexicon=lexicon, assume_default_ranges=assume_default_ranges
    )


def screen_many(
    doc: CriteriaDocument,
    patients: Iterable[Patient],
    *,
    index_date: date | str | None = None,
    lookback_months: int = 12,
    lexicon: Lexicon | None = None,
    defer_not_computable: bool = False,
    assume_default_ranges: bool = False,
) -> Iterator[ScreeningResult]:
    """:func:`screen` for each patient, sharing one evaluation context (and its conversion caches).

    A protocol without criteria is refused here, before the first patient is read."""
    require_criteria(doc)
    ctx = _context(index_date, lookback_months, lexicon, assume_default_ranges)
    ctx.keep_fixed_traces = True  # one context for every patient: traces no patient data changes are made once
    return (screen(doc, patient, context=ctx, defer_not_computable=defer_not_computable) for patient in patients)

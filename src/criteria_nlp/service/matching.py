"""One patient against a library of trials: a decision per trial, ranked, with the criteria that decided each.

Ranking: eligible trials first, then those that need review by the share of their criteria the patient meets
(higher first) and the number left unknown (fewer first), then ineligible ones by the share met; ties by trial id.
The score (FHIR ``search.score``) follows the same order: 1 for eligible, 0.2-0.9 for needs_review by the share
met, 0-0.1 for ineligible.

A library repeats criteria ("Age 18 years or older", "Pregnancy"): :class:`MatchPlan` keeps each distinct expression
once, and a match evaluates each once per patient (over one index of the patient, in an evaluation context the plan
keeps per index date, so leaf plans are made once for all patients); each trial's decision then follows
:mod:`criteria_nlp.screen`'s rules, and the tests check it equals ``criteria-nlp screen``'s. Only the trials returned
are described (their deciding criteria); the rest are ranked from outcomes alone.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from criteria_nlp.errors import CriteriaError, PatientDataError
from criteria_nlp.evaluate import EvaluationContext, PatientIndex, evaluate, parse_index_date
from criteria_nlp.explain import TraceNode
from criteria_nlp.ir import CriteriaDocument, Criterion, Truth
from criteria_nlp.screen import Decision, deceased_reason, deciding_leaves
from criteria_nlp.service.library import Trial
from criteria_nlp.sources import Patient, load_patient

_GROUP: dict[str, int] = {"eligible": 0, "needs_review": 1, "ineligible": 2}
_SLICE = 200  # pool criteria evaluated between two looks at the deadline
_CONTEXTS = 4  # evaluation contexts (index date, look-back) a plan keeps, with their leaf plans


class TimeBudgetExceeded(CriteriaError):
    """A request's computation ran past its time budget."""


class PatientTooLarge(PatientDataError):
    """Patient data with more records than the service accepts."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DecidingCriterion(_Frozen):
    """A criterion that decided a trial's outcome: not met (ineligible), unknown (needs_review) or met (eligible)."""

    criterion_id: str
    section: Literal["inclusion", "exclusion", "unknown"]
    label: str | None
    text: str
    outcome: Truth
    met: bool | None
    reason: str = Field(description="the evaluation's sentences for the leaves that decided the criterion")
    missing: tuple[str, ...] = Field(default=(), description="data that would decide an unknown criterion")


class MatchCounts(_Frozen):
    criteria: int
    met: int
    not_met: int
    unknown: int


class TrialMatch(_Frozen):
    trial_id: str
    title: str
    rank: int = Field(ge=1)
    score: float = Field(ge=0, le=1, description="1 eligible; 0.2-0.9 needs_review by share met; 0-0.1 ineligible")
    decision: Decision
    counts: MatchCounts
    share_met: float = Field(ge=0, le=1)
    deciding: tuple[DecidingCriterion, ...]


class MatchResult(_Frozen):
    patient_id: str
    index_date: date
    trials_searched: int
    matches: tuple[TrialMatch, ...]
    reasons: tuple[str, ...] = ()  # what decides every trial at once (a patient deceased at the index date)


def read_patient(data: Mapping[str, Any], *, max_entries: int) -> Patient:
    """A patient from a FHIR R4 Bundle or the library's own JSON, refusing more than ``max_entries`` records."""
    entries = patient_size(data)
    if entries > max_entries:
        raise PatientTooLarge(f"the patient has {entries} records; the limit is {max_entries}", expected=["fewer"])
    return load_patient(data)


def patient_size(data: Mapping[str, Any]) -> int:
    """Entries of a Bundle, or the records of every list in the library's own JSON."""
    if data.get("resourceType") == "Bundle":
        entries = data.get("entry")
        return len(entries) if isinstance(entries, list) else 0
    return sum(len(value) for value in data.values() if isinstance(value, list))


@dataclass(frozen=True)
class MatchPlan:
    """A library prepared for matching: its distinct criterion expressions in one pool document (evaluated once per
    patient, however many trials share them) and each trial's criteria as positions in that pool."""

    pool: CriteriaDocument
    trials: tuple[tuple[Trial, tuple[int, ...]], ...]
    _contexts: dict[tuple[date, int], EvaluationContext] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def context(self, index_date: date, lookback_months: int) -> EvaluationContext:
        """The evaluation context of an index date and look-back, kept with the plan: the pool's leaf plans (the
        lexicon and unit look-ups) are then made once for every patient matched at that date, not once per patient."""
        key = (index_date, lookback_months)
        found = self._contexts.get(key)
        if found is None:
            if len(self._contexts) >= _CONTEXTS:
                self._contexts.clear()
            found = EvaluationContext(index_date=index_date, lookback_months=lookback_months, keep_fixed_traces=True)
            self._contexts[key] = found
        return found

    @classmethod
    def of(cls, trials: Sequence[Trial]) -> MatchPlan:
        positions: dict[str, int] = {}
        pool: list[Criterion] = []
        rows: list[tuple[Trial, tuple[int, ...]]] = []
        for trial in trials:
            indexes: list[int] = []
            for criterion in trial.document.criteria:
                key = _expression_key(criterion)
                if key not in positions:
                    positions[key] = len(pool)
                    pool.append(criterion.model_copy(update={"id": f"pool-{len(pool)}", "section": "inclusion"}))
                indexes.append(positions[key])
            rows.append((trial, tuple(indexes)))
        return cls(pool=CriteriaDocument(text="", criteria=tuple(pool)), trials=tuple(rows))


def _expression_key(criterion: Criterion) -> str:
    """The expression without its spans: the same criterion at another place in another protocol evaluates alike."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "span"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return json.dumps(strip(criterion.expression.model_dump(mode="json")), sort_keys=True)


def match_patient(
    patient: Patient,
    plan: MatchPlan,
    *,
    index_date: date | str | None = None,
    lookback_months: int = 12,
    limit: int = 20,
    deadline: float | None = None,
) -> MatchResult:
    """Screen ``patient`` against every trial of ``plan`` and rank them; ``deadline`` is a :func:`time.monotonic`
    time. Each distinct expression is evaluated once, as :func:`criteria_nlp.screen.screen` evaluates it; each
    trial's decision follows the rules of :mod:`criteria_nlp.screen` (tests check that it equals ``screen``'s)."""
    day = parse_index_date(index_date) if isinstance(index_date, str) else index_date
    context = plan.context(day or date.today(), lookback_months)
    deceased = deceased_reason(patient, context.index_date)
    with _without_cycle_collection():
        pool = _evaluate_pool(plan.pool, patient, context, deadline)
        matches = _ranked(plan, pool, limit, never_eligible=deceased is not None)
    return MatchResult(
        patient_id=patient.id,
        index_date=context.index_date,
        trials_searched=len(plan.trials),
        matches=matches,
        reasons=(deceased,) if deceased is not None else (),
    )


def _ranked(
    plan: MatchPlan, pool: Sequence[TraceNode], limit: int, *, never_eligible: bool = False
) -> tuple[TrialMatch, ...]:
    """Every trial decided and counted from the pool's outcomes (all ineligible when ``never_eligible``: screen's
    rule for a patient deceased at the index date); the first ``limit`` described."""
    outcomes = [trace.outcome for trace in pool]
    scored: list[tuple[tuple[int, float, int, str], Trial, tuple[int, ...], Decision, MatchCounts]] = []
    for trial, indexes in plan.trials:
        rows = [(c.section, outcomes[i]) for c, i in zip(trial.document.criteria, indexes, strict=True)]
        met = [met_of(section, outcome) for section, outcome in rows]
        decision: Decision = "ineligible" if never_eligible else _decision(rows, met)
        counts = _counts(met)
        share = counts.met / counts.criteria if counts.criteria else 0.0
        scored.append(((_GROUP[decision], -share, counts.unknown, trial.id), trial, indexes, decision, counts))
    scored.sort(key=lambda item: item[0])
    return tuple(
        _trial_match(rank, trial, decision, counts, [pool[i] for i in indexes])
        for rank, (_, trial, indexes, decision, counts) in enumerate(scored[:limit], start=1)
    )


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The cycle collector paused while a patient is matched: that allocates some 100,000 trace objects per patient
    and no reference cycles, yet the allocations trigger full collections, each scanning the whole process (the
    parsed library, the spaCy pipeline): two per patient over the 1,000 Chia trials, costing more CPU than the
    evaluation itself. The traces are freed by reference counting when the match ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _evaluate_pool(
    pool: CriteriaDocument, patient: Patient, context: EvaluationContext, deadline: float | None
) -> list[TraceNode]:
    """Every pool criterion's trace, over one index of the patient, in slices so that the deadline is checked as it
    goes."""
    index = PatientIndex(patient, context.lexicon)
    criteria = pool.criteria
    traces: list[TraceNode] = []
    for start in range(0, len(criteria), _SLICE):
        if deadline is not None and time.monotonic() > deadline:
            raise TimeBudgetExceeded(f"matching stopped after {start} of {len(criteria)} distinct criteria")
        traces.extend(evaluate(criterion.expression, index, context) for criterion in criteria[start : start + _SLICE])
    return traces


def met_of(section: str, outcome: Truth) -> bool | None:
    """Whether the patient meets a criterion: an inclusion TRUE, an exclusion FALSE (as :mod:`criteria_nlp.screen`)."""
    if outcome is Truth.UNKNOWN:
        return None
    if section == "unknown":
        return outcome is Truth.TRUE
    return (outcome is Truth.TRUE) if section == "inclusion" else (outcome is Truth.FALSE)


def _decision(rows: Sequence[tuple[str, Truth]], met: Sequence[bool | None]) -> Decision:
    """:mod:`criteria_nlp.screen`'s rules: ineligible when a criterion of a known section is decided and not met;
    else needs_review when one is unknown or of an unknown section; else eligible."""
    known = [i for i, (section, outcome) in enumerate(rows) if outcome is not Truth.UNKNOWN and section != "unknown"]
    if any(met[i] is False for i in known):
        return "ineligible"
    return "needs_review" if len(known) < len(rows) else "eligible"


def _counts(met: Sequence[bool | None]) -> MatchCounts:
    met_count = sum(1 for item in met if item is True)
    not_met = sum(1 for item in met if item is False)
    return MatchCounts(criteria=len(met), met=met_count, not_met=not_met, unknown=len(met) - met_count - not_met)


def score_of(decision: Decision, share_met: float) -> float:
    if decision == "eligible":
        return 1.0
    if decision == "needs_review":
        return round(0.2 + 0.7 * share_met, 4)
    return round(0.1 * share_met, 4)


def _trial_match(
    rank: int, trial: Trial, decision: Decision, counts: MatchCounts, traces: Sequence[TraceNode]
) -> TrialMatch:
    share = round(counts.met / counts.criteria, 4) if counts.criteria else 0.0
    wanted: bool | None = {"ineligible": False, "needs_review": None, "eligible": True}[decision]
    deciding = (
        _deciding(criterion, trace, met)
        for criterion, trace in zip(trial.document.criteria, traces, strict=True)
        if (met := met_of(criterion.section, trace.outcome)) is wanted
    )
    return TrialMatch(
        trial_id=trial.id,
        title=trial.title,
        rank=rank,
        score=score_of(decision, share),
        decision=decision,
        counts=counts,
        share_met=share,
        deciding=tuple(deciding),
    )


def _deciding(criterion: Criterion, trace: TraceNode, met: bool | None) -> DecidingCriterion:
    leaves = deciding_leaves(trace)
    missing = (item for leaf in trace.walk() if not leaf.children for item in leaf.missing)
    return DecidingCriterion(
        criterion_id=criterion.id,
        section=criterion.section,
        label=criterion.label,
        text=criterion.text,
        outcome=trace.outcome,
        met=met,
        reason="; ".join(dict.fromkeys(leaf.sentence for leaf in leaves)),
        missing=tuple(dict.fromkeys(missing)) if trace.outcome is Truth.UNKNOWN else (),
    )

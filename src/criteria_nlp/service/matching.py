"""One patient against a library of trials: a decision per trial, ranked, with the criteria that decided each.

Ranking: eligible trials first, then those that need review by the share of their criteria the patient meets
(higher first) and the number left unknown (fewer first), then ineligible ones by the share met; ties by trial id.
The score (FHIR ``search.score``) follows the same order: 1 for eligible, 0.2-0.9 for needs_review by the share
met, 0-0.1 for ineligible.

Each trial is screened with :func:`criteria_nlp.screen.screen`, all sharing one evaluation context, so a match gives
exactly the decisions ``criteria-nlp screen`` gives.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from criteria_nlp.errors import CriteriaError, PatientDataError
from criteria_nlp.ir import Truth
from criteria_nlp.screen import CriterionResult, Decision, ScreeningResult, deciding_leaves, screen
from criteria_nlp.service.library import Trial
from criteria_nlp.sources import Patient, load_patient

_GROUP: dict[str, int] = {"eligible": 0, "needs_review": 1, "ineligible": 2}


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


def match_patient(
    patient: Patient,
    trials: Sequence[Trial],
    *,
    index_date: date | str | None = None,
    lookback_months: int = 12,
    limit: int = 20,
    deadline: float | None = None,
) -> MatchResult:
    """Screen ``patient`` against every trial and rank them; ``deadline`` is a :func:`time.monotonic` time."""
    from criteria_nlp.evaluate import EvaluationContext, parse_index_date

    day = parse_index_date(index_date) if isinstance(index_date, str) else index_date
    context = EvaluationContext(index_date=day or date.today(), lookback_months=lookback_months)
    scored: list[tuple[tuple[int, float, int, str], Trial, ScreeningResult]] = []
    for trial in trials:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeBudgetExceeded(f"matching stopped after {len(scored)} of {len(trials)} trials")
        result = screen(trial.document, patient, context=context)
        counts = _counts(result.criteria)
        share = counts.met / counts.criteria if counts.criteria else 0.0
        scored.append(((_GROUP[result.decision], -share, counts.unknown, trial.id), trial, result))
    scored.sort(key=lambda item: item[0])
    matches = tuple(
        _trial_match(rank, trial, result) for rank, (_, trial, result) in enumerate(scored[:limit], start=1)
    )
    return MatchResult(
        patient_id=patient.id, index_date=context.index_date, trials_searched=len(trials), matches=matches
    )


def _counts(results: Sequence[CriterionResult]) -> MatchCounts:
    met = sum(1 for result in results if result.met is True)
    not_met = sum(1 for result in results if result.met is False)
    return MatchCounts(criteria=len(results), met=met, not_met=not_met, unknown=len(results) - met - not_met)


def score_of(decision: Decision, share_met: float) -> float:
    if decision == "eligible":
        return 1.0
    if decision == "needs_review":
        return round(0.2 + 0.7 * share_met, 4)
    return round(0.1 * share_met, 4)


def _trial_match(rank: int, trial: Trial, result: ScreeningResult) -> TrialMatch:
    counts = _counts(result.criteria)
    share = round(counts.met / counts.criteria, 4) if counts.criteria else 0.0
    wanted: bool | None = {"ineligible": False, "needs_review": None, "eligible": True}[result.decision]
    return TrialMatch(
        trial_id=trial.id,
        title=trial.title,
        rank=rank,
        score=score_of(result.decision, share),
        decision=result.decision,
        counts=counts,
        share_met=share,
        deciding=tuple(_deciding(item) for item in result.criteria if item.met is wanted),
    )


def _deciding(result: CriterionResult) -> DecidingCriterion:
    leaves = deciding_leaves(result.trace)
    missing = (item for leaf in result.trace.walk() if not leaf.children for item in leaf.missing)
    return DecidingCriterion(
        criterion_id=result.criterion_id,
        section=result.section,
        label=result.label,
        text=result.text,
        outcome=result.outcome,
        met=result.met,
        reason="; ".join(dict.fromkeys(leaf.sentence for leaf in leaves)),
        missing=tuple(dict.fromkeys(missing)) if result.outcome is Truth.UNKNOWN else (),
    )

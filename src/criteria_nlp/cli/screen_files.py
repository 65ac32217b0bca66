"""``screen TRIAL DIR``: each patient file read, screened and rendered on its own, in one process or in ``--jobs N``.

A file's outcome is rendered where it was screened (a table row, its JSON, its explanation): only text comes back
from a worker, and the command writes the same bytes whatever the number of processes. Loading a patient file costs
more than screening it, so workers read the files themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from criteria_nlp.errors import CriteriaError, PatientDataError

if TYPE_CHECKING:
    from criteria_nlp.evaluate.context import EvaluationContext
    from criteria_nlp.ir import CriteriaDocument
    from criteria_nlp.screen import ScreeningResult
    from criteria_nlp.sources import Patient

DECISION_STYLE = {"eligible": "green", "ineligible": "red", "needs_review": "yellow"}


@dataclass(frozen=True)
class ScreenJob:
    """The protocol and every option a patient file is screened and rendered with."""

    doc: CriteriaDocument
    index_date: str | None
    lookback_months: int
    defer_not_computable: bool
    assume_default_ranges: bool
    validate: bool
    complete: bool
    output_format: str
    explain: bool
    colour: bool
    width: int

    def context(self) -> EvaluationContext:
        """One evaluation context for every patient of a process (its conversion caches and fixed traces shared)."""
        from criteria_nlp.screen import _context

        ctx = _context(self.index_date, self.lookback_months, None, self.assume_default_ranges)
        ctx.keep_fixed_traces = True
        return ctx


@dataclass(frozen=True)
class Screened:
    """A patient file's outcome: its table row, JSON and explanation, or the reason it could not be read (reported,
    the batch goes on), or a ``fatal`` error that stops the command as it stops one process."""

    path: Path
    row: tuple[str, str, str, str, str] | None = None
    json: str | None = None
    explanation: str | None = None
    error: str | None = None
    fatal: str | None = None


def rendered(job: ScreenJob, ctx: EvaluationContext, path: Path, patient: Patient) -> Screened:
    """One patient screened and rendered as the output format needs it."""
    from criteria_nlp.screen import screen

    if job.complete:
        patient = patient.model_copy(
            update={"conditions_complete": True, "medications_complete": True, "procedures_complete": True}
        )
    result = screen(job.doc, patient, context=ctx, defer_not_computable=job.defer_not_computable)
    if job.output_format == "json":
        return Screened(path, json=json_item(result, explain=job.explain))
    explanation = result.explain(colour=job.colour, width=job.width) if job.explain else None
    return Screened(path, row=table_row(result), explanation=explanation)


def screen_file(job: ScreenJob, ctx: EvaluationContext, path: Path) -> Screened | None:
    """A file of the directory screened (None: a document that describes no patient, skipped)."""
    from criteria_nlp.sources.load import load_patient_file

    try:
        try:
            patient = load_patient_file(path, validate=job.validate, strict=False, lexicon=ctx.lexicon)
        except PatientDataError as error:
            return Screened(path, error=error.describe())
        return None if patient is None else rendered(job, ctx, path, patient)
    except CriteriaError as error:  # as text: a worker's exception may not survive the trip back
        return Screened(path, fatal=error.describe())


_WORKER_CONTEXT: tuple[ScreenJob, EvaluationContext] | None = None


def screen_chunk(paths: list[Path]) -> list[Screened | None]:
    """A chunk of files screened in a ``--jobs`` worker, with the job and one context of this worker."""
    global _WORKER_CONTEXT
    from criteria_nlp.parallel import worker_shared

    job: ScreenJob = worker_shared()
    if _WORKER_CONTEXT is None or _WORKER_CONTEXT[0] is not job:
        _WORKER_CONTEXT = (job, job.context())
    return [screen_file(job, _WORKER_CONTEXT[1], path) for path in paths]


def screen_directory(job: ScreenJob, paths: list[Path], jobs: int) -> Iterator[Screened]:
    """Every file's outcome in the files' order (skipped documents left out), in ``jobs`` processes when asked."""
    global _WORKER_CONTEXT
    ctx = job.context()  # also checks the index date before any file is read
    workers = 1
    if jobs != 1 and len(paths) > 2:
        from criteria_nlp.parallel import available_cores, map_ordered

        workers = min(jobs or available_cores(), len(paths) - 1)
    if workers > 1:
        # the first file is screened here: what it builds on first use (the lexicon's plans, the context's caches,
        # the UCUM answers read from the disk cache, or ucumvert's registry when a code is new) is then shared
        # copy-on-write by the forked workers, not built again in each of them
        first = screen_file(job, ctx, paths[0])
        if first is not None:
            yield first
        _WORKER_CONTEXT = (job, ctx)
        # small chunks: bundles differ in size (5x in Synthea), and a worker left with the last big chunk is the
        # whole tail of the run; a file takes ~0.1 s, a chunk sent ~0.1 ms
        chunk = max(1, min(4, (len(paths) - 1) // (workers * 8)))
        try:
            for outcome in map_ordered(screen_chunk, paths[1:], workers=workers, chunk_size=chunk, shared=job):
                if outcome is not None:
                    yield outcome
        finally:
            _WORKER_CONTEXT = None
        return
    for path in paths:
        outcome = screen_file(job, ctx, path)
        if outcome is not None:
            yield outcome


def json_item(result: ScreeningResult, *, explain: bool) -> str:
    """A result as ``screen --format json`` writes it (traces only with ``--explain``)."""
    data = json.loads(result.to_json())
    if not explain:
        for criterion in data["criteria"]:
            criterion.pop("trace", None)
    return json.dumps(data, indent=2, ensure_ascii=False)


def table_row(result: ScreeningResult) -> tuple[str, str, str, str, str]:
    """The cells of a result's row in the text table."""
    inclusion = [c for c in result.criteria if c.section == "inclusion"]
    exclusion = [c for c in result.criteria if c.section == "exclusion"]
    why = result.reasons[0] if result.decision == "ineligible" and result.reasons else ""
    if result.decision == "needs_review":
        why = "; ".join(result.missing_data[:3] or result.unknown[:3])
    return (
        result.patient_id if result.source is None else Path(result.source).name,
        f"[{DECISION_STYLE[result.decision]}]{result.decision}[/]",
        f"{sum(1 for c in inclusion if c.met)}/{len(inclusion)}",
        f"{sum(1 for c in exclusion if c.met)}/{len(exclusion)}",
        why,
    )

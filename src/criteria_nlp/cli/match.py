"""``criteria-nlp match PATIENT --trials DIR_OR_DB``: the library's trials ranked for one patient, as ``POST /match``
ranks them (see :mod:`criteria_nlp.service.matching`)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from criteria_nlp.errors import CriteriaError


@click.command("match")
@click.argument("patient", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--trials",
    "location",
    required=True,
    type=click.Path(exists=True, path_type=Path),
    envvar="CRITERIA_NLP_TRIALS",
    help="A folder of protocol texts or a library database.",
)
@click.option("--index-date", help="Date the criteria are evaluated at (YYYY-MM-DD; default today).")
@click.option("--lookback-months", default=12, show_default=True, type=click.IntRange(0))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many trials to show.")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True)
def match_command(
    patient: Path, location: Path, index_date: str | None, lookback_months: int, limit: int, output_format: str
) -> None:
    """Rank the trials of the library for PATIENT (a FHIR R4 Bundle or the library's patient JSON)."""
    from criteria_nlp.service.library import TrialLibrary
    from criteria_nlp.service.matching import MatchPlan, match_patient
    from criteria_nlp.sources import load_patient

    try:
        library, _ = TrialLibrary.open(location)
        result = match_patient(
            load_patient(patient),
            MatchPlan.of(library.trials()),
            index_date=index_date,
            lookback_months=lookback_months,
            limit=limit,
        )
    except CriteriaError as error:
        raise click.ClickException(error.describe()) from error
    if output_format == "json":
        click.echo(json.dumps(json.loads(result.model_dump_json()), indent=2, ensure_ascii=False))
        return
    click.echo(f"patient {result.patient_id}: {result.trials_searched} trials (index date {result.index_date})")
    for match in result.matches:
        counts = match.counts
        click.echo(
            f"{match.rank:>3}. {match.trial_id}  {match.decision}  score {match.score:.2f}  "
            f"met {counts.met}/{counts.criteria}, unknown {counts.unknown}, not met {counts.not_met}"
        )
        for item in match.deciding[:3] if match.decision != "eligible" else ():
            click.echo(f"       {item.section} {item.label or item.criterion_id}: {item.reason or item.text}")

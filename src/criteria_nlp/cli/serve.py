"""``criteria-nlp serve``: the HTTP service (needs the ``service`` extra: ``pip install criteria-nlp[service]``).

Access logs are JSON lines on stderr (method, path, status, duration; no query, headers or bodies). With
``--workers N`` the trial library is synchronised once here, before uvicorn starts the worker processes.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from criteria_nlp.errors import CriteriaError


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--trials", type=click.Path(path_type=Path), help="A folder of protocol texts or a library database.")
@click.option("--max-body-mb", default=10.0, show_default=True, type=click.FloatRange(0.001), help="Body limit.")
@click.option("--max-text-chars", default=100_000, show_default=True, type=click.IntRange(1), help="Criteria text.")
@click.option("--max-bundle-entries", default=10_000, show_default=True, type=click.IntRange(1), help="Patient data.")
@click.option("--time-budget", default=30.0, show_default=True, type=click.FloatRange(0.01), help="Seconds.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1), help="Worker processes.")
@click.option("--log-level", default="info", show_default=True, type=click.Choice(["debug", "info", "warning"]))
def serve_command(
    host: str,
    port: int,
    trials: Path | None,
    max_body_mb: float,
    max_text_chars: int,
    max_bundle_entries: int,
    time_budget: float,
    workers: int,
    log_level: str,
) -> None:
    """Serve /parse, /lint, /screen, /match, the FHIR $match operation and the protocol-author page."""
    try:
        import uvicorn

        from criteria_nlp.service.app import create_app
        from criteria_nlp.service.library import TrialLibrary
        from criteria_nlp.service.settings import ENVIRONMENT_VARIABLE, MEBIBYTE, Settings
    except ImportError as error:
        raise click.ClickException(
            f"the service needs its extra: pip install 'criteria-nlp[service]' ({error})"
        ) from error
    logging.basicConfig(level=log_level.upper(), format="%(message)s")
    settings = Settings(
        trials=trials,
        max_body_bytes=int(max_body_mb * MEBIBYTE),
        max_text_chars=max_text_chars,
        max_bundle_entries=max_bundle_entries,
        time_budget_s=time_budget,
    )
    try:
        if trials is not None:
            _, report = TrialLibrary.open(trials)
            counts = f"{len(report.parsed)} parsed, {len(report.unchanged)} unchanged, {len(report.removed)} removed"
            click.echo(f"trials: {counts}", err=True)
        app = create_app(settings) if workers == 1 else None
    except CriteriaError as error:
        raise click.ClickException(error.describe()) from error
    if app is not None:
        uvicorn.run(app, host=host, port=port, log_level=log_level, access_log=False)
        return
    os.environ[ENVIRONMENT_VARIABLE] = settings.to_environment()
    factory = "criteria_nlp.service.app:app_from_environment"
    uvicorn.run(factory, factory=True, workers=workers, host=host, port=port, log_level=log_level, access_log=False)

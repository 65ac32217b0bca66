"""The FastAPI application: :func:`create_app` builds it from :class:`~.settings.Settings`.

Endpoints: ``GET /health``, ``POST /parse``, ``POST /lint``, ``POST /screen``, ``POST /match``, ``GET /trials``,
``POST /fhir/ResearchStudy/$match`` and ``GET /`` (the protocol-author page); ``/openapi.json`` and ``/docs``.
Computation runs through :class:`~.compute.Compute` (one thread, time budget); patient data stays in memory.
"""

from __future__ import annotations

import json
from datetime import date
from importlib.resources import files
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from criteria_nlp import __version__
from criteria_nlp.errors import CriteriaError
from criteria_nlp.evaluate import parse_index_date
from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.lint import LintReport
from criteria_nlp.screen import ScreeningResult
from criteria_nlp.service.compute import Compute
from criteria_nlp.service.errors import InputRefused, ServiceError, install_handlers, line_column
from criteria_nlp.service.fhir import FHIR_JSON, read_parameters, searchset
from criteria_nlp.service.library import TrialLibrary
from criteria_nlp.service.matching import MatchPlan, MatchResult, PatientTooLarge, match_patient, read_patient
from criteria_nlp.service.middleware import AccessLog, BodyGuard
from criteria_nlp.service.models import (
    MAX_MATCH_LIMIT,
    ErrorResponse,
    Health,
    LintRequest,
    MatchRequest,
    ParseRequest,
    Readings,
    ScreenRequest,
    TrialSummary,
    parse_response_model,
)
from criteria_nlp.service.settings import Settings
from criteria_nlp.sources import Patient

JSON = "application/json"
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "malformed JSON or bad UTF-8"),
        (413, "body, text or patient data over the limit"),
        (422, "a field of the wrong type or value, or input the library refuses"),
        (503, "overloaded"),
        (504, "over the time budget"),
    )
}
_PAGE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:"
)


class Service:
    """The state behind the endpoints: settings, the computation thread and the trial library."""

    def __init__(self, settings: Settings, library: TrialLibrary | None) -> None:
        from criteria_nlp.pipeline import default_parser

        self.settings = settings
        self.library = library
        self.compute = Compute(time_budget_s=settings.time_budget_s, max_pending=settings.max_pending)
        self.parser = default_parser()  # spaCy loads now, not in the first request's time budget
        self.plan = MatchPlan.of(library.trials()) if library is not None else None

    def text(self, text: str, field: str = "body.text") -> str:
        if len(text) > self.settings.max_text_chars:
            limit = self.settings.max_text_chars
            raise ServiceError(413, f"the text has {len(text)} characters; the limit is {limit}", field=field)
        return text

    def parse(self, text: str, source: str | None, field: str = "body.text") -> CriteriaDocument:
        try:
            return self.parser.parse(text, source=source, claims=True)  # the linter reads them
        except CriteriaError as error:
            raise InputRefused(error, field) from error

    def patient(self, data: dict[str, Any], field: str = "body.patient") -> Patient:
        try:
            return read_patient(data, max_entries=self.settings.max_bundle_entries)
        except PatientTooLarge as error:
            raise ServiceError(413, error.describe(), field=field) from error
        except CriteriaError as error:
            raise InputRefused(error, field) from error

    def trials(self) -> TrialLibrary:
        if self.library is None:
            raise ServiceError(409, "no trial library: start the service with --trials DIR_OR_DB", field="trial")
        return self.library

    def match(self, data: dict[str, Any], index_date: date | str | None, limit: int, lookback: int) -> MatchResult:
        if self.plan is None:
            raise ServiceError(409, "no trial library: start the service with --trials DIR_OR_DB", field="trial")
        patient = self.patient(data)
        deadline = self.compute.deadline()
        try:
            day = parse_index_date(index_date) if isinstance(index_date, str) else index_date
        except CriteriaError as error:
            raise InputRefused(error, "index_date") from error
        plan = self.plan
        return match_patient(patient, plan, index_date=day, lookback_months=lookback, limit=limit, deadline=deadline)


def create_app(settings: Settings | None = None, *, library: TrialLibrary | None = None) -> FastAPI:
    """The application; ``library`` defaults to the one ``settings.trials`` names (opened and synchronised now)."""
    settings = settings or Settings()
    if library is None and settings.trials is not None:
        library, _ = TrialLibrary.open(settings.trials)
    service = Service(settings, library)
    app = FastAPI(
        title="criteria-nlp",
        version=__version__,
        description="Parse, lint, screen and match clinical-trial eligibility criteria (offline, deterministic).",
    )
    app.state.service = service
    install_handlers(app)
    _library_routes(app, service)
    _patient_routes(app, service)
    _fhir_routes(app, service)
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(AccessLog)
    app.router.on_shutdown.append(service.compute.close)
    return app


def app_from_environment() -> FastAPI:
    """The factory uvicorn's worker processes call (``--workers N``): settings come from the environment."""
    return create_app(Settings.from_environment())


def _json(text: str, status: int = 200) -> Response:
    return Response(text, status_code=status, media_type=JSON)


def _library_routes(app: FastAPI, service: Service) -> None:
    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def author_page() -> HTMLResponse:
        page = files("criteria_nlp.service").joinpath("author.html").read_text(encoding="utf-8")
        return HTMLResponse(page, headers={"Content-Security-Policy": _PAGE_POLICY})

    @app.get("/health", response_model=Health)
    def health() -> Health:
        count = len(service.library.trials()) if service.library is not None else 0
        return Health(version=__version__, trials=count)

    @app.post("/parse", response_model=parse_response_model(), responses=_ERRORS)
    async def parse(request: ParseRequest) -> Response:
        """The document (json), the flat constraint table (constraints) or each criterion's reading (text)."""
        document = await service.compute.run(service.parse, service.text(request.text), request.source)
        if request.format == "constraints":
            return _json(json.dumps({"constraints": document.constraints()}, ensure_ascii=False))
        if request.format == "text":
            return _json(Readings.of(document).model_dump_json())
        return _json(document.model_dump_json())

    @app.post("/lint", response_model=LintReport | dict[str, Any], responses=_ERRORS)
    async def lint(request: LintRequest) -> Response:
        """Findings and the machine-readability score (json: a LintReport; sarif: a SARIF 2.1.0 log)."""
        text = service.text(request.text)
        return _json(await service.compute.run(_lint, service, text, request.source, request.format))

    @app.get("/trials", response_model=list[TrialSummary])
    def trials() -> list[TrialSummary]:
        return [TrialSummary(id=info.id, criteria=info.criteria) for info in service.trials().summaries()]


def _lint(service: Service, text: str, source: str | None, output: str) -> str:
    from criteria_nlp.lint import lint
    from criteria_nlp.lint.render import LintedDocument, render_sarif_json

    document = service.parse(text, source)
    report = lint(document, lexicon=service.parser.lexicon)
    if output == "sarif":
        return render_sarif_json([LintedDocument(document=document, report=report, uri=source or "request.txt")])
    return report.model_dump_json()


def _patient_routes(app: FastAPI, service: Service) -> None:
    screen_responses: dict[int | str, dict[str, Any]] = {
        **_ERRORS,
        404: {"model": ErrorResponse, "description": "unknown trial"},
        409: {"model": ErrorResponse, "description": "no trial library"},
        200: {"content": {"text/html": {}}, "description": "JSON, or HTML with Accept: text/html"},
    }

    @app.post("/screen", response_model=ScreeningResult, responses=screen_responses)
    async def screen(request: ScreenRequest, http: Request) -> Response:
        """Decision, per-criterion truth, missing data and the trace; HTML with ``Accept: text/html``."""
        protocol = service.text(request.protocol, "body.protocol") if request.protocol is not None else None
        result = await service.compute.run(_screen, service, request, protocol)
        accept = http.headers.get("accept", "")
        if "text/html" in accept and "application/json" not in accept:
            return HTMLResponse(result.to_html())
        return _json(result.to_json())

    @app.post("/match", response_model=MatchResult, responses=screen_responses)
    async def match(request: MatchRequest) -> Response:
        """The library's trials ranked for one patient: eligible, then needs_review by share met, then ineligible."""
        arguments = (request.patient, request.index_date, request.limit, request.lookback_months)
        return _json((await service.compute.run(service.match, *arguments)).model_dump_json())


def _screen(service: Service, request: ScreenRequest, protocol: str | None) -> ScreeningResult:
    from criteria_nlp.screen import screen

    if protocol is not None:
        document = service.parse(protocol, None, "body.protocol")
    else:
        trial = service.trials().get(request.trial or "")
        if trial is None:
            raise ServiceError(404, f"no trial {request.trial!r} in the library", field="body.trial")
        document = trial.document
    patient = service.patient(request.patient)
    try:
        return screen(
            document,
            patient,
            index_date=request.index_date,
            lookback_months=request.lookback_months,
            defer_not_computable=request.defer_not_computable,
        )
    except CriteriaError as error:
        raise InputRefused(error, "body.patient") from error


_FHIR_BODY = {
    "requestBody": {
        "required": True,
        "content": {FHIR_JSON: {"schema": {"type": "object", "description": "a FHIR R4 Parameters resource"}}},
    }
}


def _fhir_routes(app: FastAPI, service: Service) -> None:
    fhir_responses: dict[int | str, dict[str, Any]] = {
        200: {"content": {FHIR_JSON: {}}, "description": "a searchset Bundle of ResearchStudy"},
        400: {"content": {FHIR_JSON: {}}, "description": "OperationOutcome: malformed JSON"},
        422: {"content": {FHIR_JSON: {}}, "description": "OperationOutcome: not a valid Parameters resource"},
    }

    @app.post("/fhir/ResearchStudy/$match", responses=fhir_responses, openapi_extra=_FHIR_BODY)
    async def research_study_match(http: Request) -> Response:
        """CodeX Integrated Trial Matching: Parameters (trialMatchClinicalData) in, searchset Bundle out."""
        raw = await http.body()
        text = raw.decode("utf-8")  # the body guard has refused bad UTF-8
        try:
            body = json.loads(text)
        except json.JSONDecodeError as error:
            line, column = line_column(text, error.pos)
            message = f"malformed JSON at line {line} column {column}: {error.msg}"
            raise ServiceError(400, message, field="body", position=error.pos) from error
        try:
            request = read_parameters(body)
        except CriteriaError as error:
            raise InputRefused(error, "Parameters") from error
        limit = min(request.max_results or 20, MAX_MATCH_LIMIT)
        arguments = (request.bundle, request.index_date, limit, 12)
        result = await service.compute.run(service.match, *arguments)
        return Response(json.dumps(searchset(result), ensure_ascii=False), media_type=FHIR_JSON)

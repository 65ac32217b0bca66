"""Error responses: every failure is an :class:`~.models.ErrorResponse` (an ``OperationOutcome`` under ``/fhir/``)
naming the field and, for malformed bodies, the position; never a stack trace.

Bad input is 4xx: 400 malformed JSON or bad UTF-8, 404 unknown trial, 409 no trial library, 413 too large, 422 a
field of the wrong type or value, or text/patient data the library refuses. 503 overloaded, 504 over the time
budget. Anything else is a bug: 500 with a generic message, and the exception's type and traceback (not its
message, which may quote patient data) in the server log.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from criteria_nlp.errors import CriteriaError
from criteria_nlp.service.compute import Overloaded
from criteria_nlp.service.fhir import FHIR_JSON, operation_outcome
from criteria_nlp.service.matching import TimeBudgetExceeded
from criteria_nlp.service.models import ErrorDetail, ErrorResponse

logger = logging.getLogger("criteria_nlp.service")
_FHIR_CODES = {400: "structure", 404: "not-found", 409: "not-supported", 413: "too-costly", 422: "invalid"}
_FHIR_CODES |= {503: "transient", 504: "timeout", 500: "exception"}


class ServiceError(Exception):
    """A request the service refuses, with its HTTP status and where the problem lies."""

    def __init__(self, status: int, message: str, *, field: str | None = None, position: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.position = position


class InputRefused(ServiceError):
    """Text or patient data the library raised a :class:`CriteriaError` on (status 422)."""

    def __init__(self, error: CriteriaError, field: str) -> None:
        super().__init__(422, error.describe(), field=field, position=error.start)


def line_column(text: str, position: int) -> tuple[int, int]:
    """1-based line and column of a character offset."""
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def error_response(path: str, status: int, message: str, errors: Sequence[ErrorDetail] = ()) -> Response:
    """The error body for ``path``: an OperationOutcome under /fhir/, else an ErrorResponse."""
    if path.startswith("/fhir/"):
        fields = [detail.field for detail in errors if detail.field]
        details = "; ".join(f"{d.field}: {d.message}" if d.field else d.message for d in errors) or message
        outcome = operation_outcome(details, code=_FHIR_CODES.get(status, "processing"), expression=fields)
        return Response(json.dumps(outcome), status_code=status, media_type=FHIR_JSON)
    body = ErrorResponse(status=status, message=message, errors=list(errors))
    return JSONResponse(body.model_dump(mode="json"), status_code=status)


def _validation_details(error: RequestValidationError, body: bytes | None) -> tuple[int, list[ErrorDetail]]:
    details: list[ErrorDetail] = []
    status = 422
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        message = str(item.get("msg", "invalid"))
        if item.get("type") == "json_invalid":
            status = 400
            position = item["loc"][-1] if isinstance(item["loc"][-1], int) else None
            reason = str(item.get("ctx", {}).get("error", "malformed JSON"))
            line, column = (None, None)
            if position is not None and body is not None:
                line, column = line_column(body.decode("utf-8", "replace"), position)
            details.append(
                ErrorDetail(
                    field="body", message=f"malformed JSON: {reason}", position=position, line=line, column=column
                )
            )
            continue
        details.append(ErrorDetail(field=".".join(location) or None, message=message))
    return status, details


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        status, details = _validation_details(error, getattr(request, "_body", None))
        message = (
            "malformed JSON"
            if status == 400
            else "invalid request: " + "; ".join(f"{d.field}: {d.message}" for d in details)
        )
        return error_response(request.url.path, status, message, details)

    @app.exception_handler(ServiceError)
    async def refused(request: Request, error: ServiceError) -> Response:
        detail = ErrorDetail(field=error.field, message=error.message, position=error.position)
        return error_response(request.url.path, error.status, error.message, [detail])

    @app.exception_handler(TimeBudgetExceeded)
    async def too_slow(request: Request, error: TimeBudgetExceeded) -> Response:
        return error_response(request.url.path, 504, error.describe())

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, error: Overloaded) -> Response:
        response = error_response(request.url.path, 503, str(error))
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        response = error_response(request.url.path, error.status_code, str(error.detail))
        for name, value in (error.headers or {}).items():
            response.headers[name] = value
        return response

    @app.exception_handler(Exception)
    async def internal(request: Request, error: Exception) -> Response:
        frames = "".join(traceback.format_tb(error.__traceback__))
        logger.error("unhandled %s on %s %s\n%s", type(error).__name__, request.method, request.url.path, frames)
        return error_response(request.url.path, 500, "internal error")

"""The HTTP service through its ASGI app (httpx via FastAPI's TestClient): every endpoint, and its errors."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("fastapi")

from fastapi.testclient import TestClient

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.lint import LintReport
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.screen import ScreeningResult
from criteria_nlp.service.app import create_app
from criteria_nlp.service.library import TrialLibrary
from criteria_nlp.service.matching import MatchPlan, MatchResult, TimeBudgetExceeded, match_patient
from criteria_nlp.service.settings import Settings
from criteria_nlp.sources import load_patient

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = (ROOT / "corpora" / "trials" / "NCT03219801.txt").read_text(encoding="utf-8")
PATIENTS = ROOT / "corpora" / "patients"
INDEX_DATE = "2026-11-01"
FHIR = {"content-type": "application/fhir+json"}


def _patient(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PATIENTS / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def trials_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("trials")
    for path in (ROOT / "corpora" / "trials").glob("*.txt"):
        shutil.copy(path, folder / path.name)
    return folder


@pytest.fixture(scope="module")
def client(trials_dir: Path, parser: CriteriaParser) -> TestClient:
    settings = Settings(trials=trials_dir, max_body_bytes=200_000, max_text_chars=20_000, max_bundle_entries=50)
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def bare_client(parser: CriteriaParser) -> TestClient:
    return TestClient(create_app(Settings()), raise_server_exceptions=False)


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert "Traceback" not in response.text and 'File "' not in response.text
    return body


# --- the endpoints --------------------------------------------------------------------------------------------------


def test_health(client: TestClient) -> None:
    assert client.get("/health").json() == {"status": "ok", "version": "0.1.0", "trials": 4}


def test_parse_gives_the_cli_document(client: TestClient, parser: CriteriaParser) -> None:
    response = client.post("/parse", json={"text": PROTOCOL})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.text == parser.parse(PROTOCOL).model_dump_json()
    assert len(CriteriaDocument.model_validate_json(response.text).criteria) == 14


def test_parse_constraints_and_readings(client: TestClient) -> None:
    table = client.post("/parse", json={"text": PROTOCOL, "format": "constraints"}).json()["constraints"]
    age = next(record for record in table if record["id"] == "inc-2")
    assert age["constraints"][0]["variable"] == "age"
    assert age["constraints"][0]["interval"] == [14, True, 60, True]
    readings = client.post("/parse", json={"text": PROTOCOL, "format": "text"}).json()
    assert readings["text"] == PROTOCOL
    lvef = next(c for c in readings["criteria"] if c["id"] == "inc-4")
    assert lvef["status"] == "computable" and "lvef >= 50 %" in lvef["reading"]


def test_lint_json_and_sarif(client: TestClient) -> None:
    report = LintReport.model_validate_json(client.post("/lint", json={"text": PROTOCOL}).text)
    assert {"L001", "L003", "A002"} <= report.rule_ids()
    assert any(finding.suggestion for finding in report.findings)
    sarif = client.post("/lint", json={"text": PROTOCOL, "format": "sarif", "source": "p.txt"}).json()
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == len(report.findings)


@pytest.mark.parametrize(
    ("patient", "decision"),
    [("sle-eligible.json", "needs_review"), ("sle-ineligible-pregnant.json", "ineligible")],
)
def test_screen_by_trial_and_by_text(client: TestClient, patient: str, decision: str) -> None:
    by_trial = client.post(
        "/screen", json={"trial": "NCT03219801", "patient": _patient(patient), "index_date": INDEX_DATE}
    )
    by_text = client.post(
        "/screen", json={"protocol": PROTOCOL, "patient": _patient(patient), "index_date": INDEX_DATE}
    )
    assert by_trial.status_code == by_text.status_code == 200
    result = ScreeningResult.model_validate_json(by_trial.text)
    assert result.decision == decision
    assert result.criteria[0].trace.sentence
    assert json.loads(by_text.text)["decision"] == decision


def test_screen_eligible_when_not_computable_deferred(client: TestClient) -> None:
    body = {"trial": "NCT03219801", "patient": _patient("sle-eligible.json"), "index_date": INDEX_DATE}
    response = client.post("/screen", json={**body, "defer_not_computable": True})
    assert response.json()["decision"] == "eligible"


def test_screen_html(client: TestClient) -> None:
    body = {"protocol": PROTOCOL, "patient": _patient("sle-fhir-bundle.json"), "index_date": INDEX_DATE}
    response = client.post("/screen", json=body, headers={"accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<!DOCTYPE html>") and "sle-fhir-patient" in response.text


def test_match_ranks_the_library(client: TestClient) -> None:
    body = {"patient": _patient("sle-eligible.json"), "index_date": INDEX_DATE, "limit": 3}
    result = MatchResult.model_validate_json(client.post("/match", json=body).text)
    assert result.trials_searched == 4 and len(result.matches) == 3
    assert [m.rank for m in result.matches] == [1, 2, 3]
    assert result.matches[0].trial_id == "NCT03219801" and result.matches[0].decision == "needs_review"
    # the oncology protocol's "(transfusion allowed up to 7 days before the first dose)" is a permission, not a
    # required transfusion: that trial needs review for this patient, ranked before the one she fails
    assert [m.decision for m in result.matches[1:]] == ["needs_review", "ineligible"]
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True)
    for match in result.matches:
        assert match.counts.met + match.counts.not_met + match.counts.unknown == match.counts.criteria
        wanted = {"ineligible": False, "needs_review": None}[match.decision]
        assert match.deciding and all(item.met is wanted for item in match.deciding)
        assert all(item.reason for item in match.deciding)


def test_fhir_match_is_a_searchset(client: TestClient) -> None:
    parameters = {
        "resourceType": "Parameters",
        "parameter": [
            {"name": "trialMatchClinicalData", "resource": _patient("sle-fhir-bundle.json")},
            {"name": "zipCode", "valueString": "02139"},
            {"name": "maxResults", "valueInteger": 2},
            {"name": "indexDate", "valueDate": INDEX_DATE},
        ],
    }
    response = client.post("/fhir/ResearchStudy/$match", content=json.dumps(parameters), headers=FHIR)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    bundle = response.json()
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "searchset" and bundle["total"] == 2
    first = bundle["entry"][0]
    assert first["search"]["mode"] == "match" and 0 <= first["search"]["score"] <= 1
    study = first["resource"]
    assert study["resourceType"] == "ResearchStudy" and study["identifier"][0]["value"] == "NCT03219801"
    details = {item["url"]: item for item in study["extension"][0]["extension"]}
    assert details["decision"]["valueCode"] == "needs_review"
    from fhir.resources.R4B.bundle import Bundle

    Bundle.model_validate(bundle)  # valid FHIR


def test_trials_listing_and_author_page(client: TestClient) -> None:
    assert {t["id"] for t in client.get("/trials").json()} == {
        "NCT03219801",
        "example-cardiometabolic",
        "example-mixed",
        "example-oncology",
    }
    page = client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text
    assert "connect-src 'self'" in page.headers["content-security-policy"]
    for pattern in ("src=", "http://", "https://", "<link", "@import", "url("):
        assert pattern not in page.text, pattern


def test_openapi_reuses_the_ir_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/parse", "/lint", "/screen", "/match", "/fhir/ResearchStudy/$match", "/health"} <= set(schema["paths"])
    components = schema["components"]["schemas"]
    assert {"CriteriaDocument", "Criterion", "LintReport", "ScreeningResult", "MatchResult"} <= set(components)
    assert client.get("/docs").status_code == 200


# --- errors ---------------------------------------------------------------------------------------------------------


def test_malformed_json_names_the_position(client: TestClient) -> None:
    response = client.post("/parse", content=b'{"text":\n  oops}', headers={"content-type": "application/json"})
    body = _error(response, 400)
    assert body["errors"][0]["field"] == "body"
    assert body["errors"][0]["line"] == 2 and body["errors"][0]["column"] == 3


def test_invalid_utf8_names_the_byte(client: TestClient) -> None:
    response = client.post("/parse", content=b'{"text": "a\xff"}', headers={"content-type": "application/json"})
    body = _error(response, 400)
    assert body["errors"][0]["position"] == 11 and "0xff" in body["message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/parse", {"text": 3}, "body.text"),
        ("/parse", {"text": "x", "format": "xml"}, "body.format"),
        ("/parse", {"txt": "x"}, "body.text"),
        ("/lint", {"text": None}, "body.text"),
        ("/screen", {"patient": {}}, "body"),
        ("/screen", {"trial": "NCT03219801", "patient": [], "index_date": INDEX_DATE}, "body.patient"),
        ("/screen", {"trial": "NCT03219801", "patient": {}, "index_date": "tomorrow"}, "body.index_date"),
        ("/match", {"patient": {}, "limit": 0}, "body.limit"),
    ],
)
def test_wrong_types_name_the_field(client: TestClient, path: str, body: dict[str, Any], field: str) -> None:
    fields = [detail["field"] for detail in _error(client.post(path, json=body), 422)["errors"]]
    assert field in fields


def test_patient_data_the_library_refuses_is_422(client: TestClient) -> None:
    body = {"trial": "NCT03219801", "patient": {"resourceType": "Bundle", "entry": [{}]}, "index_date": INDEX_DATE}
    detail = _error(client.post("/screen", json=body), 422)["errors"][0]
    assert detail["field"] == "body.patient" and "entry 0" in detail["message"]
    no_reader = {"trial": "NCT03219801", "patient": {"hello": "world"}}
    assert _error(client.post("/screen", json=no_reader), 422)["errors"][0]["field"] == "body.patient"


def test_limits(client: TestClient) -> None:
    assert _error(client.post("/parse", content=b"x" * 200_001, headers={"content-type": "application/json"}), 413)
    assert _error(client.post("/parse", json={"text": "a" * 20_001}), 413)["errors"][0]["field"] == "body.text"
    bundle = {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Basic"}}] * 51}
    response = client.post("/screen", json={"trial": "NCT03219801", "patient": bundle})
    assert _error(response, 413)["errors"][0]["field"] == "body.patient"


def test_unknown_trial_and_missing_library(client: TestClient, bare_client: TestClient) -> None:
    _error(client.post("/screen", json={"trial": "NCT0", "patient": {}}), 404)
    _error(bare_client.post("/match", json={"patient": _patient("sle-eligible.json")}), 409)
    _error(client.get("/nowhere"), 404)
    _error(client.get("/parse"), 405)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"resourceType": "Parameters"', "malformed JSON"),
        (b'{"resourceType": "Patient"}', "Parameters resource"),
        (b'{"resourceType": "Parameters", "parameter": []}', "trialMatchClinicalData"),
        (b'{"resourceType": "Parameters", "parameter": [{"name": "trialMatchClinicalData"}]}', "parameter[0]"),
        (b'{"resourceType": "Parameters", "parameter": [{"name": "colour"}]}', "unknown parameter"),
        (b'{"resourceType": "Parameters", "parameter": [{"name": "maxResults", "valueInteger": -1}]}', "positive"),
    ],
)
def test_fhir_errors_are_operation_outcomes(client: TestClient, body: bytes, words: str) -> None:
    response = client.post("/fhir/ResearchStudy/$match", content=body, headers=FHIR)
    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/fhir+json"
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome" and outcome["issue"][0]["severity"] == "error"
    assert words in outcome["issue"][0]["diagnostics"]


def test_time_budget_gives_504_and_the_worker_goes_on(
    trials_dir: Path, parser: CriteriaParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(Settings(trials=trials_dir, time_budget_s=0.05))
    slow_parse = app.state.service.parse

    def slow(text: str, source: str | None, field: str = "body.text") -> CriteriaDocument:
        time.sleep(0.5)  # a computation past the budget
        return slow_parse(text, source, field)

    monkeypatch.setattr(app.state.service, "parse", slow)

    async def calls() -> tuple[httpx.Response, float, httpx.Response]:
        # httpx's ASGI transport: TestClient's portal would wait for the computation thread before returning
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
            started = time.monotonic()
            response = await client.post("/parse", json={"text": PROTOCOL})
            return response, time.monotonic() - started, await client.get("/health")

    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever else runs in this process
        response, seconds, health = thread.submit(asyncio.run, calls()).result()
    assert _error(response, 504)
    assert seconds < 0.4  # answered at the budget, not when the computation ended
    assert health.status_code == 200


def test_matching_stops_itself_at_the_deadline(trials_dir: Path, parser: CriteriaParser) -> None:
    library, _ = TrialLibrary.open(trials_dir)
    patient = load_patient(PATIENTS / "sle-eligible.json")
    with pytest.raises(TimeBudgetExceeded, match="matching stopped"):
        match_patient(patient, MatchPlan.of(library.trials()), deadline=time.monotonic() - 1)


def test_overload_gives_503(trials_dir: Path, parser: CriteriaParser) -> None:
    client = TestClient(create_app(Settings(max_pending=0)), raise_server_exceptions=False)
    response = client.post("/parse", json={"text": PROTOCOL})
    assert _error(response, 503) and response.headers["retry-after"] == "1"


def test_internal_errors_hide_the_details(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    service = client.app.state.service  # type: ignore[attr-defined]

    def broken(text: str, source: str | None, field: str = "body.text") -> CriteriaDocument:
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(service, "parse", broken)
    response = client.post("/parse", json={"text": "Age over 18"})
    assert _error(response, 500)["message"] == "internal error"
    assert "secret" not in response.text


def test_access_log_has_no_patient_data(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="criteria_nlp.service.access")
    body = {"trial": "NCT03219801", "patient": _patient("sle-fhir-bundle.json"), "index_date": INDEX_DATE}
    client.post("/screen?name=Jane", json=body)
    records = [json.loads(r.getMessage()) for r in caplog.records if r.name == "criteria_nlp.service.access"]
    assert records[-1]["method"] == "POST" and records[-1]["path"] == "/screen" and records[-1]["status"] == 200
    assert records[-1]["duration_ms"] >= 0
    assert "sle-fhir-patient" not in caplog.text and "Jane" not in caplog.text

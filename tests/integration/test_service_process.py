"""`criteria-nlp serve` as a real process on a loopback port: it answers, logs structured access lines without
patient data, refuses oversized bodies, and a restart reads the trial library back without parsing it again."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import ROOT, running_service

pytestmark = pytest.mark.slow
PROTOCOL = (ROOT / "corpora" / "trials" / "NCT03219801.txt").read_text(encoding="utf-8")
BUNDLE = json.loads((ROOT / "corpora" / "patients" / "sle-fhir-bundle.json").read_text(encoding="utf-8"))


def test_the_process_answers(service_url: str, service_log: Path) -> None:
    with httpx.Client(base_url=service_url, timeout=30) as client:
        assert client.get("/health").json()["trials"] == 4
        assert len(client.post("/parse", json={"text": PROTOCOL}).json()["criteria"]) == 14
        match = client.post("/match", json={"patient": BUNDLE, "index_date": "2026-11-01", "limit": 2}).json()
        assert [m["rank"] for m in match["matches"]] == [1, 2]
        assert client.post("/parse", content=b"x" * (1024 * 1024 + 1)).status_code == 413
        assert client.get("/").headers["content-type"].startswith("text/html")
    # the service writes its access lines from another process: wait until this test's last request (the refused
    # body) is in the log; the fixture's service is shared, so other tests' requests may be logged around ours
    events = _events_until(service_log, {"method": "POST", "path": "/parse", "status": 413})
    assert any({"method": "POST", "path": "/match", "status": 200}.items() <= event.items() for event in events)
    assert "sle-fhir-patient" not in service_log.read_text()


def _events_until(log: Path, last: dict[str, Any], timeout: float = 30.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        events = [json.loads(line) for line in log.read_text().splitlines() if line.startswith('{"event"')]
        if any(last.items() <= event.items() for event in events) or time.monotonic() > deadline:
            return events
        time.sleep(0.1)


def test_a_restart_does_not_parse_again(tmp_path: Path) -> None:
    trials = tmp_path / "trials"
    trials.mkdir()
    shutil.copy(ROOT / "corpora" / "trials" / "NCT03219801.txt", trials / "NCT03219801.txt")
    log = tmp_path / "serve.log"
    for expected in ("trials: 1 parsed, 0 unchanged", "trials: 0 parsed, 1 unchanged"):
        with running_service("--trials", str(trials), log=log) as url:
            assert httpx.get(url + "/trials").json() == [{"id": "NCT03219801", "criteria": 14}]
        assert expected in log.read_text()

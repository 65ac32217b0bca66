"""Property-based tests of the service: no input gives a 5xx or a stack trace.

schemathesis generates requests from the service's own OpenAPI schema, fitting it (positive) and not (negative);
a hypothesis strategy mutates a real FHIR Bundle (any field of any entry replaced by any JSON value) to reach the
patient readers beyond the schema's ``object``. Bounded: a fixed number of examples, no example database, in-process
(ASGI)."""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode

from criteria_nlp.service.app import create_app
from criteria_nlp.service.settings import Settings

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 60
BUNDLE = json.loads((ROOT / "corpora" / "patients" / "sle-fhir-bundle.json").read_text(encoding="utf-8"))
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    trials = tmp_path_factory.mktemp("trials")
    shutil.copy(ROOT / "corpora" / "trials" / "NCT03219801.txt", trials / "NCT03219801.txt")
    yield create_app(Settings(trials=trials, time_budget_s=20))


def _server_error(status: int, text: str) -> bool:
    return status >= 500 or "Traceback" in text


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_openapi_operations_give_no_server_error(app: FastAPI, mode: GenerationMode) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    failures: list[str] = []
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and operation.method.upper() == "GET":
            continue  # nothing to get wrong in a request without parameters

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: schemathesis.Case) -> None:
            response = case.call()
            if _server_error(response.status_code, response.text):
                failures.append(f"{case.method} {case.path}: {response.status_code} {response.text[:300]}")

        check()
    assert not failures, "\n".join(failures[:10])


def _mutated(entry: int, path: list[str], value: Any) -> dict[str, Any]:
    bundle = copy.deepcopy(BUNDLE)
    target = bundle["entry"][entry % len(bundle["entry"])]["resource"]
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            break
        target = target[key]
    target[path[-1] if path else "id"] = value
    return bundle


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    entry=st.integers(min_value=0, max_value=50),
    path=st.lists(
        st.sampled_from(["code", "coding", "valueQuantity", "value", "unit", "effectiveDateTime", "birthDate"]),
        min_size=1,
        max_size=3,
    ),
    value=JSON_VALUES,
)
def test_mutated_bundles_give_no_server_error(app: FastAPI, entry: int, path: list[str], value: Any) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    body = {"trial": "NCT03219801", "patient": _mutated(entry, path, value), "index_date": "2026-11-01"}
    response = client.post("/screen", json=body)
    assert not _server_error(response.status_code, response.text), (path, value, response.text[:500])
    assert response.status_code in (200, 413, 422)

"""Fixtures of the integration tests: one `criteria-nlp serve` process per session (on a free loopback port),
started on first use."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_service(*arguments: str, log: Path) -> Iterator[str]:
    """The base URL of a `criteria-nlp serve` process; its stderr (access log) goes to ``log``."""
    port = free_port()
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "criteria_nlp", "serve", "--host", "127.0.0.1", "--port", str(port), *arguments]
    with log.open("w", encoding="utf-8") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, env=environment)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"criteria-nlp serve exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"criteria-nlp serve did not answer within 90 s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def service_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service") / "serve.log"


@pytest.fixture(scope="session")
def service_url(tmp_path_factory: pytest.TempPathFactory, service_log: Path) -> Iterator[str]:
    pytest.importorskip("uvicorn")
    trials = tmp_path_factory.mktemp("trials")
    for path in (ROOT / "corpora" / "trials").glob("*.txt"):
        shutil.copy(path, trials / path.name)
    with running_service("--trials", str(trials), "--max-body-mb", "1", log=service_log) as url:
        yield url

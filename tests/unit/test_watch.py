"""``criteria-nlp lint FILE --watch``: the file linted again each time it is saved, by the same process; stopped by
``--max-runs`` or Ctrl-C (status 0)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.cli.watch import changed_files, file_state, watch

REPO_ROOT = Path(__file__).resolve().parents[2]
FIRST = "Inclusion Criteria:\n1. Age >= 18 years\n"
# a word the parser cannot read: a finding on it, absent from the first version
EDITED = "Inclusion Criteria:\n1. Age >= 18 years\n2. Hemoglobin > 9 gramz\n"


def _write_later(path: Path, text: str, after: threading.Event) -> threading.Thread:
    def write() -> None:
        after.wait(timeout=120)
        time.sleep(0.05)
        path.write_text(text, encoding="utf-8")

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def test_watch_runs_again_for_the_changed_files_only(tmp_path: Path) -> None:
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("a", encoding="utf-8")
    two.write_text("b", encoding="utf-8")
    first_run = threading.Event()
    runs: list[list[str]] = []

    def run(files: list[Path]) -> None:
        runs.append([file.name for file in files])
        first_run.set()

    writer = _write_later(two, "bb", first_run)
    assert watch([one, two], run, interval=0.01, max_runs=2) == 2
    writer.join()
    assert runs == [["one.txt", "two.txt"], ["two.txt"]]


def test_a_missing_file_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "protocol.txt"
    path.write_text("a", encoding="utf-8")
    states = {path: file_state(path)}
    path.unlink()  # an editor between removing and writing
    assert changed_files([path], states) == []
    path.write_text("ab", encoding="utf-8")
    assert changed_files([path], states) == [path]
    assert changed_files([path], states) == []


def _signal_when(ready: Callable[[], bool]) -> threading.Event:
    """An event set once ``ready()`` holds (the first run's output is written): then the author saves an edit."""
    event = threading.Event()

    def wait() -> None:
        while not ready():
            time.sleep(0.02)
        event.set()

    threading.Thread(target=wait, daemon=True).start()
    return event


def test_lint_watch_prints_the_new_findings(tmp_path: Path) -> None:
    protocol = tmp_path / "protocol.txt"
    protocol.write_text(FIRST, encoding="utf-8")
    report = tmp_path / "report.json"
    first_run = _signal_when(report.exists)  # the report file appears when the first run is over
    writer = _write_later(protocol, EDITED, first_run)
    arguments = ["lint", str(protocol), "--watch", "--max-runs", "2", "--interval", "0.02", "--format", "json"]
    result = CliRunner().invoke(cli, [*arguments, "-o", str(report)])
    writer.join()
    assert result.exit_code == 0, result.output
    assert result.stderr.count("watching for changes") == 2
    assert "gramz" in report.read_text(encoding="utf-8")  # the last report is the edited protocol's
    result = CliRunner().invoke(cli, ["lint", str(protocol), "--format", "json"])
    assert result.stdout == report.read_text(encoding="utf-8")  # the same report as a lint of the saved file


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process")
def test_lint_watch_in_a_process_reports_each_save_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    protocol = tmp_path / "protocol.txt"
    protocol.write_text(FIRST, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), "CRITERIA_NLP_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "criteria_nlp", "lint", str(protocol), "--watch", "--interval", "0.05"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        assert "watching for changes" in process.stderr.readline()
        protocol.write_text(EDITED, encoding="utf-8")
        assert "watching for changes" in process.stderr.readline()
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "stopped watching" in stderr and "Traceback" not in stderr
    reports = stdout.split(f"{protocol}  score")
    assert len(reports) == 3  # two reports
    assert "gramz" not in reports[1] and "gramz" in reports[2]


def test_parse_watch_writes_the_new_document(tmp_path: Path) -> None:
    protocol = tmp_path / "protocol.txt"
    protocol.write_text(FIRST, encoding="utf-8")
    output = tmp_path / "constraints.jsonl"
    first_run = _signal_when(lambda: output.exists() and bool(output.read_text(encoding="utf-8")))
    writer = _write_later(protocol, EDITED, first_run)
    arguments = ["parse", str(protocol), "--watch", "--max-runs", "2", "--interval", "0.02", "--format", "constraints"]
    result = CliRunner().invoke(cli, [*arguments, "-o", str(output)])
    writer.join()
    assert result.exit_code == 0, result.output
    assert result.stderr.count("watching for changes") == 2
    fresh = CliRunner().invoke(cli, ["parse", str(protocol), "--format", "constraints"])
    assert output.read_text(encoding="utf-8") == fresh.stdout  # the file holds the latest document only
    assert len(fresh.stdout.splitlines()) == 2


def test_parse_watch_needs_a_file() -> None:
    result = CliRunner().invoke(cli, ["parse", "-", "--watch"], input="Age > 18\n")
    assert result.exit_code == 2 and "--watch reads a protocol FILE" in result.output

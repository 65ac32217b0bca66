"""Issue 10, batches, limits and the command line: items 21-24."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.resources import corpus_path

TRIAL = "Inclusion Criteria:\nAge ≥ 18 years\n"


def invoke(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.fixture
def trial(tmp_path: Path) -> Path:
    path = tmp_path / "trial.txt"
    path.write_text(TRIAL, encoding="utf-8")
    return path


# --- item 21: screen DIR goes on past bad files --------------------------------------------------------------------


def bad_directory(root: Path) -> Path:
    folder = root / "patients"
    folder.mkdir()
    (folder / "good.json").write_bytes(corpus_path("patients", "sle-eligible.json").read_bytes())
    (folder / "a-malformed.json").write_text("{bad", encoding="utf-8")
    (folder / "b-latin.json").write_bytes(b"\xff\xfe")
    (folder / "c-dangling.json").symlink_to(folder / "nowhere.json")
    (folder / "d-loop.json").symlink_to(folder / "d-loop.json")
    (folder / "e-dir.json").mkdir()
    os.mkfifo(folder / "f-fifo.json")
    (folder / "g-string.json").write_text('"good.json"', encoding="utf-8")
    (folder / "h-array.json").write_text("[1, 2]", encoding="utf-8")
    (folder / "i-deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (folder / "j-bigid.json").write_text('{"id": ' + "9" * 5000 + "}", encoding="utf-8")
    return folder


def test_item21_screen_dir_reports_each_bad_file_and_goes_on(tmp_path: Path, trial: Path) -> None:
    folder = bad_directory(tmp_path)
    started = time.monotonic()
    code, output = invoke("screen", str(trial), str(folder), "--index-date", "2026-06-01", "--format", "json")
    assert time.monotonic() - started < 60  # the FIFO is never opened
    assert code == 1
    data = json.loads(output[: output.rindex("]") + 1])
    assert [item["decision"] for item in data if "decision" in item] == ["eligible"]
    errors = {Path(item["source"]).name: item["error"] for item in data if "error" in item}
    assert len(errors) == 10
    assert "FIFO" in errors["f-fifo.json"] and "directory" in errors["e-dir.json"]
    assert "dangling" in errors["c-dangling.json"] and "nested too deeply" in errors["i-deep.json"]
    assert "no patient reader" in errors["g-string.json"]  # the string naming good.json is not followed
    assert "10 patient file(s) could not be screened" in output


def test_item21_table_lists_bad_files(tmp_path: Path, trial: Path) -> None:
    folder = bad_directory(tmp_path)
    code, output = invoke("screen", str(trial), str(folder), "--index-date", "2026-06-01")
    assert code == 1 and "error" in output and "good.json" in output


# --- item 22: JSONL input -------------------------------------------------------------------------------------------


def test_item22_jsonl_loses_nothing_and_reports_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"id": i, "text": "Age >= 18 years", "section": "EXCLUSION"}) for i in range(1, 1101)]
    lines[1000] = "{bad"
    lines[5] = json.dumps({"id": 3, "text": "Hb \u2028>= 9 g/dL"})
    lines[7] = json.dumps({"id": "h", "text": "Exclusion Criteria:"})
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(path), "--input-format", "jsonl"])
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 1099 and result.exit_code == 1
    assert {r["section"] for r in records if r["id"] != "h"} >= {"exclusion"}
    assert "line 1001" in result.output and "line 6: duplicate id '3'" in result.output
    assert "line 8: the text is a section header" in result.output


# --- item 23: crashes turned into clean errors ----------------------------------------------------------------------


def test_item23_chained_comparators_do_not_crash() -> None:
    document = parse_criteria("Inclusion Criteria:\nHb " + " < 5" * 1000 + "\n")
    assert document.criteria[0].expression.kind == "unparsed"


@pytest.mark.parametrize(
    "extra", [("--index-date", "0001-01-01"), ("--index-date", "2026-01-01", "--lookback-months", "99999999")]
)
def test_item23_dates_out_of_the_calendar_are_clean_errors(trial: Path, extra: tuple[str, ...]) -> None:
    code, output = invoke("screen", str(trial), str(corpus_path("patients", "sle-eligible.json")), *extra)
    assert code == 1 and "outside the calendar" in output


def test_item23_parse_dir_says_it_is_a_directory(tmp_path: Path) -> None:
    code, output = invoke("parse", str(tmp_path))
    assert code == 2 and "is a directory" in output


def test_item23_fail_under_nan_is_refused(trial: Path) -> None:
    code, output = invoke("lint", str(trial), "--fail-under", "nan")
    assert code == 2 and "not a score" in output


def test_item23_output_into_a_missing_directory(trial: Path, tmp_path: Path) -> None:
    code, output = invoke("parse", str(trial), "-o", str(tmp_path / "missing" / "out.json"))
    assert code != 0 and "Could not open file" in output


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_item23_output_onto_dev_full_is_a_clean_error(trial: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "criteria_nlp", "parse", str(trial), "-o", "/dev/full"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1 and "No space left" in done.stderr and "Traceback" not in done.stderr


def test_item23_sigint_exits_130(trial: Path) -> None:
    from criteria_nlp.cli.main import _interrupted

    with pytest.raises(SystemExit) as stopped:
        _interrupted(2, None)
    assert stopped.value.code == 130

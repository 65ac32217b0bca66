"""``--jobs`` / ``workers=``: the same output as one process, in input order, errors where one process reports them;
JSONL input read as a stream."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.parallel import map_ordered
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_chia_lines, shared_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIALS = REPO_ROOT / "corpora" / "trials"


def _lines(limit: int = 300) -> list[tuple[str, str]]:
    """A few hundred Chia lines, or the bundled protocols' lines when ../shared is missing."""
    shared = shared_dir()
    lines = shared_chia_lines(shared) if shared is not None else []
    if not lines:
        for path in sorted(TRIALS.glob("*.txt")):
            lines.extend((line, "inclusion") for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return lines[:limit]


def _jsonl(lines: list[tuple[str, str]]) -> bytes:
    records = [{"id": f"r{n}", "text": text, "section": section} for n, (text, section) in enumerate(lines)]
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()


def test_parse_many_with_two_workers_is_the_same_in_order(parser: CriteriaParser) -> None:
    records = [(f"r{n}", text, section) for n, (text, section) in enumerate(_lines())]
    one = [criterion.model_dump_json() for criterion in parser.parse_many(records)]
    two = [criterion.model_dump_json() for criterion in parser.parse_many(iter(records), workers=2)]
    assert len(one) == len(records) > 50
    assert two == one


@pytest.mark.parametrize("output_format", ["constraints", "json", "text"])
def test_cli_parse_jobs_two_is_byte_identical(output_format: str) -> None:
    data = _jsonl(_lines())
    outputs = []
    for jobs in ("1", "2"):
        arguments = ["parse", "-", "--input-format", "jsonl", "--format", output_format, "--jobs", jobs]
        result = CliRunner().invoke(cli, arguments, input=data)
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1]
    if output_format == "json":
        assert [json.loads(line)["id"] for line in outputs[1].splitlines()] == [f"r{n}" for n in range(len(_lines()))]


def test_cli_parse_jobs_reports_a_bad_line_by_number_and_loses_no_other() -> None:
    data = _jsonl(_lines(150)) + b'{"id": broken\n' + _jsonl(_lines(3))
    result = CliRunner().invoke(
        cli, ["parse", "-", "--input-format", "jsonl", "--format", "json", "--jobs", "2"], input=data
    )
    assert result.exit_code == 1
    assert "line 151: not JSON" in result.output
    records = [json.loads(line)["id"] for line in result.output.splitlines() if line.startswith("{")]
    assert records == [f"r{n}" for n in range(150)] + ["r0", "r1", "r2"]


def test_jsonl_is_read_as_a_stream_with_utf8_errors_placed() -> None:
    good = _jsonl(_lines(2))
    data = b"\xef\xbb\xbf" + good + b'{"id": "x", "text": "bad \xff byte"}\n'
    result = CliRunner().invoke(cli, ["parse", "-", "--input-format", "jsonl"], input=data)
    assert result.exit_code != 0
    assert "not valid UTF-8: byte 0xff" in result.output
    position = data.index(b"\xff")
    assert f"(at {position}-{position + 1})" in result.output
    with_bom = CliRunner().invoke(cli, ["parse", "-", "--input-format", "jsonl"], input=b"\xef\xbb\xbf" + good)
    assert with_bom.exit_code == 0
    assert [json.loads(line)["id"] for line in with_bom.output.splitlines()] == ["r0", "r1"]


def test_cli_lint_jobs_two_is_the_same(tmp_path: Path) -> None:
    outputs = []
    for jobs in ("1", "2", "0"):
        result = CliRunner().invoke(cli, ["lint", str(TRIALS), "--format", "json", "--jobs", jobs])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert outputs[0] == outputs[1] == outputs[2]
    bad = tmp_path / "b.txt"
    bad.write_bytes(b"\xff\xfe")
    (tmp_path / "a.txt").write_text("Inclusion Criteria:\n1. Age >= 18 years\n", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Inclusion Criteria:\n1. Age >= 18 years\n", encoding="utf-8")
    errors = [CliRunner().invoke(cli, ["lint", str(tmp_path), "--jobs", jobs]) for jobs in ("1", "2")]
    assert [e.exit_code for e in errors] == [2, 2]
    assert errors[0].output == errors[1].output
    assert "b.txt is not valid UTF-8" in errors[1].output


def _double(items: list[int]) -> list[int]:
    return [2 * item for item in items]


def _items_then_failure() -> object:
    yield from range(10)
    raise ValueError("bad item 10")


def test_map_ordered_keeps_order_and_raises_reading_errors_after_earlier_results() -> None:
    assert list(map_ordered(_double, range(1000), workers=2, chunk_size=7)) == [2 * n for n in range(1000)]
    seen: list[int] = []
    with pytest.raises(ValueError, match="bad item 10"):
        for value in map_ordered(_double, _items_then_failure(), workers=2, chunk_size=3):  # type: ignore[arg-type]
            seen.append(value)
    assert seen == [2 * n for n in range(10)]


_WORKER_SEES = """
import sys
from criteria_nlp.knowledge import terminology
from criteria_nlp.parallel import map_ordered
from criteria_nlp.pipeline import default_parser

def loaded(items):
    return [terminology.is_loaded() for _ in items]

if __name__ == "__main__":
    parser = default_parser() if sys.argv[1] == "parser" else None
    assert not terminology.is_loaded()
    print(sorted(set(map_ordered(loaded, range(8), workers=2, parser=parser, chunk_size=2))))
"""


def test_workers_forked_with_a_parser_find_what_it_builds_on_first_use_built(tmp_path: Path) -> None:
    """The terminology's tables (loaded on a parser's first use, not when it is made) are loaded before forking,
    once, and shared by the workers; without a parser nothing is loaded for them."""
    import multiprocessing
    import os
    import subprocess
    import sys

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("workers are forked only where the system can fork")
    script = tmp_path / "worker_sees.py"
    script.write_text(_WORKER_SEES, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
    seen = {}
    for mode in ("parser", "none"):
        run = subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, env=env, timeout=300)
        assert run.returncode == 0, run.stderr
        seen[mode] = run.stdout.strip()
    assert seen == {"parser": "[True]", "none": "[False]"}

"""The result cache (``criteria_nlp.results``): ``parse`` and ``lint`` of an unchanged protocol rebuild the result
from its JSON, byte for byte the output of a fresh parse, without spaCy; damaged, unusable and full caches."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from criteria_nlp import cache, pipeline, results
from criteria_nlp.cli import cli

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIALS = sorted((REPO_ROOT / "corpora" / "trials").glob("*.txt"))
PROTOCOL = REPO_ROOT / "corpora" / "trials" / "NCT03219801.txt"
COMMANDS = [
    *(["parse", "--format", f] for f in ("json", "text", "constraints")),
    *(["lint", "--format", f] for f in ("text", "json", "sarif", "html")),
]


@pytest.fixture
def cache_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


def _run(arguments: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, arguments, env={"COLUMNS": "120", "NO_COLOR": "1"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def _no_parser(*args: object, **kwargs: object) -> None:
    raise AssertionError("the parser was asked for: the result did not come from the cache")


def _entries(directory: Path) -> list[Path]:
    return sorted((directory / results.FOLDER).glob("*.json"))


@pytest.mark.parametrize("protocol", TRIALS, ids=[p.stem for p in TRIALS])
def test_a_hit_gives_the_bytes_of_a_fresh_parse_in_every_format(
    protocol: Path, cache_in: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for command, *options in COMMANDS:
        arguments = [command, str(protocol), *options]
        monkeypatch.setenv(cache.CACHE_ENV, "off")
        fresh = _run(arguments)
        monkeypatch.setenv(cache.CACHE_ENV, str(cache_in))
        assert _run(arguments) == fresh  # a miss: parsed, written and stored
        with monkeypatch.context() as patched:
            patched.setattr(pipeline, "default_parser", _no_parser)
            assert _run(arguments) == fresh, arguments  # a hit
    assert len(_entries(cache_in)) == 2  # one document, one document with its report


def test_a_hit_imports_neither_spacy_nor_pint(cache_in: Path) -> None:
    code = (
        "import sys\n"
        "from criteria_nlp.cli.main import cli\n"
        "try:\n"
        "    cli(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = [m for m in ('spacy', 'pint', 'lark', 'criteria_nlp.pipeline') if m in sys.modules]\n"
        "    print('loaded:', heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), cache.CACHE_ENV: str(cache_in)}
    for arguments in (["parse", str(PROTOCOL), "--format", "constraints"], ["lint", str(PROTOCOL)]):
        runs = [
            subprocess.run(
                [sys.executable, "-c", code, *arguments], capture_output=True, text=True, env=env, timeout=300
            )
            for _ in range(2)
        ]
        assert runs[0].returncode == runs[1].returncode == 0, runs[1].stderr
        assert "'spacy'" in runs[0].stderr  # the miss parsed
        assert "loaded: []" in runs[1].stderr, runs[1].stderr
        assert runs[0].stdout == runs[1].stdout


def test_an_edited_protocol_misses(cache_in: Path, tmp_path: Path) -> None:
    protocol = tmp_path / "protocol.txt"
    protocol.write_text("Inclusion Criteria:\n1. Age >= 18 years\n", encoding="utf-8")
    first = _run(["parse", str(protocol), "--format", "constraints"])
    protocol.write_text("Inclusion Criteria:\n1. Age >= 21 years\n", encoding="utf-8")
    second = _run(["parse", str(protocol), "--format", "constraints"])
    assert "[18.0, true" in first[1] and "[21.0, true" in second[1]
    assert len(_entries(cache_in)) == 2


def test_the_key_holds_the_bytes_the_source_and_the_kind(cache_in: Path) -> None:
    keys = {
        results.result_key("parse", b"Age > 18", "a.txt"),
        results.result_key("parse", b"Age > 19", "a.txt"),
        results.result_key("parse", b"Age > 18", "b.txt"),
        results.result_key("parse", b"Age > 18", None),
        results.result_key("lint", b"Age > 18", "a.txt"),
    }
    assert len(keys) == 5 and None not in keys
    assert results.result_key("parse", b"Age > 18", "a.txt") in keys  # stable


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # cut short
        lambda raw: raw.replace(b'"inc-', b'"inx-', 1),  # a changed byte
        lambda raw: b"",
        lambda raw: results._MAGIC + __import__("hashlib").sha256(b"{}").hexdigest().encode() + b"\n{}",  # wrong shape
    ],
    ids=["truncated", "changed", "empty", "valid-hash-wrong-content"],
)
def test_a_damaged_entry_is_ignored_and_rebuilt(cache_in: Path, damage: object) -> None:
    arguments = ["parse", str(PROTOCOL), "--format", "json"]
    expected = _run(arguments)
    [entry] = _entries(cache_in)
    good = entry.read_bytes()
    entry.write_bytes(damage(good))  # type: ignore[operator]
    assert _run(arguments) == expected
    assert entry.read_bytes() == good  # rebuilt


def test_unwritable_cache_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv(cache.CACHE_ENV, str(blocker / "cache"))
    arguments = ["lint", str(PROTOCOL), "--format", "json"]
    assert _run(arguments)[0] == 0
    assert _run(arguments)[0] == 0
    assert not (blocker.parent / "cache").exists()


def test_a_read_only_cache_is_read_but_not_written(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    arguments = ["lint", str(PROTOCOL), "--format", "sarif"]
    expected = _run(arguments)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(results.os, "utime", refuse)
    monkeypatch.setattr(results.os, "replace", refuse)
    monkeypatch.setattr(pipeline, "default_parser", _no_parser)
    assert _run(arguments) == expected  # read
    monkeypatch.undo()
    monkeypatch.setenv(cache.CACHE_ENV, str(cache_in))
    monkeypatch.setattr(results.os, "replace", refuse)
    other = ["parse", str(PROTOCOL), "--format", "text"]
    assert _run(other)[0] == 0
    assert len(_entries(cache_in)) == 1  # the parse was not stored
    assert not list((cache_in / results.FOLDER).glob("*.tmp"))  # nor left half written


def test_the_cache_turned_off_keeps_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    assert results.result_key("parse", b"x", None) is None
    assert _run(["parse", str(PROTOCOL), "--format", "constraints"])[0] == 0
    assert results.cached_document(None) is None


def test_prune_removes_the_least_recently_used(tmp_path: Path) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    for age, name in enumerate(["newest", "middle", "oldest"]):
        path = folder / f"{name}.json"
        path.write_bytes(b"x" * 100)
        os.utime(path, (1_000_000 - age * 10, 1_000_000 - age * 10))
    results.prune(folder, max_bytes=250)
    assert sorted(p.stem for p in folder.iterdir()) == ["middle", "newest"]
    results.prune(folder, max_bytes=100)
    assert [p.stem for p in folder.iterdir()] == ["newest"]


def test_writing_keeps_the_folder_bounded(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(results, "MAX_BYTES", 1_000)
    for number in range(10):
        results.write_parts(f"key{number}", [b"y" * 300])
        os.utime(cache_in / results.FOLDER / f"key{number}.json", (number, number))
    kept = _entries(cache_in)
    assert sum(p.stat().st_size for p in kept) <= 1_000
    assert cache_in / results.FOLDER / "key9.json" in kept
    assert results.read_parts("key9") == [b"y" * 300]


def test_screen_reads_the_trial_from_the_entry_parse_wrote(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patient = str(REPO_ROOT / "corpora" / "patients" / "sle-fhir-bundle.json")
    arguments = ["screen", str(PROTOCOL), patient, "--index-date", "2026-11-01", "--format", "json"]
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    fresh = _run(arguments)
    monkeypatch.setenv(cache.CACHE_ENV, str(cache_in))
    _run(["parse", str(PROTOCOL)])  # the entry of `parse`, read by `screen` (the same bytes, the same name)
    assert len(_entries(cache_in)) == 1
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "default_parser", _no_parser)
        assert _run(arguments) == fresh
    assert len(_entries(cache_in)) == 1


def test_screen_stores_the_trial_and_never_caches_a_byte_order_mark(
    cache_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = str(REPO_ROOT / "corpora" / "patients" / "sle-fhir-bundle.json")
    marked = tmp_path / "marked.txt"
    marked.write_bytes(b"\xef\xbb\xbf" + PROTOCOL.read_bytes())
    for protocol in (marked, PROTOCOL):
        arguments = ["screen", str(protocol), patient, "--index-date", "2026-11-01", "--format", "json"]
        monkeypatch.setenv(cache.CACHE_ENV, "off")
        fresh = _run(arguments)
        monkeypatch.setenv(cache.CACHE_ENV, str(cache_in))
        assert _run(arguments) == fresh
    # only the unmarked protocol was kept: with its mark, screen parses a text `parse` would read without it
    assert len(_entries(cache_in)) == 1
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "default_parser", _no_parser)
        assert _run(arguments) == fresh


def _jsonl_input(tmp_path: Path) -> Path:
    lines = [
        '{"id": "a", "text": "Age from 18 to 65 years"}',
        '{"id": "b", "text": "LVEF < 40%", "section": "exclusion"}',
        "not json",
        '{"id": "c", "text": "Inclusion Criteria:"}',
    ]
    path = tmp_path / "criteria.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run_with_stderr(arguments: list[str], **kwargs: Any) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, arguments, **kwargs)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("output_format", ["json", "text", "constraints"])
def test_a_jsonl_file_hit_gives_the_output_and_the_problems_of_a_fresh_parse(
    output_format: str, cache_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jsonl_input(tmp_path)
    arguments = ["parse", str(path), "--input-format", "jsonl", "--format", output_format]
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    fresh = _run_with_stderr(arguments)
    assert fresh[0] == 1 and "line 3: not JSON" in fresh[2] and "section header" in fresh[2]
    monkeypatch.setenv(cache.CACHE_ENV, str(cache_in))
    assert _run_with_stderr(arguments) == fresh  # a miss: parsed, written and stored
    assert len(_entries(cache_in)) == 1
    with monkeypatch.context() as patched:
        patched.setattr(pipeline, "default_parser", _no_parser)
        assert _run_with_stderr(arguments) == fresh  # a hit
        assert _run_with_stderr([*arguments, "--jobs", "2"]) == fresh
    path.write_text(path.read_text(encoding="utf-8") + '{"id": "d", "text": "No HIV"}\n', encoding="utf-8")
    edited = _run_with_stderr(arguments)
    assert edited != fresh and len(_entries(cache_in)) == 2  # other bytes: another entry


def test_jsonl_from_a_pipe_or_over_the_limit_is_streamed_and_not_kept(
    cache_in: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _jsonl_input(tmp_path)
    piped = _run_with_stderr(["parse", "-", "--input-format", "jsonl"], input=path.read_bytes())
    assert piped[0] == 1 and '"id":"a"' in piped[1].replace(" ", "")
    assert _entries(cache_in) == []  # stdin that is not a file: its lines are parsed as they arrive
    monkeypatch.setattr(results, "MAX_CACHED_INPUT", path.stat().st_size - 1)
    assert _run_with_stderr(["parse", str(path), "--input-format", "jsonl"])[1] == piped[1]
    assert _entries(cache_in) == []
    monkeypatch.setattr(results, "MAX_CACHED_INPUT", path.stat().st_size)
    monkeypatch.setenv(results.RESULTS_ENV, "off")  # the result cache alone turned off
    assert _run_with_stderr(["parse", str(path), "--input-format", "jsonl"])[1] == piped[1]
    assert _entries(cache_in) == []
    monkeypatch.delenv(results.RESULTS_ENV)
    assert _run_with_stderr(["parse", str(path), "--input-format", "jsonl"])[1] == piped[1]
    assert len(_entries(cache_in)) == 1


def test_jsonl_on_stdin_redirected_from_a_file_is_kept(cache_in: Path, tmp_path: Path) -> None:
    path = _jsonl_input(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), cache.CACHE_ENV: str(cache_in)}
    command = [sys.executable, "-m", "criteria_nlp", "parse", "-", "--input-format", "jsonl", "--format", "constraints"]
    runs = []
    for _ in range(2):
        with path.open("rb") as stdin:
            runs.append(subprocess.run(command, stdin=stdin, capture_output=True, env=env, timeout=300, check=False))
    assert runs[0].returncode == runs[1].returncode == 1
    assert runs[0].stdout == runs[1].stdout and runs[0].stderr == runs[1].stderr and b"<stdin> line 3" in runs[0].stderr
    assert len(_entries(cache_in)) == 1

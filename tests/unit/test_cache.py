"""The start-up disk cache (``criteria_nlp.cache``): hit, miss, stale, corrupt and unusable directories, and the same
output with and without it (the phrase tokens, the grammar tables, pint's definitions)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import spacy

from criteria_nlp import cache
from criteria_nlp.grammar import parser as grammar_parser
from criteria_nlp.knowledge.units import registry as unit_registry
from criteria_nlp.text.nlp import annotate, annotations_of, build_pipeline, phrase_docs

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = REPO_ROOT / "corpora" / "trials" / "NCT03219801.txt"
TEXTS = [
    "Age >= 18 years and <= 75 years",
    "Hemoglobin < 9 g/dL or platelets <100,000/mm3 within the past 4 weeks",
    "LVEF ≥50% by echocardiogram; eGFR<30 mL/min/1.73m2",
    "No history of systemic lupus erythematosus (SLE) or HbA1c:7.5%-11.0%",
]


@pytest.fixture
def cache_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(directory))
    return directory


def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, str(tmp_path))
    assert cache.cache_dir() == tmp_path
    for off in ("off", "0", "", "  "):
        monkeypatch.setenv(cache.CACHE_ENV, off)
        assert cache.cache_dir() is None
        assert cache.entry_path("x", "k", ".json") is None
    monkeypatch.delenv(cache.CACHE_ENV)
    assert cache.cache_dir() is not None and "criteria-nlp" in str(cache.cache_dir())


def test_json_entry_hit_miss_and_stale(cache_in: Path) -> None:
    old, new = cache.key_of("data v1"), cache.key_of("data v2")
    assert old != new and cache.key_of("data v1") == old
    assert cache.read_json("thing", old) is None  # miss: nothing there yet
    cache.write_json("thing", old, {"a": [1, 2]})
    assert cache.read_json("thing", old) == {"a": [1, 2]}  # hit
    cache.write_json("thing", new, {"a": [3]})
    assert cache.read_json("thing", new) == {"a": [3]}
    assert cache.read_json("thing", old) is None  # stale entries are removed when a new one is written
    assert [p.name for p in cache_in.iterdir()] == [f"thing-{new}.json"]


def test_corrupt_entry_reads_as_missing(cache_in: Path) -> None:
    key = cache.key_of("x")
    cache.write_json("thing", key, [1])
    (cache_in / f"thing-{key}.json").write_bytes(b'{"truncated": [1, ')
    assert cache.read_json("thing", key) is None
    (cache_in / f"thing-{key}.json").write_bytes(b"\xff\xfe not utf-8")
    assert cache.read_json("thing", key) is None


def test_unusable_directory_is_silent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("not a directory")
    monkeypatch.setenv(cache.CACHE_ENV, str(a_file / "cache"))
    cache.write_json("thing", "k", [1])  # no error
    assert cache.read_json("thing", "k") is None
    assert cache.entry_path("thing", "k", ".json") is None


def test_write_failure_is_silent(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(cache.os, "replace", refuse)
    cache.write_json("thing", "k", [1])
    assert cache.read_json("thing", "k") is None
    assert not [p for p in cache_in.iterdir() if p.name.endswith(".tmp")]  # the partial file is removed


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes to read-only directories")
def test_read_only_directory_is_silent(cache_in: Path) -> None:
    cache_in.mkdir()
    cache_in.chmod(0o555)
    try:
        cache.write_json("thing", "k", [1])
        assert cache.read_json("thing", "k") is None
        assert unit_registry.__wrapped__().parse_units("mg/dL") is not None
        assert grammar_parser._parser.__wrapped__() is not None
    finally:
        cache_in.chmod(0o755)


def _tokens(docs: dict[str, spacy.tokens.Doc]) -> dict[str, list[tuple[str, str, int]]]:
    return {phrase: [(t.text, t.whitespace_, t.lower) for t in doc] for phrase, doc in docs.items()}


def test_phrase_tokens_are_the_same_from_the_cache(cache_in: Path) -> None:
    nlp = build_pipeline()
    phrases = ["ULN", "x ULN", "HbA1c", "≥", "e.g.", "don't", "systemic lupus erythematosus", "10^9/L"]
    built = _tokens(phrase_docs(nlp, phrases))  # miss: tokenised and stored
    assert len(list(cache_in.glob("phrase-tokens-*.json"))) == 1
    assert _tokens(phrase_docs(nlp, phrases)) == built  # hit
    for entry in cache_in.glob("phrase-tokens-*.json"):
        entry.write_text('{"ULN": [["U"], "not a list"]}', encoding="utf-8")
    assert _tokens(phrase_docs(nlp, phrases)) == built  # corrupt: tokenised again


def _annotations(nlp: spacy.language.Language) -> list[list[tuple[int, int, str, str]]]:
    return [sorted(annotations_of(doc)) for doc in annotate(nlp, TEXTS)]


def test_pipeline_annotates_the_same_with_and_without_cache(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = _annotations(build_pipeline())
    warm = _annotations(build_pipeline())
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    uncached = _annotations(build_pipeline())
    assert cold == warm == uncached
    assert any(kind == "UNIT" for doc in cold for _, _, kind, _ in doc)


def _chunks_with(parser: Any, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The chunks of TEXTS when the grammar stage uses ``parser`` (no templates remembered from other parsers)."""
    from criteria_nlp.grammar import parse_chunks, pieces_of
    from criteria_nlp.text.nlp import default_pipeline

    monkeypatch.setattr(grammar_parser, "_parser", lambda: parser)
    monkeypatch.setattr(grammar_parser, "_TEMPLATES", {})
    return [repr(parse_chunks(pieces_of(doc))) for doc in annotate(default_pipeline(), TEXTS)]


def test_grammar_tables_hit_and_corrupt(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = grammar_parser._parser.__wrapped__()
    [entry] = cache_in.glob("grammar-tables-*.pickle")
    loaded = grammar_parser._parser.__wrapped__()  # hit
    entry.write_bytes(b"garbage")
    rebuilt = grammar_parser._parser.__wrapped__()  # corrupt: built again
    expected = _chunks_with(built, monkeypatch)
    assert "ConstraintChunk" in "".join(expected)
    assert _chunks_with(loaded, monkeypatch) == expected
    assert _chunks_with(rebuilt, monkeypatch) == expected


def test_pint_definitions_hit_and_corrupt(cache_in: Path) -> None:
    first = unit_registry.__wrapped__()
    [folder] = cache_in.glob("pint-*")
    second = unit_registry.__wrapped__()
    for pickled in folder.glob("*.pickle"):
        pickled.write_bytes(b"garbage")
    third = unit_registry.__wrapped__()
    for ureg in (first, second, third):
        assert str(ureg.parse_units("ten_pow_9/L")) == str(first.parse_units("ten_pow_9/L"))
        assert ureg.Quantity(1, "mg/dL").to("g/L").magnitude == pytest.approx(0.01)


def _cli_constraints(env_cache: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src"), cache.CACHE_ENV: env_cache}
    result = subprocess.run(
        [sys.executable, "-m", "criteria_nlp", "parse", str(PROTOCOL), "--format", "constraints"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=True,
    )
    return result.stdout


def test_cli_output_is_the_same_cold_warm_corrupt_and_off(tmp_path: Path) -> None:
    directory = tmp_path / "cache"
    cold = _cli_constraints(str(directory))
    warm = _cli_constraints(str(directory))
    for entry in directory.rglob("*"):
        if entry.is_file():
            entry.write_bytes(b"\x00corrupt")
    corrupt = _cli_constraints(str(directory))
    assert cold == warm == corrupt == _cli_constraints("off")
    assert cold.count("\n") > 5

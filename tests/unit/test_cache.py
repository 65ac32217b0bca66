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
from criteria_nlp.text import pipeline_cache
from criteria_nlp.text.nlp import PhraseAnnotator, annotate, annotations_of, build_pipeline

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


def _phrases(nlp: spacy.language.Language) -> dict[str, object]:
    component = nlp.get_pipe("criteria_phrases")
    assert isinstance(component, PhraseAnnotator)
    return {"phrases": component.phrases, "labels": component.labels}


def test_pipeline_state_hit_corrupt_and_stale(cache_in: Path) -> None:
    built = _phrases(build_pipeline())  # miss: initialised and stored
    [entry] = cache_in.glob(f"{pipeline_cache.ENTRY}-*.bin")
    assert len(built["phrases"]) > 500  # type: ignore[arg-type]
    assert _phrases(build_pipeline()) == built  # hit
    for garbage in (b"garbage", b'{"criteria_phrases": "e30="}', b""):  # not JSON; a state of the wrong shape; empty
        entry.write_bytes(garbage)
        assert _phrases(build_pipeline()) == built  # corrupt: initialised again, the entry rewritten
        assert entry.read_bytes() not in (garbage, b"")


def test_pipeline_without_a_writable_cache(cache_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _annotations(build_pipeline())

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    for entry in cache_in.glob(f"{pipeline_cache.ENTRY}-*"):
        entry.unlink()
    monkeypatch.setattr(cache.os, "replace", refuse)  # as a read-only directory refuses (also for root)
    assert _annotations(build_pipeline()) == expected
    assert not list(cache_in.glob(f"{pipeline_cache.ENTRY}-*"))
    monkeypatch.setenv(cache.CACHE_ENV, str(cache_in / "entry" / "not-a-directory"))
    (cache_in / "entry").write_text("a file where the cache directory would be")
    assert _annotations(build_pipeline()) == expected


def test_pipeline_key_follows_every_data_and_code_file(tmp_path: Path) -> None:
    files = [tmp_path / "a.tsv", tmp_path / "b.py"]
    for file in files:
        file.write_text("one\n", encoding="utf-8")
    key = pipeline_cache.key_for(files)
    assert pipeline_cache.key_for(files) == key
    for file in files:
        file.write_text("two\n", encoding="utf-8")
        assert pipeline_cache.key_for(files) != key  # stale: the entry is not found and is built again
        file.write_text("one\n", encoding="utf-8")
    data = {p.relative_to(pipeline_cache.corpora_dir()).parts[0] for p in pipeline_cache.pipeline_data_files()}
    assert {"lexicon", "units"} <= data and not data & {"trials", "patients"}
    code = {p.name for p in pipeline_cache.pipeline_code_files()}
    assert {"nlp.py", "lexicon.py"} <= code


class _Plain:
    """A component with state but no to_bytes / from_bytes."""

    def __call__(self, doc: spacy.tokens.Doc) -> spacy.tokens.Doc:
        return doc


@spacy.language.Language.factory("criteria_test_plain")
def _make_plain(nlp: spacy.language.Language, name: str) -> _Plain:
    return _Plain()


def test_a_component_without_serialisation_is_initialised_every_time(cache_in: Path) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("criteria_test_plain")
    calls: list[int] = []
    assert not pipeline_cache.restore_or_initialize(nlp, lambda: calls.append(1), key="k")
    assert not pipeline_cache.restore_or_initialize(nlp, lambda: calls.append(1), key="k")
    assert calls == [1, 1] and not list(cache_in.glob("*"))


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


def test_two_installations_keep_their_entries_side_by_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two checkouts of one version with different data write entries of one name with different keys: in the user
    cache directory each has its own folder, so neither removes the other's entry."""
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(cache, "shared_cache_dir", lambda: tmp_path)
    first, second = tmp_path / "checkout-a" / "criteria_nlp", tmp_path / "checkout-b" / "criteria_nlp"
    for package in (first, second):
        package.mkdir(parents=True)
    keys = {}
    for package, data in ((first, "lexicon of a"), (second, "lexicon of b")):
        monkeypatch.setattr(cache, "_PACKAGE_DIR", package)
        keys[package] = cache.key_of(data)
        cache.write_json("pipeline", keys[package], {"built from": data})
    for package, data in ((first, "lexicon of a"), (second, "lexicon of b")):
        monkeypatch.setattr(cache, "_PACKAGE_DIR", package)
        assert cache.read_json("pipeline", keys[package]) == {"built from": data}
    folders = sorted(path.name for path in tmp_path.glob("install-*"))
    assert folders == sorted(cache.installation_namespace(package) for package in (first, second))
    # a new version in the same place replaces its own older entry only
    monkeypatch.setattr(cache, "_PACKAGE_DIR", first)
    newer = cache.key_of("lexicon of a, edited")
    cache.write_json("pipeline", newer, {"built from": "edited"})
    assert cache.read_json("pipeline", keys[first]) is None and cache.read_json("pipeline", newer) is not None
    monkeypatch.setattr(cache, "_PACKAGE_DIR", second)
    assert cache.read_json("pipeline", keys[second]) == {"built from": "lexicon of b"}


def test_the_folder_of_a_removed_installation_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(cache.CACHE_ENV, raising=False)
    monkeypatch.setattr(cache, "shared_cache_dir", lambda: tmp_path)
    cache.claim_namespace.cache_clear()
    gone, kept, here = tmp_path / "gone" / "criteria_nlp", tmp_path / "kept" / "criteria_nlp", tmp_path / "here"
    for package in (kept, here):
        package.mkdir(parents=True)
    for package in (gone, kept):
        folder = tmp_path / cache.installation_namespace(package)
        folder.mkdir()
        (folder / "origin").write_text(str(package), encoding="utf-8")
    unknown = tmp_path / "install-not-ours"  # no origin file: never removed
    unknown.mkdir()
    monkeypatch.setattr(cache, "_PACKAGE_DIR", here)
    cache.write_json("thing", cache.key_of("x"), [1])
    names = {path.name for path in tmp_path.iterdir() if path.name.startswith("install-")}
    assert names == {cache.installation_namespace(kept), cache.installation_namespace(here), unknown.name}
    assert (tmp_path / cache.installation_namespace(here) / "origin").read_text(encoding="utf-8") == str(here)
    cache.claim_namespace.cache_clear()

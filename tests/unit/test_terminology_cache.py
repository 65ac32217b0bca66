"""The terminology tables' loaded form kept on disk (issue 12, cold start): read back equal to the parsed tables,
rebuilt when a table changes, and never in the way when the cache directory is unusable or an entry is corrupt."""

from __future__ import annotations

import marshal
import shutil
from pathlib import Path

import pytest

from criteria_nlp.knowledge import terminology
from criteria_nlp.knowledge.terminology_cache import NAME, load_or_build_keyed
from criteria_nlp.resources import corpus_path

PACKAGED = corpus_path("terminology")


@pytest.fixture(scope="module")
def parsed() -> terminology.Tables:
    return terminology.read_tables(PACKAGED, terminology.read_word_roles(PACKAGED / "words.tsv"))


def _load(directory: Path = PACKAGED) -> tuple[terminology.Tables, bool]:
    return terminology.load_tables(directory, terminology.read_word_roles(directory / "words.tsv"))


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob(f"{NAME}-*"))


def test_the_second_load_reads_the_entry_and_it_equals_the_parsed_tables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: terminology.Tables
) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    first, cached = _load()
    assert not cached and len(_entries(tmp_path)) == 1
    second, cached = _load()
    assert cached
    assert first == second == parsed


@pytest.mark.parametrize("content", [b"", b"not marshal data \x00\xff", marshal.dumps((1, 2)), marshal.dumps({})])
def test_a_corrupt_or_foreign_entry_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: terminology.Tables, content: bytes
) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    _load()
    (entry,) = _entries(tmp_path)
    entry.write_bytes(content)
    tables, cached = _load()
    assert not cached and tables == parsed
    assert _load()[1]  # written again, whole


def test_an_unusable_cache_directory_is_silent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsed: terminology.Tables
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(blocker / "cache"))  # cannot be created, even by root
    assert _load() == (parsed, False)
    monkeypatch.setenv("CRITERIA_NLP_CACHE", "off")
    assert _load() == (parsed, False)


def test_a_changed_table_is_a_new_entry_and_the_stale_one_goes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = tmp_path / "terminology"
    shutil.copytree(PACKAGED, tables)
    cache = tmp_path / "cache"
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(cache))
    _load(tables)
    (old,) = _entries(cache)
    with (tables / "overrides.tsv").open("a", encoding="utf-8") as stream:
        stream.write("mesh:D999999\tFrobnication syndrome\t\tfrobnication syndrome\n")
    changed, cached = _load(tables)
    assert not cached and changed.terms[("frobnication", "syndrome")] == ("mesh:D999999",)
    assert _entries(cache) != [old] and len(_entries(cache)) == 1
    assert _load(tables) == (changed, True)


def test_concepts_are_built_on_use(parsed: terminology.Tables) -> None:
    layer = terminology.load_terminology()
    assert len(layer.concepts) == len(parsed.concepts)
    assert "mesh:D001749" in layer.concepts and "mesh:D0" not in layer.concepts
    concept = layer.concepts["mesh:D001749"]
    assert concept.name == "Urinary Bladder Neoplasms" and concept is layer.concepts["mesh:D001749"]
    assert layer.concept("nope:1") is None


def _lexicon_state(key: str) -> tuple[object, bool]:
    lexicon = terminology.load_lexicon()
    tables, _ = _load()
    return load_or_build_keyed(
        terminology.LEXICON_ENTRY,
        key,
        lambda: terminology.lexicon_state_of(tables, lexicon, terminology.spacy_tokenize),
        lambda stored: isinstance(stored, tuple) and len(stored) == 2,
    )


@pytest.mark.parametrize("corrupt", [None, b"", b"\x00\xff not marshal", marshal.dumps(7)])
def test_the_lexicon_state_is_stored_equal_and_rebuilt_when_corrupt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corrupt: bytes | None
) -> None:
    """What the tables make of the lexicon (its forms tokenised, the curated links) is kept on disk too (start-up);
    read back it equals what is computed, and a corrupt entry is computed again."""
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    computed, cached = _lexicon_state("k1")
    assert not cached
    if corrupt is not None:
        (entry,) = tmp_path.glob(f"{terminology.LEXICON_ENTRY}-*")
        entry.write_bytes(corrupt)
    stored, cached = _lexicon_state("k1")
    assert cached is (corrupt is None)
    assert stored == computed
    assert _lexicon_state("k2")[1] is False  # another key (changed data or code): computed again
    assert len(list(tmp_path.glob(f"{terminology.LEXICON_ENTRY}-*"))) == 1 and len(_entries(tmp_path)) == 1


def test_the_packaged_terminology_from_the_cache_matches_as_computed() -> None:
    lexicon = terminology.load_lexicon()
    tables, _ = _load()
    state = terminology.lexicon_state_of(tables, lexicon, terminology.spacy_tokenize)
    restored = marshal.loads(marshal.dumps(state))
    fresh = terminology.Terminology(tables, lexicon, terminology.spacy_tokenize, terminology.read_word_roles())
    stored = terminology.Terminology(tables, lexicon, terminology.spacy_tokenize, fresh.words, restored)
    for text in ("bladder cancer", "history of metformin use", "pulmonary tuberculosis", "antibiotics"):
        assert [m.match for m in stored.match_text(text)] == [m.match for m in fresh.match_text(text)]
    assert stored.is_a("mesh:D014397", "tuberculosis") and fresh.is_a("mesh:D014397", "tuberculosis")

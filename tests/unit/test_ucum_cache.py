"""from_ucum's answers in the disk cache: a later process answers without building ucumvert's registry, the same
answers (units and errors alike), and a missing, corrupt, read-only or turned-off cache only means computing them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from criteria_nlp.errors import UnknownUnitError
from criteria_nlp.knowledge.units import ucum, ucum_cache
from criteria_nlp.knowledge.units.ucum import from_ucum

# a fallback-table code, codes ucumvert reads, a human spelling labelled as UCUM, and codes that are no unit
CODES = ("mm[Hg]", "10*3/uL", "mg/dL", "mL/min/{1.73_m2}", "IU/L", "kg/m2", "furlongs", "2.mg")


def _answers() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    answers: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for code in CODES:
        try:
            answers[code] = ("unit", from_ucum(code), ())
        except UnknownUnitError as error:
            answers[code] = ("error", error.describe(), tuple(error.suggestions))
    return answers


def _new_process() -> None:
    """What a new process starts from: no answers in memory, no registry built."""
    from_ucum.cache_clear()
    ucum._ucum_registry.cache_clear()
    ucum_cache.forget()


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    _new_process()
    yield
    _new_process()


@pytest.fixture(scope="module")
def computed() -> dict[str, tuple[str, str, tuple[str, ...]]]:
    """The answers computed with the cache off (ucumvert's registry built)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CRITERIA_NLP_CACHE", "off")
        _new_process()
        return _answers()


def _no_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse() -> None:
        raise AssertionError("ucumvert's registry was built")

    monkeypatch.setattr(ucum, "_ucum_registry", refuse)


def test_a_later_process_answers_from_the_entry_without_ucumvert(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, computed: dict[str, tuple[str, str, tuple[str, ...]]]
) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    assert _answers() == computed
    assert computed["furlongs"][0] == "error" and computed["mm[Hg]"] == ("unit", "mmHg", ())
    (entry,) = tmp_path.glob(f"{ucum_cache.ENTRY}-*.json")
    assert set(json.loads(entry.read_text())) == set(CODES)
    _new_process()
    _no_registry(monkeypatch)
    assert _answers() == computed


def test_answers_are_added_as_codes_are_met(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    from_ucum("mg/dL")
    _new_process()
    from_ucum("kg/m2")  # another process meets another code: the entry keeps both
    (entry,) = tmp_path.glob(f"{ucum_cache.ENTRY}-*.json")
    assert set(json.loads(entry.read_text())) == {"mg/dL", "kg/m2"}


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[1, 2]",
        json.dumps({"mg/dL": ["unit", "g/L", ["x"]], "10*3/uL": ["maybe", "x", []], "mm[Hg]": "mmHg"}).encode(),
        json.dumps({"kg/m2": ["error", 3, []], "IU/L": ["unit"], "furlongs": ["error", "no", [1]]}).encode(),
    ],
)
def test_a_corrupt_entry_is_not_used(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    computed: dict[str, tuple[str, str, tuple[str, ...]]],
) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    (tmp_path / f"{ucum_cache.ENTRY}-{ucum_cache.entry_key()}.json").write_bytes(content)
    assert _answers() == computed  # every malformed answer (a unit with suggestions too) is computed again


def test_an_entry_of_other_data_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRITERIA_NLP_CACHE", str(tmp_path))
    (tmp_path / f"{ucum_cache.ENTRY}-{'0' * 32}.json").write_text(json.dumps({"mg/dL": ["unit", "kg", []]}))
    assert from_ucum("mg/dL") == "mg/dL"
    assert not (tmp_path / f"{ucum_cache.ENTRY}-{'0' * 32}.json").exists()  # the stale entry was replaced


def test_off_unwritable_and_missing_caches_compute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, computed: dict[str, tuple[str, str, tuple[str, ...]]]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for setting in ("off", str(blocker / "cache"), str(tmp_path / "new" / "folder")):
        monkeypatch.setenv("CRITERIA_NLP_CACHE", setting)
        _new_process()
        assert _answers() == computed
    assert list((tmp_path / "new" / "folder").glob(f"{ucum_cache.ENTRY}-*.json"))

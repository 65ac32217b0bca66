"""The readers' triggers (``criteria_nlp.build.readers.TRIGGERS``): the driver skips a reader whose trigger its
clause lacks, which must change nothing. Every reader is run here unskipped, on the golden inputs and on a sample
of the Chia lines; a reader the driver would have skipped must leave the clause's state exactly as it was, and
the criteria must be the same with and without skipping. A reader changed to read something its trigger does not
name fails here, loudly, with the reader and the text."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import criteria_nlp.build.builder as builder_module
from criteria_nlp.build import READERS, BuildState
from criteria_nlp.build.readers import TRIGGERS, Reader, Trigger, asks, unasked
from criteria_nlp.ir import Section
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_chia_lines, shared_dir

GOLDEN = Path(__file__).parent.parent / "golden"
_CHIA_SAMPLE = 1200  # lines spread over the whole corpus (every n-th), so that every trial's style is in it


def _golden_records() -> list[tuple[str, str, Section]]:
    records: list[tuple[str, str, Section]] = []
    for path in sorted(GOLDEN.rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            case = json.loads(line)
            if isinstance(case.get("text"), str):
                section = case.get("section") if case.get("section") in ("inclusion", "exclusion") else "inclusion"
                records.append((f"{path.stem}:{case.get('id', len(records))}", case["text"], section))
    return records


def _chia_records() -> list[tuple[str, str, Section]]:
    shared = shared_dir()
    lines = shared_chia_lines(shared) if shared is not None else []
    if not lines:
        pytest.skip("../shared/corpora/chia is not available")
    step = max(1, len(lines) // _CHIA_SAMPLE)
    return [(str(n), text, section) for n, (text, section) in enumerate(lines) if n % step == 0]  # type: ignore[misc]


def _snapshot(state: BuildState) -> dict[str, Any]:
    """Everything a reader may write on the state (containers copied, so that a later change shows)."""
    found: dict[str, Any] = {}
    for name in BuildState.__slots__:  # type: ignore[attr-defined]
        value = getattr(state, name)
        if name == "ledger":
            value = (dict(value.entries), set(value.held_concepts), list(value.chunks))
        elif isinstance(value, list | dict | set):
            value = copy.copy(value)
        found[name] = value
    return found


def _checking(reader: Reader, failures: list[str]) -> Reader:
    """``reader``, asserting that it changes nothing wherever the driver would skip it."""

    def checked(state: BuildState) -> None:
        if asks(reader, state, unasked(state)):
            reader(state)
            return
        before = _snapshot(state)
        reader(state)
        after = _snapshot(state)
        if after != before:
            changed = sorted(name for name in before if before[name] != after[name])
            text = state.document
            failures.append(f"{reader.__name__} skipped but changes {changed} on {text!r}")

    return checked


def _unskipped() -> CriteriaParser:
    parser = CriteriaParser()
    parser.builder.skip_readers = False
    return parser


def _no_op_failures(records: list[tuple[str, str, Section]], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    failures: list[str] = []
    monkeypatch.setattr(builder_module, "READERS", tuple(_checking(r, failures) for r in READERS))
    for _ in _unskipped().parse_many(records):
        pass
    return failures


def _dumps(parser: CriteriaParser, records: list[tuple[str, str, Section]]) -> Iterator[str]:
    for criterion in parser.parse_many(records, claims=True):
        yield criterion.model_dump_json() + json.dumps([c.model_dump() for c in criterion.claims])


def _differences(records: list[tuple[str, str, Section]]) -> list[str]:
    skipping = CriteriaParser()
    assert skipping.builder.skip_readers
    pairs = zip(records, _dumps(skipping, records), _dumps(_unskipped(), records), strict=True)
    return [text for (_, text, _), fast, slow in pairs if fast != slow]


def test_every_trigger_names_a_reader_and_something_to_look_for() -> None:
    assert set(TRIGGERS) <= set(READERS)
    for reader, trigger in TRIGGERS.items():
        assert trigger != Trigger(), reader.__name__  # an empty trigger would skip the reader on every clause


def test_golden_inputs_skipped_readers_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    records = _golden_records()
    assert len(records) > 500
    assert _no_op_failures(records, monkeypatch) == []


def test_golden_inputs_parse_the_same_with_and_without_skipping() -> None:
    assert _differences(_golden_records()) == []


def test_readers_are_skipped_on_golden_inputs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The triggers do skip: every reader with a trigger is skipped on some golden clause and asked on another
    (a trigger that always holds, or never, would be a mistake in it)."""
    seen: dict[str, set[bool]] = {}

    def recording(reader: Reader) -> Reader:
        def recorded(state: BuildState) -> None:
            seen.setdefault(reader.__name__, set()).add(asks(reader, state, unasked(state)))
            reader(state)

        return recorded

    monkeypatch.setattr(builder_module, "READERS", tuple(recording(r) for r in READERS))
    for _ in _unskipped().parse_many(_golden_records()):
        pass
    for reader in TRIGGERS:
        assert seen.get(reader.__name__) == {True, False}, reader.__name__


@pytest.mark.shared
def test_chia_sample_skipped_readers_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _no_op_failures(_chia_records(), monkeypatch) == []


@pytest.mark.shared
def test_chia_sample_parses_the_same_with_and_without_skipping() -> None:
    assert _differences(_chia_records()) == []

"""Stage 3: the LALR grammar and its contextual lexer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from lark import Lark

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.grammar import ConstraintChunk, WindowChunk, classify, parse_chunks, pieces_of
from criteria_nlp.grammar.parser import _TRANSFORMER, _parser, _replay, _template
from criteria_nlp.grammar.words import grammar_words, load_grammar_words
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.resources import grammar_path
from criteria_nlp.text.nlp import default_pipeline


def test_grammar_is_lalr_without_conflicts() -> None:
    pytest.importorskip("interegular")
    Lark(grammar_path("constraints.lark").read_text(encoding="utf-8"), parser="lalr", lexer="basic", strict=True)


def _terminals(text: str) -> list[tuple[str, str]]:
    pieces = pieces_of(default_pipeline()(text))
    return [(t.type, str(t)) for t in classify(pieces)]


def _chunks(text: str) -> list[object]:
    chunks, skipped = parse_chunks(pieces_of(default_pipeline()(text)))
    assert not skipped
    return chunks


def test_variable_list_heads_a_shared_threshold() -> None:
    terminals = _terminals("ALT and AST ≤ 2.5 × ULN")
    assert [t for t, _ in terminals] == ["VAR", "VAR_SEP", "VAR", "CMP_PRE", "NUM", "REF"]


def test_a_variable_without_threshold_is_prose() -> None:
    assert ("PROSE", "ALT") in _terminals("history of ALT elevation")


def test_or_between_thresholds_is_a_disjunction() -> None:
    chunk = _chunks("systolic blood pressure < 90 or > 160 mmHg")[0]
    assert isinstance(chunk, ConstraintChunk)
    first, second = chunk.thresholds
    assert first.high is not None and first.high.value == 90 and first.low is None
    assert second.low is not None and second.low.value == 160 and second.high is None


def test_variables_joined_by_or_are_either() -> None:
    chunk = _chunks("ALT or AST > 3 x ULN")[0]
    assert isinstance(chunk, ConstraintChunk)
    assert chunk.either and [v.id for v in chunk.variables] == ["alt", "ast"]


def test_lower_and_upper_bound_joined_by_and_make_one_interval() -> None:
    chunk = _chunks("creatinine greater than 1.4 and less than or equal to 2.0 mg/dL")[0]
    assert isinstance(chunk, ConstraintChunk)
    (threshold,) = chunk.thresholds
    assert threshold.low is not None and threshold.high is not None
    assert (threshold.low.value, threshold.low_inclusive, threshold.high.value, threshold.high_inclusive) == (
        1.4,
        False,
        2.0,
        True,
    )


@pytest.mark.parametrize(
    ("text", "min_ago", "max_ago"),
    [("within 6 months prior to screening", None, 6), ("at least 4 weeks before randomization", 4, None)],
)
def test_windows(text: str, min_ago: float | None, max_ago: float | None) -> None:
    window = next(c for c in _chunks(text) if isinstance(c, WindowChunk))
    assert (window.min_ago.value if window.min_ago else None) == min_ago
    assert (window.max_ago.value if window.max_ago else None) == max_ago


def test_prose_pieces_pass_through_unparsed_by_lark() -> None:
    pieces = pieces_of(default_pipeline()("Patients with active tuberculosis"))
    chunks, skipped = parse_chunks(pieces)
    assert not skipped
    assert [c.piece.text for c in chunks] == [p.text for p in pieces]  # type: ignore[union-attr]


def _golden_texts() -> list[str]:
    path = Path(__file__).parent.parent / "golden" / "parse_cases.jsonl"
    return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_replayed_templates_give_what_lark_gives() -> None:
    """Runs of the same terminal types reuse one tree shape; the replay must equal lark's own transform."""
    compared = 0
    for text in _golden_texts():
        runs: list[list[Any]] = [[]]
        for item in classify(pieces_of(default_pipeline()(text))):
            if item.type == "PROSE":
                runs.append([])  # parse_chunks sends lark the runs between prose words
            else:
                runs[-1].append(item)
        for run in runs:
            template = _template(run) if run else None
            if template is None:
                continue
            assert _replay(template, run) == _TRANSFORMER.transform(_parser().parse(iter(run))), text
            compared += 1
    assert compared > 100


@pytest.mark.parametrize(
    ("text", "interval"),
    [
        (">18 to < 90 years old", (18.0, False, 90.0, False)),
        ("≥ 18 to ≤ 65 years", (18.0, True, 65.0, True)),
        ("CAC between 10 to <1000", (10.0, True, 1000.0, False)),
    ],
)
def test_ranges_whose_ends_carry_comparators(text: str, interval: tuple[float, bool, float, bool]) -> None:
    (chunk,) = [c for c in _chunks(text) if isinstance(c, ConstraintChunk)]
    (threshold,) = chunk.thresholds
    assert threshold.low is not None and threshold.high is not None
    assert (threshold.low.value, threshold.low_inclusive, threshold.high.value, threshold.high_inclusive) == interval


def test_bounds_that_no_value_meets_together_are_alternatives() -> None:
    """ "BMI < 35 and > 60" lists two excluded ranges; as one interval it would admit nothing."""
    (chunk,) = [c for c in _chunks("BMI <35 and > 60 kg/m2") if isinstance(c, ConstraintChunk)]
    assert len(chunk.thresholds) == 2
    (joined,) = [c for c in _chunks("Creatinine > 1.4 and <= 2.0 mg/dL") if isinstance(c, ConstraintChunk)]
    assert len(joined.thresholds) == 1


def test_windows_read_the_time_units_of_the_duration_table() -> None:
    """The grammar asks knowledge.durations; on the unit registry's canonical spellings it accepts what it always
    did (year, month, week, day, hour, minute as "min")."""
    canonical = {units.normalize_unit(s) for s in ("years", "mo", "wks", "d", "hrs", "minutes", "sec", "ms", "mg/day")}
    assert {u for u in canonical if duration_of(u) is not None} == {"year", "month", "week", "day", "hour", "min"}
    assert any(isinstance(c, WindowChunk) for c in _chunks("within 48 hrs of randomization"))


def test_grammar_words_are_read_from_their_data_file() -> None:
    words = grammar_words()
    assert "or" in words.value_or and "twice" in words.multiplier_word


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("# header\nvalue_or\n", "expected a set name, a tab and a word"),
        ("# header\nvalue_ro\tor\n", "did you mean 'value_or'"),
        ("value_or\tor\n", "no words for value_and"),
    ],
)
def test_grammar_words_file_errors_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "grammar_words.tsv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match=message):
        load_grammar_words(path)

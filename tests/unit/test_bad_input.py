"""Bad input never crashes or hangs the parser: it gives a clear error or an ``unparsed`` result.

Covers the "Bad input" acceptance point of the parser issue: empty text, text with no criteria, invalid UTF-8,
control characters, over-long criteria, a 10 MB input, symbols, scripts other than Latin, emoji, long tokens,
deep brackets, and malformed JSONL on the command line.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.ir import (
    CriteriaDocument,
    Criterion,
    Demographic,
    Presence,
    ReferenceMultiple,
    Unparsed,
    walk,
)
from criteria_nlp.pipeline import MAX_CRITERION_CHARS, CriteriaParser, decode_text, parse_criteria, parse_criterion

SpanProblems = Callable[[CriteriaDocument], list[str]]

REPO_ROOT = Path(__file__).resolve().parents[2]

REALISTIC_LINES = (
    "Age from 14 to 60 years",
    "Left ventricular ejection fraction (LVEF) >= 50%",
    "ALT and AST <= 2.5 x ULN",
    "No active tuberculosis",
    "Pregnancy and breastfeeding women",
    "Hemoglobin >= 9 g/dL within 14 days prior to enrollment",
    "Platelets >= 100 x 10^9/L",
    "Creatinine clearance > 60 mL/min",
    "ECOG performance status 0-1",
    "Understanding and willingness to sign a written informed consent document",
)


def kinds(criterion: Criterion) -> set[str]:
    return {node.kind for node in walk(criterion.expression)}


def numbered(lines: list[str] | tuple[str, ...], header: str = "Inclusion Criteria:") -> str:
    return header + "\n" + "".join(f"{number}. {line}\n" for number, line in enumerate(lines, start=1))


def criterion_of_length(length: int) -> str:
    """A realistic (repetitive) criterion body of exactly ``length`` characters."""
    clause = "serum creatinine <= 1.5 mg/dL and hemoglobin >= 9 g/dL and "
    body = (clause * (length // len(clause) + 1))[:length]
    return body[:-1] + "L"  # never end on a space that segmentation would trim


# --- empty text and text without criteria -------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "   \n\t \n", "\n\n\n", "\r\n\r\n"], ids=repr)
def test_empty_or_whitespace_text_gives_no_criteria_diagnostic(text: str, span_problems: SpanProblems) -> None:
    document = parse_criteria(text)
    assert document.criteria == ()
    assert [d.code for d in document.diagnostics] == ["no-criteria"]
    assert document.diagnostics[0].severity == "error"
    assert span_problems(document) == []


def test_headers_without_items_give_no_criteria_diagnostic() -> None:
    document = parse_criteria("Inclusion Criteria:\n\nExclusion Criteria:\n")
    assert document.criteria == ()
    assert [d.code for d in document.diagnostics] == ["no-criteria"]


@pytest.mark.parametrize(
    "text",
    [
        "This study is sponsored by ACME Pharmaceuticals.",
        "Contact the study coordinator for further information about participation.",
    ],
)
def test_prose_without_criteria_is_a_no_criteria_document_or_uncomputable(
    text: str, span_problems: SpanProblems
) -> None:
    document = parse_criteria(text)
    assert span_problems(document) == []
    if not document.criteria:
        assert [d.code for d in document.diagnostics] == ["no-criteria"]
    else:
        # Prose with no variable, threshold or condition is kept as a criterion that nothing can decide.
        assert all(criterion.status == "not_computable" for criterion in document.criteria)


@pytest.mark.parametrize("text", ["", "   ", "\n"], ids=repr)
def test_parse_criterion_of_empty_text_is_unparsed(text: str) -> None:
    criterion = parse_criterion(text)
    assert isinstance(criterion.expression, Unparsed)
    assert criterion.expression.reason
    assert criterion.status == "not_computable"
    assert 0 <= criterion.span.start <= criterion.span.end <= len(text)


# --- invalid UTF-8 ----------------------------------------------------------------------------------------------


INVALID_UTF8 = b"Inclusion Criteria:\n1. Age >= 18 years\n2. Hemoglobin " + b"\xff\xfe 9 g/dL\n"
INVALID_POSITION = INVALID_UTF8.index(b"\xff")


def test_decode_text_names_the_byte_position() -> None:
    with pytest.raises(CriteriaInputError) as caught:
        decode_text(INVALID_UTF8, source="protocol.txt")
    error = caught.value
    assert error.start == INVALID_POSITION
    assert "protocol.txt" in str(error)
    assert "UTF-8" in str(error)
    assert "0xff" in str(error)
    assert str(INVALID_POSITION) in str(error)


@pytest.mark.parametrize(
    ("data", "position"),
    [
        (b"\x80", 0),  # lone continuation byte
        (b"Age \xc3", 4),  # truncated two-byte sequence
        (b"ok\xed\xa0\x80", 2),  # encoded surrogate
        (b"ALT \xc0\xaf", 4),  # overlong encoding
    ],
)
def test_decode_text_rejects_malformed_sequences(data: bytes, position: int) -> None:
    with pytest.raises(CriteriaInputError) as caught:
        decode_text(data)
    assert caught.value.start == position


def test_decode_text_accepts_bom_and_valid_text() -> None:
    assert decode_text("\ufeff1. Âge ≥ 18".encode()) == "1. Âge ≥ 18"


def test_parse_criteria_bytes_with_invalid_utf8_raises_input_error() -> None:
    with pytest.raises(CriteriaInputError) as caught:
        parse_criteria(INVALID_UTF8)
    assert caught.value.start == INVALID_POSITION


def test_parse_criteria_valid_bytes_are_decoded() -> None:
    document = parse_criteria(numbered(["Age >= 18 years"]).encode())
    assert len(document.criteria) == 1
    assert "demographic" in kinds(document.criteria[0])


def test_cli_invalid_utf8_exits_non_zero_with_a_message(tmp_path: Path) -> None:
    """A real process: the exit status and stderr a shell user sees."""
    protocol = tmp_path / "protocol.txt"
    protocol.write_bytes(INVALID_UTF8)
    env = {"PYTHONPATH": str(REPO_ROOT / "src"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "criteria_nlp", "parse", str(protocol)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "not valid UTF-8" in result.stderr
    assert "0xff" in result.stderr
    assert str(INVALID_POSITION) in result.stderr
    assert result.stdout == ""


def test_cli_invalid_utf8_on_stdin_is_a_clean_error() -> None:
    result = CliRunner().invoke(cli, ["parse", "-", "--format", "text"], input=INVALID_UTF8)
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)
    assert "not valid UTF-8" in result.output
    assert "Traceback" not in result.output


def test_cli_empty_input_reports_no_criteria_without_crashing() -> None:
    result = CliRunner().invoke(cli, ["parse", "-", "--format", "text"], input=b"")
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "no eligibility criteria" in result.output


# --- control characters -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x7f", "\x0c", "\x1b[31m", "\x08", "\x85"], ids=repr)
def test_control_characters_inside_criteria(control: str, span_problems: SpanProblems) -> None:
    text = (
        f"Inclusion Criteria:\n1. Age{control} >= 18 years\n2. ALT{control}<= 2.5 x ULN\n"
        f"3. No active tuberculosis{control}\n"
    )
    document = parse_criteria(text)
    assert len(document.text) == len(text)  # offsets keep pointing into the caller's text
    assert span_problems(document) == []
    assert len(document.criteria) == 3
    age, alt, tuberculosis = document.criteria
    assert "demographic" in kinds(age)
    assert "reference_multiple" in kinds(alt)
    assert any(
        isinstance(node, Presence) and node.concept.id == "tuberculosis" for node in walk(tuberculosis.expression)
    )
    assert document.model_dump_json()  # control characters survive serialisation


def test_text_of_only_control_characters(span_problems: SpanProblems) -> None:
    text = "\x00\x01\x02\x1b\x7f\x0c\x0b"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert len(document.text) == len(text)
    assert not any(criterion.status == "computable" for criterion in document.criteria)


# --- over-long criteria ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [MAX_CRITERION_CHARS, 5_000, 6_000, 20_000])
def test_long_criterion_is_parsed_or_unparsed_with_a_reason(length: int, span_problems: SpanProblems) -> None:
    body = criterion_of_length(length)
    text = "Inclusion Criteria:\n1. " + body + "\n2. Age >= 18 years\n"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert len(document.criteria) == 2
    long_one, age = document.criteria
    assert long_one.text == body
    assert "demographic" in kinds(age)  # the neighbour is unaffected
    expression = long_one.expression
    if isinstance(expression, Unparsed):
        assert expression.reason
        assert expression.span == long_one.span
    else:
        assert "comparison" in kinds(long_one)
    if length > MAX_CRITERION_CHARS:
        assert isinstance(expression, Unparsed)
        assert "too-long" in {d.code for d in long_one.diagnostics}


def test_long_criterion_through_parse_criterion() -> None:
    body = criterion_of_length(6_000)
    criterion = parse_criterion(body)
    assert criterion.text == body
    assert isinstance(criterion.expression, Unparsed)
    assert criterion.expression.reason


class RecordingPipeline:
    """Wraps the spaCy pipeline and records the texts it tokenises."""

    def __init__(self, pipeline: Any) -> None:
        self.wrapped = pipeline
        self.pipeline = pipeline.pipeline
        self.texts: list[str] = []

    def make_doc(self, text: str) -> Any:
        self.texts.append(text)
        return self.wrapped.make_doc(text)


def test_over_long_criterion_is_not_sent_through_the_pipeline(
    parser: CriteriaParser, monkeypatch: pytest.MonkeyPatch
) -> None:
    recording = RecordingPipeline(parser.nlp)
    monkeypatch.setattr(parser, "nlp", recording)
    body = criterion_of_length(MAX_CRITERION_CHARS + 1_000)
    document = parser.parse("Inclusion Criteria:\n1. " + body + "\n2. Age >= 18 years\n")
    assert isinstance(document.criteria[0].expression, Unparsed)
    assert "demographic" in kinds(document.criteria[1])
    assert recording.texts, "the pipeline was not used at all"
    assert max(len(text) for text in recording.texts) <= MAX_CRITERION_CHARS


def test_run_without_spaces_is_not_tokenised(parser: CriteriaParser) -> None:
    """spaCy's tokenizer is quadratic on long runs without spaces: such a criterion is refused before it."""
    document = parser.parse("Inclusion Criteria:\n1. " + "(" * 4_000 + "\n2. Age >= 18 years\n")
    first = document.criteria[0].expression
    assert isinstance(first, Unparsed) and "without a space" in first.reason
    assert "demographic" in kinds(document.criteria[1])


@pytest.mark.slow
def test_ten_megabyte_input_completes_with_every_criterion(span_problems: SpanProblems) -> None:
    target = 10 * 1024 * 1024
    lines: list[str] = []
    size = 0
    while size < target:
        line = f"{len(lines) + 1}. {REALISTIC_LINES[len(lines) % len(REALISTIC_LINES)]}\n"
        lines.append(line)
        size += len(line)
    text = "Inclusion Criteria:\n" + "".join(lines)
    assert len(text) >= target

    document = parse_criteria(text)

    assert len(document.criteria) == len(lines)
    # Segmentation reads item numbers of up to three digits as labels; longer ones stay part of the text.
    assert [c.label for c in document.criteria[:999]] == [str(number) for number in range(1, 1000)]
    for number, criterion in enumerate(document.criteria):
        assert criterion.text.endswith(REALISTIC_LINES[number % len(REALISTIC_LINES)]), criterion.text
    assert span_problems(document) == []
    statuses = {criterion.status for criterion in document.criteria}
    assert "computable" in statuses
    consent = document.criteria[9]
    assert consent.text.startswith("Understanding")
    assert consent.status == "not_computable"


# --- symbols, scripts, emoji, long tokens, brackets -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "!!!???...\n;;;:::,,,\n",
        "1234567890\n3.14159\n-42\n",
        "§§ ©®™ ±± °° µµ ‰ ∞ ≈ ≠\n",
        "≥≥≥ ≤≤≤ <<< >>> === ×××\n",
        "•\n-\n*\n1.\n2)\na.\n",
        "( ) [ ] { } < >\n",
        "1. ///\n2. ---\n3. ...\n",
    ],
    ids=repr,
)
def test_lines_of_symbols_and_numbers_never_crash(text: str, span_problems: SpanProblems) -> None:
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert document.criteria or [d.code for d in document.diagnostics] == ["no-criteria"]
    for criterion in document.criteria:
        assert criterion.status != "computable", criterion


@pytest.mark.parametrize(
    "text",
    [
        "1. العمر أكبر من 18 سنة\n2. لا يوجد حمل\n",  # Arabic (RTL)
        "1. גיל 18 ומעלה\n",  # Hebrew (RTL)
        "1. \u202eAge >= 18 years\u202c\n",  # RTL override
        "1. 年龄18至65岁\n2. 血红蛋白≥90 g/L\n",  # Chinese
        "1. 年齢は18歳以上\n",  # Japanese
        "1. 나이 18세 이상\n",  # Korean
    ],
    ids=["arabic", "hebrew", "rtl-override", "chinese", "japanese", "korean"],
)
def test_rtl_and_cjk_text(text: str, span_problems: SpanProblems) -> None:
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert document.criteria
    assert CriteriaDocument.model_validate_json(document.model_dump_json()) == document


def test_emoji_around_a_real_criterion(span_problems: SpanProblems) -> None:
    text = "Inclusion Criteria:\n1. 😀 ALT < 2 x ULN 🚀\n2. 👩‍👩‍👧‍👦🏳️‍🌈 Age >= 18 years 🧬\n3. 🙂🙂🙂\n"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert len(document.criteria) == 3
    alt, age, only_emoji = document.criteria
    assert any(isinstance(node, ReferenceMultiple) and node.variable.id == "alt" for node in walk(alt.expression))
    assert any(isinstance(node, Demographic) and node.low == 18 for node in walk(age.expression))
    assert only_emoji.status == "not_computable"


@pytest.mark.parametrize(
    "token",
    ["a" * 4_000, "ALT" * 1_000, "9" * 300, "≥" * 2_000, "x10^9/L" * 300, "-" * 4_000, "https://example.org/" * 150],
    ids=["letters", "repeated-name", "digits", "comparators", "unit", "dashes", "url"],
)
def test_extremely_long_tokens(token: str, span_problems: SpanProblems) -> None:
    text = f"Inclusion Criteria:\n1. {token}\n2. Hemoglobin {token} >= 9 g/dL\n3. Age >= 18 years\n"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert "demographic" in kinds(document.criteria[-1])


def test_extremely_long_token_beyond_the_length_limit(span_problems: SpanProblems) -> None:
    document = parse_criteria("1. " + "a" * 50_000)
    assert span_problems(document) == []
    assert isinstance(document.criteria[0].expression, Unparsed)


@pytest.mark.parametrize("depth", [10, 100, 1_000])
@pytest.mark.parametrize("brackets", ["()", "[]", "{}", "([{"], ids=["round", "square", "curly", "mixed"])
def test_deeply_nested_brackets(depth: int, brackets: str, span_problems: SpanProblems) -> None:
    opening = brackets if len(brackets) > 2 else brackets[0]
    closing = "}])" if len(brackets) > 2 else brackets[1]
    inner = "ALT <= 2.5 x ULN"
    text = "1. " + opening * depth + inner + closing * depth + "\n"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert len(document.criteria) == 1


def test_unbalanced_brackets(span_problems: SpanProblems) -> None:
    text = "1. " + "(" * 3_000 + "Age >= 18\n2. " + ")" * 3_000 + "\n3. ALT <= 2 x ULN ]]]}}}\n"
    document = parse_criteria(text)
    assert span_problems(document) == []
    assert document.criteria


def test_huge_number_does_not_crash_parsing(span_problems: SpanProblems) -> None:
    document = parse_criteria("1. Hemoglobin >= " + "9" * 400 + " g/dL\n")
    assert span_problems(document) == []


@pytest.mark.parametrize(
    "criterion",
    ["Hemoglobin >= {n} g/dL", "ALT <= {n} x ULN", "Age >= {n} years"],
)
def test_huge_number_round_trips_through_json(criterion: str) -> None:
    document = parse_criteria("1. " + criterion.format(n="9" * 400) + "\n")
    assert CriteriaDocument.model_validate_json(document.model_dump_json()) == document


# --- JSONL input on the command line ----------------------------------------------------------------------------


def run_jsonl(data: str) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(
        cli, ["parse", "-", "--input-format", "jsonl", "--format", "constraints"], input=data.encode()
    )
    return result.exit_code, result.output, result.exception


def test_jsonl_good_records_give_one_constraint_line_each() -> None:
    code, output, _ = run_jsonl('{"id": "a", "text": "Age >= 18 years"}\n\n{"id": "b", "text": "LVEF >= 50%"}\n')
    assert code == 0
    assert [line.split('"id": ')[1].split(",")[0] for line in output.splitlines()] == ['"a"', '"b"']


@pytest.mark.parametrize(
    "bad_line",
    ['{"id": broken', "not json at all", '{"id": "x", "text": "unterminated}', "{'id': 'x', 'text': 'single quotes'}"],
)
def test_jsonl_malformed_line_is_a_clear_error_naming_the_line(bad_line: str) -> None:
    data = '{"id": "a", "text": "Age >= 18 years"}\n{"id": "b", "text": "LVEF >= 50%"}\n' + bad_line + "\n"
    code, output, exception = run_jsonl(data)
    assert code != 0
    assert isinstance(exception, SystemExit)
    assert "line 3" in output
    assert "not JSON" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "record",
    ['{"id": "b"}', '{"id": "b", "text": 5}', '{"id": "b", "text": null}', '["Age >= 18"]', '"Age >= 18"', "42"],
)
def test_jsonl_record_without_text_is_a_clear_error(record: str) -> None:
    code, output, exception = run_jsonl('{"id": "a", "text": "Age >= 18 years"}\n' + record + "\n")
    assert code != 0
    assert isinstance(exception, SystemExit)
    assert "line 2" in output
    assert "'text'" in output


def test_jsonl_empty_text_record_is_unparsed(parser: CriteriaParser) -> None:
    criteria = list(parser.parse_many([("a", "", "inclusion"), ("b", "\x00\x1b", "exclusion")]))
    assert [c.id for c in criteria] == ["a", "b"]
    assert all(isinstance(c.expression, Unparsed) for c in criteria)

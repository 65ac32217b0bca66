"""``parse --format json`` streamed: :meth:`CriteriaParser.parse_lazily` gives the criteria :meth:`parse` gives, a batch
at a time, and :func:`write_document_json` writes the bytes ``model_dump_json(indent=2)`` writes for the whole
document; batches are cut where no sub-list runs on, so lists are joined alike whatever the batch size."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp import pipeline
from criteria_nlp.cli import cli
from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.ir.stream import write_document_json
from criteria_nlp.pipeline import CriteriaParser

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIALS = sorted((REPO_ROOT / "corpora" / "trials").glob("*.txt"))

# composed for the constructions the stream must keep: lists joined across items (k of n, any, all), two sub-lists
# under the same words, a lead-in's window, an unknown header, escapes and characters outside ASCII
LISTS = """Inclusion Criteria:
1. Age >= 18 years
2. At least 2 of the following:
   a. Hemoglobin >= 9 g/dL
   b. Platelets >= 100,000/mm3
   c. ECOG 0-1
3. One of the following:
   a. LVEF >= 50%
   b. eGFR >= 60 mL/min
4. One of the following:
   a. BMI < 35 kg/m2
   b. weight < 120 kg
Exclusion Criteria:
1. Any of the following within 6 months before screening:
   a. myocardial infarction
   b. stroke
2. All of the following:
   a. ALT > 3 x ULN
   b. bilirubin > 2 x ULN
Other Criteria:
- a "quoted" word, a back\\slash, a tab\tand é, ≥ 5 mg/kg
"""
EDGE_CASES = ["", "Inclusion Criteria:\n", "Exclusion Criteria:\nPregnancy\n", LISTS]


def _streamed(parser: CriteriaParser, text: str) -> str:
    frame, criteria = parser.parse_lazily(text, source="protocol.txt")
    out = io.StringIO()
    write_document_json(frame, criteria, out)
    return out.getvalue()


def _protocols(shared: Path | None) -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in TRIALS] + EDGE_CASES
    chia = shared / "corpora" / "chia" if shared is not None else None
    if chia is not None and chia.is_dir():
        for inclusion in sorted(chia.glob("*_inc.txt"))[:40]:
            exclusion = inclusion.with_name(inclusion.name.replace("_inc", "_exc"))
            included = inclusion.read_text(encoding="utf-8")
            excluded = exclusion.read_text(encoding="utf-8") if exclusion.exists() else ""
            texts.append(f"Inclusion Criteria:\n{included}\nExclusion Criteria:\n{excluded}")
    return texts


@pytest.mark.parametrize("batch_items", [1, 3, 256])
def test_streamed_json_is_the_whole_documents_bytes(
    parser: CriteriaParser, monkeypatch: pytest.MonkeyPatch, batch_items: int
) -> None:
    from criteria_nlp.resources import shared_dir

    monkeypatch.setattr(pipeline, "_BATCH_ITEMS", batch_items)
    protocols = _protocols(shared_dir())
    for text in protocols:
        whole = parser.parse(text, source="protocol.txt")
        assert _streamed(parser, text) == whole.model_dump_json(indent=2), text[:200]
    joined = parser.parse(LISTS)
    assert [c.expression.kind for c in joined.criteria[1:4]] == ["at_least", "any", "any"]  # the lists were joined
    assert len(joined.criteria) == 8


def test_the_stream_is_consumed_lazily(parser: CriteriaParser, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "_BATCH_ITEMS", 2)
    text = "Inclusion Criteria:\n" + "".join(f"{n}. Age >= {n} years\n" for n in range(1, 41))
    parsed: list[int] = []
    original = parser._criteria

    def counting(jobs, claims):  # type: ignore[no-untyped-def]
        parsed.append(len(jobs))
        return original(jobs, claims)

    monkeypatch.setattr(parser, "_criteria", counting)
    frame, criteria = parser.parse_lazily(text)
    assert frame.criteria == () and parsed == []
    first = next(criteria)
    assert first.id == "inc-1" and sum(parsed) == 2  # one batch parsed, not the document
    assert len(list(criteria)) == 39 and sum(parsed) == 40


def test_a_frame_with_criteria_is_refused(parser: CriteriaParser) -> None:
    document = parser.parse("Inclusion Criteria:\nAge >= 18 years\n")
    with pytest.raises(ValueError, match="without criteria"):
        write_document_json(document, [], io.StringIO())
    empty = CriteriaDocument(text="", criteria=())
    out = io.StringIO()
    assert write_document_json(empty, [], out) == 0 and out.getvalue() == empty.model_dump_json(indent=2)


@pytest.mark.parametrize("output_format", ["json", "text", "constraints"])
def test_cli_parse_writes_what_the_whole_document_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    monkeypatch.setattr(pipeline, "_BATCH_ITEMS", 3)
    path = tmp_path / "protocol.txt"
    path.write_text(LISTS, encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(path), "--format", output_format])
    assert result.exit_code == 0, result.output
    document = pipeline.default_parser().parse(LISTS, source=str(path))
    if output_format == "json":
        assert result.stdout == document.model_dump_json(indent=2) + "\n"
    elif output_format == "constraints":
        import json

        expected = [json.dumps(record, ensure_ascii=False) for record in document.constraints()]
        assert result.stdout.splitlines() == expected
    else:
        assert result.stdout.count("criteria\n") == 3 and "warning: 'Other Criteria:'" in result.stdout


def test_cli_parse_of_a_headers_only_protocol_still_fails(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("Inclusion Criteria:\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", str(path)])
    assert result.exit_code == 1
    assert '"criteria": []' in result.stdout and "holds no eligibility criteria" in result.stderr

"""The linter: golden criteria (tests/golden/lint_cases.jsonl), the bundled protocol, the renderers and the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.lint import RULES, RULES_BY_ID, LintReport, lint, lint_report_json_schema
from criteria_nlp.lint.render import (
    SARIF_VERSION,
    LintedDocument,
    render_html,
    render_json,
    render_sarif,
    render_text,
)
from criteria_nlp.pipeline import parse_criteria, parse_criterion

ROOT = Path(__file__).resolve().parents[2]
CASES_FILE = ROOT / "tests" / "golden" / "lint_cases.jsonl"
PROTOCOL = ROOT / "corpora" / "trials" / "NCT03219801.txt"


def _load_cases() -> list[dict[str, Any]]:
    lines = CASES_FILE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip() and not line.startswith("#")]


CASES = _load_cases()


def _lint_case(case: dict[str, Any]) -> LintReport:
    if case.get("document"):
        return lint(parse_criteria(case["text"]))
    criterion = parse_criterion(case["text"], section=case["section"], criterion_id="c1")
    return lint(CriteriaDocument(text=case["text"], criteria=(criterion,)))


def _params() -> list[Any]:
    params = []
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if case.get("xfail") else []
        params.append(pytest.param(case, id=case["id"], marks=marks))
    return params


def test_golden_file_is_well_formed() -> None:
    assert len(CASES) >= 60
    ids = [case["id"] for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case["section"] in ("inclusion", "exclusion")
        for rule_id in case["must"] + [r for r in case["must_not"] if r != "*"]:
            assert rule_id in RULES_BY_ID, (case["id"], rule_id)
    assert sum(1 for case in CASES if case["must_not"] == ["*"]) >= 10


@pytest.mark.parametrize("case", _params())
def test_golden_case(case: dict[str, Any]) -> None:
    report = _lint_case(case)
    found = {f.rule for f in report.findings}
    described = [f"{f.rule} {f.name}: {f.message}" for f in report.findings]
    for rule_id in case["must"]:
        assert rule_id in found, f"missing {rule_id}; found {described}"
    if case["must_not"] == ["*"]:
        assert not report.findings, described
    for rule_id in case["must_not"]:
        assert rule_id not in found, f"unexpected {rule_id}: {described}"


# --- the bundled protocol -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def protocol() -> tuple[CriteriaDocument, LintReport]:
    document = parse_criteria(PROTOCOL.read_text(encoding="utf-8"), source=PROTOCOL.name)
    return document, lint(document)


def test_protocol_inclusion_5_requires_abnormal_values(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    _, report = protocol
    findings = report.findings_for("inc-5")
    abnormal = [f for f in findings if f.rule == "L001"]
    assert abnormal and abnormal[0].severity == "error"
    text = " ".join(f.message for f in abnormal)
    assert "ALT" in text and "AST" in text and "Creatinine" in text
    assert all(f.suggestion and "≤ 2 × ULN" in f.suggestion for f in abnormal)
    group = [f for f in findings if f.rule == "A002"]
    assert group and group[0].text == "transaminase"


def test_protocol_inclusion_3_and_exclusion_1_are_redundant(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    document, report = protocol
    redundant = [f for f in report.findings if f.rule == "L003" and f.criterion == "inc-3"]
    assert len(redundant) == 1
    finding = redundant[0]
    assert finding.criterion == "inc-3"
    assert "serious infection" in finding.text
    assert [r.criterion for r in finding.related] == ["exc-1"]
    assert finding.related[0].span.slice(document.text) == "infection"
    assert "inclusion 3" in finding.message and "exclusion 1" in finding.message


def test_protocol_inclusion_7_is_not_decidable(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    _, report = protocol
    status = {c.id: c.status for c in report.criteria}
    assert status["inc-7"] == "not_decidable"
    assert [f.rule for f in report.findings_for("inc-7")] == ["L008"]
    assert report.findings_for("inc-7")[0].severity == "info"


def test_protocol_exclusion_7_misspelling(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    _, report = protocol
    misspelt = [f for f in report.findings_for("exc-7") if f.rule == "A006"]
    assert len(misspelt) == 1
    assert misspelt[0].text == "sever" and misspelt[0].suggestion == "severe"
    assert (misspelt[0].region.start_line, misspelt[0].region.start_column) == (17, 47)


def test_protocol_score_breakdown(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    _, report = protocol
    score = report.score
    assert score.criteria == 14
    assert score.not_decidable == 2  # inclusion 7 (consent), exclusion 6 (administrative)
    assert score.decidable == 12
    assert score.computable + score.partial + score.not_computable == score.decidable
    assert 0 < score.score < score.readability <= 100
    assert score.penalty == pytest.approx(score.readability - score.score, abs=0.11)
    points = [c.points for c in report.criteria if c.points is not None]
    assert score.score == pytest.approx(100 * sum(points) / score.decidable, abs=0.05)
    assert report.counts.error + report.counts.warning + report.counts.info == len(report.findings)
    assert sum(report.counts.by_rule.values()) == len(report.findings)


def test_unparsed_spans_are_reported_with_reasons() -> None:
    text = "Exclusion Criteria:\n1. Hemoglobin ≥ 9 g/dL, transfusion independent\n"
    document = parse_criteria(text)
    report = lint(document)
    (criterion,) = report.criteria
    assert criterion.status == "partial"
    assert [u.span.slice(text) for u in criterion.unparsed] == ["independent"]
    unknown = [f for f in report.findings if f.rule == "N001"]
    assert [f.text for f in unknown] == ["independent"]
    assert "unknown term" in unknown[0].message


def test_every_unparsed_span_has_a_finding(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    _, report = protocol
    spans = {(f.span.start, f.span.end) for f in report.findings if f.rule in ("N001", "N002", "A007")}
    for criterion in report.criteria:
        for unparsed in criterion.unparsed:
            assert any(s <= unparsed.span.start and unparsed.span.end <= e for s, e in spans), unparsed


def test_finding_spans_and_regions_agree(protocol: tuple[CriteriaDocument, LintReport]) -> None:
    document, report = protocol
    lines = document.text.splitlines(keepends=True)
    for finding in report.findings:
        assert finding.span.slice(document.text) == finding.text
        line = lines[finding.region.start_line - 1]
        assert line[finding.region.start_column - 1 :].startswith(finding.text.split("\n")[0])


def test_rule_registry_is_consistent() -> None:
    ids = [rule.id for rule in RULES]
    names = [rule.name for rule in RULES]
    assert len(set(ids)) == len(ids) and len(set(names)) == len(names)
    for rule in RULES:
        assert rule.id[0] in "ALUN" and rule.id[1:].isdigit() and len(rule.id) == 4
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert rule.description and rule.example


# --- renderers ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def linted(protocol: tuple[CriteriaDocument, LintReport]) -> list[LintedDocument]:
    document, report = protocol
    return [LintedDocument(document=document, report=report, uri="corpora/trials/NCT03219801.txt")]


def test_json_output_matches_its_schema(linted: list[LintedDocument]) -> None:
    data = json.loads(render_json(linted))
    schema = lint_report_json_schema()
    assert set(schema["required"]) <= set(data)
    assert set(data) <= set(schema["properties"])
    assert LintReport.model_validate(data) == linted[0].report
    finding_schema = schema["$defs"]["Finding"]
    for finding in data["findings"]:
        assert set(finding_schema["required"]) <= set(finding)
    try:
        import jsonschema  # type: ignore[import-untyped]
    except ImportError:  # not a dependency: the structural checks above stand on their own
        return
    jsonschema.validate(data, schema)


def test_json_output_for_several_documents_is_an_array(linted: list[LintedDocument]) -> None:
    data = json.loads(render_json(linted * 2))
    assert isinstance(data, list) and len(data) == 2


def test_sarif_structure(linted: list[LintedDocument]) -> None:
    log = render_sarif(linted)
    json.dumps(log)  # serialisable
    assert log["version"] == SARIF_VERSION == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    assert len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "criteria-nlp"
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == [rule.id for rule in RULES]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
    results = run["results"]
    assert len(results) == len(linted[0].report.findings)
    text_lines = linted[0].document.text.splitlines(keepends=True)
    for result in results:
        assert result["ruleId"] in rule_ids
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note")
        assert result["message"]["text"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "corpora/trials/NCT03219801.txt"
        region = location["region"]
        for key in ("startLine", "startColumn", "endLine", "endColumn"):
            assert isinstance(region[key], int) and region[key] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
        snippet = region["snippet"]["text"]
        line = text_lines[region["startLine"] - 1]
        assert line[region["startColumn"] - 1 :].startswith(snippet.split("\n")[0])
        for related in result.get("relatedLocations", []):
            assert related["physicalLocation"]["region"]["startLine"] >= 1
    levels = {r["ruleId"]: r["level"] for r in results}
    assert levels["L001"] == "error" and levels["L008"] == "note"


def test_text_report_marks_unparsed_spans(linted: list[LintedDocument]) -> None:
    plain = render_text(linted, color=False)
    assert "score" in plain and "L001 inclusion-requires-abnormal" in plain
    assert "\x1b[" not in plain
    text = "Exclusion Criteria:\n1. Hemoglobin ≥ 9 g/dL, transfusion independent\n"
    document = parse_criteria(text)
    item = [LintedDocument(document=document, report=lint(document), uri="x.txt")]
    lines = render_text(item, color=False).splitlines()
    index = next(i for i, line in enumerate(lines) if "transfusion independent" in line)
    start = lines[index].index("independent")
    assert lines[index + 1][start : start + len("independent")] == "~" * len("independent")
    coloured = render_text(item, color=True)
    assert "\x1b[4" in coloured or ";4m" in coloured  # underline
    assert "~~~~" not in coloured


def test_html_is_self_contained_and_escaped(linted: list[LintedDocument]) -> None:
    page = render_html(linted)
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert forbidden not in page
    assert 'class="hl sev-error"' in page
    if any(c.unparsed for c in linted[0].report.criteria):
        assert "unparsed" in page.split("<h2>Findings</h2>")[0].split("</p>", 2)[-1]
    assert "inclusion-requires-abnormal" in page
    assert "lvef &gt;= 50 %" in page  # a parse tree, escaped


def test_html_escapes_hostile_text() -> None:
    text = "Inclusion Criteria:\n1. <script>alert(1)</script> & Hemoglobin ≥ 9\n"
    document = parse_criteria(text)
    page = render_html([LintedDocument(document=document, report=lint(document), uri="<x>.txt")])
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "&lt;x&gt;.txt" in page


# --- CLI ----------------------------------------------------------------------------------------------------------


def _cli() -> Any:
    from criteria_nlp.cli.lint import lint_command

    return lint_command


def test_cli_text_and_fail_under() -> None:
    runner = CliRunner()
    result = runner.invoke(_cli(), [str(PROTOCOL)])
    assert result.exit_code == 0, result.output
    assert "score" in result.output
    result = runner.invoke(_cli(), [str(PROTOCOL), "--fail-under", "99"])
    assert result.exit_code == 1
    result = runner.invoke(_cli(), [str(PROTOCOL), "--fail-under", "1"])
    assert result.exit_code == 0


def test_cli_formats_and_directory(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "a.txt").write_text(PROTOCOL.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("Inclusion Criteria:\n1. Age ≥ 18 years\n", encoding="utf-8")
    out = tmp_path / "out.sarif"
    result = runner.invoke(_cli(), [str(tmp_path), "--format", "sarif", "-o", str(out)])
    assert result.exit_code == 0, result.output
    log = json.loads(out.read_text(encoding="utf-8"))
    assert len(log["runs"][0]["artifacts"]) == 2
    result = runner.invoke(_cli(), [str(tmp_path / "a.txt"), "--format", "json"])
    assert json.loads(result.output)["score"]["criteria"] == 14
    result = runner.invoke(_cli(), [str(tmp_path / "a.txt"), "--format", "html", "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE")


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(_cli(), [str(tmp_path / "missing.txt")]).exit_code == 2
    assert runner.invoke(_cli(), [str(tmp_path)]).exit_code == 2  # no *.txt inside
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Inclusion Criteria:\n1. Age \xff 18\n")
    assert runner.invoke(_cli(), [str(bad)]).exit_code == 2
    assert runner.invoke(_cli(), [str(PROTOCOL), "--format", "xml"]).exit_code == 2

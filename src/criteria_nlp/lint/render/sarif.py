"""SARIF 2.1.0: one run, the rule registry as ``tool.driver.rules``, one result per finding with line/column
regions (columns count Unicode code points: ``columnKind`` is ``unicodeCodePoints``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from criteria_nlp import __version__
from criteria_nlp.lint.model import LintedDocument
from criteria_nlp.lint.rules import RULES

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"error": "error", "warning": "warning", "info": "note"}
TOOL_NAME = "criteria-nlp"


def sarif_uri(path: str) -> str:
    return quote(path.replace("\\", "/"), safe="/:._-~")


def _sarif_rules() -> list[dict[str, Any]]:
    rules = []
    for rule in RULES:
        help_text = f"Example: {rule.example}" + (f"\nBetter: {rule.fix}" if rule.fix else "")
        rules.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": f"{rule.name} ({rule.category})"},
                "fullDescription": {"text": rule.description},
                "help": {"text": help_text},
                "defaultConfiguration": {"level": SARIF_LEVELS[rule.severity]},
                "properties": {"category": rule.category, "tags": [rule.category]},
            }
        )
    return rules


def _sarif_region(finding_region: Any, start: int, end: int, snippet: str) -> dict[str, Any]:
    return {
        "startLine": finding_region.start_line,
        "startColumn": finding_region.start_column,
        "endLine": finding_region.end_line,
        "endColumn": finding_region.end_column,
        "charOffset": start,
        "charLength": max(0, end - start),
        "snippet": {"text": snippet},
    }


def render_sarif(items: Sequence[LintedDocument]) -> dict[str, Any]:
    """A SARIF 2.1.0 log as a dict (``json.dumps`` it); one run over all documents."""
    rule_index = {rule.id: index for index, rule in enumerate(RULES)}
    artifacts: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for artifact_index, item in enumerate(items):
        uri = sarif_uri(item.uri)
        score = item.report.score
        artifacts.append(
            {
                "location": {"uri": uri},
                "length": len(item.document.text),
                "properties": {"score": score.score, "breakdown": score.model_dump(mode="json")},
            }
        )
        for finding in item.report.findings:
            location: dict[str, Any] = {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "index": artifact_index},
                    "region": _sarif_region(finding.region, finding.span.start, finding.span.end, finding.text),
                }
            }
            if finding.criterion is not None:
                location["logicalLocations"] = [{"name": finding.criterion, "kind": "member"}]
            message = finding.message + (f" Suggestion: {finding.suggestion}" if finding.suggestion else "")
            result: dict[str, Any] = {
                "ruleId": finding.rule,
                "ruleIndex": rule_index[finding.rule],
                "level": SARIF_LEVELS[finding.severity],
                "message": {"text": message},
                "locations": [location],
                "partialFingerprints": {
                    "criteriaNlp/v1": f"{finding.rule}:{finding.criterion}:{finding.text}",
                },
                "properties": {"criterion": finding.criterion, "category": finding.category},
            }
            if finding.suggestion:
                result["properties"]["suggestion"] = finding.suggestion
            if finding.related:
                result["relatedLocations"] = [
                    {
                        "id": number,
                        "message": {"text": related.message},
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri, "index": artifact_index},
                            "region": _sarif_region(
                                related.region,
                                related.span.start,
                                related.span.end,
                                related.span.slice(item.document.text),
                            ),
                        },
                    }
                    for number, related in enumerate(finding.related, start=1)
                ]
            results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": _sarif_rules(),
                    }
                },
                "columnKind": "unicodeCodePoints",
                "artifacts": artifacts,
                "results": results,
            }
        ],
    }


def render_sarif_json(items: Sequence[LintedDocument]) -> str:
    return json.dumps(render_sarif(items), indent=2, ensure_ascii=False) + "\n"


__all__ = ["SARIF_SCHEMA", "SARIF_VERSION", "render_sarif", "render_sarif_json", "sarif_uri"]

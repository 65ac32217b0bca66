"""The lint rule registry (every rule complete and exercised by a golden case) and the lint words file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from criteria_nlp.ir import CriteriaDocument
from criteria_nlp.lint import RULES, lint
from criteria_nlp.lint.registry import CATEGORY_ORDER, Rule
from criteria_nlp.lint.words import build_words, lint_words, phrase_pattern, phrases_pattern, read_sets
from criteria_nlp.pipeline import parse_criteria, parse_criterion
from criteria_nlp.resources import corpus_path

CASES_FILE = Path(__file__).resolve().parents[2] / "tests" / "golden" / "lint_cases.jsonl"


def _golden_rules() -> set[str]:
    found: set[str] = set()
    for line in CASES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            case = json.loads(line)
            if not case.get("xfail"):
                found.update(case["must"])
    return found


@pytest.mark.parametrize("rule", RULES, ids=[rule.id for rule in RULES])
def test_rule_metadata_is_complete(rule: Rule) -> None:
    assert re.fullmatch(r"[ALUN]\d{3}", rule.id)
    assert rule.id[0] == {"ambiguity": "A", "logic": "L", "units": "U", "not-understood": "N"}[rule.category]
    assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
    assert rule.category in CATEGORY_ORDER
    assert rule.severity in ("error", "warning", "info")
    assert rule.description.endswith(".") and rule.example
    assert rule.fix is None or rule.fix.strip()
    assert (rule.check is None) != (rule.check_document is None), "a rule runs per criterion or per document"


def test_rules_are_listed_by_category_then_id() -> None:
    assert [rule.order for rule in RULES] == sorted(rule.order for rule in RULES)
    assert len({rule.id for rule in RULES}) == len(RULES) == len({rule.name for rule in RULES})


def test_every_rule_has_a_golden_case() -> None:
    golden = _golden_rules()
    missing = {rule.id for rule in RULES} - golden
    assert not missing, f"rules without a golden case: {sorted(missing)}"


def test_no_criteria_n004() -> None:
    report = lint(parse_criteria(""))
    assert [f.rule for f in report.findings] == ["N004"]
    assert report.findings[0].criterion is None


def test_unparsable_structure_n003() -> None:
    text = (
        "Physically healthy adults age 18-55 who meet DSM-5 criteria for insomnia and Criterion A (exposure to a "
        "traumatic event) for PTSD. The index trauma must have occurred within the past 5 years and at least 3 months "
        "before enrolling, and insomnia symptoms must have started or worsened after the exposure to the index trauma"
    )
    criterion = parse_criterion(text, section="inclusion", criterion_id="c1")
    report = lint(CriteriaDocument(text=text, criteria=(criterion,)))
    assert "N003" in report.rule_ids()


# --- the words file -------------------------------------------------------------------------------------------------


def test_every_set_of_the_words_file_has_entries() -> None:
    sets = read_sets(corpus_path("lexicon", "lint_words.tsv"))
    assert all(sets.values()), [name for name, phrases in sets.items() if not phrases]


def test_an_unknown_set_fails_loudly(tmp_path: Path) -> None:
    path = tmp_path / "words.tsv"
    path.write_text("# header\nvaguee\tsevere\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 2"):
        read_sets(path)


@pytest.mark.parametrize(
    ("phrase", "matches", "misses"),
    [
        ("poorly controlled", ["poorly controlled", "Poorly\n controlled"], ["poorlycontrolled", "poorly controlledx"]),
        ("as_per", ["as per"], ["as  per", "as\nper", "alias per"]),
        ("limit|limits of", ["limit of", "limits of"], ["limitsof", "delimit of"]),
        ("requir*", ["required", "requirement", "requir"], ["prerequired"]),
        ("i.e.", ["i.e.", "i.e.x"], ["ixe."]),
        ("child-pugh", ["Child-Pugh"], ["child pugh"]),
    ],
)
def test_phrase_syntax(phrase: str, matches: list[str], misses: list[str]) -> None:
    pattern = re.compile(phrase_pattern(phrase), re.IGNORECASE)
    for text in matches:
        assert pattern.search(text), (phrase, text)
    for text in misses:
        assert not pattern.search(text), (phrase, text)


def test_longer_phrases_win() -> None:
    pattern = re.compile(phrases_pattern(("except", "except for")), re.IGNORECASE)
    match = pattern.search("unless, except for patients")
    assert match is not None and match.group(0) == "except for"


def test_words_are_built_once_and_from_the_file() -> None:
    assert lint_words() is lint_words()
    sets = read_sets(corpus_path("lexicon", "lint_words.tsv"))
    assert build_words(sets) == lint_words()
    assert lint_words().vague.search("uncontrolled hypertension")
    assert not lint_words().vague.search("controlled hypertension")

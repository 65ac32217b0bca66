"""Share of the remaining numeric-reading errors per mechanism of issue 11, on Leaf dev and the Chia Has_value pairs.

An error is a Leaf dev criterion not fully right at the +variable level (weighted by its unmatched constraints) or a
Chia ``Has_value`` pair whose threshold is missed or put on another variable (``benchmarks/bench_chia_values.py``).
Each error is given to the first mechanism whose pattern its words show (the order below), so the figures are a
triage by surface form, not a diagnosis: a sentence with a date and a ratio counts for the date. Counted apart: Chia
pairs whose annotated entity is a sex word or a bare "grade"/"stage" (the annotation's convention, not a parser
error); Leaf thresholds right but for the unit's spelling ("drinks per day" for the gold's "drinks/day", "°C" for
"degC": the scorer compares spellings); a duration of a named thing ("sleep duration < 4 hours", "cycle length 25-34
days": read today as a time window with nothing to apply to), which is none of the issue's mechanisms. Reads
../shared at run time; skips when it is absent.

    python benchmarks/error_mechanisms.py [--show MECHANISM] [--limit FILES]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_chia_values import chia_pairs, judge
from criteria_nlp.errors import CriteriaError
from criteria_nlp.ir.constraints import constraints_of, criterion_record
from criteria_nlp.knowledge import units
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir

_I = re.IGNORECASE
_CMP = r"(?:[<>≤≥=]|more than|less than|greater than|at least|at most|up to|higher than|lower than|exceeding)"
_ROMAN_OR_DIGIT = r"(?:[0-5]|I{1,3}|IV|V|[A-C])"
MECHANISMS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "6 numbers that are not thresholds",
        re.compile(
            r"\b(?:19|20)\d\d\b|\btype [12]\b|covid-19|\bv\d|\bone or more\b|\bat least (?:one|two|\d) (?:of|method)"
            r"|\b(?:class|grade|stage) [iv]+ (?:anti|drug)|\b[A-Z]{2,}-\d\b",
            _I,
        ),
    ),
    (
        "5 condition defined by a measurement",
        re.compile(
            rf"[a-z]{{3,}}\s*\([^()]*?{_CMP}[^()]*\)|\bdefined as\b"
            rf"|\b(?:patients|subjects|children|participants|adults)\s*{_CMP}",
            _I,
        ),
    ),
    (
        "4 ratio and compound variables",
        re.compile(
            r"(?<![\d/])(?<!\d )\b[A-Za-z][A-Za-z0-9']*\s*/\s*[A-Za-z][A-Za-z0-9']*\b(?=[^.;]{0,25}\d)"
            r"|\d+\s*/\s*\d+\s*mm"
        ),
    ),
    (
        "3 several ranges or bounds for one variable",
        re.compile(
            rf"{_CMP}\s*[\d.,]+[^.;]{{0,20}}\b(?:but|and|,)\s*{_CMP}\s*\d|\d+\s*(?:to|-)\s*\d+[^.;]{{0,25}}\bor\b"
            r"[^.;]{0,12}\d+\s*(?:to|-)\s*\d+",
            _I,
        ),
    ),
    (
        "2 lists of values and classes",
        re.compile(
            rf"\b(?:class|stage|grade|asa|ecog|nyha|child[- ]pugh|gold|status|score)\b[^.;]{{0,12}}\b{_ROMAN_OR_DIGIT}"
            rf"\s*(?:,|or|and|-|–|/)\s*{_ROMAN_OR_DIGIT}\b|\b(?:I{{1,3}}|IV)\s*(?:,|or|-)\s*(?:I{{1,3}}|IV)\b",
        ),
    ),
    (
        "1 comparator after the words",
        re.compile(
            r"\b(?:or|and) (?:higher|above|greater|more|over|worse|better|lower|less|below|fewer|under)\b"
            r"|\b(?:under|over|above|below) the age\b|\b(?:no|not) (?:more|less|greater|fewer) than\b"
            r"|\ba (?:minimum|maximum) of\b|\b(?:greater|more|less) than (?:stage|grade|class)\b",
            _I,
        ),
    ),
    (
        "7 units and references",
        re.compile(
            r"\d\s*(?:x|×|-?times)\s*(?:the )?(?:uln|upper|normal)|\d\s*°?\s*[CF]\b|per (?:day|week|mm|min|hour)"
            r"|/\s*mm|ppm|\bdb\b|inch|cfu|eu/ml|\d\s*[a-z]+/[a-z]+",
            _I,
        ),
    ),
    (
        "8 the variable's name",
        re.compile(r"(?:^|[\s(])[-−]\d|z-?score|score of|\bitem\b|\bpoints?\b|requiring|\bof (?:oxygen|o2)\b", _I),
    ),
    (
        "- a duration of a named thing (no mechanism)",
        re.compile(
            r"\b(?:duration|length|stay|time|interval|period|cycles?|size|alive|survive)\b[^.;]{0,40}?\d+\s*"
            r"(?:-\s*\d+\s*)?(?:hours?|h|days?|weeks?|months?|years?)\b",
            _I,
        ),
    ),
)
_ANNOTATION = re.compile(r"^(?:men|women|males?|females?|man|woman|grade|stage|class)$", _I)


def classify(text: str, wrong_variable: bool) -> str:
    for name, pattern in MECHANISMS:
        if pattern.search(text):
            return name
    return "8 the variable's name" if wrong_variable else "other"


def _scorer(shared: Path) -> Any:
    spec = importlib.util.spec_from_file_location("score_constraints", shared / "eval" / "score_constraints.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def leaf_errors(shared: Path, parser: CriteriaParser) -> list[tuple[str, int, str]]:
    """(mechanism, weight, text) for every Leaf dev criterion not fully right at the +variable level."""
    scorer = _scorer(shared)
    errors = []
    for line in (shared / "corpora" / "leaf" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        criterion = parser.parse_one(record["text"], section=record.get("section", "inclusion"))
        gold, pred = scorer.gold_items(record), scorer.pred_items(criterion_record(criterion))
        levels = scorer.match(gold, pred)
        right = sum(1 for level in levels if level >= 3)
        weight = max(len(gold), len(pred)) - right
        if weight:
            wrong_variable = any(level == 2 for level in levels)
            if weight == _spelling_pairs(scorer, gold, pred):
                errors.append((_SPELLING, weight, record["text"]))
            else:
                errors.append((classify(record["text"], wrong_variable), weight, record["text"]))
    return errors


_SPELLING = "- unit spelled otherwise than the gold (scorer)"


def _same_unit(gold: str | None, pred: str | None) -> bool:
    """Do two spellings name one unit ("alcoholic drinks per day", "alcoholicdrinks/day"; "°C", "degC")?"""
    if not gold or not pred:
        return False
    try:
        if units.is_unit(gold) and units.is_unit(pred):
            return bool(units.normalize_unit(gold) == units.normalize_unit(pred))
    except CriteriaError:
        return False
    fold = re.compile(r"\s+|\bper\b")
    return fold.sub(lambda m: "/" if m.group().strip() else "", pred.lower()).replace("//", "/") == gold.lower()


def _spelling_pairs(scorer: Any, gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> int:
    """How many gold thresholds the prediction has right but for the unit's spelling, which the scorer compares."""
    found = 0
    for g in gold:
        if any(
            scorer.level_of(g, p) == 1
            and g["words"] & p["words"]
            and _same_unit(g["source"].get("unit_norm"), p["source"].get("unit"))
            for p in pred
        ):
            found += 1
    return found


def chia_errors(shared: Path, parser: CriteriaParser, limit: int | None) -> list[tuple[str, int, str]]:
    errors = []
    cache: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for pair in chia_pairs(shared / "corpora" / "chia", limit):
        key = (pair.line, pair.section)
        if key not in cache:
            cache[key] = constraints_of(parser.parse_one(pair.line, section=pair.section).expression)  # type: ignore[arg-type]
        outcome = judge(pair, cache[key])
        if outcome == "attached":
            continue
        window = pair.line[max(0, pair.value_start - 60) : pair.value_end + 30]
        shown = f"{pair.entity_text!r} {pair.value_text!r} | {pair.line[:160]}"
        if outcome == "found" and _ANNOTATION.match(pair.entity_text.strip()):
            errors.append(("annotation convention", 1, shown))
        else:
            errors.append((classify(window, outcome == "found"), 1, shown))
    return errors


def report(title: str, errors: list[tuple[str, int, str]], show: str | None) -> None:
    shares: Counter[str] = Counter()
    for mechanism, weight, _ in errors:
        shares[mechanism] += weight
    total = sum(shares.values())
    print(f"{title}: {total} errors")
    for mechanism, count in sorted(shares.items()):
        print(f"  {mechanism:45s} {count:4d}  {count / total:6.1%}")
    if show:
        for mechanism, _, text in errors:
            if mechanism.startswith(show):
                print(f"    {text[:220]}")


def main() -> int:
    arguments = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    arguments.add_argument("--show", default=None, help="print the errors of the mechanisms starting with this")
    arguments.add_argument("--limit", type=int, default=None, help="read only the first FILES Chia text files")
    options = arguments.parse_args()
    shared = shared_dir()
    if shared is None or not (shared / "corpora" / "chia").is_dir():
        print("skipped: ../shared not found (set CRITERIA_NLP_SHARED)")
        return 0
    parser = CriteriaParser()
    report("Leaf dev", leaf_errors(shared, parser), options.show)
    report("Chia Has_value", chia_errors(shared, parser, options.limit), options.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())

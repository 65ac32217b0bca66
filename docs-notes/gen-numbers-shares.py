"""Shares of mechanisms 6 and 7 of issue 11 in the errors of the Chia Has_value benchmark, plus false thresholds."""
from __future__ import annotations
import re, sys, json
from collections import Counter
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, "benchmarks")
from bench_chia_values import chia_pairs, judge, _numbers
from criteria_nlp.ir.constraints import constraints_of
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.resources import shared_dir

MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
M6 = {
    "date": re.compile(rf"\b{MONTH}\s+\d|\b(?:19|20)\d\d\b|\bsince\s+\d", re.I),
    "version/protocol": re.compile(r"\bv\d|version\s+\d|protocol\s+\S*\d|\w+-\d+\s*\(\d{4}\)|\d{3}-\d{3}-\d{4}", re.I),
    "name-numeral": re.compile(r"\btype\s+(?:[12]|I{1,2})\b|\bclass\s+(?:I{1,3}|IV|[1-4])\s+(?:anti|drug|agent|medic)|\b\w+-degree\b|\b(?:first|second|third)[- ]degree|\b[A-Z]{1,5}-?\d+\b", 0),
    "sentence-count": re.compile(r"\b(?:one|two|three|\d)\s+(?:or more\s+)?of the following|at least (?:one|1)\s+(?:method|form|of)|one or more\b", re.I),
    "list-number": re.compile(r"^\s*\d+[.)]\s*\d|\s\d+\)\s", 0),
}
M7 = re.compile(
    r"\d\s*-?\s*(?:x|times)\s*(?:the\s+)?(?:uln|upper|lln|normal)|\d\s*(?:°|º|degrees?)?\s*(?:C|F)\b(?!\w)|per\s+(?:mm3|cu|µl|ul|ml)|"
    r"breaths|/\s*min\s*/|1\.73|cfu|\beu\b|ppm|\bdb\b|decibel|per\s+(?:week|day|month)|/\s*(?:week|wk|day)|inch|wood|\d\s*D\b|"
    r"pascal|kpa|million|calorie|pack|cp/|⁄|mg\s*/\s*d|cel[l]?s?/|elements",
    re.I,
)

def mech6(text: str) -> str | None:
    for name, pattern in M6.items():
        if pattern.search(text):
            return name
    return None

def main() -> None:
    shared = shared_dir()
    chia = shared / "corpora" / "chia"
    pairs = chia_pairs(chia, None)
    parser = CriteriaParser()
    cache: dict = {}
    errors = Counter(); m6 = Counter(); m7 = 0; total = 0
    for pair in pairs:
        key = (pair.line, pair.section)
        if key not in cache:
            cache[key] = constraints_of(parser.parse_one(pair.line, section=pair.section).expression)
        outcome = judge(pair, cache[key])
        if outcome == "attached":
            continue
        total += 1
        window = pair.line[max(0, pair.value_start - 25): pair.value_end + 5]
        if M7.search(pair.value_text):
            m7 += 1
        elif (name := mech6(window)):
            # the value itself is not a name: a name or date nearby took or hid the threshold
            m6[name] += 1
    print(f"chia errors (missed or on another variable): {total}; mechanism 7 (unit in the value): {m7} "
          f"({m7/total:.1%}); mechanism 6 (a non-threshold number next to it): {sum(m6.values())} "
          f"({sum(m6.values())/total:.1%}) {dict(m6)}")
    # false thresholds: constraints on every Chia line whose bound number is a mechanism-6 number
    lines = []
    for path in sorted(chia.glob("*.txt")):
        section = "exclusion" if path.stem.endswith("_exc") else "inclusion"
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append((line, section))
    false = Counter(); examples = []
    for number, (line, section) in enumerate(lines):
        criterion = parser.parse_one(line, section=section)
        for c in constraints_of(criterion.expression):
            s, e = c["span"]; s -= criterion.span.start; e -= criterion.span.start
            line = criterion.text
            written = line[s:e]
            bounds = {b for b in (c["interval"][0], c["interval"][2]) if b is not None}
            kind = None
            if any(1900 <= b <= 2100 and b == int(b) for b in bounds) and re.search(rf"{MONTH}|since|between|from|in\s+(?:19|20)|(?:19|20)\d\d", line[max(0,s-30):e+5], re.I) and not re.search(r"\d\s*(?:/|mg|ml|cells|µ|u/|x|kg|g\b|ms|ng|pg|iu|mm)", written, re.I):
                kind = "date"
            elif re.search(r"\btype\s+(?:[12]|I{1,2})\b|\bclass\s+I{1,3}[A-C]?\s+anti|\d(?:st|nd|rd|th)?°?[- ]degree\s+(?:av|heart|burn|atrio|block)", line[max(0,s-10):e+12], re.I) and c["unit"] in (None, "type", "class", "degree"):
                kind = "name-numeral"
            elif re.search(r"(?:\b(?:one|1)\s+or more|at least (?:one|1)|\b(?:one|two|three|\d)(?:\s+or more)?\s+of the following)\W*$", written, re.I) and c["unit"] is None:
                kind = "sentence-count"
            elif re.match(r"\W*\d{1,2}\)|\s*\d{1,2}\.\d{2}\s*(?:years|yrs)", written):
                kind = "list-number"
            elif re.search(r"\d{3}-\d{3}-\d{4}|protocol\s+\S*\d|\bv\d", written, re.I):
                kind = "version/phone"
            if kind:
                false[kind] += 1
                if len(examples) < 60: examples.append(f"{kind}: {written!r} in {line[:120]!r}")
    print(f"false thresholds (mechanism 6) over {len(lines)} Chia lines: {sum(false.values())} {dict(false)}")
    print("\n".join(examples))

main()

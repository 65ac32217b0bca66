"""The English the lint rules look for in criterion text (vague qualifiers, conditions, "normal" without a
reference...), compiled once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache


@dataclass(frozen=True)
class LintWords:
    vague: re.Pattern[str]  # A005: vague qualifiers
    vague_spellings: frozenset[str]  # A005: the lexicon spellings of vague qualifiers (a misspelling corrected to one)
    definition_after: re.Pattern[str]  # A005: a definition within 80 characters after the qualifier
    normal: re.Pattern[str]  # A003
    limit_of_normal: re.Pattern[str]  # A003: "upper limit of" before "normal"
    stated_reference: re.Pattern[str]  # A003
    condition: re.Pattern[str]  # A004
    exception: re.Pattern[str]  # L001: the criterion allows exceptions
    purpose_before: re.Pattern[str]  # L004: "therapy for" before a condition
    qualifiers: frozenset[str]  # L003
    or_word: re.Pattern[str]  # L005, L006
    and_word: re.Pattern[str]  # L005
    organ_function_groups: tuple[str, ...]  # L001, L002: lexicon groups of organ-function tests
    organ_function_variables: frozenset[str]  # L001, L002: further organ-function tests


@cache
def lint_words() -> LintWords:
    return LintWords(
        vague=re.compile(
            r"\b(clinically\s+(?:significant|relevant|important)|significant(?:ly)?|severe(?:ly)?|serious(?:ly)?|"
            r"uncontrolled|poorly\s+controlled|unstable|adequate(?:ly)?|sufficient)\b",
            re.IGNORECASE,
        ),
        vague_spellings=frozenset(
            {"severe", "serious", "significant", "uncontrolled", "unstable", "adequate", "sufficient"}
        ),
        definition_after=re.compile(
            r"[^.;]{0,80}?(\(|\bdefined\b|\bi\.e\.|\brequir\w*|\bgrade\b|\bctcae\b|\bclass\b|\bnyha\b|"
            r"\bchild[- ]pugh\b|\bas per\b|\baccording to\b|\bresulting in\b|\bleading to\b|[<>≤≥]|\bper\b)",
            re.IGNORECASE,
        ),
        normal=re.compile(r"\b(ab)?normal(?:ity|ities|ly)?\b", re.IGNORECASE),
        limit_of_normal=re.compile(r"\blimits?\s+of\s+(?:the\s+)?$", re.IGNORECASE),
        stated_reference=re.compile(
            r"\b(institution\w*|laborator\w*|local\s+lab\w*|reference\s+(?:range|values?|limits?)|ULN|LLN)\b"
            r"|[<>≤≥]\s*\d|\d\s*(?:-|–|to)\s*\d",
            re.IGNORECASE,
        ),
        condition=re.compile(
            r"\b(if|unless|except(?:\s+for)?|in\s+case\s+of|in\s+the\s+presence\s+of|"
            r"for\s+(?:patients|participants|subjects|those|women|men|people)\s+(?:with|who|on|receiving))\b",
            re.IGNORECASE,
        ),
        exception=re.compile(r"\b(acceptable|allowed|permitted|eligible|unless|if)\b", re.IGNORECASE),
        purpose_before=re.compile(r"\b(?:for|treat(?:ing|ment\s+of)?|against|prevent(?:ion\s+of)?)\s+$", re.IGNORECASE),
        qualifiers=frozenset({"severe", "serious", "acute", "active", "chronic", "significant", "major", "mild"}),
        or_word=re.compile(r"\bor\b", re.IGNORECASE),
        and_word=re.compile(r"\band\b", re.IGNORECASE),
        organ_function_groups=("transaminases", "liver_function_tests", "renal_function"),
        organ_function_variables=frozenset(
            {
                "alt",
                "ast",
                "total_bilirubin",
                "direct_bilirubin",
                "alkaline_phosphatase",
                "ggt",
                "creatinine",
                "bun",
                "inr",
            }
        ),
    )

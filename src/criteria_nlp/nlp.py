"""Stage 2: tokenise and annotate criteria with a blank English spaCy pipeline (no downloaded model).

The tokenizer gets rules that split comparators, numbers, units and multipliers glued together ("≥50%",
"<=1.5mg/dL", "2×ULN", "0~2", "18-65") while keeping names such as "HbA1c", "COVID-19", "IL-6" whole.

Rule-based components then mark what the later stages need, all as spans in ``doc.spans["cues"]``:

* ``criteria_phrases`` / ``criteria_phrases_cs`` (two :class:`spacy.pipeline.SpanRuler` s, case-insensitive and
  case-sensitive): lexicon variables, groups and concepts, and the cue phrases of ``corpora/lexicon/cues.tsv``
  (comparators in words, reference limits, number words, negation, temporal and conditional cues, qualifiers,
  consent and judgement phrases, sex words);
* ``criteria_numbers``: numbers written in digits, with their value in ``span.id_``;
* ``criteria_units``: the longest run of tokens after a number that spells a unit (checked with
  :func:`criteria_nlp.units.is_unit`), its normalised spelling in ``span.id_``.

Span labels are ``KIND`` or ``KIND:value`` (e.g. ``CMP_PRE:>=``, ``REF:ULN``, ``NUMWORD:2``, ``VARIABLE``); the
lexicon id of a variable, group or concept is in ``span.id_``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import compile_infix_regex, compile_prefix_regex

from criteria_nlp import units
from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.lexicon import Lexicon, load_lexicon
from criteria_nlp.resources import corpus_path

SPANS_KEY = "cues"

_COMPARATOR_SYMBOLS = [">/=", "</=", ">=", "<=", "=>", "=<", "≥", "≤", "≧", "≦", "⩾", "⩽", "<", ">", "~", "≈", "×", "±"]
_COMPARATOR_ALTERNATION = "|".join(re.escape(s) for s in _COMPARATOR_SYMBOLS)

# Names made of letters then digits ("HbA1c", "CD4", "FEV1", "COVID-19", "IL-6", "SARS-CoV-2") stay whole; a
# lone "x" before digits ("x10^9/L") is a multiplier, not a name.
_PROTECTED_TOKEN = re.compile(
    r"^(?![xX×][0-9])[A-Za-z]+[0-9]+[A-Za-z0-9]*[+]?$"
    r"|^[A-Za-z]+(?:-[A-Za-z]+)*-[0-9]+[A-Za-z]*$"
    r"|^[0-9]+(?:st|nd|rd|th)$"
)

_EXTRA_INFIXES = [
    _COMPARATOR_ALTERNATION,
    r"(?<=[0-9])[-–—‑](?=[0-9])",  # 18-65
    r"(?<=[0-9])(?=[A-Za-zµμ°%])",  # 50mg, 2.5X, 18years (names are protected above)
    r"(?<=[0-9][xX×])(?=[0-9A-Z])",  # 2x10^9, 2xULN
    r"(?<=^[xX×])(?=[0-9])",  # x10^9/L
    r"(?<=[A-Za-z0-9µμ²³])/(?=[A-Za-z0-9.µμ])",  # 10^9/L, mL/min/1.73m2
    r"[()\[\]]",  # SLE(Systemic, (LVEF)≥
]

_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)*$|^\.[0-9]+$")


def _tokenizer_rules(nlp: Language) -> None:
    tokenizer = nlp.tokenizer
    prefixes = [re.escape(s) for s in _COMPARATOR_SYMBOLS] + list(nlp.Defaults.prefixes or [])
    infixes = _EXTRA_INFIXES + list(nlp.Defaults.infixes or [])
    tokenizer.prefix_search = compile_prefix_regex(prefixes).search
    tokenizer.infix_finditer = compile_infix_regex(infixes).finditer
    tokenizer.token_match = _PROTECTED_TOKEN.match


@dataclass(frozen=True)
class Cue:
    phrase: str
    kind: str
    value: str
    case_sensitive: bool


def _split_fields(line: str) -> list[str]:
    return [field.strip() for field in line.split("\t")]


def load_cues(path: Path | None = None) -> list[Cue]:
    """Read ``cues.tsv``: ``phrase<TAB>kind<TAB>value[<TAB>cs]`` after a ``#`` header."""
    path = path or corpus_path("lexicon", "cues.tsv")
    cues: list[Cue] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = _split_fields(raw)
        if len(fields) < 3:
            raise CriteriaSemanticError(
                f"{path.name} line {number}: expected phrase, kind and value separated by tabs", expected=["3 fields"]
            )
        case_sensitive = len(fields) > 3 and fields[3] == "cs"
        cues.append(Cue(fields[0], fields[1], fields[2], case_sensitive))
    return cues


def _patterns(lexicon: Lexicon, cues: Iterable[Cue], case_sensitive: bool) -> Iterator[dict[str, str]]:
    for entry in lexicon.phrase_entries():
        if entry.case_sensitive == case_sensitive:
            yield {"label": entry.label, "pattern": entry.text, "id": entry.id}
    for cue in cues:
        if cue.case_sensitive == case_sensitive:
            yield {"label": f"{cue.kind}:{cue.value}" if cue.value else cue.kind, "pattern": cue.phrase}


@Language.component("criteria_numbers")
def annotate_numbers(doc: Doc) -> Doc:
    spans = list(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    for token in doc:
        text = token.text
        if text[0].isdigit() or (text[0] == "." and len(text) > 1):
            if _NUMBER.match(text):
                value = _number_value(text)
                if value is not None:
                    span = Span(doc, token.i, token.i + 1, label="NUM")
                    span.id_ = repr(value)
                    spans.append(span)
    doc.spans[SPANS_KEY] = spans
    return doc


def _number_value(text: str) -> float | None:
    if "," in text:
        head, _, tail = text.partition(",")
        # "1,500" is a thousands separator, "1,5" a decimal comma
        text = text.replace(",", "") if len(tail.split(",")[0].split(".")[0]) == 3 else text.replace(",", ".", 1)
    try:
        return float(text)
    except ValueError:
        return None


_UNIT_WINDOW = 8
_UNIT_STOP = frozenset({";", ",", "and", "or", "if", "to", "in", "of", "for", "with", "at", "on", "as", "by", "(", ")", "[", "a"})


@Language.component("criteria_units")
def annotate_units(doc: Doc) -> Doc:
    """Mark the longest token run after a number (or after a number word) that spells a unit."""
    spans = list(doc.spans[SPANS_KEY])
    number_ends = sorted({s.end for s in spans if s.label_ == "NUM" or s.label_.startswith("NUMWORD")})
    text = doc.text
    taken = -1
    for start in number_ends:
        if start >= len(doc) or start < taken:
            continue
        best = None
        limit = min(len(doc), start + _UNIT_WINDOW)
        begin = doc[start].idx
        for end in range(limit, start, -1):
            last = doc[end - 1]
            if last.lower_ in _UNIT_STOP:
                continue
            candidate = text[begin : last.idx + len(last.text)]
            if units.is_unit(candidate):
                best = (end, candidate)
                break
        if best is not None:
            span = Span(doc, start, best[0], label="UNIT")
            span.id_ = units.normalize_unit(best[1])
            spans.append(span)
            taken = best[0]
    doc.spans[SPANS_KEY] = spans
    return doc


def build_pipeline(lexicon: Lexicon | None = None, cues: list[Cue] | None = None) -> Language:
    """A blank English pipeline with the tokenizer rules and the rule-based components above."""
    lexicon = lexicon or load_lexicon()
    cues = cues if cues is not None else load_cues()
    nlp = spacy.blank("en")
    _tokenizer_rules(nlp)
    insensitive = nlp.add_pipe(
        "span_ruler",
        name="criteria_phrases",
        config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "LOWER", "validate": False, "overwrite": False},
    )
    insensitive.add_patterns(list(_patterns(lexicon, cues, case_sensitive=False)))
    sensitive = nlp.add_pipe(
        "span_ruler",
        name="criteria_phrases_cs",
        config={"spans_key": SPANS_KEY, "phrase_matcher_attr": "ORTH", "validate": False, "overwrite": False},
    )
    sensitive.add_patterns(list(_patterns(lexicon, cues, case_sensitive=True)))
    nlp.add_pipe("criteria_numbers")
    nlp.add_pipe("criteria_units")
    return nlp


@cache
def default_pipeline() -> Language:
    """The pipeline built once per process from the bundled lexicon and cues."""
    return build_pipeline()

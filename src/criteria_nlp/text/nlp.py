"""Stage 2: tokenise and annotate criteria with a blank English spaCy pipeline (no downloaded model).

The tokenizer gets rules that split comparators, numbers, units and multipliers glued together ("≥50%",
"<=1.5mg/dL", "2×ULN", "0~2", "18-65") while keeping names such as "HbA1c", "COVID-19", "IL-6" whole.

Rule-based components then mark what the later stages need as :class:`Annotation` s (token start, end, kind,
value), read with :func:`annotations_of`:

* ``criteria_phrases`` (two :class:`spacy.matcher.PhraseMatcher` s, case-insensitive and case-sensitive): lexicon
  variables, groups and concepts (value: the lexicon id), and the cue phrases of ``corpora/lexicon/cues.tsv``
  (comparators in words, reference limits, number words, negation, temporal and conditional cues, qualifiers,
  consent and judgement phrases, sex words; value as the cue file gives it, e.g. ``CMP_PRE`` ``>=``);
* ``criteria_numbers``: numbers written in digits (value: the number);
* ``criteria_units``: the longest run of tokens after a number that spells a unit (checked with
  :func:`criteria_nlp.knowledge.units.is_unit`; value: its normalised spelling).

Annotations are plain tuples in ``doc.user_data`` rather than ``doc.spans``: creating spaCy ``Span`` objects for
every cue cost more than all the rest of the parse.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NamedTuple, cast

import spacy
from spacy.attrs import IDX, IS_SPACE, LENGTH, LOWER
from spacy.lang.en import English
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import compile_infix_regex, compile_prefix_regex, compile_suffix_regex, registry
from spacy.vocab import create_vocab

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.durations import duration_of
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.longlived import settle
from criteria_nlp.resources import corpus_path
from criteria_nlp.text.glued import glued_name
from criteria_nlp.text.signs import SIGNS, SYMBOL_FONT, raised_power, signed_number, symbol_font_comparator
from criteria_nlp.text.unit_runs import UNIT_WINDOW, glued_hyphen, hyphenated_unit, stops_unit, unit_part, unknown_unit

ANNOTATIONS_KEY = "criteria_annotations"
_BOUNDS_KEY = "criteria_token_bounds"
_TEXT_KEY = "criteria_text"
_LEXICAL_ATTRIBUTES = frozenset({LOWER, IS_SPACE})

_COMPARATOR_SYMBOLS = [
    ">/=",
    "</=",
    ">_",  # "≥" typed as ">" over "_"
    "<_",
    ">=",
    "<=",
    "=>",
    "=<",
    "≥",
    "≤",
    "≧",
    "≦",
    "⩾",
    "⩽",
    "<",
    ">",
    "~",
    "～",
    "≈",
    "×",
    "±",
    "＞",  # full-width forms, common in criteria translated from Chinese
    "＜",
    "＝",
]
_COMPARATOR_ALTERNATION = "|".join(re.escape(s) for s in _COMPARATOR_SYMBOLS)

# Names made of letters then digits ("HbA1c", "CD4", "FEV1", "COVID-19", "IL-6", "SARS-CoV-2") stay whole; a
# lone "x" before digits ("x10^9/L") is a multiplier, not a name.
_PROTECTED_TOKEN = re.compile(
    r"^(?![xX×][0-9])[A-Za-z]+[0-9]+[A-Za-z0-9]*[+]?$"
    r"|^[A-Za-z]+(?:-[A-Za-z]+)*-[0-9]+[A-Za-z]*$"
    r"|^[0-9]+(?:st|nd|rd|th)$"
)

# A number glued to a following letter is split only where the number does not continue a name: the run of digits
# (and decimal marks) must start the token or follow a non-letter. Python's look-behinds are fixed-width, hence one
# per run length.
_NUMBER_THEN_LETTER = (
    # the cheap test first: the regex engine tries this at every position of every new word
    "(?<=[0-9])(?=[A-Za-zµμ°º%])(?:"
    + "|".join(f"(?<=^[0-9.,]{{{n}}})|(?<=[^A-Za-z0-9.,][0-9.,]{{{n}}})" for n in range(1, 9))
    + ")"
)

_EXTRA_INFIXES = [
    _COMPARATOR_ALTERNATION,
    r"(?<=[0-9])[-–—‑](?=[0-9])",  # 18-65
    _NUMBER_THEN_LETTER,  # 50mg, 2.5X, 18years, but not inside a name ("HbA1c")
    r"(?<=[0-9][xX×])(?=[0-9A-Z])",  # 2x10^9, 2xULN
    r"(?<=^[xX×])(?=[0-9])",  # x10^9/L
    r"(?<=[A-Za-z0-9µμ²³)\]])/(?=[A-Za-z0-9.µμ])",  # 10^9/L, mL/min/1.73m2, AST (SGOT)/ALT
    r"[()\[\]]",  # SLE(Systemic, (LVEF)≥
    r"(?<=[A-Za-z0-9%]):(?=[0-9A-Za-z])",  # HbA1c:7.5%
    r"(?<=%)[-–—~](?=[0-9])",  # 7.5%-11.0%
    r"(?<=[0-9][A-Za-zµμ])[-–—](?=[0-9])",  # 150m-550m, 2mg-5mg (a name such as "T1b-T2a" has no digit after)
    # Hb=100g/L, (EF)=40%, or=6 (in "<or=6"); not a sample size "(n=16)"
    r"(?<=[A-Za-z0-9)\]%'’])(?<!\b[nN])=(?=[0-9A-Za-z.(+-])",
]

_EXTRA_SUFFIXES = [
    r"(?<=[A-Za-z])\((?:s|es|ies)\)",  # "lesion(s)": a plural marker is one token of its own, not "(", "s", ")"
    r"(?<=[A-Za-z)\]])=",  # "KPS= 70", "Age= 18 and= 75 years"
    r"(?<=[0-9])[-–—]",  # "30- 65 years": a range whose dash lost the space after it
    r"(?<=[0-9])/",  # "50,000/ µL": a unit whose slash lost the space after it
    r"(?<=[A-Za-z])/",  # "Bilirubin/ SGOT/SGPT": a list whose slash lost the space after it
]

_NUMBER = re.compile(r"^[0-9]+(?:[.,][0-9]+)*$|^\.[0-9]+$|^[0-9]+[·•][0-9]+$")
# "0·9", "1·5 mg/dL": a raised (or, mis-encoded, bullet) decimal point, as some journals and protocols write it
_RAISED_POINT = re.compile(r"[·•]")
_DIGIT = re.compile(r"[0-9]")
_EMOTICON = re.compile(r"[^A-Za-z]*[<>=:;()\[\]{}0-9^_*|/\\@¯][^A-Za-z]*")


_TOKENIZER = "criteria_nlp.Tokenizer.v1"


@registry.tokenizers(_TOKENIZER)  # type: ignore[untyped-decorator]  # catalogue is untyped
def _tokenizer_factory() -> Callable[[Language], Tokenizer]:
    """spaCy's English tokenizer with the rules above, registered so that :func:`build_pipeline` makes it instead of
    spaCy's default: each tokenizer loads its ~1,300 special cases, which cost more than the rest of the set-up
    (and each later change to a tokenizer's affix rules would load them again)."""

    def make(nlp: Language) -> Tokenizer:
        defaults = nlp.Defaults
        symbol_font = [f"{s}(?=[0-9])" for s in SYMBOL_FONT]
        glued = glued_name()  # "Age18-65", "BMI30-40": a variable's name glued to its number
        prefixes = [re.escape(s) for s in _COMPARATOR_SYMBOLS] + symbol_font + [glued] + list(defaults.prefixes or [])
        infixes = _EXTRA_INFIXES + list(defaults.infixes or [])
        suffixes = _EXTRA_SUFFIXES + list(defaults.suffixes or [])
        # spaCy's English exceptions keep emoticons whole: "<3" (a heart), "=3", ":1", "8)", "0.0"; in criteria
        # these are comparators, numbers, ratios and list labels ("AST <3x ULN")
        exceptions = defaults.tokenizer_exceptions or {}
        rules = {text: tokens for text, tokens in exceptions.items() if not _EMOTICON.fullmatch(text)}
        return Tokenizer(
            nlp.vocab,
            rules=rules,
            prefix_search=compile_prefix_regex(prefixes).search,
            suffix_search=compile_suffix_regex(suffixes).search,
            infix_finditer=compile_infix_regex(infixes).finditer,
            token_match=re.compile(f"^(?!{glued})(?:{_PROTECTED_TOKEN.pattern})").match,
            url_match=defaults.url_match,
        )

    return make


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


class Annotation(NamedTuple):
    """One annotated token run: ``kind`` (VARIABLE, CMP_PRE, NUM, UNIT …), its ``value`` and, for lexicon
    entries, the lexicon ``id``. Token offsets ``start`` / ``end`` (end exclusive). A named tuple: components make
    several per criterion, and tuples cost a third of a frozen dataclass to create."""

    start: int
    end: int
    kind: str
    value: str


def annotations_of(doc: Doc) -> list[Annotation]:
    """The annotations the pipeline's components left on ``doc``."""
    result: list[Annotation] = doc.user_data.get(ANNOTATIONS_KEY, [])
    return result


def _phrase_labels(lexicon: Lexicon, cues: Iterable[Cue]) -> Iterator[tuple[str, str, str, bool]]:
    """(phrase, kind, value, case_sensitive) for every lexicon surface form and cue phrase."""
    for entry in lexicon.phrase_entries():
        yield entry.text, entry.label, entry.id, entry.case_sensitive
    for cue in cues:
        yield cue.phrase, cue.kind, cue.value, cue.case_sensitive


class PhraseAnnotator:
    """Marks lexicon entries and cue phrases with two PhraseMatchers (case-insensitive and case-sensitive).

    Made empty by the ``criteria_phrases`` factory; :meth:`initialize` gives it its phrases (as spaCy's own
    ``EntityRuler`` gets its patterns), since spaCy configs hold only plain values, not a lexicon. Its state is the
    phrases as token hashes (the ``LOWER`` or ``ORTH`` hash of each token, what the matchers compare), so
    :meth:`to_bytes` / :meth:`from_bytes` keep it in the start-up cache (:mod:`criteria_nlp.text.pipeline_cache`)
    without tokenising a phrase again.
    """

    def __init__(self, nlp: Language) -> None:
        self.vocab = nlp.vocab
        self.insensitive = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.sensitive = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.labels: dict[int, tuple[str, str]] = {}
        # match key -> (kind, value, case_sensitive, each phrase's token hashes), in the order they were added
        self.phrases: dict[str, tuple[str, str, bool, list[tuple[int, ...]]]] = {}

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]] | None = None,
        *,
        nlp: Language,
        lexicon: Lexicon | None = None,
        cues: Iterable[Cue] | None = None,
    ) -> None:
        """Match every surface form of ``lexicon`` and every cue phrase (the bundled ones by default), replacing
        what an earlier call added; spaCy's ``initialize`` signature, so ``nlp.initialize()`` works too."""
        lexicon = lexicon or load_lexicon()
        cues = cues if cues is not None else load_cues()
        grouped: dict[tuple[str, str, bool], list[str]] = {}
        for phrase, kind, value, case_sensitive in _phrase_labels(lexicon, cues):
            grouped.setdefault((kind, value, case_sensitive), []).append(phrase)
        tokens = {phrase: nlp.make_doc(phrase) for phrases in grouped.values() for phrase in phrases}
        phrases: dict[str, tuple[str, str, bool, list[tuple[int, ...]]]] = {}
        for (kind, value, case_sensitive), texts in grouped.items():
            key = f"{kind}:{value}:{'cs' if case_sensitive else 'ci'}"
            hashes = [tuple(token.orth if case_sensitive else token.lower for token in tokens[text]) for text in texts]
            phrases[key] = (kind, value, case_sensitive, hashes)
        self._load(phrases)

    def _load(self, phrases: dict[str, tuple[str, str, bool, list[tuple[int, ...]]]]) -> None:
        """New matchers holding ``phrases`` (a second call replaces the first's phrases)."""
        insensitive = PhraseMatcher(self.vocab, attr="LOWER")
        sensitive = PhraseMatcher(self.vocab, attr="ORTH")
        labels: dict[int, tuple[str, str]] = {}
        for key, (kind, value, case_sensitive, hashes) in phrases.items():
            labels[self.vocab.strings.add(key)] = (kind, value)
            # token hashes go in as they are: PhraseMatcher.add takes them as it takes Docs (its pickling does so),
            # without the per-Doc checks that were a third of the set-up; spaCy's stub names Docs only
            (sensitive if case_sensitive else insensitive).add(key, hashes)  # type: ignore[arg-type]
        self.insensitive, self.sensitive, self.labels, self.phrases = insensitive, sensitive, labels, phrases

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        """The phrases as token hashes (spaCy's serialisation method, read by the start-up cache)."""
        return json.dumps([[key, *entry] for key, entry in self.phrases.items()], separators=(",", ":")).encode()

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> PhraseAnnotator:
        """The phrases :meth:`to_bytes` wrote; a malformed value is a ``ValueError`` (the cache then builds anew)."""
        try:
            rows = json.loads(data)
            if not isinstance(rows, list):
                raise TypeError(f"a list of phrases was expected, not {type(rows).__name__}")
            phrases = {
                str(key): (str(kind), str(value), bool(case_sensitive), [tuple(map(int, h)) for h in hashes])
                for key, kind, value, case_sensitive, hashes in rows
            }
        except (TypeError, ValueError) as error:
            raise ValueError(f"not the phrases of a criteria_phrases component: {error}") from error
        self._load(phrases)
        return self

    def __call__(self, doc: Doc) -> Doc:
        found = doc.user_data.setdefault(ANNOTATIONS_KEY, [])
        labels = self.labels
        make = Annotation._make
        for matcher in (self.insensitive, self.sensitive):
            found.extend([make((start, end, *labels[match_id])) for match_id, start, end in matcher(doc)])
        return doc


def source_text(doc: Doc) -> str:
    """The text ``doc`` was made from: kept by :func:`annotate`, since ``Doc.text`` joins every token anew."""
    text: str | None = doc.user_data.get(_TEXT_KEY)
    if text is None:
        text = doc.text
        doc.user_data[_TEXT_KEY] = text
    return text


def annotate(nlp: Language, texts: Iterable[str]) -> Iterator[Doc]:
    """Tokenise and annotate each text with ``nlp`` (as ``nlp.pipe`` does, one text at a time, keeping the text)."""
    components = [component for _, component in nlp.pipeline]
    make_doc = nlp.make_doc
    for text in texts:
        doc = make_doc(text)
        doc.user_data[_TEXT_KEY] = text
        for component in components:
            doc = component(doc)
        yield doc


def token_bounds(doc: Doc) -> tuple[str, list[tuple[int, int]]]:
    """The doc's text and each token's (start, end) character offsets, computed once per doc."""
    cached: tuple[str, list[tuple[int, int]]] | None = doc.user_data.get(_BOUNDS_KEY)
    if cached is None:
        text = source_text(doc)
        cached = (text, [(start, start + length) for start, length in doc.to_array([IDX, LENGTH]).tolist()])
        doc.user_data[_BOUNDS_KEY] = cached
    return cached


def annotate_numbers(doc: Doc) -> Doc:
    """Numbers written in digits ("1,500", "2.5", ".5"), their value as ``repr(float)``."""
    found = doc.user_data.setdefault(ANNOTATIONS_KEY, [])
    if _DIGIT.search(source_text(doc)) is None:
        return doc
    text, bounds = token_bounds(doc)
    count = len(bounds)
    i = 0
    while i < count:
        start, end = bounds[i]
        first = text[start]
        if first in SIGNS and end - start > 1:
            signed = signed_number(text, bounds, i, _kinds_ending(found))
            if signed is not None:
                found.append(Annotation(i, i + 1, signed[0], repr(signed[1])))
        elif first.isdigit() or (first == "." and end - start > 1):
            word = text[start:end]
            if (power := raised_power(word)) is not None and not _after_multiplier(text, bounds, i):
                found.append(Annotation(i, i + 1, "NUM", repr(power)))  # "≥ 10⁵ CFU/mL" (text.signs)
            elif _NUMBER.match(word) and not _raised_product(text, bounds, i, word):
                last = i
                # "100 000/mm3": groups of three digits after a single space continue the number
                while (
                    last + 1 < count
                    and bounds[last + 1][0] == bounds[last][1] + 1
                    and text[bounds[last][1]] == " "
                    and bounds[last + 1][1] - bounds[last + 1][0] == 3
                    and text[bounds[last + 1][0] : bounds[last + 1][1]].isdigit()
                    and word.isdigit()
                    and len(word) <= 3
                    and not _lost_exponent(text, bounds, last + 1)
                ):
                    last += 1
                    word += text[bounds[last][0] : bounds[last][1]]
                exponent = (
                    _exponent(text, bounds, last, word)
                    if last == i and not _after_multiplier(text, bounds, i)
                    else None
                )
                if exponent is not None:
                    last, value = exponent
                else:
                    value = _number_value(word)
                if value is not None:
                    found.append(Annotation(i, last + 1, "NUM", repr(value)))
                    if (comparator := symbol_font_comparator(text, bounds, i, _kinds_ending(found))) is not None:
                        found.append(Annotation(i - 1, i, "CMP_PRE", comparator))
                i = last
        i += 1
    return doc


def _kinds_ending(found: list[Annotation]) -> dict[int, set[str]]:
    """The kinds of the annotations so far by the token they end before (for :func:`signed_number`)."""
    kinds: dict[int, set[str]] = {}
    for annotation in found:
        kinds.setdefault(annotation.end, set()).add(annotation.kind)
    return kinds


_E_EXPONENT = re.compile(r"[eE][+-]?[0-9]{1,4}")
_MULTIPLIERS = frozenset({"x", "X", "×", "*"})
_MAX_EXPONENT = 300


def _after_multiplier(text: str, bounds: list[tuple[int, int]], i: int) -> bool:
    """ "x 10^9/L", "x 10e9/L": the power of ten belongs to the unit, not to a number of its own."""
    return i > 0 and text[bounds[i - 1][0] : bounds[i - 1][1]] in _MULTIPLIERS


def _exponent(text: str, bounds: list[tuple[int, int]], i: int, word: str) -> tuple[int, float | None] | None:
    """Scientific notation glued to the number at token i ("1e3", "1.0E+5", "10^3"): (last token, value), the
    value None when it is absurd (beyond 10^300: the tokens stay unread, never a silent 1 or 10); None if none."""
    count = len(bounds)
    if i + 1 >= count or bounds[i + 1][0] != bounds[i][1]:
        return None
    following = text[bounds[i + 1][0] : bounds[i + 1][1]]
    if _E_EXPONENT.fullmatch(following) and "," not in word:
        power, last = int(following[1:]), i + 1
        mantissa = float(word)
    elif following == "^" and word == "10" and i + 2 < count and bounds[i + 2][0] == bounds[i + 1][1]:
        digits = text[bounds[i + 2][0] : bounds[i + 2][1]]
        if not digits.isdigit() or len(digits) > 4:
            return None
        power, last, mantissa = int(digits), i + 2, 1.0
    else:
        return None
    if abs(power) > _MAX_EXPONENT:
        return last, None
    value = mantissa * 10.0**power
    return last, (value if math.isfinite(value) else None)


def _lost_exponent(text: str, bounds: list[tuple[int, int]], i: int) -> bool:
    """Is token i "103", "106" or "109" right before "/" ("100 109/l": 10^9/L lost its superscript)?"""
    start, end = bounds[i]
    return (
        text[start:end] in ("103", "106", "109")
        and i + 1 < len(bounds)
        and text[bounds[i + 1][0] : bounds[i + 1][1]] == "/"
    )


def _raised_product(text: str, bounds: list[tuple[int, int]], i: int, word: str) -> bool:
    """ "2·10^9/L": a raised dot before a power of ten is a product, not a decimal point (the number stays unread)."""
    return (
        _RAISED_POINT.search(word) is not None
        and i + 1 < len(bounds)
        and text[bounds[i + 1][0] : bounds[i + 1][1]] in ("^", "*", "**")
    )


def _number_value(text: str) -> float | None:
    text = _RAISED_POINT.sub(".", text)
    if "," in text:
        _, _, tail = text.partition(",")
        # "1,500" is a thousands separator, "1,5" a decimal comma
        text = text.replace(",", "") if len(tail.split(",")[0].split(".")[0]) == 3 else text.replace(",", ".", 1)
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # "1e999"-sized digit strings are not thresholds


_NUMBER_KINDS = frozenset({"NUM", "NUMWORD", "DASHNUM"})
_UNIT_STOP = frozenset(
    {";", ",", ".", "and", "or", "if", "to", "in", "of", "for", "with", "at", "on", "as", "by", "(", ")", "[", "a"}
)


def annotate_units(doc: Doc) -> Doc:
    """The longest token run after a number (or a number word) that spells a unit, normalised."""
    found = doc.user_data.setdefault(ANNOTATIONS_KEY, [])
    ends = {a.end for a in found if a.kind in _NUMBER_KINDS}
    if not ends:
        return doc
    # "20 or more breaths/min": a unit may follow the comparator written after the number; not a unit of time ("3
    # or more days" counts days, a duration the builder would read as a window)
    after_comparator = {a.end for a in found if a.kind == "CMP_POST" and a.start in ends} - ends
    number_ends = sorted(ends | after_comparator)
    text, bounds = token_bounds(doc)
    count = len(bounds)
    taken = -1
    for start in number_ends:
        if start >= count or start < taken:
            continue
        if glued_hyphen(text, bounds, start):
            hyphenated = hyphenated_unit(text, bounds, start, found)
            if hyphenated is not None:
                found.append(Annotation(start, *hyphenated))
                taken = hyphenated[0]
            continue
        begin = bounds[start][0]
        # only runs of tokens that can be part of a unit are worth asking the unit registry about
        limit = start
        while limit < min(count, start + UNIT_WINDOW) and unit_part(text[bounds[limit][0] : bounds[limit][1]]):
            limit += 1
        for end in range(limit, start, -1):
            if stops_unit(text, bounds, start, end, _UNIT_STOP):
                continue
            candidate = text[begin : bounds[end - 1][1]]
            if units.is_unit(candidate):
                canonical = units.normalize_unit(candidate)
                if start in after_comparator and duration_of(canonical) is not None:
                    break
                end = _restated_unit_end(text, bounds, end, canonical)
                found.append(Annotation(start, end, "UNIT", canonical))
                # "3 times per week": the count word begins the unit, so "3 times" is no multiplier word
                found[:] = [a for a in found if not (a.kind == "NUMWORD" and a.start < start < a.end <= end)]
                taken = end
                break
        else:
            unknown = unknown_unit(text, bounds, start, limit)  # "4000 cels/mm3": kept as written, never converted
            if unknown is not None:
                found.append(Annotation(start, unknown[0], "UNIT", unknown[1]))
                taken = unknown[0]
    return doc


_CLOSING = {"(": ")", "[": "]"}


def _restated_unit_end(text: str, bounds: list[tuple[int, int]], end: int, canonical: str) -> int:
    """ "1.1 nanogram per milliliter (ng/mL)", "3.0 meters per second [m/s]": a unit restated in brackets belongs to
    the unit; the token end after it."""
    if end >= len(bounds) or (opening := text[bounds[end][0] : bounds[end][1]]) not in _CLOSING:
        return end
    for closing in range(end + 2, min(len(bounds), end + UNIT_WINDOW)):
        if text[bounds[closing][0] : bounds[closing][1]] == _CLOSING[opening]:
            inner = text[bounds[end + 1][0] : bounds[closing - 1][1]]
            if units.is_unit(inner) and units.normalize_unit(inner) == canonical:
                return closing + 1
            return end
    return end


def build_pipeline(
    lexicon: Lexicon | None = None, cues: list[Cue] | None = None, *, terminology: bool | None = None
) -> Language:
    """A blank English pipeline with the tokenizer rules and the rule-based components above (the bundled lexicon
    and cues unless others are given) and, with ``terminology`` (by default: with the bundled lexicon), the
    generated terminology's concepts (:mod:`criteria_nlp.text.terms`).

    With the bundled data, the components' state comes from the start-up cache when it holds an entry built from
    the same data files and code (:mod:`criteria_nlp.text.pipeline_cache`); a component added here is initialised
    in ``initialize`` below and is kept in the cache when it has ``to_bytes`` / ``from_bytes``.
    """
    from criteria_nlp.text.pipeline_cache import restore_or_initialize

    # spaCy computes every lexical attribute (shape, like_url, like_num, norm …) when it first meets a word; the
    # components here read only the lower-case form, and the rest was a third of the tokenizer's time on new text.
    # The vocabulary is trimmed before the tokenizer is made, so its ~1,250 special cases skip them too.
    vocab = create_vocab("en", English.Defaults)
    getters = vocab.lex_attr_getters  # type: ignore[attr-defined]  # not in spaCy's stubs
    for attribute in [a for a in getters if a not in _LEXICAL_ATTRIBUTES]:
        del getters[attribute]
    nlp = spacy.blank("en", vocab=vocab, config={"nlp": {"tokenizer": {"@tokenizers": _TOKENIZER}}})
    phrases = cast(PhraseAnnotator, nlp.add_pipe("criteria_phrases"))
    nlp.add_pipe("criteria_numbers")
    nlp.add_pipe("criteria_units")
    if terminology if terminology is not None else lexicon is None:
        # a plain function (the terminology is loaded on first use, from its own cache), so no state to restore
        nlp.add_pipe("criteria_terms")  # registered by criteria_nlp.text.terms, which the package imports

    def initialize() -> None:
        phrases.initialize(nlp=nlp, lexicon=lexicon, cues=cues)

    if lexicon is None and cues is None:
        restore_or_initialize(nlp, initialize)
    else:
        initialize()
    return nlp


@Language.factory("criteria_phrases")
def _make_phrase_annotator(nlp: Language, name: str) -> PhraseAnnotator:
    return PhraseAnnotator(nlp)


Language.component("criteria_numbers", func=annotate_numbers)
Language.component("criteria_units", func=annotate_units)


@cache
def default_pipeline() -> Language:
    """The pipeline built once per process from the bundled lexicon and cues."""
    return settle(build_pipeline())

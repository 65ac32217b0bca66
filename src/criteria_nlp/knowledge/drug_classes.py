"""Classes of drugs as data: which medication records are a therapy concept named by a class ("prior chemotherapy",
"anticoagulants"), read from ``corpora/lexicon/drug_classes.tsv`` (its header explains the columns).

A record is a ``member`` of a concept's class when its RxNorm code is one of a member drug's ingredient codes or its
text names a member drug as whole words; a ``possible`` member when the drug belongs to the class in some uses only,
or when the text has one of the class's ``except`` words (a topical cream of a corticosteroid). Loading is strict,
as for the rest of the lexicon: a wrong row would become a wrong eligibility decision.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from criteria_nlp.knowledge.lexicon import LexiconFileError, lexicon_rows, load_lexicon
from criteria_nlp.knowledge.terminology_cues import RecordCue, record_cues
from criteria_nlp.resources import corpus_path

COLUMNS = ("kind", "class", "drug", "rxnorm", "names")
KINDS = frozenset({"member", "possible", "except", "none"})
NO_CLASS = "-"  # the class column of a `none` row: a drug of no class of the table
_RXNORM = re.compile(r"[1-9]\d{0,8}")

Membership = Literal["member", "possible"]


@dataclass(frozen=True)
class ClassMatch:
    """How a record belongs to a class: ``member`` or ``possible``, the drug it names, and why in words."""

    membership: Membership
    drug: str
    why: str


@dataclass(frozen=True)
class DrugClass:
    """The member drugs of one concept: by RxNorm code and by name, with the words that make a member unsure."""

    concept: str
    codes: Mapping[str, tuple[str, Membership]]  # RxNorm ingredient code -> (drug, membership)
    names: Mapping[str, tuple[str, Membership]]  # lower-cased name -> (drug, membership)
    pattern: re.Pattern[str]  # every name, longest first, as whole words
    excepts: tuple[tuple[str | None, re.Pattern[str]], ...]  # (drug or None for all, words)

    def match(self, codes: Sequence[tuple[str | None, str]], text: str) -> ClassMatch | None:
        """The membership of a medication record with ``codes`` ((short system, code) pairs) and ``text``."""
        lower = text.lower()
        found: tuple[str, Membership] | None = None
        how = ""
        cue: RecordCue | None = None
        for system, code in codes:
            if system == "rxnorm" and code.strip() in self.codes:
                found, how = self.codes[code.strip()], f"RxNorm {code.strip()}"
                break
        if found is None:
            # a combination product names several drugs: a member among them decides over a possible one
            named = sorted(self.pattern.finditer(lower), key=lambda m: self.names[m.group(0)][1] != "member")
            if not named:
                return None
            found, how = self.names[named[0].group(0)], f"named {named[0].group(0)!r}"
            cue = record_cues().find(lower, named[0].start(), named[0].end())  # "not taking warfarin"
        drug, membership = found
        kind = "a member" if membership == "member" else "a member in some uses only"
        why = f"{how}: {drug}, {kind} of the class {self.concept} (drug_classes.tsv)"
        if cue is not None:
            return ClassMatch("possible", drug, f"{why}, but {cue.describe()}")
        if membership == "member":
            for only, words in self.excepts:
                hit = words.search(lower) if only is None or only == drug else None
                if hit is not None:
                    return ClassMatch("possible", drug, f"{why}, but {hit.group(0)!r} says it may not be used so")
        return ClassMatch(membership, drug, why)


def drug_class(concept: str) -> DrugClass | None:
    """The class of drugs of a concept id of ``concepts.tsv``, or None when the table has none."""
    return drug_classes().get(concept)


@cache
def known_drug_codes() -> frozenset[str]:
    """Every RxNorm code the table names, of any class: a record coded with one is a drug the table knows, so a
    class it is not a member of is absent on a complete medication list (as for a drug named in the text)."""
    return frozenset(code for found in drug_classes().values() for code in found.codes) | unclassed_drugs()[0]


def names_classed_drug(codes: Sequence[tuple[str | None, str]], text: str) -> bool:
    """Whether a medication record is of a drug the table lists in any class (by an RxNorm code or its name as whole
    words). Only such a drug can show a class it is not listed in absent: the table does not list every member of a
    class (mitoxantrone is chemotherapy without a row), so another drug on a complete list leaves the class unknown."""
    if any(system == "rxnorm" and code.strip() in known_drug_codes() for system, code in codes):
        return True
    return _every_name().search(text.lower()) is not None


@cache
def _every_name() -> re.Pattern[str]:
    return _words(sorted({name for found in drug_classes().values() for name in found.names} | unclassed_drugs()[1]))


@cache
def unclassed_drugs(path: Path | None = None) -> tuple[frozenset[str], frozenset[str]]:
    """(RxNorm codes, lower-cased names) of the ``none`` rows: drugs checked to be in no class of the table (amlodipine,
    leucovorin), so that their records show every class absent on a complete list. A name also listed in a class is
    refused: the row would contradict it."""
    path = path or corpus_path("lexicon", "drug_classes.tsv")
    classed = drug_classes(path)
    codes: set[str] = set()
    names: set[str] = set()
    for line_number, kind, _class, drug, rxnorm, others in _read(path):
        if kind != "none":
            continue
        for name in (drug, *others):
            owner = next((c for c, found in classed.items() if name.lower() in found.names), None)
            if owner is not None:
                raise LexiconFileError(path, line_number, f"{name!r} is a drug of the class {owner}, not of none")
            if len(name) < 3 or name.lower() in names:
                raise LexiconFileError(path, line_number, f"drug name {name!r} is too short or listed twice")
            names.add(name.lower())
        if any(code in codes or any(code in found.codes for found in classed.values()) for code in rxnorm):
            raise LexiconFileError(path, line_number, f"an RxNorm code of {drug!r} is listed twice")
        codes.update(rxnorm)
    return frozenset(codes), frozenset(names)


@cache
def drug_classes(path: Path | None = None) -> Mapping[str, DrugClass]:
    """Every class of ``drug_classes.tsv`` (or ``path``), by concept id, read once and checked against the lexicon."""
    path = path or corpus_path("lexicon", "drug_classes.tsv")
    concepts = load_lexicon().concepts
    rows: dict[str, _Rows] = {}
    for line_number, kind, concept, drug, codes, names in _read(path):
        if kind == "none" or concept == NO_CLASS:
            if kind != "none" or concept != NO_CLASS or not drug:
                raise LexiconFileError(path, line_number, f"a none row names a drug and the class {NO_CLASS!r}")
            continue  # read by unclassed_drugs
        if concept not in concepts:
            suggestions = difflib.get_close_matches(concept, list(concepts), n=3)
            raise LexiconFileError(path, line_number, f"class {concept!r} is not a concept id", suggestions=suggestions)
        rows.setdefault(concept, _Rows()).add(path, line_number, kind, drug, codes, names)
    return MappingProxyType({concept: found.build(concept) for concept, found in rows.items()})


class _Rows:
    """The rows of one class while reading, with the checks that need them all."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, Membership]] = {}
        self.names: dict[str, tuple[str, Membership]] = {}
        self.excepts: list[tuple[str | None, tuple[str, ...]]] = []

    def add(self, path: Path, line: int, kind: str, drug: str, codes: tuple[str, ...], names: tuple[str, ...]) -> None:
        if kind == "except":
            if codes or not names:
                raise LexiconFileError(path, line, "an except row lists its words in names and no rxnorm code")
            if drug and drug.lower() not in self.names:
                raise LexiconFileError(path, line, f"except row for {drug!r}, which is no drug of the class above")
            self.excepts.append((drug.lower() or None, names))
            return
        if not drug:
            raise LexiconFileError(path, line, f"a {kind} row needs a drug")
        membership: Membership = "member" if kind == "member" else "possible"
        for code in codes:
            if code in self.codes:
                raise LexiconFileError(path, line, f"RxNorm code {code} already belongs to {self.codes[code][0]!r}")
            self.codes[code] = (drug.lower(), membership)
        for name in (drug, *names):
            if len(name) < 3:
                raise LexiconFileError(path, line, f"drug name {name!r} is too short to match safely")
            if name.lower() in self.names:
                raise LexiconFileError(path, line, f"name {name!r} is listed twice in the class")
            self.names[name.lower()] = (drug.lower(), membership)

    def build(self, concept: str) -> DrugClass:
        return DrugClass(
            concept=concept,
            codes=MappingProxyType(self.codes),
            names=MappingProxyType(self.names),
            pattern=_words(self.names),
            excepts=tuple((drug, _words(words)) for drug, words in self.excepts),
        )


def _words(forms: Sequence[str] | Mapping[str, object]) -> re.Pattern[str]:
    ordered = sorted((form.lower() for form in forms), key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(form) for form in ordered) + r")(?![\w-])")


def _read(path: Path) -> list[tuple[int, str, str, str, tuple[str, ...], tuple[str, ...]]]:
    """(line, kind, class, drug, RxNorm codes, names) of every row, the header checked."""
    found: list[tuple[int, str, str, str, tuple[str, ...], tuple[str, ...]]] = []
    for line_number, row in lexicon_rows(path, COLUMNS):
        kind, concept, drug, codes, names = (row[column] for column in COLUMNS)
        if kind not in KINDS:
            raise LexiconFileError(path, line_number, f"unknown kind {kind!r}", suggestions=sorted(KINDS))
        rxnorm = _split(codes, path, line_number)
        for code in rxnorm:
            if not _RXNORM.fullmatch(code):
                raise LexiconFileError(path, line_number, f"malformed RxNorm code {code!r}")
        found.append((line_number, kind, concept, drug, rxnorm, _split(names, path, line_number)))
    return found


def _split(value: str, path: Path, line_number: int) -> tuple[str, ...]:
    if not value:
        return ()
    parts = tuple(part.strip() for part in value.split("|"))
    if any(not part for part in parts):
        raise LexiconFileError(path, line_number, f"empty item in {value!r} (check the '|' separators)")
    return parts

"""The clinical lexicon: variables (labs, vitals, scores), groups of variables, and concepts, read from TSV files.

The data lives in ``corpora/lexicon/`` (``variables.tsv``, ``groups.tsv``, ``concepts.tsv``); each file explains its
own columns in its ``#`` header. :func:`load_lexicon` reads and validates them once and returns a :class:`Lexicon`
with lookups by id, by LOINC code, by SNOMED CT / ICD-10 code and by surface form.

Validation is strict, because a silent mistake in the data becomes a wrong eligibility decision:

* a malformed line (wrong number of fields, bad id, bad code, number that is not a number) raises
  :class:`LexiconFileError` naming the file and the line;
* ids are unique across all three files, and group members must be variable ids;
* a LOINC code belongs to one variable only;
* a surface form may not belong to two different ids (variables, groups and concepts together). There is no
  "first wins" rule: an ambiguous synonym is an error at load time, so that every surface form means one thing.

Case rule for matching text (:attr:`PhraseEntry.case_sensitive`): a synonym of at most five characters without
spaces that contains an upper-case letter ("ALT", "PT", "Hb", "Mg") matches case-sensitively, so that "Mg" is not
the unit "mg" and "PT" is not "pt"; every other synonym, and every display name, matches case-insensitively. A short
form that should match in any case is written in lower case in the data ("hba1c").
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.codes import code_system, icd10_in_range, icd10_key, icd10_range
from criteria_nlp.resources import corpus_path

VARIABLE_KINDS = frozenset({"lab", "vital", "score", "anthropometric", "demographic", "other"})
CONCEPT_CATEGORIES = frozenset({"condition", "state", "medication", "procedure"})

VARIABLE_COLUMNS = (
    "id",
    "kind",
    "name",
    "synonyms",
    "loinc",
    "unit",
    "molar_mass",
    "ref_low",
    "ref_high",
    "ref_unit",
    "plausible_low",
    "plausible_high",
)
GROUP_COLUMNS = ("id", "name", "synonyms", "members")
CONCEPT_COLUMNS = ("id", "category", "name", "synonyms", "icd10", "snomed")

_ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*")
_LOINC_PATTERN = re.compile(r"\d{1,7}-\d")
_SNOMED_PATTERN = re.compile(r"[1-9]\d{5,17}")
_ICD10_PATTERN = re.compile(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?")
_CASE_SENSITIVE_MAX_LENGTH = 5

Label = Literal["VARIABLE", "GROUP", "CONCEPT"]


@dataclass(frozen=True)
class ReferenceRange:
    """A documented default normal range; either end may be open (None)."""

    low: float | None
    high: float | None
    unit: str


@dataclass(frozen=True)
class Variable:
    id: str
    name: str
    kind: str
    synonyms: tuple[str, ...]
    loinc: tuple[str, ...]
    unit: str | None
    molar_mass: float | None
    reference: ReferenceRange | None
    plausible: tuple[float | None, float | None] = (None, None)

    def implausible(self, value: float) -> bool:
        """A value (in ``unit``) the variable cannot physically take."""
        low, high = self.plausible
        return (low is not None and value < low) or (high is not None and value > high)


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    synonyms: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class Concept:
    id: str
    name: str
    category: str
    synonyms: tuple[str, ...]
    icd10: tuple[str, ...]
    snomed: tuple[str, ...]


@dataclass(frozen=True)
class PhraseEntry:
    text: str
    label: Label
    id: str
    case_sensitive: bool


class LexiconFileError(CriteriaSemanticError):
    """A lexicon data file is malformed or inconsistent; ``path`` and ``line_number`` say where."""

    def __init__(self, path: Path, line_number: int | None, problem: str, *, suggestions: list[str] | None = None):
        self.path = path
        self.line_number = line_number
        where = f"{path.name} line {line_number}" if line_number is not None else path.name
        super().__init__(f"{where}: {problem}", suggestions=suggestions)


class UnknownLexiconIdError(CriteriaSemanticError, KeyError):
    """An id that the lexicon does not know; a ``KeyError`` too, so mapping-style callers can catch it."""

    def __str__(self) -> str:
        return self.describe()


def is_case_sensitive(form: str) -> bool:
    """The matching rule for a synonym: short forms with an upper-case letter match case-sensitively."""
    return len(form) <= _CASE_SENSITIVE_MAX_LENGTH and " " not in form and any(c.isupper() for c in form)


class Lexicon:
    """Read-only lookups over the lexicon's variables, groups and concepts."""

    def __init__(
        self,
        variables: Mapping[str, Variable],
        groups: Mapping[str, Group],
        concepts: Mapping[str, Concept],
    ) -> None:
        self.variables: Mapping[str, Variable] = MappingProxyType(dict(variables))
        self.groups: Mapping[str, Group] = MappingProxyType(dict(groups))
        self.concepts: Mapping[str, Concept] = MappingProxyType(dict(concepts))
        self._by_loinc = {code: v for v in self.variables.values() for code in v.loinc}
        self._by_snomed: dict[str, list[Concept]] = {}
        for concept in self.concepts.values():
            for code in concept.snomed:
                self._by_snomed.setdefault(code, []).append(concept)
        self._icd10_patterns = [
            (concept, [icd10_range(code) for code in concept.icd10]) for concept in self.concepts.values()
        ]
        self._entries = _phrase_entries(self.variables.values(), self.groups.values(), self.concepts.values())
        self._exact = {e.text: e for e in self._entries if e.case_sensitive}
        self._folded: dict[str, PhraseEntry] = {}
        for entry in self._entries:
            if not entry.case_sensitive:
                self._folded.setdefault(entry.text.casefold(), entry)
        self._forms_by_fold: dict[str, str] = {}
        for entry in self._entries:
            self._forms_by_fold.setdefault(entry.text.casefold(), _suggestion_text(entry))

    def variable(self, id: str) -> Variable:
        try:
            return self.variables[id]
        except KeyError:
            raise self._unknown("variable", id, self.variables) from None

    def group(self, id: str) -> Group:
        try:
            return self.groups[id]
        except KeyError:
            raise self._unknown("group", id, self.groups) from None

    def concept(self, id: str) -> Concept:
        try:
            return self.concepts[id]
        except KeyError:
            raise self._unknown("concept", id, self.concepts) from None

    def by_loinc(self, code: str) -> Variable | None:
        return self._by_loinc.get(code.strip())

    def concepts_for_code(self, system: str, code: str) -> list[Concept]:
        """Concepts a coded diagnosis or procedure belongs to, in file order.

        ``system`` is SNOMED CT or ICD-10 named any way :func:`~criteria_nlp.knowledge.codes.code_system` reads
        ("snomed", "ICD-10-CM", "http://snomed.info/sct", an OID). Another URL or OID (RxNorm, LOINC...) yields
        ``[]``; a bare name that is neither raises :class:`CriteriaSemanticError`, since it is most likely a typo.
        ICD-10 codes match hierarchically ("E11.9" is under "E11", "A17.0" under "A15-A19"); SNOMED codes exactly.
        """
        short = code_system(system)
        if short == "snomed":
            return list(self._by_snomed.get(code.strip(), ()))
        if short == "icd10":
            key = icd10_key(code)
            return [c for c, patterns in self._icd10_patterns if any(icd10_in_range(p, key) for p in patterns)]
        if ":" in system:
            return []
        raise CriteriaSemanticError(
            f"unknown code system {system!r}", expected=["snomed", "icd10"], suggestions=["snomed", "icd10"]
        )

    def phrase_entries(self) -> list[PhraseEntry]:
        """Every surface form to match in text: names and synonyms of variables, groups and concepts."""
        return list(self._entries)

    def lookup(self, text: str) -> PhraseEntry | None:
        """The entry a surface form stands for, honouring the case rule (exact forms first), or None."""
        stripped = text.strip()
        return self._exact.get(stripped) or self._folded.get(stripped.casefold())

    def suggest(self, term: str, n: int = 3) -> list[str]:
        """Did-you-mean: the surface forms closest to ``term`` (difflib ratio >= 0.6, ignoring case), best first.

        Forms come as written in the lexicon, except that a sentence-case display name reads in lower case
        ("creatinine", not "Creatinine"), since it matches in any case anyway.
        """
        matches = difflib.get_close_matches(term.strip().casefold(), self._forms_by_fold, n=n, cutoff=0.6)
        return [self._forms_by_fold[m] for m in matches]

    def _unknown(self, what: str, id: str, known: Mapping[str, object]) -> UnknownLexiconIdError:
        suggestions = difflib.get_close_matches(id, list(known), n=3, cutoff=0.6)
        entry = self.lookup(id.replace("_", " "))
        if entry is not None and entry.id in known and entry.id not in suggestions:
            suggestions.insert(0, entry.id)
        return UnknownLexiconIdError(f"unknown {what} id {id!r}", suggestions=suggestions)


def load_lexicon(directory: Path | None = None) -> Lexicon:
    """The lexicon from ``directory`` (the packaged ``corpora/lexicon`` when None; that one is read once)."""
    if directory is None:
        return _default_lexicon()
    return _load(Path(directory))


@cache
def _default_lexicon() -> Lexicon:
    return _load(corpus_path("lexicon"))


def _load(directory: Path) -> Lexicon:
    forms = _FormRegistry()
    owners: dict[str, tuple[Path, int]] = {}
    variables = {v.id: v for v in _read_variables(directory / "variables.tsv", forms, owners)}
    groups = {g.id: g for g in _read_groups(directory / "groups.tsv", forms, owners, variables)}
    concepts = {c.id: c for c in _read_concepts(directory / "concepts.tsv", forms, owners)}
    return Lexicon(variables, groups, concepts)


class _FormRegistry:
    """Surface forms seen so far, to reject one form that stands for two different ids."""

    def __init__(self) -> None:
        self._by_fold: dict[str, list[tuple[str, bool, str, Path, int]]] = {}

    def add(self, form: str, case_sensitive: bool, owner: str, path: Path, line_number: int) -> None:
        seen = self._by_fold.setdefault(form.casefold(), [])
        for other_form, other_sensitive, other_owner, other_path, other_line in seen:
            if other_owner == owner:
                continue
            if case_sensitive and other_sensitive and form != other_form:
                continue
            raise LexiconFileError(
                path,
                line_number,
                f"surface form {form!r} of {owner!r} is ambiguous: {other_form!r} already stands for "
                f"{other_owner!r} ({other_path.name} line {other_line}); remove it from one of them",
            )
        seen.append((form, case_sensitive, owner, path, line_number))


def lexicon_rows(
    path: Path, columns: Sequence[str], optional: Sequence[str] = ()
) -> Iterable[tuple[int, dict[str, str]]]:
    """The rows of a lexicon file as dicts; ``optional`` trailing columns may be left out of the header (empty)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LexiconFileError(path, None, "lexicon file not found") from None
    except UnicodeDecodeError as error:
        raise LexiconFileError(path, None, f"not UTF-8 text ({error.reason})") from None
    header_seen = False
    present = tuple(columns)
    for line_number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        fields = raw.split("\t")
        if not header_seen:
            header = tuple(f.strip() for f in fields)
            present = tuple(columns) if header == tuple(columns) else tuple(columns[: len(columns) - len(optional)])
            if header != present:
                raise LexiconFileError(
                    path, line_number, f"expected the column header {' '.join(columns)!r} (tab-separated)"
                )
            header_seen = True
            continue
        if len(fields) != len(present):
            raise LexiconFileError(
                path, line_number, f"expected {len(present)} tab-separated fields, found {len(fields)}"
            )
        row = dict.fromkeys(columns, "")
        row.update((column, value.strip()) for column, value in zip(present, fields, strict=True))
        yield line_number, row
    if not header_seen:
        raise LexiconFileError(path, None, f"missing the column header {' '.join(columns)!r}")


def _plausible(row: dict[str, str], path: Path, line_number: int) -> tuple[float | None, float | None]:
    low = _optional_float(row["plausible_low"], "plausible_low", path, line_number)
    high = _optional_float(row["plausible_high"], "plausible_high", path, line_number)
    if low is not None and high is not None and low > high:
        raise LexiconFileError(path, line_number, f"plausible range {low:g}-{high:g} runs backwards")
    return (low, high)


def _read_variables(path: Path, forms: _FormRegistry, owners: dict[str, tuple[Path, int]]) -> Iterable[Variable]:
    loinc_owner: dict[str, str] = {}
    for line_number, row in lexicon_rows(path, VARIABLE_COLUMNS, optional=("plausible_low", "plausible_high")):
        variable_id = _check_id(row["id"], path, line_number, owners)
        kind = row["kind"]
        if kind not in VARIABLE_KINDS:
            raise LexiconFileError(
                path, line_number, f"unknown kind {kind!r}", suggestions=difflib.get_close_matches(kind, VARIABLE_KINDS)
            )
        name = _check_name(row["name"], path, line_number)
        synonyms = _surface_forms(name, row["synonyms"], variable_id, path, line_number, forms)
        loinc = _split_codes(row["loinc"], _LOINC_PATTERN, "LOINC", path, line_number)
        for code in loinc:
            if code in loinc_owner:
                raise LexiconFileError(
                    path, line_number, f"LOINC code {code} already belongs to variable {loinc_owner[code]!r}"
                )
            loinc_owner[code] = variable_id
        molar_mass = _optional_float(row["molar_mass"], "molar_mass", path, line_number)
        if molar_mass is not None and molar_mass <= 0:
            raise LexiconFileError(path, line_number, f"molar_mass must be positive, got {molar_mass:g}")
        yield Variable(
            id=variable_id,
            name=name,
            kind=kind,
            synonyms=synonyms,
            loinc=loinc,
            unit=row["unit"] or None,
            molar_mass=molar_mass,
            reference=_reference(row, path, line_number),
            plausible=_plausible(row, path, line_number),
        )


def _read_groups(
    path: Path, forms: _FormRegistry, owners: dict[str, tuple[Path, int]], variables: Mapping[str, Variable]
) -> Iterable[Group]:
    for line_number, row in lexicon_rows(path, GROUP_COLUMNS):
        group_id = _check_id(row["id"], path, line_number, owners)
        name = _check_name(row["name"], path, line_number)
        members = tuple(_split(row["members"], "members", path, line_number))
        if not members:
            raise LexiconFileError(path, line_number, f"group {group_id!r} has no members")
        for member in members:
            if member not in variables:
                raise LexiconFileError(
                    path,
                    line_number,
                    f"group member {member!r} is not a variable id",
                    suggestions=difflib.get_close_matches(member, list(variables), n=3),
                )
        synonyms = _surface_forms(name, row["synonyms"], group_id, path, line_number, forms)
        yield Group(id=group_id, name=name, synonyms=synonyms, members=members)


def _read_concepts(path: Path, forms: _FormRegistry, owners: dict[str, tuple[Path, int]]) -> Iterable[Concept]:
    for line_number, row in lexicon_rows(path, CONCEPT_COLUMNS):
        concept_id = _check_id(row["id"], path, line_number, owners)
        category = row["category"]
        if category not in CONCEPT_CATEGORIES:
            raise LexiconFileError(
                path,
                line_number,
                f"unknown category {category!r}",
                suggestions=difflib.get_close_matches(category, CONCEPT_CATEGORIES),
            )
        name = _check_name(row["name"], path, line_number)
        synonyms = _surface_forms(name, row["synonyms"], concept_id, path, line_number, forms)
        icd10 = tuple(
            _check_icd10(code, path, line_number) for code in _split(row["icd10"], "icd10", path, line_number)
        )
        snomed = _split_codes(row["snomed"], _SNOMED_PATTERN, "SNOMED CT", path, line_number)
        yield Concept(id=concept_id, name=name, category=category, synonyms=synonyms, icd10=icd10, snomed=snomed)


def _check_id(value: str, path: Path, line_number: int, owners: dict[str, tuple[Path, int]]) -> str:
    if not _ID_PATTERN.fullmatch(value):
        raise LexiconFileError(path, line_number, f"id {value!r} is not snake_case ([a-z][a-z0-9_]*)")
    if value in owners:
        other_path, other_line = owners[value]
        raise LexiconFileError(
            path, line_number, f"id {value!r} is already defined ({other_path.name} line {other_line})"
        )
    owners[value] = (path, line_number)
    return value


def _check_name(value: str, path: Path, line_number: int) -> str:
    if not value:
        raise LexiconFileError(path, line_number, "empty name")
    return value


def _split(value: str, column: str, path: Path, line_number: int) -> list[str]:
    if not value:
        return []
    parts = [part.strip() for part in value.split("|")]
    if any(not part for part in parts):
        raise LexiconFileError(path, line_number, f"empty item in {column} {value!r} (check the '|' separators)")
    return parts


def _split_codes(value: str, pattern: re.Pattern[str], system: str, path: Path, line_number: int) -> tuple[str, ...]:
    codes = _split(value, system, path, line_number)
    for code in codes:
        if not pattern.fullmatch(code):
            raise LexiconFileError(path, line_number, f"malformed {system} code {code!r}")
    return tuple(dict.fromkeys(codes))


def _check_icd10(code: str, path: Path, line_number: int) -> str:
    ends = code.split("-")
    if len(ends) > 2 or not all(_ICD10_PATTERN.fullmatch(end) for end in ends):
        raise LexiconFileError(path, line_number, f"malformed ICD-10 code or range {code!r}")
    if len(ends) == 2 and icd10_key(ends[0]) > icd10_key(ends[1]):
        raise LexiconFileError(path, line_number, f"ICD-10 range {code!r} runs backwards")
    return code


def _surface_forms(
    name: str, synonyms: str, owner: str, path: Path, line_number: int, forms: _FormRegistry
) -> tuple[str, ...]:
    result: list[str] = []
    folded_insensitive: set[str] = set()
    for position, form in enumerate([name, *_split(synonyms, "synonyms", path, line_number)]):
        if len(form) < 2:
            raise LexiconFileError(path, line_number, f"surface form {form!r} is too short to match safely")
        sensitive = position > 0 and is_case_sensitive(form)
        if form in result or (not sensitive and form.casefold() in folded_insensitive):
            continue
        forms.add(form, sensitive, owner, path, line_number)
        result.append(form)
        if not sensitive:
            folded_insensitive.add(form.casefold())
    return tuple(result)


def _optional_float(value: str, column: str, path: Path, line_number: int) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise LexiconFileError(path, line_number, f"{column} {value!r} is not a number") from None


def _reference(row: Mapping[str, str], path: Path, line_number: int) -> ReferenceRange | None:
    low = _optional_float(row["ref_low"], "ref_low", path, line_number)
    high = _optional_float(row["ref_high"], "ref_high", path, line_number)
    unit = row["ref_unit"]
    if low is None and high is None:
        if unit:
            raise LexiconFileError(path, line_number, "ref_unit given without ref_low or ref_high")
        return None
    if low is not None and high is not None and low > high:
        raise LexiconFileError(path, line_number, f"reference range {low:g}-{high:g} runs backwards")
    if not unit and row["unit"]:
        raise LexiconFileError(path, line_number, "ref_unit is required when a reference limit is given")
    return ReferenceRange(low=low, high=high, unit=unit)


def _phrase_entries(
    variables: Iterable[Variable], groups: Iterable[Group], concepts: Iterable[Concept]
) -> tuple[PhraseEntry, ...]:
    entries: list[PhraseEntry] = []
    labelled: list[tuple[Label, str, str, tuple[str, ...]]] = [
        *(("VARIABLE", v.id, v.name, v.synonyms) for v in variables),
        *(("GROUP", g.id, g.name, g.synonyms) for g in groups),
        *(("CONCEPT", c.id, c.name, c.synonyms) for c in concepts),
    ]
    for label, entry_id, name, synonyms in labelled:
        for form in synonyms:
            sensitive = form != name and is_case_sensitive(form)
            entries.append(PhraseEntry(text=form, label=label, id=entry_id, case_sensitive=sensitive))
    return tuple(entries)


def _suggestion_text(entry: PhraseEntry) -> str:
    """Forms as written, except that a sentence-case form matched in any case reads as running text."""
    text = entry.text
    if not entry.case_sensitive and text[:1].isupper() and not any(c.isupper() for c in text[1:]):
        return text[0].lower() + text[1:]
    return text


# ---------------------------------------------------------------------------------------------- cue direction, scope
CUE_DIRECTIONS = frozenset({"FORWARD", "BACKWARD", "BIDIRECTIONAL", "TERMINATE"})
CUE_SCOPES = frozenset({"clause", "word"})


@dataclass(frozen=True)
class CueScope:
    """Which way a cue of ``cues.tsv`` reaches (``direction``) and how far (``scope``), ConText style."""

    phrase: str
    kind: str
    direction: str
    scope: str


@cache
def cue_scopes(path: Path | None = None) -> tuple[CueScope, ...]:
    """The cues of ``cues.tsv`` (or ``path``) that give a direction (fifth field) and a scope (sixth)."""
    path = path or corpus_path("lexicon", "cues.tsv")
    found: list[CueScope] = []
    for line_number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = [field.strip() for field in raw.split("\t")]
        if raw.startswith("#") or len(fields) < 5 or not fields[4]:
            continue
        direction, scope = fields[4], fields[5] if len(fields) > 5 else ""
        if direction not in CUE_DIRECTIONS:
            raise LexiconFileError(
                path, line_number, f"unknown direction {direction!r}", suggestions=sorted(CUE_DIRECTIONS)
            )
        if (scope not in CUE_SCOPES) != (direction == "TERMINATE"):
            raise LexiconFileError(path, line_number, f"direction {direction} does not take the scope {scope!r}")
        found.append(CueScope(fields[0].lower(), fields[1], direction, scope))
    return tuple(found)

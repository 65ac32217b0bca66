"""Generated clinical terminology beside the curated lexicon: MeSH diseases, DrugBank drugs, ICD-10-CM.

The tables under ``corpora/terminology/`` (built by ``scripts/build_terminology.py``) name about 70,000 concepts by
namespaced ids (``mesh:D003924``, ``drugbank:DB00682``, ``icd10cm:E11.9``) with their broader concepts and the
lower-cased token sequences that name them. Nothing is read at import: :func:`load_terminology` reads them once,
on first use.

Matching is a dictionary lookup of token tuples, longest first, left to right. The curated lexicon
(:func:`~criteria_nlp.knowledge.lexicon.load_lexicon`) takes part in the same lookup and wins a tie: where a lexicon
form and a table term cover the same tokens, the lexicon's id comes first; its variables and groups block the tables
("creatinine" is the lab value, not the DrugBank drug). A longer table term beats a shorter lexicon form ("bladder
cancer" is Urinary Bladder Neoplasms, not malignancy). Where the text has more words than the term matched
("brainstem glioma" has only "glioma" in the tables), the match is ``broader`` and keeps those words as qualifiers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal, NamedTuple

from criteria_nlp.knowledge.codes import code_system
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon
from criteria_nlp.knowledge.terminology_cues import RecordCue, record_cues
from criteria_nlp.knowledge.terminology_tables import CROSSLINKS as CROSSLINKS  # re-exported
from criteria_nlp.knowledge.terminology_tables import TABLES as TABLES  # re-exported
from criteria_nlp.knowledge.terminology_tables import ConceptRow, Tables
from criteria_nlp.knowledge.terminology_tables import load_tables as load_tables  # re-exported
from criteria_nlp.knowledge.terminology_tables import read_table as read_table  # re-exported
from criteria_nlp.knowledge.terminology_tables import read_tables as read_tables  # re-exported
from criteria_nlp.knowledge.terminology_words import Category
from criteria_nlp.knowledge.terminology_words import WordRoles as WordRoles  # re-exported: the tables' readers
from criteria_nlp.knowledge.terminology_words import read_word_roles as read_word_roles
from criteria_nlp.longlived import settle
from criteria_nlp.resources import corpus_path

LEXICON_ENTRY = "terminology-lexicon"  # the start-up cache's entry of what the tables make of the lexicon
_MAX_QUALIFIERS = 3
_VARIANT_CACHE = 65536
_SEMANTIC_TAG_WORDS = frozenset({"disorder", "finding", "situation", "procedure", "morphologic abnormality"})

Kind = Literal["concept", "variable", "group", "term"]
Tokenize = Callable[[str], list[tuple[str, int, int]]]


@dataclass(frozen=True)
class TermConcept:
    id: str
    name: str
    source: str  # the table's namespace: mesh, drugbank, icd10cm
    parents: tuple[str, ...]
    category: Category = "condition"


@dataclass(frozen=True)
class TermMatch:
    """Tokens ``start:end`` name the concepts ``ids`` (best first); ``kind`` says what the first id is.

    ``broader``: the words ``qualifiers`` (inside ``start:end``, before the term matched) narrow the concept further
    than any id says ("brainstem" in "brainstem glioma").
    """

    start: int
    end: int
    ids: tuple[str, ...]
    kind: Kind
    source: str  # lexicon, overrides, mesh, drugbank, icd10cm
    text: str  # the tokens matched, lower-cased, the qualifiers included
    broader: bool = False
    qualifiers: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.ids[0]


class TextMatch(NamedTuple):
    match: TermMatch
    start: int  # character offsets in the text
    end: int


@dataclass(frozen=True)
class DisplayMatch:
    """The concepts a record's display text names, and the words of it no term covered."""

    ids: tuple[str, ...]
    display: str
    term: str
    unmatched: tuple[str, ...]
    # a cue of the text that says the concept is absent or past ("no active tuberculosis"): never an exact match
    cue: RecordCue | None = None

    @property
    def exact(self) -> bool:
        return not self.unmatched and self.cue is None

    def describe(self) -> str:
        said = f", but {self.cue.describe()}" if self.cue is not None else ""
        return f"matched by display text {self.display!r}{said}"


@dataclass(frozen=True)
class _Hit:
    length: int
    ids: tuple[str, ...]
    kind: Kind
    source: str


class _Concepts(Mapping[str, TermConcept]):
    """The concepts by id, each built on first use: only a few of the ~66,000 rows are asked for in a run."""

    def __init__(self, rows: dict[str, ConceptRow]) -> None:
        self._rows = rows
        self._built: dict[str, TermConcept] = {}

    def __getitem__(self, concept_id: str) -> TermConcept:
        concept = self._built.get(concept_id)
        if concept is None:
            name, source, parents, category = self._rows[concept_id]
            concept = TermConcept(concept_id, name, source, parents, category)  # type: ignore[arg-type]
            self._built[concept_id] = concept
        return concept

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class Terminology:
    """Read-only lookups over the generated tables and the curated lexicon."""

    def __init__(
        self,
        tables: Tables,
        lexicon: Lexicon,
        tokenize: Tokenize,
        words: WordRoles,
        lexicon_state: LexiconState | None = None,
    ) -> None:
        """``lexicon_state``: what :func:`lexicon_state` makes of the lexicon and these tables, when stored."""
        self.concepts: Mapping[str, TermConcept] = _Concepts(tables.concepts)
        self.lexicon = lexicon
        self._terms = tables.terms
        self._same_as = tables.same_as
        self._tokenize = tokenize
        self._words = words
        self._lexicon_forms, self._curated_above = lexicon_state or lexicon_state_of(tables, lexicon, tokenize)
        self._longest = dict(tables.longest)
        self._other_number_words: dict[str, bool] = {}
        self._variants: dict[str, tuple[str, ...]] = {}  # word -> its other grammatical number
        for key in self._lexicon_forms:
            self._longest[key[0]] = max(self._longest.get(key[0], 0), len(key))
        self._vocabulary = tables.vocabulary
        self._ancestors: dict[str, frozenset[str]] = {}

    # --- matching -------------------------------------------------------------------------------------------------

    def match_tokens(self, tokens: Sequence[str]) -> list[TermMatch]:
        """Longest non-overlapping matches over token texts (as criteria_nlp's tokenizer splits them), left to right."""
        lower = [token.lower() for token in tokens]
        matches: list[TermMatch] = []
        longest = self._longest
        i = 0
        while i < len(tokens):
            # most words start no term: skip them without a call (the matcher runs on every token of every criterion)
            word = lower[i]
            hit = self._hit(tokens, lower, i) if word in longest or self._starts_other_number(word) else None
            if hit is None:
                i += 1
                continue
            start = self._qualified_start(lower, i, matches[-1].end if matches else 0, hit)
            text = " ".join(lower[start : i + hit.length])
            qualifiers = tuple(lower[start:i])
            matches.append(
                TermMatch(start, i + hit.length, hit.ids, hit.kind, hit.source, text, bool(qualifiers), qualifiers)
            )
            i += hit.length
        return matches

    @property
    def words(self) -> WordRoles:
        return self._words

    def tokens(self, text: str) -> list[str]:
        """``text`` as criteria_nlp's tokenizer splits it."""
        return [token for token, _, _ in self._tokenize(text)]

    def match_text(self, text: str) -> list[TextMatch]:
        """:meth:`match_tokens` over ``text`` tokenised by criteria_nlp's tokenizer, with character offsets."""
        tokens = self._tokenize(text)
        matches = self.match_tokens([token for token, _, _ in tokens])
        return [TextMatch(m, tokens[m.start][1], tokens[m.end - 1][2]) for m in matches]

    def match_display(self, display: str) -> DisplayMatch | None:
        """The concepts a coded entry's display text names ("Tuberculosis of lung", "Metformin 500 MG Oral Tablet").

        For records whose codes the tables do not hold (SNOMED CT, RxNorm): the longest concept match wins; the
        words it leaves (doses, forms, semantic tags aside) are returned as ``unmatched``.
        """
        text = display.strip()
        for tag in _SEMANTIC_TAG_WORDS:
            text = text.removesuffix(f"({tag})").strip()
        tokens = self._tokenize(text)
        found = [m for m in self.match_tokens([t for t, _, _ in tokens]) if m.kind in ("concept", "term")]
        if not found:
            return None
        best = max(found, key=lambda m: (m.end - m.start - len(m.qualifiers), -m.start))
        words = [t.lower() for t, _, _ in tokens]
        leftover = [*_unbracketed(words[: best.start]), *best.qualifiers, *_unbracketed(words[best.end :])]
        # a dose form, route or salt does not narrow a drug ("Oral Tablet"), nor does a bracketed brand ("[Toprol]")
        unmatched = tuple(w for w in leftover if self._is_content_word(w) and w not in self._words.forms)
        cue = record_cues().find(text, tokens[best.start][1], tokens[best.end - 1][2])
        return DisplayMatch(best.ids, display, best.text, unmatched, cue)

    def _hit(self, tokens: Sequence[str], lower: list[str], i: int) -> _Hit | None:
        if i >= 2 and lower[i - 1] == "-" and lower[i - 2].isalnum():
            return None  # inside a hyphenated compound: "pcr" in "RT-PCR"
        forms, terms = self._lexicon_forms, self._terms
        longest = self._longest.get(lower[i], 0) or int(self._starts_other_number(lower[i]))
        for length in range(min(longest, len(lower) - i), 0, -1):
            end = i + length
            key = tuple(lower[i:end])
            other: tuple[str, ...] = ()
            # two dictionary look-ups first: most lengths name nothing, and only a name found needs the rest
            if key not in forms and key not in terms:
                # the other number is looked up first: it names nothing for almost every key, the end check costs more
                # (for one word, what _starts_other_number remembers of the same look-up: most words reach here)
                other = self._in_other_number(key) if length > 1 or self._starts_other_number(key[0]) else ()
                if not other or not self._ends_name(lower, end):
                    continue
            if self.cuts_compound(lower, end):
                continue  # the compound goes on: "RT" of "RT-PCR" is not radiotherapy
            lexical = [e for e in forms.get(key, ()) if not e[2] or tuple(tokens[i:end]) == e[3]]
            generated = terms.get(key, ()) or other
            if not lexical and not generated:
                continue
            if lexical:
                kind: Kind = lexical[0][0]
                ids = tuple(dict.fromkeys([*(e[1] for e in lexical), *generated]))
                return _Hit(length, ids, kind, "lexicon")
            return _Hit(length, generated, "term", generated[0].partition(":")[0] if generated else "")
        return None

    def _starts_other_number(self, word: str) -> bool:
        """Whether ``word`` alone names a term in the other number (remembered: the matcher asks for every token)."""
        known = self._other_number_words.get(word)
        if known is None:
            if len(self._other_number_words) > _VARIANT_CACHE:
                self._other_number_words.clear()  # bounded, as the variants below
            known = self._other_number_words[word] = bool(self._in_other_number((word,)))
        return known

    def _in_other_number(self, key: tuple[str, ...]) -> tuple[str, ...]:
        """The MeSH drug classes and procedures of ``key`` with its last word in the other number ("local
        anesthetic" is a term of Anesthetics, Local as "local anesthetics"). Not other concepts: a singular is
        often another word than the plural descriptor ("opinion" is no Attitude, "nodule" no breast lump); not
        where the lexicon knows that form (its spellings decide) or the words are generic ("vaccine": the study's)."""
        variants = self._variants.get(key[-1])
        if variants is None:
            if len(self._variants) > _VARIANT_CACHE:
                self._variants.clear()  # bounded: a long stream of text meets ever new words
            variants = self._variants[key[-1]] = self._words.number_variants(key[-1])
        for variant in variants:
            other = (*key[:-1], variant)
            if other in self._terms and other not in self._lexicon_forms and " ".join(key) not in self._words.generic:
                return tuple(i for i in self._terms[other] if i.startswith("mesh:") and self._is_class(i))
        return ()

    def _ends_name(self, lower: Sequence[str], end: int) -> bool:
        """Whether the name ends before token ``end``: no word follows that could name a member of the class ("vitamin
        D", "interferon alpha"); punctuation, a function word or a generic noun ("anesthetic drugs") may."""
        if end >= len(lower):
            return True
        after = lower[end]
        return not any(c.isalnum() for c in after) or self._words.is_function(after) or after in self._words.generic

    def _is_class(self, concept_id: str) -> bool:
        concept = self.concepts.get(concept_id)
        return concept is not None and concept.category in ("medication", "procedure")

    def cuts_compound(self, lower: Sequence[str], end: int) -> bool:
        """Whether a name ending before token ``end`` stops inside a hyphenated compound that goes on ("RT" of
        "RT-PCR"), the word after the hyphen not being a ``compound`` word of words.tsv ("oxaliplatin-based")."""
        return (
            end + 1 < len(lower)
            and lower[end] == "-"
            and lower[end + 1].isalnum()
            and not self._words.is_compound(lower[end + 1])
        )

    def _qualified_start(self, lower: list[str], i: int, floor: int, hit: _Hit) -> int:
        """How far left the qualifiers of a match reach: content words of the tables' vocabulary, up to three."""
        if hit.kind not in ("concept", "term"):
            return i
        start = i
        while start > floor and i - start < _MAX_QUALIFIERS:
            word = lower[start - 1]
            if word not in self._vocabulary or not self._is_content_word(word):
                break
            if start >= 3 and lower[start - 2] == "-" and lower[start - 3].isalnum():
                break  # "small" of "non-small cell ...": a qualifier never starts inside a hyphenated compound
            start -= 1
        return start

    def _is_content_word(self, word: str) -> bool:
        return word.isalpha() and len(word) > 2 and not self._words.is_function(word)

    # --- codes and hierarchy ---------------------------------------------------------------------------------------

    def concept(self, concept_id: str) -> TermConcept | None:
        return self.concepts.get(concept_id)

    def category(self, concept_id: str) -> str:
        """What the concept is: the lexicon's category for a curated id, else the table's (condition, medication,
        procedure); "condition" for an id no table holds."""
        curated = self.lexicon.concepts.get(concept_id)
        if curated is not None:
            return curated.category
        concept = self.concepts.get(concept_id)
        return concept.category if concept is not None else "condition"

    def concepts_for_code(self, system: str, code: str) -> tuple[str, ...]:
        """Every id a patient's coded entry stands for: the curated concepts first, then the table's own id and its
        cross-links. ICD-10(-CM) codes climb to the nearest code the table holds ("S72.001A" to "S72.001")."""
        short = code_system(system)
        curated = [c.id for c in self.lexicon.concepts_for_code(system, code)] if short in ("icd10", "snomed") else []
        own: str | None = None
        if short == "icd10":
            own = self._icd10cm_id(code)
        elif short in ("mesh", "drugbank") and f"{short}:{code.strip()}" in self.concepts:
            own = f"{short}:{code.strip()}"
        found = [*curated, *([own, *sorted(self._same_as.get(own, ()))] if own else [])]
        return tuple(dict.fromkeys(found))

    def _icd10cm_id(self, code: str) -> str | None:
        compact = code.strip().upper().replace(".", "")
        while len(compact) >= 3:
            dotted = compact if len(compact) == 3 else f"{compact[:3]}.{compact[3:]}"
            if f"icd10cm:{dotted}" in self.concepts:
                return f"icd10cm:{dotted}"
            compact = compact[:-1]
        return None

    def equivalents(self, concept_id: str) -> frozenset[str]:
        """The concepts of other tables linked to ``concept_id`` by the same term (crosslinks.tsv)."""
        return frozenset(self._same_as.get(concept_id, ()))

    def ancestors(self, concept_id: str) -> frozenset[str]:
        """Every concept broader than ``concept_id`` or equivalent to it, across tables (itself excluded)."""
        if concept_id not in self._ancestors:
            seen: set[str] = set()
            stack = list(self._neighbours(concept_id))
            while stack:
                current = stack.pop()
                if current not in seen:
                    seen.add(current)
                    stack.extend(self._neighbours(current))
            seen.discard(concept_id)
            self._ancestors[concept_id] = frozenset(seen)
        return self._ancestors[concept_id]

    def _neighbours(self, concept_id: str) -> Iterator[str]:
        concept = self.concepts.get(concept_id)
        if concept is not None:
            yield from concept.parents
        yield from self._same_as.get(concept_id, ())
        yield from self._curated_above.get(concept_id, ())
        if concept_id in self.lexicon.concepts:
            yield from self._curated_codes(concept_id)

    def _curated_codes(self, concept_id: str) -> Iterator[str]:
        """A curated concept's ICD-10 codes and ranges that the ICD-10-CM table holds, as its equivalents."""
        for code in self.lexicon.concept(concept_id).icd10:
            if f"icd10cm:{code}" in self.concepts:
                yield f"icd10cm:{code}"

    def is_a(self, narrow: str, broad: str) -> bool:
        """Whether ``narrow`` is ``broad`` or lies under it (MeSH trees, ICD-10-CM chapters, cross-links, and a
        curated concept's ICD-10 codes: ``is_a("mesh:D014397", "tuberculosis")``)."""
        if narrow == broad:
            return True
        family = {narrow, *self.ancestors(narrow)}
        if broad in family:
            return True
        if broad in self.lexicon.concepts:
            # categories and subcategories only: a block or chapter id is no code of the lexicon's ranges
            codes = (c[8:] for c in family if c.startswith("icd10cm:") and c[8:9].isalpha() and "-" not in c)
            return any(broad in {c.id for c in self.lexicon.concepts_for_code("icd10", code)} for code in codes)
        return False


def _compatible(curated_category: str, concept: TermConcept) -> bool:
    """A drug is under a drug class, a condition under a condition or state, a procedure under a procedure."""
    if (curated_category == "medication") != (concept.category == "medication"):
        return False
    return (curated_category == "procedure") == (concept.category == "procedure")


def _unbracketed(words: list[str]) -> list[str]:
    """The words outside square brackets (RxNorm's brand names: "... Oral Tablet [Toprol]")."""
    kept: list[str] = []
    depth = 0
    for word in words:
        depth += word == "["
        if depth == 0:
            kept.append(word)
        depth -= word == "]" and depth > 0
    return kept


LexicalForms = dict[tuple[str, ...], list[tuple[Kind, str, bool, tuple[str, ...]]]]
LexiconState = tuple[LexicalForms, dict[str, set[str]]]  # the lexicon's forms, table concepts under curated ones


def lexicon_state_of(tables: Tables, lexicon: Lexicon, tokenize: Tokenize) -> LexiconState:
    """What the matcher needs of the lexicon: its forms tokenised (the slow part: every form goes through the
    tokenizer), and the table concepts under a curated concept: those whose name is one of the concept's forms
    ("Metformin" is a form of oral_antidiabetics). Only the name counts, not an entry term: the lexicon's "tumor"
    (malignancy) is an entry term of Neoplasms, under which lie benign tumours too."""
    forms = _lexicon_forms(lexicon, tokenize)
    concepts = _Concepts(tables.concepts)
    links: dict[str, set[str]] = {}
    for key, entries in forms.items():
        form = " ".join(key)
        for kind, curated_id, _, _ in entries:
            curated = lexicon.concepts.get(curated_id) if kind == "concept" else None
            if curated is None:
                continue
            for table_id in tables.terms.get(key, ()):
                concept = concepts.get(table_id)
                if concept is not None and concept.name.lower() == form and _compatible(curated.category, concept):
                    links.setdefault(table_id, set()).add(curated_id)
    return forms, links


def _lexicon_forms(lexicon: Lexicon, tokenize: Tokenize) -> LexicalForms:
    """Every lexicon surface form as a lower-case token tuple: (kind, id, case-sensitive, tokens as written)."""
    kinds: dict[str, Kind] = {"VARIABLE": "variable", "GROUP": "group", "CONCEPT": "concept"}
    forms: LexicalForms = {}
    for entry in lexicon.phrase_entries():
        written = tuple(token for token, _, _ in tokenize(entry.text))
        if written:
            key = tuple(token.lower() for token in written)
            forms.setdefault(key, []).append((kinds[entry.label], entry.id, entry.case_sensitive, written))
    return forms


# --- loading ------------------------------------------------------------------------------------------------------


def _load(directory: Path, lexicon: Lexicon, tokenize: Tokenize) -> Terminology:
    words = read_word_roles(directory / "words.tsv")
    tables, _ = load_tables(directory, words)
    return Terminology(tables, lexicon, tokenize, words)


def spacy_tokenize(text: str) -> list[tuple[str, int, int]]:
    """criteria_nlp's tokenizer: (token, start, end) for each non-space token."""
    from criteria_nlp.text.nlp import default_pipeline  # the pipeline is built on first use, not at import

    doc = default_pipeline().tokenizer(text)
    return [(t.text, t.idx, t.idx + len(t.text)) for t in doc if not t.is_space]


def load_terminology(directory: Path | None = None) -> Terminology:
    """The tables of ``directory`` (the packaged ``corpora/terminology`` when None; that one is read once)."""
    if directory is None:
        return _default_terminology()
    return _load(Path(directory), load_lexicon(), spacy_tokenize)


@cache
def _default_terminology() -> Terminology:
    """The packaged tables with the packaged lexicon: what they make of the lexicon is read from the start-up cache
    too, under the key of the spaCy pipeline's entry (every data file, the tokenizer's and the readers' code)."""
    from criteria_nlp.knowledge.terminology_cache import load_or_build_keyed
    from criteria_nlp.text.pipeline_cache import pipeline_key

    directory, lexicon = corpus_path("terminology"), load_lexicon()
    words = read_word_roles(directory / "words.tsv")
    tables, _ = load_tables(directory, words)
    state, _ = load_or_build_keyed(
        LEXICON_ENTRY, pipeline_key(), lambda: lexicon_state_of(tables, lexicon, spacy_tokenize), _state_shape
    )
    return settle(Terminology(tables, lexicon, spacy_tokenize, words, state))  # type: ignore[arg-type]  # checked shape


def _state_shape(stored: object) -> bool:
    return (
        isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[0], dict) and isinstance(stored[1], dict)
    )


def is_loaded() -> bool:
    """Whether the packaged tables have been read in this process."""
    return _default_terminology.cache_info().currsize > 0


def match_tokens(tokens: Sequence[str]) -> list[TermMatch]:
    return load_terminology().match_tokens(tokens)


def match_text(text: str) -> list[TextMatch]:
    return load_terminology().match_text(text)


def match_display(display: str) -> DisplayMatch | None:
    return load_terminology().match_display(display)


def concepts_for_code(system: str, code: str) -> tuple[str, ...]:
    return load_terminology().concepts_for_code(system, code)


def is_a(narrow: str, broad: str) -> bool:
    return load_terminology().is_a(narrow, broad)

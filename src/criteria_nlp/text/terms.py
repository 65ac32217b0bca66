"""The ``criteria_terms`` component: concepts of the generated terminology (MeSH, DrugBank, ICD-10-CM) as annotations.

After the curated lexicon's phrases, numbers and units are marked, the terminology layer
(:mod:`criteria_nlp.knowledge.terminology`) matches the doc's tokens, longest first, and each match the lexicon did not
already mark becomes a ``CONCEPT`` annotation with the namespaced id (``mesh:D001749``), a ``TERM`` annotation over
the same tokens with its category (condition / medication / procedure) and, when the text names something narrower
than any id ("pontine glioma": Glioma), a ``BROADER`` annotation whose value is the words the id leaves out. The
builder's concepts reader turns them into a ``Presence`` as it does the lexicon's concepts.

A match yields to what the lexicon and the numeric annotators marked: it is dropped when it cuts across another
annotation, when an annotation at least as long covers it, or when it would swallow a variable, a number, a unit or
a comparator (the numeric islands stay as they are). The tables are read on the first doc with a word that could
start a term, not at import or when the pipeline is built.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from criteria_nlp.knowledge.terminology import load_terminology
from criteria_nlp.text.nlp import ANNOTATIONS_KEY, Annotation, token_bounds

TERM = "TERM"
BROADER = "BROADER"
# kinds a term may contain: concepts of the lexicon it extends ("bladder cancer" over "cancer") and the cue words
# of a multi-word name ("non-small cell lung cancer", "chronic obstructive pulmonary disease", "hand, foot and mouth")
_CONTAINABLE = frozenset({"CONCEPT", "QUAL", "NEG", "CONJ", "WITH", "TO"})
_EXTENDABLE = frozenset({"CONCEPT", "QUAL"})  # what a term may begin or end with besides words nothing reads


def annotate_terms(doc: Doc) -> Doc:
    found: list[Annotation] = doc.user_data.setdefault(ANNOTATIONS_KEY, [])
    text, bounds = token_bounds(doc)
    if not _may_name_a_term(text, bounds, found):
        return doc  # "Age ≥ 18 years": every word is read already, and the tables need not be read
    layer = load_terminology()
    tokens = [text[start:end] for start, end in bounds]
    if "-" in tokens:
        # a lexicon concept that stops inside a hyphenated compound names something else: "RT" of "RT-PCR" (the
        # compound's hyphen is a token of its own, so without one nothing is cut)
        lower = [token.lower() for token in tokens]
        found[:] = [
            a for a in found if a.kind != "CONCEPT" or not (layer.cuts_compound(lower, a.end) and _glued(bounds, a.end))
        ]
    added: list[Annotation] = []
    for match in layer.match_tokens(tokens):
        if match.kind not in ("concept", "term"):
            continue
        start, qualifiers = _qualifiers(match.start, match.qualifiers, found)
        if match.source == "lexicon" and not qualifiers:
            continue  # the phrase annotator marked it already
        if not _fits(start, match.end, found):
            continue
        concept_id = match.id
        added.append(Annotation(start, match.end, "CONCEPT", concept_id))
        added.append(Annotation(start, match.end, TERM, layer.category(concept_id)))
        if qualifiers:
            added.append(Annotation(start, match.end, BROADER, " ".join(qualifiers)))
    found.extend(added)
    return doc


def _may_name_a_term(text: str, bounds: list[tuple[int, int]], found: list[Annotation]) -> bool:
    """Whether a term could fit: a word no annotation reads, or one a term may extend (a concept, a qualifier). A
    term holds such a word, since it swallows no other annotation and neither starts nor ends with another cue."""
    held = [False] * len(bounds)
    for a in found:
        if a.kind not in _EXTENDABLE:
            held[a.start : a.end] = [True] * (a.end - a.start)
    for i, (start, end) in enumerate(bounds):
        if not held[i]:
            word = text[start:end]
            if word.isalpha() or _has_letter(word):  # most words are letters only: no loop over their characters
                return True
    return False


def _has_letter(word: str) -> bool:
    return any(character.isalpha() for character in word)


def _qualifiers(start: int, qualifiers: tuple[str, ...], found: list[Annotation]) -> tuple[int, tuple[str, ...]]:
    """The match's start and qualifiers without the words another annotation reads (a cue such as "without" or
    "active" is no narrowing of the concept: the builder reads it)."""
    while qualifiers and any(a.start <= start < a.end for a in found):
        start, qualifiers = start + 1, qualifiers[1:]
    return start, qualifiers


def _glued(bounds: list[tuple[int, int]], hyphen: int) -> bool:
    """Whether the hyphen at token ``hyphen`` touches the words on both sides ("RT-PCR", not "RT - PCR")."""
    return bounds[hyphen - 1][1] == bounds[hyphen][0] and bounds[hyphen][1] == bounds[hyphen + 1][0]


def _fits(start: int, end: int, annotations: list[Annotation]) -> bool:
    """Whether a term over tokens ``start:end`` leaves every other annotation whole and swallows no numeric one."""
    for other in annotations:
        if other.end <= start or other.start >= end:
            continue
        inside = start <= other.start and other.end <= end
        if not inside or (other.start == start and other.end == end and other.kind != "CONCEPT"):
            return False
        if other.kind not in _CONTAINABLE:
            return False
        if other.kind != "CONCEPT" and other.kind != "QUAL" and (other.start == start or other.end == end):
            return False  # "without diabetes", "diabetes or": a cue at an edge belongs to the clause, not the name
    return True


Language.component("criteria_terms", func=annotate_terms)

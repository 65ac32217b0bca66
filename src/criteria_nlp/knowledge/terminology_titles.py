"""ICD-10-CM codes linked to the other vocabularies through their titles, matched by the same matcher as the text.

A record coded only in ICD-10-CM (``E11.9``) and a criterion concept of MeSH (``mesh:D001749``, bladder cancer) share
no vocabulary unless a same-term cross-link joins them; without one, the record could be the concept, and absence of
the concept stays unknown. Where the code's own title names a concept of another vocabulary word for word ("Type 2
diabetes mellitus without complications": MeSH Diabetes Mellitus, Type 2), the title is as good a link as a shared
term: the record is that concept, so its place in the other hierarchy is known and absence can be decided there.

Only a title matched whole counts, the ``title_filler`` words of ``words.tsv`` aside ("unspecified", "without
complications"): "Type 2 diabetes mellitus with diabetic nephropathy" names a narrower concept than any match, which
may lie under another branch too (kidney diseases), and gives no link. Only the ids of other vocabularies are
returned (the curated lexicon decides its own concepts by its codes).
"""

from __future__ import annotations

import re
from functools import lru_cache

from criteria_nlp.knowledge.terminology import Terminology

_ICD10CM = "icd10cm:"


def title_links(layer: Terminology, concept_id: str) -> tuple[str, ...]:
    """The MeSH and DrugBank ids an ICD-10-CM concept's title names whole (none for other ids)."""
    if not concept_id.startswith(_ICD10CM):
        return ()
    return _title_links(layer, concept_id)


@lru_cache(maxsize=8192)
def _title_links(layer: Terminology, concept_id: str) -> tuple[str, ...]:
    concept = layer.concept(concept_id)
    if concept is None:
        return ()
    title = concept.name.lower()
    for filler in layer.words.title_fillers:
        title = re.sub(rf"\b{re.escape(filler)}\b", " ", title)
    words = layer.tokens(title)
    found = [m for m in layer.match_tokens(words) if m.kind in ("concept", "term")]
    if len(found) != 1 or found[0].broader:
        return ()
    covered = range(found[0].start, found[0].end)
    if any(k not in covered and _content(layer, word) for k, word in enumerate(words)):
        return ()  # a word the term leaves out may narrow it ("oral" mucositis), whatever kind of word it is
    return tuple(i for i in found[0].ids if ":" in i and not i.startswith(_ICD10CM))


def _content(layer: Terminology, word: str) -> bool:
    return any(c.isalnum() for c in word) and not layer.words.is_function(word)

"""What a condition's qualifiers, and the form a record's code names, change in what a presence asks (issue 10,
items 8 and 9): data in ``corpora/lexicon/evaluation-qualifiers.tsv`` and ``corpora/lexicon/code_states.tsv``.

- A *history* qualifier ("history of stroke") asks for any record up to the index date.
- A *state* qualifier ("uncontrolled hypertension", "severe asthma", "major surgery") asks for a state no code of the
  concept shows: a record of the concept makes the leaf at most UNKNOWN (the patient may have the controlled or
  milder form), never TRUE; having no record of the concept at all still makes it FALSE where absence is decided.
- A code that names a past, latent or inactive form (Z22.7 latent tuberculosis, Z87.891 personal history of nicotine
  dependence, SNOMED 11999007 inactive tuberculosis) says nothing about the condition now: for a criterion at the
  index date its records are unsure matches (UNKNOWN), while "history of" counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from criteria_nlp.knowledge.codes import icd10_key
from criteria_nlp.resources import corpus_path


@cache
def qualifier_readings() -> dict[str, str]:
    """qualifier (lower case) -> reading ("history" or "state")."""
    readings: dict[str, str] = {}
    for line in corpus_path("lexicon", "evaluation-qualifiers.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qualifier, reading = line.split("\t")
            readings[qualifier.strip().lower()] = reading.strip()
    return readings


def history_qualifiers() -> frozenset[str]:
    """The qualifiers that ask for any record up to the index date."""
    return frozenset(q for q, reading in qualifier_readings().items() if reading == "history")


def state_words(qualifiers: tuple[str, ...]) -> tuple[str, ...]:
    """The qualifiers of a criterion that name a state no code shows, as written."""
    readings = qualifier_readings()
    return tuple(q for q in qualifiers if readings.get(q.lower()) == "state")


@dataclass(frozen=True, slots=True)
class CodeState:
    system: str  # "icd10" or "snomed"
    code: str
    state: str  # past | latent | inactive
    name: str


@cache
def code_states() -> tuple[CodeState, ...]:
    rows: list[CodeState] = []
    lines = corpus_path("lexicon", "code_states.tsv").read_text(encoding="utf-8").splitlines()
    data = [line for line in lines if line.strip() and not line.startswith("#")]
    for line in data[1:]:  # the first line names the columns
        system, code, state, name = line.split("\t")
        rows.append(CodeState(system.strip(), code.strip(), state.strip(), name.strip()))
    return tuple(rows)


def names_a_past_form(system: str, key: str) -> bool:
    """Whether a code (an ICD-10 key as :func:`~criteria_nlp.knowledge.codes.icd10_key` makes it, or a SNOMED id) names
    a past, latent or inactive form."""
    for row in code_states():
        if row.system != system:
            continue
        if system == "icd10" and key.startswith(icd10_key(row.code)):
            return True
        if system == "snomed" and key == row.code:
            return True
    return False

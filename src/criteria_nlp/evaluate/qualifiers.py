"""What a condition's qualifiers, and the form a record's code names, change in what a presence asks (issue 10,
items 8 and 9): data in ``corpora/lexicon/evaluation-qualifiers.tsv`` and ``corpora/lexicon/code_states.tsv``.

- A *history* qualifier ("history of stroke") asks for any record up to the index date.
- A *state* qualifier ("uncontrolled hypertension", "severe asthma", "major surgery") asks for a state no code of the
  concept shows: a record of the concept makes the leaf at most UNKNOWN (the patient may have the controlled or
  milder form), never TRUE; having no record of the concept at all still makes it FALSE where absence is decided.
- An *onset* qualifier ("diagnosis of X in the last 6 months") makes a window ask when the condition began; a *new*
  qualifier ("newly diagnosed", "new onset", "recent") asks for an onset in the criterion's window, else in the
  qualifier's default window; with neither, a record cannot show how new the condition is (at most UNKNOWN).
- A condition's *kind* (``corpora/lexicon/evaluation-condition-kinds.tsv``): for an *event* (an infarction, a stroke)
  a window asks for the onset, for a *lasting* condition for the span; a condition of unsure kind is decided only
  where both readings agree.
- A code that names a past, latent or inactive form (Z22.7 latent tuberculosis, Z87.891 personal history of nicotine
  dependence, SNOMED 11999007 inactive tuberculosis) says nothing about the condition now: for a criterion at the
  index date its records are unsure matches (UNKNOWN), while "history of" counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Literal

from criteria_nlp.ir import Quantity, Span, TemporalWindow
from criteria_nlp.knowledge.codes import icd10_key
from criteria_nlp.resources import corpus_path


@cache
def _qualifier_rows() -> tuple[tuple[str, str, str], ...]:
    """(qualifier in lower case, reading, default window or "") of ``evaluation-qualifiers.tsv``."""
    rows = []
    for line in corpus_path("lexicon", "evaluation-qualifiers.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            qualifier, reading, *default = line.split("\t")
            rows.append((qualifier.strip().lower(), reading.strip(), default[0].strip() if default else ""))
    return tuple(rows)


@cache
def qualifier_readings() -> dict[str, str]:
    """qualifier (lower case) -> reading ("history", "state", "onset", "new" or "recent")."""
    return {qualifier: reading for qualifier, reading, _ in _qualifier_rows()}


def onset_words(qualifiers: tuple[str, ...]) -> tuple[str, ...]:
    """The qualifiers of a criterion that make a window ask when the condition began ("onset" and "new")."""
    readings = qualifier_readings()
    return tuple(q for q in qualifiers if readings.get(q.lower()) in ("onset", "new", "recent"))


def new_qualifier(qualifiers: tuple[str, ...]) -> tuple[str, str] | None:
    """(the first "new" or "recent" qualifier of a criterion as written, its default window or "") or None."""
    defaults = {q: default for q, reading, default in _qualifier_rows() if reading in ("new", "recent")}
    for q in qualifiers:
        if q.lower() in defaults:
            return q, defaults[q.lower()]
    return None


ConditionKind = Literal["event", "lasting", "unsure"]


@cache
def _condition_kinds() -> dict[str, str]:
    lines = corpus_path("lexicon", "evaluation-condition-kinds.tsv").read_text(encoding="utf-8").splitlines()
    data = [line for line in lines if line.strip() and not line.startswith("#")]
    kinds: dict[str, str] = {}
    for line in data[1:]:  # the first line names the columns
        concept, kind = line.split("\t")
        kinds[concept.strip()] = kind.strip()
    return kinds


def condition_kind(concept: str | None) -> ConditionKind:
    """Whether a window asks for a condition's onset (an event), its span (lasting), or either (unsure)."""
    kind = _condition_kinds().get(concept or "")
    return "event" if kind == "event" else "lasting" if kind == "lasting" else "unsure"


def history_qualifiers() -> frozenset[str]:
    """The qualifiers that ask for any record up to the index date."""
    return frozenset(q for q, reading in qualifier_readings().items() if reading == "history")


def state_words(qualifiers: tuple[str, ...]) -> tuple[str, ...]:
    """The qualifiers of a criterion that name a state no code shows, as written."""
    readings = qualifier_readings()
    return tuple(q for q in qualifiers if readings.get(q.lower()) == "state")


def window_reading(
    qualifiers: tuple[str, ...], category: str, concept: str | None
) -> Literal["span", "onset", "either"]:
    """How a window reads a record of a concept (``PresencePlan.window_reads``): states and medications by their span;
    a condition by its onset when a qualifier asks when it began, else as its kind says."""
    if category in ("state", "medication", "procedure"):
        return "span"
    if onset_words(qualifiers):
        return "onset"
    kind = condition_kind(concept)
    return "onset" if kind == "event" else "span" if kind == "lasting" else "either"


def default_window(new: tuple[str, str] | None, span: Span) -> TemporalWindow | None:
    """The default window of a "new" qualifier ("6 months" in ``evaluation-qualifiers.tsv``), None without one."""
    if new is None or not new[1]:
        return None
    amount, _, unit = new[1].partition(" ")
    try:
        value = float(amount)
    except ValueError:
        return None
    return TemporalWindow(max_ago=Quantity(value=value, unit=unit), span=span)


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

"""The readers of a clause, in the order they run: ONE tuple, like sqlglot's optimizer RULES.

Each reader is a plain function of a :class:`~criteria_nlp.build.state.BuildState`: it reads the clause's pieces
that no reader before it took, records what it takes in the ledger (``state.take(piece, reader, role)``) and
writes what it found on the state; its name without ``read_`` is the reader's name in the ledger. A reader that
reads the whole clause calls ``state.finish(node)``; the readers after it are then not asked. A new construction
is a new reader (or a change to one), placed here.
"""

from __future__ import annotations

from collections.abc import Callable

from criteria_nlp.build.alternatives import read_alternatives
from criteria_nlp.build.classes import read_classes
from criteria_nlp.build.concepts import read_concepts, read_prefixes
from criteria_nlp.build.counts import read_counts
from criteria_nlp.build.definitions import read_definitions
from criteria_nlp.build.leftovers import read_leftovers
from criteria_nlp.build.lists import read_lists, read_windows
from criteria_nlp.build.negation import read_negation
from criteria_nlp.build.not_computable import read_not_computable
from criteria_nlp.build.requirements import read_requirements
from criteria_nlp.build.sex import read_sex
from criteria_nlp.build.state import BuildState
from criteria_nlp.build.thresholds import read_thresholds

Reader = Callable[[BuildState], None]

READERS: tuple[Reader, ...] = (
    read_counts,  # "at least 2 of A, B and C": how many of the items must hold
    read_thresholds,  # numeric islands with their variables, conditions, exceptions and negations
    read_classes,  # "Child-Pugh A or B": classes of a scale written as letters, on the scale's own values
    read_prefixes,  # "non-smoker", "anti-epileptic"
    read_requirements,  # "pneumonitis that required steroids": what the condition required qualifies it
    read_concepts,  # concepts with qualifiers, definitions, coordination ellipsis
    read_negation,  # which concepts a negation cue reaches (cue direction and scope from cues.tsv)
    read_lists,  # the concepts as one node: connectives, section semantics, windows
    read_definitions,  # "anemia (hemoglobin < 9 g/dL)": a condition defined by its bracketed threshold, by section
    read_windows,  # windows no concept took
    read_sex,  # a sex restriction, or whom the clause applies to
    read_not_computable,  # consent, willingness, judgement
    read_leftovers,  # words nobody took, as unparsed
    read_alternatives,  # threshold "or" condition
)

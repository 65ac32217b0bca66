"""Long-lived tables kept out of the cyclic garbage collector's work.

Why: a parser holds a few hundred thousand objects that live until the process ends (the terminology's ~85,000
terms and their indexes, the lexicon, the grammar's tables, the spaCy pipeline, the pint unit registry). Python's
cycle collector walks every object of the oldest generation at each full collection, and parsing allocates enough
to trigger one every few hundred criteria: walking those tables again and again, to find nothing, was 8-10 % of the
CPU time of parsing a corpus. :func:`settle` moves every object alive at the moment it is called into the
collector's permanent generation (:func:`gc.freeze`), which collections never walk; it is called once where each
such table is built (``knowledge.terminology._default_terminology``, ``text.nlp.default_pipeline``,
``knowledge.units.registry.registry``), right after the build. The collector's thresholds are left as they are:
they belong to the whole process, not to a library.

What it costs: an object frozen while it is already garbage (unreachable, in a reference cycle) is never collected.
So it is only called right after a load, when little garbage is about: the young generations are collected first
(cheap: they hold at most a few thousand objects), so only cyclic garbage that has already reached the oldest
generation stays behind. Not while the collector is paused (``gc.disable()``, as the command line does during its
start-up, freezing all it made when it resumes): the young generations then hold everything made since the pause,
and collecting them would be a full walk. Everything the caller holds at that moment (its own objects too) is
frozen with the tables; objects freed by reference counting are still freed (freezing only hides them from the
cycle collector).

Fork (``--jobs N``, ``parse_many(..., workers=N)``): a collection writes to every object it walks (its reference
count and the collector's header), which makes the operating system copy the memory page holding it into the forked
worker. Frozen objects are not walked, so the workers share the tables with their parent instead of each copying
them. :mod:`criteria_nlp.parallel` freezes again before forking and unfreezes after its pool ends
(:func:`gc.unfreeze` cannot tell its objects from the tables: the tables return to the oldest generation then, and
later collections in that process walk them again).

``CRITERIA_NLP_GC_FREEZE=off`` (or ``0``, ``no``, ``false``) turns it off: for a program that must have every cycle
collected, or that manages the collector itself.
"""

from __future__ import annotations

import gc
import os
from typing import TypeVar

FREEZE_ENV = "CRITERIA_NLP_GC_FREEZE"
_OFF = frozenset({"off", "0", "no", "false", "none"})

T = TypeVar("T")


def enabled() -> bool:
    """Whether :func:`settle` freezes (not turned off by ``CRITERIA_NLP_GC_FREEZE``)."""
    return os.environ.get(FREEZE_ENV, "").strip().lower() not in _OFF


def settle(table: T) -> T:
    """``table``, just built, and everything else alive now moved out of the collector's generations (see the
    module's docstring); returns ``table`` so a builder can end with ``return settle(built)``."""
    if enabled():
        if gc.isenabled():  # paused, the young generations hold all made since the pause (see above)
            gc.collect(1)  # their garbage is collected rather than frozen with the table
        gc.freeze()
    return table

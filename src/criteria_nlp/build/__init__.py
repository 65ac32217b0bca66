"""Stage 4, the IR builder: readers over a :class:`BuildState` with a ledger (see ARCHITECTURE.md)."""

from criteria_nlp.build.builder import Builder, BuildResult, read_clause
from criteria_nlp.build.readers import READERS, Reader
from criteria_nlp.build.state import BuildState, Ledger

__all__ = ["READERS", "BuildResult", "BuildState", "Builder", "Ledger", "Reader", "read_clause"]

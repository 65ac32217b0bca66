"""What the check passes share: the lexicon, the criterion's text (spans index it) and the diagnostics found."""

from __future__ import annotations

from dataclasses import dataclass, field

from criteria_nlp.ir import Diagnostic
from criteria_nlp.knowledge.lexicon import Lexicon


@dataclass
class CheckContext:
    lexicon: Lexicon
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""

"""One error root for the whole library, with subclasses per stage that carry positions.

Every error names what it was working on (criterion id, character offset) and what was expected, so that a
caller can point at the exact place in the protocol text (like sqlglot's ``ParseError`` or lark's
``get_context``).
"""

from __future__ import annotations


class CriteriaError(Exception):
    """Root of every error raised by criteria_nlp."""

    def __init__(
        self,
        message: str,
        *,
        criterion: str | None = None,
        start: int | None = None,
        end: int | None = None,
        expected: list[str] | None = None,
        suggestions: list[str] | None = None,
    ) -> None:
        self.message = message
        self.criterion = criterion
        self.start = start
        self.end = end
        self.expected = list(expected or [])
        self.suggestions = list(suggestions or [])
        super().__init__(self.describe())

    def describe(self) -> str:
        parts = [self.message]
        where = []
        if self.criterion is not None:
            where.append(f"criterion {self.criterion}")
        if self.start is not None:
            where.append(f"at {self.start}" + (f"-{self.end}" if self.end is not None else ""))
        if where:
            parts.append("(" + ", ".join(where) + ")")
        if self.expected:
            parts.append("expected " + " or ".join(self.expected))
        if self.suggestions:
            parts.append("did you mean " + ", ".join(repr(s) for s in self.suggestions) + "?")
        return " ".join(parts)

    def context(self, text: str, width: int = 30) -> str:
        """The text around the error with a caret under its position (lark's ``get_context``)."""
        if self.start is None:
            return ""
        lo = max(0, self.start - width)
        before = text[lo : self.start].rsplit("\n", 1)[-1]
        after = text[self.start : self.start + width].split("\n", 1)[0]
        return f"{before}{after}\n{' ' * len(before)}^"


class CriteriaInputError(CriteriaError):
    """The input itself cannot be read (wrong encoding, not text, malformed JSON lines)."""


class CriteriaSyntaxError(CriteriaError):
    """Text that the grammar cannot parse where a structure was expected."""


class CriteriaSemanticError(CriteriaError):
    """Parsed text that does not make sense: unknown unit, unit that does not fit its variable, empty range."""


class UnknownUnitError(CriteriaSemanticError):
    """A unit string that the unit registry does not know."""


class CriteriaEvaluationError(CriteriaError):
    """Evaluation could not proceed (unknown node kind, malformed patient data)."""


class PatientDataError(CriteriaEvaluationError):
    """Patient data that cannot be read: malformed JSON or FHIR, impossible values, missing required fields."""

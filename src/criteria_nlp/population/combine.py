"""How each container kind combines its children's truth in SQL: the SQL twin of ``Kind.combine``
(:mod:`criteria_nlp.ir.kinds`), one rule per kind, in one place.

Truth is a nullable SQL boolean: TRUE, FALSE, NULL for unknown. SQL's AND, OR and NOT are Kleene's (as
:mod:`criteria_nlp.ir.logic`), so ``all``/``any``/``not`` map to them; ``at_least`` counts, ``conditional`` is a CASE.
:func:`check_rules` (run at import) fails when a container kind of the registry has no SQL rule, so that a new kind
cannot be silently compiled as something else; :func:`combine_sql` fails on a kind it does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from criteria_nlp.ir import KINDS, UnknownKindError

SqlRule = Callable[[Any, Sequence[str]], str]


def _all(node: Any, children: Sequence[str]) -> str:
    return "(" + " AND ".join(children) + ")" if children else "TRUE"


def _any(node: Any, children: Sequence[str]) -> str:
    return "(" + " OR ".join(children) + ")" if children else "FALSE"


def _not(node: Any, children: Sequence[str]) -> str:
    return f"(NOT {children[0]})"


def _at_least(node: Any, children: Sequence[str]) -> str:
    """TRUE when ``count`` are true, FALSE when so many are false that the rest cannot reach it (as
    :func:`~criteria_nlp.ir.logic.at_least_of`)."""
    count, total = node.count, len(children)
    true = " + ".join(f"(CASE WHEN {c} THEN 1 ELSE 0 END)" for c in children) or "0"
    false = " + ".join(f"(CASE WHEN NOT {c} THEN 1 ELSE 0 END)" for c in children) or "0"
    return f"(CASE WHEN ({true}) >= {count} THEN TRUE WHEN ({false}) > {total - count} THEN FALSE ELSE NULL END)"


def _conditional(node: Any, children: Sequence[str]) -> str:
    """``then`` where ``when`` holds, ``otherwise`` (TRUE when absent) where it does not; an unknown ``when``
    decides only when both branches agree (:func:`~criteria_nlp.ir.logic.conditional`)."""
    when, then = children[0], children[1]
    otherwise = children[2] if len(children) > 2 else "TRUE"
    return (
        f"(CASE WHEN {when} THEN {then} WHEN NOT {when} THEN {otherwise} "
        f"WHEN {then} = {otherwise} THEN {then} ELSE NULL END)"
    )


SQL_COMBINE: dict[str, SqlRule] = {
    "all": _all,
    "any": _any,
    "not": _not,
    "at_least": _at_least,
    "conditional": _conditional,
}
"""Container kind -> its SQL rule over the children's truth expressions (in ``Kind.children`` order)."""


def check_rules() -> None:
    """Every container kind of :data:`~criteria_nlp.ir.KINDS` has a SQL rule, and no rule names a leaf."""
    containers = {name for name, kind in KINDS.items() if not kind.is_leaf}
    if containers != set(SQL_COMBINE):
        raise UnknownKindError(
            "container kinds and SQL combine rules differ: "
            f"without a rule {sorted(containers - set(SQL_COMBINE))}, rules for no container "
            f"{sorted(set(SQL_COMBINE) - containers)}"
        )


def combine_sql(node: Any, children: Sequence[str]) -> str:
    rule = SQL_COMBINE.get(getattr(node, "kind", ""))
    if rule is None:
        raise UnknownKindError(f"no SQL combine rule for node kind {getattr(node, 'kind', type(node).__name__)!r}")
    return rule(node, children)


check_rules()

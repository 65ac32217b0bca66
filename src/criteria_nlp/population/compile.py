"""A protocol compiled to one SQL query over a population's long tables: a truth column per criterion (TRUE, FALSE,
NULL for unknown), the decision and the data still missing, per patient, in input order.

The query is read from the same plans as the Python engine (:func:`~criteria_nlp.evaluate.plan.plan_for`), leaf by
leaf (:mod:`criteria_nlp.population.leaves`); containers combine by their SQL rule
(:mod:`criteria_nlp.population.combine`); the decision follows ``screen._decide``. What SQL cannot say as Python
does (units with pint, code systems, ICD-10 ranges, text matches, the terminology's ids and hierarchy) is decided
when compiling, once per distinct value of the population (:mod:`criteria_nlp.population.compile_lookups`), by the
Python engine's own functions.

The SQL is written in DuckDB's dialect, parsed by sqlglot into an AST and emitted for each engine (``duckdb``,
``spark``); three-valued logic is SQL's NULL logic, unknowns are never filtered out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from criteria_nlp.evaluate.plan import PLANNERS, plan_for
from criteria_nlp.evaluate.traces import label
from criteria_nlp.ir import NotComputable, UnknownKindError, kind_of
from criteria_nlp.population.combine import combine_sql
from criteria_nlp.population.compile_lookups import (
    DISTINCT_COMPARATORS,
    DISTINCT_OBSERVATIONS,
    DISTINCT_RECORDS,
    RECORD_CTES,
    RECORD_KEYS,
    Distinct,
    Slots,
    observation_table,
    record_verdicts,
)
from criteria_nlp.population.evidence import criterion_list
from criteria_nlp.population.leaves import LeafCompiler, LeafSql, Missing, constant
from criteria_nlp.population.sqlparts import day, text

if TYPE_CHECKING:
    from datetime import date

    import pyarrow as pa

    from criteria_nlp.evaluate.context import EvaluationContext
    from criteria_nlp.ir import CriteriaDocument, Node

# leaves no patient data decides: the Python evaluators' missing data (all "review: ...", so none is listed)
PATIENT_FREE: dict[str, tuple[str, ...]] = {"not_computable": (), "unparsed": ()}


@dataclass
class Compiled:
    """The query (DuckDB dialect) and the lookup tables to register beside the population's tables."""

    sql: str
    lookups: dict[str, pa.Table]
    criterion_ids: list[str]
    sections: list[str]
    columns: list[str]  # the truth column of each criterion, in order
    evidence: list[str | None] = field(default_factory=list)  # with evidence=True: each criterion's items column

    def sql_for(self, dialect: str = "duckdb", *, pretty: bool = False) -> str:
        """The query for ``dialect``: DuckDB runs the text as written (its own dialect; sqlglot parsing the ~90 KB
        query cost seconds per protocol), other engines get sqlglot's translation."""
        if dialect == "duckdb" and not pretty:
            return self.sql
        return emit(self.sql, dialect, pretty)


@lru_cache(maxsize=64)
def emit(sql: str, dialect: str, pretty: bool = False) -> str:
    """The query parsed by sqlglot and written for ``dialect``; the text depends on the protocol and the context
    only (the population's values are in the lookup tables), so it is emitted once per protocol."""
    import sqlglot

    return sqlglot.transpile(sql, read="duckdb", write=dialect, pretty=pretty)[0]


@dataclass
class _Tree:
    """The criteria as SQL expressions over the leaf columns, the leaves each criterion holds (pre-order)."""

    leaves: LeafCompiler
    compiled: dict[int, tuple[str, LeafSql]] = field(default_factory=dict)  # id(node) -> (name, leaf)
    ctx: EvaluationContext | None = None

    def expression(self, node: Node, found: list[LeafSql]) -> str:
        kind = kind_of(node)
        if not kind.is_leaf:
            return combine_sql(node, [self.expression(child, found) for child in kind.children(node)])
        known = self.compiled.get(id(node))
        if known is None:
            name = f"l{len(self.compiled)}"
            if node.kind in PLANNERS:
                assert self.ctx is not None
                leaf = self.leaves.compile(name, plan_for(node, self.ctx))
            elif node.kind in PATIENT_FREE:
                leaf = constant(PATIENT_FREE[node.kind])
            else:
                raise UnknownKindError(f"no SQL for leaf kind {node.kind!r}")
            if leaf.evidence is not None:
                leaf.evidence.label, leaf.evidence.column = label(node), f"{name}_ev"
            known = (name, leaf)
            self.compiled[id(node)] = known
        found.append(known[1])
        return known[1].truth


def compile_trial(
    doc: CriteriaDocument,
    ctx: EvaluationContext,
    distinct: Distinct,
    *,
    defer_not_computable: bool = False,
    evidence: bool = False,
) -> Compiled:
    """Compile ``doc`` for the population that ``distinct`` queries (see
    :data:`~criteria_nlp.population.compile_lookups.Distinct`); ``evidence``: a column per criterion with the
    records its measurement leaves read (:mod:`~criteria_nlp.population.evidence`)."""
    from criteria_nlp.screen import require_criteria

    require_criteria(doc)
    age = ctx.lexicon.variables.get("age")
    seen = tuple(row[0] for row in distinct(DISTINCT_COMPARATORS))
    compiler = LeafCompiler(Slots(), ctx.index_date, age.plausible[1] if age is not None else None, comparators=seen)
    tree = _Tree(compiler, ctx=ctx)
    truths: list[str] = []
    held: list[list[LeafSql]] = []
    for criterion in doc.criteria:
        found: list[LeafSql] = []
        truths.append(tree.expression(criterion.expression, found))
        held.append(found)
    leaves = [leaf for _, leaf in tree.compiled.values()]
    slots = tree.leaves.slots
    lookups: dict[str, pa.Table] = {}
    ctes: list[str] = []
    joins: list[str] = []
    obs_aggregates = [a for leaf in leaves for a in leaf.obs_aggregates]
    read = [leaf.evidence for leaf in leaves if evidence and leaf.evidence is not None]
    shared = {name: sql for item in read for name, sql in item.aggregates.items()}
    obs_aggregates += [f"{sql} AS {name}" for name, sql in shared.items()]
    if obs_aggregates:
        lookups["cnl_obs"] = observation_table(distinct(DISTINCT_OBSERVATIONS), slots, tree.leaves.variables, ctx)
        obs_columns = [c for leaf in leaves for c in leaf.obs_columns]
        ctes += _observation_ctes(ctx, len(slots.units), obs_columns, obs_aggregates, tree.leaves.window_start)
        joins.append("LEFT JOIN m ON m.patient_id = p.patient_id")
    rec_aggregates = [a for leaf in leaves for a in leaf.rec_aggregates]
    if rec_aggregates:
        lookups["cnl_recs"] = record_verdicts(distinct(DISTINCT_RECORDS), slots, ctx)
        ctes += _record_ctes(slots, [c for leaf in leaves for c in leaf.rec_columns], rec_aggregates)
        joins.append("LEFT JOIN r ON r.patient_id = p.patient_id")
    # screen.deceased_reason: a date of death without the flag is a death
    died = f"(p.deceased_date IS NULL OR p.deceased_date <= {day(ctx.index_date)})"
    dead = f"(COALESCE(p.deceased, p.deceased_date IS NOT NULL) AND {died})"
    columns = [
        f"{name} AS {name}" if sql == name else f"{sql} AS {name}" for leaf in leaves for name, sql in leaf.columns
    ]
    columns += [f"{item.struct()} AS {item.column}" for item in read]
    ctes.append(
        "leaves AS (SELECT p.patient_id, p.position, "
        + ", ".join([f"{dead} AS dead", *columns])
        + " FROM patients p "
        + " ".join(joins)
        + ")"
    )
    names = [f"c_{n}" for n in range(len(truths))]
    ctes.append(
        "crit AS (SELECT leaves.*, "
        + ", ".join(f"{t} AS {c}" for t, c in zip(truths, names, strict=True))
        + " FROM leaves)"
    )
    decision = _decision(doc, names, defer_not_computable)
    missing = _missing(names, held)
    none: list[str | None] = [None] * len(held)
    items, extra = _evidence_columns(held) if evidence else (none, "")
    sql = (
        "WITH "
        + ", ".join(ctes)
        + f" SELECT patient_id, {', '.join(names)}, {decision} AS decision, {missing} AS missing{extra} "
        "FROM crit ORDER BY position"
    )
    return Compiled(sql, lookups, [c.id for c in doc.criteria], [c.section for c in doc.criteria], names, items)


def _evidence_columns(held: list[list[LeafSql]]) -> tuple[list[str | None], str]:
    """Each criterion's evidence column (None when none of its leaves reads a record) and their select list."""
    items: list[str | None] = []
    extra = ""
    for number, found in enumerate(held):
        own = [leaf.evidence.column for leaf in found if leaf.evidence is not None]
        items.append(f"e_{number}" if own else None)
        extra += f", {criterion_list(own)} AS e_{number}" if own else ""
    return items, extra


def _observation_ctes(
    ctx: EvaluationContext,
    units: int,
    columns: list[tuple[str, str]],
    aggregates: list[str],
    window_start: date | None = None,
) -> list[str]:
    """The most recent day of each variable within the look-back (``latest``), its usable values, the one Python
    selects; the value converted for each conversion slot once (``cv_n``). With a threshold's own window, the older
    usable values from ``window_start`` too (``measurements.disagreement`` reads them)."""
    converted = "".join(f", c.slope_{n} * o.value + c.offset_{n} AS cv_{n}" for n in range(units))
    keys = " AND ".join(
        f"o.{k} IS NOT DISTINCT FROM c.{k}" for k in ("variable", "system", "code", "unit", "unit_normalized")
    )
    window = f"CAST(o.effective AS DATE) BETWEEN {day(ctx.lookback_start)} AND {day(ctx.index_date)}"
    # records without a usable value are kept for one thing: ``aside_day``, the newest of them (a set-aside value
    # as recent as the one selected makes the test unknown, ``measurements.set_aside_trace``)
    part = "PARTITION BY patient_id, var_id"
    older = "day = last_day" if window_start is None else f"(day = last_day OR day >= {day(window_start)})"
    return [
        "obs0 AS (SELECT o.patient_id, c.*, CAST(o.effective AS DATE) AS day, o.effective, o.id AS obs_id, o.value, "
        f"o.comparator, o.reference_low, o.reference_high{converted} FROM observations o JOIN cnl_obs c ON "
        f"{keys} WHERE o.effective IS NOT NULL AND {window})",
        f"obs1 AS (SELECT obs0.*, MAX(CASE WHEN value IS NOT NULL THEN day END) OVER ({part}) AS last_day, "
        f"MAX(CASE WHEN value IS NULL THEN day END) OVER ({part}) AS aside_day, ROW_NUMBER() OVER "
        f"({part} ORDER BY (CASE WHEN value IS NULL THEN 1 ELSE 0 END), effective DESC, obs_id DESC) AS rn FROM obs0)",
        f"obs2 AS (SELECT obs1.*, (day = last_day) AS latest FROM obs1 WHERE value IS NOT NULL AND {older})",
        f"obs AS (SELECT {_with(columns)} FROM obs2)",
        "m AS (SELECT patient_id, " + ", ".join(aggregates) + " FROM obs GROUP BY patient_id)",
    ]


def _record_ctes(slots: Slots, record_columns: list[tuple[str, str]], aggregates: list[str]) -> list[str]:
    """Conditions, medications and procedures flattened as ``PatientIndex`` flattens them, with the Python engine's
    verdict per presence slot (``rc_n``: 1 coded match, 2 text-only match, 0 none; ``ru_n``: the terminology cannot
    compare the record with the concept), looked up by (kind, codes, text, display)."""
    keys = " AND ".join(f"v.{k} IS NOT DISTINCT FROM r0.{k}" for k in RECORD_KEYS)
    count = len(slots.records)
    columns = [f"COALESCE(v.rc_{n}, 0) AS rc_{n}, COALESCE(v.ru_{n}, FALSE) AS ru_{n}" for n in range(count)]
    return [
        *RECORD_CTES,
        f"recs1 AS (SELECT {', '.join(['r0.*', *columns])} FROM recs0 r0 LEFT JOIN cnl_recs v ON {keys})",
        f"recs AS (SELECT {_with(record_columns)} FROM recs1)",
        "r AS (SELECT patient_id, " + ", ".join(aggregates) + " FROM recs GROUP BY patient_id)",
    ]


def _with(columns: list[tuple[str, str]]) -> str:
    return ", ".join(["*", *(f"{sql} AS {name}" for name, sql in columns)])


def _decision(doc: CriteriaDocument, names: list[str], defer_not_computable: bool) -> str:
    """``screen._decide``: deceased or a criterion failed -> ineligible; an undecided criterion -> needs_review."""
    failed = ["dead"]
    undecided = []
    for criterion, column in zip(doc.criteria, names, strict=True):
        if defer_not_computable and isinstance(criterion.expression, NotComputable):
            continue  # always unknown, deferred to enrolment: decides nothing
        if criterion.section == "unknown":
            undecided.append("TRUE")
            continue
        undecided.append(f"{column} IS NULL")
        failed.append(
            f"COALESCE(NOT {column}, FALSE)" if criterion.section == "inclusion" else f"COALESCE({column}, FALSE)"
        )
    review = " OR ".join(undecided) or "FALSE"
    return f"(CASE WHEN {' OR '.join(failed)} THEN 'ineligible' WHEN {review} THEN 'needs_review' ELSE 'eligible' END)"


def _missing(names: list[str], held: list[list[LeafSql]]) -> str:
    """The data that would decide the unknown criteria, in the Python engine's order, each once: a string is kept
    only where no earlier one with the same key (hence the same words) is."""
    earlier: dict[str, list[str]] = {}
    items: list[str] = []
    for column, leaves in zip(names, held, strict=True):
        for leaf in leaves:
            for condition, value, key in leaf.missing:
                item: Missing = (f"({column} IS NULL AND {condition})", value, key)
                before = earlier.setdefault(key, [])
                guard = f" AND NOT ({' OR '.join(before)})" if before else ""
                items.append(f"CASE WHEN {item[0]}{guard} THEN {item[1]} END")
                before.append(item[0])
    if not items:
        return "CAST([] AS VARCHAR[])"
    return f"LIST_FILTER([{', '.join(items)}], lambda x: x IS NOT NULL)"


__all__ = ["Compiled", "compile_trial", "text"]

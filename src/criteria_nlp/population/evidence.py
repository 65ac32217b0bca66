"""The ``evidence`` column of population screening (``screen_population(..., evidence=True)``, ``--evidence``): per
criterion, for each measurement leaf (comparison, range, reference_multiple, age) whose trace reads a record, what a
reviewer needs to explain the row, as the Python engine's trace shows it.

One item per such leaf, in the criterion's pre-order: ``leaf`` (the leaf as the trace labels it), ``value``,
``comparator``, ``unit`` (as recorded), ``date`` (the observation's day; for age the birth date), ``converted`` (the
value compared with the threshold, in ``converted_unit``: the threshold's unit; for × ULN/LLN the observation's own
unit when its own reference range was used, else the lexicon default's), ``reference_low``/``reference_high``/
``reference_source`` (the range used for × ULN/LLN: "observation" or "lexicon"). For age, ``converted`` is the
completed age in the threshold's unit, null when the age is an interval (a birth date recorded as a year or a month
only, or a 29 February birthday on 28 February of a common year: ``demographics.age_bounds``). A leaf whose trace
holds no evidence (no value within the look-back, no birth date, an age that is not plausible) has no item.

The SQL side (:class:`EvidenceSql`, written by :mod:`criteria_nlp.population.leaves`) reads the observation the
Python engine selects (``rn = 1``) and the conversion slots; the Python side (:func:`python_evidence`) reads the
traces and the engine's own functions (``select``, ``in_unit``, ``completed_age``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from criteria_nlp.evaluate.plan import AgePlan, MeasurementPlan, ReferencePlan, plan_for
from criteria_nlp.ir import kind_of
from criteria_nlp.population.sqlparts import text

if TYPE_CHECKING:
    import pyarrow as pa

    from criteria_nlp.evaluate.context import EvaluationContext
    from criteria_nlp.evaluate.index import PatientIndex
    from criteria_nlp.explain.trace import TraceNode
    from criteria_nlp.ir import CriteriaDocument, Node
    from criteria_nlp.screen import ScreeningResult

# the leaf kinds whose plans may be measurements or an age (a demographic leaf's plan is an age or a sex)
MEASURED = frozenset({"comparison", "range", "reference_multiple", "demographic"})

# (field, Arrow type name, SQL type)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("leaf", "string", "VARCHAR"),
    ("value", "float64", "DOUBLE"),
    ("comparator", "string", "VARCHAR"),
    ("unit", "string", "VARCHAR"),
    ("date", "date32", "DATE"),
    ("converted", "float64", "DOUBLE"),
    ("converted_unit", "string", "VARCHAR"),
    ("reference_low", "float64", "DOUBLE"),
    ("reference_high", "float64", "DOUBLE"),
    ("reference_source", "string", "VARCHAR"),
)


def item_type() -> pa.DataType:
    import pyarrow as pa

    return pa.struct([(name, getattr(pa, arrow)()) for name, arrow, _ in FIELDS])


def evidence_type(criterion_ids: list[str]) -> pa.DataType:
    """criterion id -> list of items."""
    import pyarrow as pa

    return pa.struct([(name, pa.list_(item_type())) for name in criterion_ids])


@dataclass
class EvidenceSql:
    """A leaf's item: present when ``condition`` holds (leaves scope), its fields as SQL (absent ones NULL), and
    the aggregates over the ``obs`` rows it reads (shared by name between leaves of one variable)."""

    condition: str
    fields: dict[str, str]
    aggregates: dict[str, str] = field(default_factory=dict)  # name -> "AGG(...)"
    label: str = ""  # the leaf as its trace labels it
    column: str = ""  # the item's column in the leaves scope

    def struct(self) -> str:
        values = {"leaf": text(self.label), **self.fields}
        parts = [f"'{name}': CAST({values.get(name, 'NULL')} AS {sql_type})" for name, _, sql_type in FIELDS]
        return f"(CASE WHEN {self.condition} THEN {{{', '.join(parts)}}} END)"


def criterion_list(columns: list[str]) -> str:
    """The items of one criterion's leaves (each a nullable struct column), absent ones left out."""
    return f"LIST_FILTER([{', '.join(columns)}], lambda e: e IS NOT NULL)"


# --- the Python engine's side -------------------------------------------------------------------------------------


def _leaves(node: Node, trace: TraceNode) -> list[tuple[Node, TraceNode]]:
    """(leaf, its trace) in pre-order: a container's trace holds one child per child node, in order."""
    kind = kind_of(node)
    if kind.is_leaf:
        return [(node, trace)]
    found: list[tuple[Node, TraceNode]] = []
    for child, child_trace in zip(kind.children(node), trace.children, strict=True):
        found += _leaves(child, child_trace)
    return found


def python_evidence(
    doc: CriteriaDocument, result: ScreeningResult, index: PatientIndex, ctx: EvaluationContext
) -> dict[str, list[dict[str, Any]]]:
    """The evidence of one patient's screening, from its traces (criterion id -> items)."""
    evidence: dict[str, list[dict[str, Any]]] = {}
    for criterion, outcome in zip(doc.criteria, result.criteria, strict=True):
        items: list[dict[str, Any]] = []
        for node, trace in _leaves(criterion.expression, outcome.trace):
            if not trace.evidence:
                continue
            item = _item(node, trace, index, ctx)
            if item is not None:
                items.append(item)
        evidence[criterion.id] = items
    return evidence


def _item(node: Node, trace: TraceNode, index: PatientIndex, ctx: EvaluationContext) -> dict[str, Any] | None:
    if node.kind not in MEASURED:
        return None
    plan = plan_for(node, ctx)
    if isinstance(plan, AgePlan):
        return {"leaf": trace.label, **_age(plan, index, ctx)}
    if not isinstance(plan, MeasurementPlan | ReferencePlan):
        return None
    from criteria_nlp.evaluate.measurements import select

    selection = select(plan.variable, plan.lookback, index)
    observation = selection.observation
    assert observation is not None and observation.id == trace.evidence[0].resource_id
    item: dict[str, Any] = {
        "leaf": trace.label,
        "value": observation.value,
        "comparator": observation.comparator,
        "unit": observation.unit,
        "date": selection.observed_on,
    }
    if isinstance(plan, MeasurementPlan):
        target = plan.tests[0].unit if plan.tests else None
        return {**item, "converted": _converted(selection, target, plan, ctx), "converted_unit": target}
    own = observation.reference_high if plan.reference == "ULN" else observation.reference_low
    if own is not None:
        return {
            **item,
            "converted": observation.value,
            "converted_unit": observation.unit,
            "reference_low": observation.reference_low,
            "reference_high": observation.reference_high,
            "reference_source": "observation",
        }
    if plan.default is not None and plan.default_limit is not None and "lexicon" in plan.sources:
        return {
            **item,
            "converted": _converted(selection, plan.default_unit, plan, ctx),
            "converted_unit": plan.default_unit,
            "reference_low": plan.default.low,
            "reference_high": plan.default.high,
            "reference_source": "lexicon",
        }
    return item


def _converted(selection: Any, target: str | None, plan: MeasurementPlan | ReferencePlan, ctx: Any) -> float | None:
    from criteria_nlp.evaluate.measurements import Value, in_unit

    value = in_unit(selection.observation, selection.observed_on, target, plan, ctx)
    return value.value if isinstance(value, Value) else None


def _age(plan: AgePlan, index: PatientIndex, ctx: EvaluationContext) -> dict[str, Any]:
    from criteria_nlp.evaluate.demographics import age_bounds

    birth = index.patient.birth_date
    assert birth is not None
    low, high = age_bounds(birth, index.patient.birth_date_precision, ctx.index_date, plan.unit)
    return {"date": birth, "converted": float(high) if low == high else None, "converted_unit": plan.unit}

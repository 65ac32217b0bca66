"""The rule engine: evaluate an IR expression against one patient, in three-valued logic, with a trace.

Containers are combined by their kind's rule in :mod:`criteria_nlp.ir.kinds`; each leaf kind has an evaluator in
:data:`EVALUATORS` that reads the leaf's plan (:mod:`criteria_nlp.evaluate.plan`). The rules themselves are
described in :mod:`criteria_nlp.evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable

from criteria_nlp.errors import CriteriaEvaluationError
from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.demographics import eval_demographic
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.measurements import eval_measurement, eval_reference_multiple
from criteria_nlp.evaluate.plan import PLANNERS, Review, plan_for
from criteria_nlp.evaluate.presence import eval_presence
from criteria_nlp.evaluate.traces import trace
from criteria_nlp.explain.trace import TraceNode
from criteria_nlp.ir import KINDS, Node, NotComputable, Unparsed, kind_of
from criteria_nlp.ir.logic import Truth
from criteria_nlp.sources.patient import Patient

Evaluator = Callable[[Node, PatientIndex, EvaluationContext], TraceNode]


def evaluate(node: Node, patient: Patient | PatientIndex, context: EvaluationContext | None = None) -> TraceNode:
    """Evaluate ``node`` for one patient; the trace's ``outcome`` is the answer."""
    ctx = context if context is not None else EvaluationContext()
    index = patient if isinstance(patient, PatientIndex) else PatientIndex(patient, ctx.lexicon)
    return _evaluate(node, index, ctx)


def _evaluate(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    """A node's trace; one no patient data can change is made once per context that keeps them, then reused (see
    :attr:`EvaluationContext.fixed`)."""
    if not ctx.keep_fixed_traces:
        return _evaluate_now(node, index, ctx)
    known = ctx.fixed.get(id(node))
    if known is not None and known[0] is node:
        return known[1] if known[1] is not None else _evaluate_now(node, index, ctx)
    result = _evaluate_now(node, index, ctx)
    if len(ctx.fixed) > _FIXED_LIMIT:
        ctx.fixed.clear()
    ctx.fixed[id(node)] = (node, result if _is_fixed(node, ctx) else None)
    return result


def _is_fixed(node: Node, ctx: EvaluationContext) -> bool:
    """Whether a node's trace is the same for every patient: a leaf of a kind that reads no data, or whose plan is a
    review; a container whose children are all such (they were evaluated just before it)."""
    kind = kind_of(node)
    if kind.is_leaf:
        return node.kind in PATIENT_FREE or (node.kind in PLANNERS and isinstance(plan_for(node, ctx), Review))
    for child in kind.children(node):
        known = ctx.fixed.get(id(child))
        if known is None or known[0] is not child or known[1] is None:
            return False
    return True


def _evaluate_now(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    kind = getattr(node, "kind", None)
    evaluator = EVALUATORS.get(kind) if isinstance(kind, str) else None
    if evaluator is None:
        if isinstance(kind, str) and kind in KINDS and not KINDS[kind].is_leaf:
            return _eval_container(node, index, ctx)
        raise CriteriaEvaluationError(
            f"no evaluator for node kind {kind!r}",
            start=getattr(getattr(node, "span", None), "start", None),
            expected=sorted(EVALUATORS),
        )
    return evaluator(node, index, ctx)


def _eval_container(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    """Any container kind: its children evaluated in order, combined by its rule in :mod:`criteria_nlp.ir.kinds`."""
    kind = kind_of(node)
    assert kind.combine is not None and kind.label is not None
    children = tuple(_evaluate(child, index, ctx) for child in kind.children(node))
    outcome, sentence = kind.combine(node, [child.outcome for child in children])
    return trace(node, outcome, sentence, children=children, label_text=kind.label(node))


def _eval_not_computable(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, NotComputable)
    return trace(
        node,
        Truth.UNKNOWN,
        f"not computable from patient data ({node.category}): needs review — {node.text}",
        missing=(f"review: {node.category} ({node.text})",),
    )


def _eval_unparsed(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    assert isinstance(node, Unparsed)
    return trace(
        node,
        Truth.UNKNOWN,
        f"not understood ({node.reason}): needs review — {node.text}",
        missing=(f"review: unparsed text ({node.text})",),
    )


# leaf kinds whose evaluators read no patient data: their traces are made once per context
PATIENT_FREE = frozenset({"not_computable", "unparsed"})
_FIXED_LIMIT = 200_000

# leaves only: every container kind is evaluated by its registered rule (``_eval_container``)
EVALUATORS: dict[str, Evaluator] = {
    "comparison": eval_measurement,
    "range": eval_measurement,
    "reference_multiple": eval_reference_multiple,
    "presence": eval_presence,
    "demographic": eval_demographic,
    "not_computable": _eval_not_computable,
    "unparsed": _eval_unparsed,
}

"""Measurements (``comparison``, ``range``, ``reference_multiple``): the most recent value within the look-back,
converted to the threshold's unit, compared with the plan's tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.demographics import evaluate_age
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.plan import AgePlan, Lookback, MeasurementPlan, ReferencePlan, Review, Test, holds, plan_for
from criteria_nlp.evaluate.traces import review_trace, trace
from criteria_nlp.evaluate.wording import fmt, missing_measurement, variable_name
from criteria_nlp.explain.trace import Evidence, TraceNode, evidence_item
from criteria_nlp.ir import Node
from criteria_nlp.ir.interval import operator_interval
from criteria_nlp.ir.logic import Truth, all_of
from criteria_nlp.knowledge.lexicon import Variable
from criteria_nlp.knowledge.plausibility import unit_fixed_by_code
from criteria_nlp.sources.patient import Observation


@dataclass(slots=True)
class Selection:
    observation: Observation | None
    observed_on: date | None
    notes: list[str]
    same_day: list[Observation] = field(default_factory=list)  # other usable values of the chosen date
    # records of the chosen date or newer (within the look-back) whose value was set aside (unknown unit, no unit,
    # implausible) or never was a number: the value now may be any, so the older usable one does not decide
    set_aside: list[tuple[date, Observation]] = field(default_factory=list)
    # with the criterion's own window ("QTc > 470 ms within the last 3 months"): the older usable values inside it,
    # newest first; one that decides otherwise than the most recent makes the test unknown (``disagreement``)
    earlier: list[tuple[date, Observation]] = field(default_factory=list)


def select(variable_id: str, lookback: Lookback, index: PatientIndex) -> Selection:
    """The most recent usable observation within the look-back, and what was ignored on the way."""
    notes: list[str] = []
    future = unusable = 0
    chosen: Observation | None = None
    chosen_on: date | None = None
    older: tuple[date, Observation] | None = None
    ordered = index.observations(variable_id)
    same_day: list[Observation] = []
    for position, (observed_on, observation) in enumerate(ordered):
        if observed_on > lookback.end:
            future += 1
        elif observation.value is None:
            unusable += 1
        elif observed_on < lookback.start:
            older = (observed_on, observation)
            break
        else:
            chosen, chosen_on = observation, observed_on
            same_day = [o for day, o in ordered[position + 1 :] if day == observed_on and o.value is not None]
            break
    if future:
        notes.append(f"{future} value(s) dated after the index date {lookback.end} ignored")
    if unusable:
        notes.append(f"{unusable} more recent record(s) without a usable number ignored")
    if older is not None:
        observed_on, observation = older
        notes.append(
            f"values before {lookback.name()} ({lookback.start}) ignored "
            f"(most recent {fmt(observation.value or 0)} {observation.unit or ''} on {observed_on})".replace(" )", ")")
        )
    if index.undated.get(variable_id):
        notes.append(f"{index.undated[variable_id]} undated value(s) ignored")
    aside = []
    earlier: list[tuple[date, Observation]] = []
    if chosen_on is not None:
        aside = [(day, o) for day, o in ordered if o.value is None and chosen_on <= day <= lookback.end]
        if lookback.window is not None:
            earlier = [(d, o) for d, o in ordered if o.value is not None and lookback.start <= d < chosen_on]
    return Selection(chosen, chosen_on, notes, same_day, aside, earlier)


def aside_missing(variable_id: str) -> str:
    """The datum that would decide a measurement whose newest record was set aside."""
    return f"{variable_name(variable_id)}: a usable value as recent as the record set aside"


def set_aside_trace(node: Node, plan: MeasurementPlan | ReferencePlan, selection: Selection) -> TraceNode | None:
    """A record as recent as the value selected, or newer, whose value could not be used: the current value is not
    known (the set-aside one may fail the test), so the test is unknown rather than decided by an older value."""
    if not selection.set_aside or selection.observation is None:
        return None
    name = variable_name(plan.variable)
    shown = "; ".join(f"{o.id} ({day})" for day, o in selection.set_aside)
    return trace(
        node,
        Truth.UNKNOWN,
        f"the most recent {name} record(s) have no usable value ({shown}: see the loading warnings); the older "
        f"{fmt(selection.observation.value or 0)} {selection.observation.unit or ''} of {selection.observed_on} "
        "is not the current value: needs review".replace("  ", " "),
        evidence=(
            observation_evidence(selection.observation, selection.observed_on),
            *(observation_evidence(o, day) for day, o in selection.set_aside),
        ),
        threshold=plan.threshold,
        missing=(aside_missing(plan.variable),),
    )


def observation_evidence(observation: Observation, observed_on: date | None) -> Evidence:
    reference = None
    if observation.reference_low is not None or observation.reference_high is not None:
        low = fmt(observation.reference_low) if observation.reference_low is not None else ""
        high = fmt(observation.reference_high) if observation.reference_high is not None else ""
        reference = f"{low}-{high}" + (f" {observation.unit}" if observation.unit else "")
    return evidence_item(
        resource_type="Observation",
        resource_id=observation.id,
        value=observation.value,
        unit=observation.unit,
        text=observation.display,
        date=observed_on.isoformat() if observed_on else None,
        reference_range=reference,
    )


@dataclass(slots=True)
class Value:
    """An observation's value in a target unit, with the conversion sentence fragment."""

    value: float
    shown: str
    conversions: list[str]


def in_unit(
    observation: Observation,
    observed_on: date | None,
    target: str | None,
    plan: MeasurementPlan | ReferencePlan,
    ctx: EvaluationContext,
) -> Value | str:
    """The observation's value in ``target`` (through the context's cached conversions), or why it cannot be."""
    assert observation.value is not None
    unit_text = f" {observation.unit}" if observation.unit else ""
    when = f" ({observed_on})" if observed_on else ""
    shown = f"{variable_name(plan.variable)} {fmt(observation.value)}{unit_text}{when}"
    source = observation.unit_normalized
    if observation.unit is not None and source is None:
        source = ctx.normalized_unit(observation.unit)
        if source is None:
            return f"{shown}: unit {observation.unit!r} is not known"
    fixed = unit_fixed_by_code(observation.code, ctx.normalized_unit(observation.unit)) if observation.unit else None
    if fixed is not None and fixed[0] == source:
        shown += f" (read as {fixed[0]}: {fixed[1]})"
    if target is None and source == "1" and _percent_scale(ctx.lexicon.variables.get(plan.variable)):
        return f"{shown}: a score of 0-100 in the unit '1' may be a fraction of the scale (0.8 for 80) or the score"
    if target is None or source is None:
        if target is not None and source is None:
            return f"{shown}: the observation has no unit, the threshold is in {target}"
        if source is not None and target is None and plan.lexicon_unit is not None:
            return f"{shown}: the threshold has no unit"
        return Value(observation.value, shown, [])
    if source == target:
        return Value(observation.value, shown, [])
    conversion = ctx.conversion(source, target, ctx.lexicon.variables.get(plan.variable))
    if isinstance(conversion, str):
        return f"{shown}: {conversion}"
    converted = conversion.apply(observation.value)
    step = f"{fmt(observation.value)}{unit_text} = {fmt(converted)} {target}{conversion.note}"
    return Value(converted, f"{shown} = {fmt(converted)} {target}", [step])


def _percent_scale(variable: Variable | None) -> bool:
    """A unitless score whose plausible range is 0-100 (Karnofsky, Lansky): a value of it in the unit '1' reads two
    ways, as the score and as a fraction of the scale, and no threshold in no unit tells which."""
    return variable is not None and variable.unit is None and variable.plausible == (0, 100)


def measured(
    node: Node,
    plan: MeasurementPlan | ReferencePlan,
    selection: Selection,
    ctx: EvaluationContext,
    tests: tuple[Test, ...],
    *,
    assumed: bool = False,
    assumed_note: str | None = None,
) -> TraceNode:
    """The trace of ``tests`` (all in one unit) on the selected observation."""
    notes = list(selection.notes)
    if assumed_note:
        notes.insert(0, assumed_note)
    observation = selection.observation
    if observation is None:
        lookback = plan.lookback
        sentence = f"no {variable_name(plan.variable)} {lookback.within()}"
        if lookback.window is None:
            sentence += f" before {ctx.index_date}"
        return trace(
            node,
            Truth.UNKNOWN,
            "; ".join([sentence, *notes]),
            threshold=plan.threshold,
            assumed=assumed,
            missing=(missing_measurement(plan.variable, plan.loinc, plan.lookback.within()),),
        )
    aside = set_aside_trace(node, plan, selection)
    if aside is not None:
        return aside
    evidence = (observation_evidence(observation, selection.observed_on),)
    target = tests[0].unit if tests else None
    value = in_unit(observation, selection.observed_on, target, plan, ctx)
    if isinstance(value, str):
        return trace(
            node,
            Truth.UNKNOWN,
            "; ".join([value, *notes]),
            evidence=evidence,
            threshold=plan.threshold,
            assumed=assumed,
            missing=(
                f"{missing_measurement(plan.variable, plan.loinc, plan.lookback.within())} in a unit convertible "
                f"to {target}",
            ),
        )
    outcome = all_of(test_outcome(value.value, observation.comparator, test.operator, test.limit) for test in tests)
    disagreeing = disagreement(node, plan, selection, ctx, tests, value, outcome)
    if disagreeing is not None:
        return disagreeing
    reported = observation.comparator or ""
    comparison = " and ".join(f"{reported}{fmt(value.value)} {test.operator} {fmt(test.limit)}" for test in tests)
    sentence = f"{value.shown}; {comparison} is {outcome.value}"
    if observation.comparator:
        sentence += f" (reported as {observation.comparator}{fmt(value.value)}: an interval, not a value)"
    return trace(
        node,
        outcome,
        "; ".join([sentence, *notes]),
        evidence=evidence,
        conversions=tuple(value.conversions),
        threshold=plan.threshold,
        assumed=assumed,
    )


def test_outcome(value: float, comparator: str | None, operator: str, limit: float) -> Truth:
    """One test on a value, or on the interval a reported comparator makes of it (">10": any value above 10):
    TRUE when the whole interval passes, FALSE when none of it does, UNKNOWN when the threshold falls inside."""
    if comparator is None:
        return Truth.of(holds(value, operator, limit))
    reported = operator_interval(comparator, value)  # type: ignore[arg-type]
    test = operator_interval(operator, limit)  # type: ignore[arg-type]
    if reported is None or test is None:
        return Truth.UNKNOWN
    if reported.covered_by([test]):
        return Truth.TRUE
    return Truth.UNKNOWN if reported.overlaps(test) else Truth.FALSE


def _same_day_trace(
    node: Node, plan: MeasurementPlan | ReferencePlan, selection: Selection, shown: list[str]
) -> TraceNode:
    """Two values of one date that decide differently: neither is "the" most recent one, so the test is unknown."""
    observations = [selection.observation, *selection.same_day]
    return trace(
        node,
        Truth.UNKNOWN,
        f"values of {selection.observed_on} disagree on the threshold: {'; '.join(shown)}: needs review",
        evidence=tuple(observation_evidence(o, selection.observed_on) for o in observations if o is not None),
        threshold=plan.threshold,
        missing=(f"{variable_name(plan.variable)}: which value of {selection.observed_on} is right",),
    )


def window_missing(plan: MeasurementPlan | ReferencePlan) -> str:
    """The datum that would decide a threshold whose window holds values that decide differently."""
    return f"{variable_name(plan.variable)}: which value {plan.lookback.within()} decides"


def disagreement(
    node: Node,
    plan: MeasurementPlan | ReferencePlan,
    selection: Selection,
    ctx: EvaluationContext,
    tests: tuple[Test, ...],
    value: Value,
    outcome: Truth,
) -> TraceNode | None:
    """Other values that decide otherwise than the selected one (``value``, ``outcome``), which makes the test unknown:
    another value of its day (neither is "the" most recent one; one that does not convert may decide either way), or,
    with the criterion's own window ("QTc > 470 ms within the last 3 months"), an older value inside it (the
    criterion may ask for any value in the window or the last one, and the two readings part here; older values that
    do not convert say nothing either way and are passed over)."""
    recent = f"{value.shown} ({outcome.value})"
    if selection.same_day:
        tested = [_tested(other, selection.observed_on, plan, ctx, tests) for other in selection.same_day]
        if any(other is not outcome for _, other in tested):
            return _same_day_trace(node, plan, selection, [recent, *(text for text, _ in tested)])
    if not selection.earlier or outcome is Truth.UNKNOWN:
        return None
    differing: list[tuple[Observation, date, str]] = []
    for day, other in selection.earlier:
        text, other_outcome = _tested(other, day, plan, ctx, tests)
        if other_outcome is not None and other_outcome is not outcome:
            differing.append((other, day, text))
    return _window_trace(node, plan, selection, recent, differing, value.conversions)


def _tested(
    other: Observation,
    day: date | None,
    plan: MeasurementPlan | ReferencePlan,
    ctx: EvaluationContext,
    tests: tuple[Test, ...],
) -> tuple[str, Truth | None]:
    """Another value of the day or the window against the tests: how the trace shows it, and its outcome (None when
    it does not convert to the tests' unit)."""
    converted = in_unit(other, day, tests[0].unit if tests else None, plan, ctx)
    if isinstance(converted, str):
        return converted, None
    outcome = all_of(test_outcome(converted.value, other.comparator, t.operator, t.limit) for t in tests)
    return f"{converted.shown} ({outcome.value})", outcome


def _window_trace(
    node: Node,
    plan: MeasurementPlan | ReferencePlan,
    selection: Selection,
    recent: str,
    differing: list[tuple[Observation, date, str]],
    conversions: list[str] | tuple[str, ...] = (),
) -> TraceNode | None:
    """UNKNOWN with the most recent value (``recent``, as shown) and the older ones of the window that decide
    otherwise; None when none does."""
    if not differing:
        return None
    assert selection.observation is not None
    shown = "; ".join(text for _, _, text in differing)
    return trace(
        node,
        Truth.UNKNOWN,
        f"values {plan.lookback.within()} disagree on the threshold: the most recent {recent}, earlier {shown}: "
        "whether the criterion asks for the most recent value or any value in the window is not written: needs review",
        evidence=(
            observation_evidence(selection.observation, selection.observed_on),
            *(observation_evidence(o, day) for o, day, _ in differing),
        ),
        conversions=tuple(conversions),
        threshold=plan.threshold,
        missing=(window_missing(plan),),
    )


def eval_measurement(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    """``comparison`` and ``range``; the tests of a range whose bounds are in different units each in its own."""
    plan = plan_for(node, ctx)
    if isinstance(plan, Review):
        return review_trace(node, plan)
    if isinstance(plan, AgePlan):  # a comparison on age
        return evaluate_age(node, plan, index, ctx)
    assert isinstance(plan, MeasurementPlan)
    selection = select(plan.variable, plan.lookback, index)
    assumed = any(test.assumed for test in plan.tests)
    if len({test.unit for test in plan.tests}) <= 1:
        return measured(node, plan, selection, ctx, plan.tests, assumed=assumed, assumed_note=plan.assumed_note)
    parts = [measured(node, plan, selection, ctx, (test,), assumed=test.assumed) for test in plan.tests]
    return trace(
        node,
        all_of(part.outcome for part in parts),
        "; ".join(part.sentence for part in parts),
        evidence=parts[0].evidence,
        conversions=tuple(c for part in parts for c in part.conversions),
        threshold=plan.threshold,
        assumed=assumed,
        missing=tuple(dict.fromkeys(m for part in parts for m in part.missing)),
    )


def eval_reference_multiple(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    """``k × ULN/LLN``: the observation's own reference range, else the lexicon's default range (assumed)."""
    plan = plan_for(node, ctx)
    if isinstance(plan, Review):
        return review_trace(node, plan)
    assert isinstance(plan, ReferencePlan)
    selection = select(plan.variable, plan.lookback, index)
    observation = selection.observation
    if observation is None or observation.value is None:
        return measured(node, plan, selection, ctx, ())
    aside = set_aside_trace(node, plan, selection)
    if aside is not None:
        return aside
    disagreement = _reference_same_day(node, plan, selection, ctx) or _reference_window(node, plan, selection, ctx)
    if disagreement is not None:
        return disagreement
    evidence = (observation_evidence(observation, selection.observed_on),)
    own = observation.reference_high if plan.reference == "ULN" else observation.reference_low
    if own is not None:
        unit_text = f" {observation.unit}" if observation.unit else ""
        shown = f"{variable_name(plan.variable)} {fmt(observation.value)}{unit_text} ({selection.observed_on})"
        tested = Value(observation.value, shown, [])
        return _against_range(node, plan, selection, tested, (own, unit_text, "reference range of the observation"))
    if plan.default is None or plan.default_limit is None:
        return trace(
            node,
            Truth.UNKNOWN,
            f"{variable_name(plan.variable)} has no reference range on observation {observation.id} and the lexicon "
            f"gives no default {plan.reference}: needs review",
            evidence=evidence,
            threshold=plan.threshold,
            missing=(f"{plan.reference} of {plan.variable} (reference range)",),
        )
    if "lexicon" not in plan.sources:
        default = plan.default
        return trace(
            node,
            Truth.UNKNOWN,
            f"{variable_name(plan.variable)} has no reference range on observation {observation.id}; the lexicon's "
            f"default {plan.reference} ({fmt(plan.default_limit)} {default.unit}) would be an assumption, not the "
            "laboratory's range: needs review (assume_default_ranges=True / --assume-default-reference-ranges "
            "uses it)",
            evidence=evidence,
            threshold=plan.threshold,
            missing=(f"{plan.reference} of {plan.variable} (the laboratory's reference range)",),
        )
    return _against_default(node, plan, selection, observation, evidence, ctx)


def _against_default(
    node: Node,
    plan: ReferencePlan,
    selection: Selection,
    observation: Observation,
    evidence: tuple[Evidence, ...],
    ctx: EvaluationContext,
) -> TraceNode:
    assert plan.default is not None and plan.default_limit is not None
    default = plan.default
    value = in_unit(observation, selection.observed_on, plan.default_unit, plan, ctx)
    if isinstance(value, str):
        return trace(node, Truth.UNKNOWN, value, evidence=evidence, threshold=plan.threshold, assumed=True)
    low = fmt(default.low) if default.low is not None else ""
    high = fmt(default.high) if default.high is not None else ""
    whose = f"assumed: the lexicon's default reference range {low}-{high} {default.unit}, the observation has none"
    return _against_range(node, plan, selection, value, (plan.default_limit, f" {default.unit}", whose), assumed=True)


def _against_range(
    node: Node,
    plan: ReferencePlan,
    selection: Selection,
    value: Value,
    reference: tuple[float, str, str],
    *,
    assumed: bool = False,
) -> TraceNode:
    """``k × ULN/LLN`` on the selected value (in the range's unit), ``reference`` being the limit of the range, its
    unit as shown (" U/L") and whose range it is."""
    observation = selection.observation
    assert observation is not None
    own, unit, whose = reference
    limit = plan.factor * own
    outcome = test_outcome(value.value, observation.comparator, plan.operator, limit)
    sentence = (
        f"{value.shown}; {fmt(plan.factor)} × {plan.reference} = {fmt(limit)}{unit} ({whose}); "
        f"{fmt(value.value)} {plan.operator} {fmt(limit)} is {outcome.value}"
    )
    return trace(
        node,
        outcome,
        "; ".join([sentence, *selection.notes]),
        evidence=(observation_evidence(observation, selection.observed_on),),
        conversions=tuple(value.conversions),
        threshold=f"{plan.threshold} = {fmt(limit)}{unit}",
        assumed=assumed,
    )


def _reference_code(plan: ReferencePlan, observation: Observation, day: date | None, ctx: EvaluationContext) -> str:
    """What one value of the day says on ``k × ULN/LLN``: its truth against its own range, else against the
    lexicon's default when assumed, else why it cannot say (the SQL mirror's codes, ``LeafCompiler.reference``)."""
    assert observation.value is not None
    own = observation.reference_high if plan.reference == "ULN" else observation.reference_low
    if own is not None:
        return test_outcome(observation.value, observation.comparator, plan.operator, plan.factor * own).value
    if plan.default is None or plan.default_limit is None:
        return "no reference range"
    if "lexicon" not in plan.sources:
        return "no laboratory reference range"
    value = in_unit(observation, day, plan.default_unit, plan, ctx)
    if isinstance(value, str):
        return Truth.UNKNOWN.value  # as the mirror, which codes both as unknown
    return test_outcome(value.value, observation.comparator, plan.operator, plan.factor * plan.default_limit).value


def _reference_same_day(
    node: Node, plan: ReferencePlan, selection: Selection, ctx: EvaluationContext
) -> TraceNode | None:
    """Values of the selected day (each with its own reference range) that decide ``k × ULN/LLN`` differently:
    neither is "the" most recent one, so the test is unknown, as for a plain threshold (``disagreement``)."""
    if not selection.same_day or selection.observation is None:
        return None
    day = selection.observed_on
    observations = [selection.observation, *selection.same_day]
    codes = [_reference_code(plan, o, day, ctx) for o in observations]
    if len(set(codes)) == 1:
        return None
    shown = []
    for observation, code in zip(observations, codes, strict=True):
        own = observation.reference_high if plan.reference == "ULN" else observation.reference_low
        reference = f", {plan.reference} {fmt(own)}" if own is not None else ""
        shown.append(f"{fmt(observation.value or 0)} {observation.unit or ''}{reference} ({code})".replace(" ,", ","))
    return trace(
        node,
        Truth.UNKNOWN,
        f"{variable_name(plan.variable)} values of {day} disagree on {plan.threshold}: {'; '.join(shown)}: "
        "needs review",
        evidence=tuple(observation_evidence(o, day) for o in observations),
        threshold=plan.threshold,
        missing=(f"{variable_name(plan.variable)}: which value of {day} is right",),
    )


def _reference_window(
    node: Node, plan: ReferencePlan, selection: Selection, ctx: EvaluationContext
) -> TraceNode | None:
    """``k × ULN/LLN`` with its own window ("ALT > 3 × ULN within the last 3 months"): an older value of the window
    (on its own reference range) that decides otherwise than the most recent one makes the test unknown, as for a
    plain threshold (``disagreement``). Older values with no reference range to test them on say nothing
    and are passed over, as older values that do not convert are."""
    if not selection.earlier or selection.observation is None:
        return None
    tested = (Truth.TRUE.value, Truth.FALSE.value, Truth.UNKNOWN.value)
    recent = _reference_code(plan, selection.observation, selection.observed_on, ctx)
    if recent not in tested[:2]:
        return None
    differing = []
    for day, other in selection.earlier:
        code = _reference_code(plan, other, day, ctx)
        if code in tested and code != recent:
            own = other.reference_high if plan.reference == "ULN" else other.reference_low
            reference = f", {plan.reference} {fmt(own)}" if own is not None else ""
            differing.append((other, day, f"{_shown(plan, other, day)}{reference} ({code})"))
    observation = selection.observation
    own = observation.reference_high if plan.reference == "ULN" else observation.reference_low
    reference = f", {plan.reference} {fmt(own)}" if own is not None else ""
    return _window_trace(
        node, plan, selection, f"{_shown(plan, observation, selection.observed_on)}{reference} ({recent})", differing
    )


def _shown(plan: ReferencePlan, observation: Observation, day: date | None) -> str:
    unit = f" {observation.unit}" if observation.unit else ""
    return f"{variable_name(plan.variable)} {fmt(observation.value or 0)}{unit} ({day})"

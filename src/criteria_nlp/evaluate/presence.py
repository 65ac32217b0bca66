"""Presence of a condition, state, medication or procedure: coded records first, text-only matches for review,
absence decided only by a record list marked complete."""

from __future__ import annotations

from datetime import date

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.index import PatientIndex, Record
from criteria_nlp.evaluate.plan import MeasurementPlan, PresencePlan, Review, Window, plan_for
from criteria_nlp.evaluate.traces import review_trace, trace
from criteria_nlp.evaluate.wording import variable_name
from criteria_nlp.explain.trace import Evidence, TraceNode, evidence_item
from criteria_nlp.ir import Node
from criteria_nlp.ir.logic import Truth
from criteria_nlp.knowledge.drug_classes import ClassMatch, drug_class, known_drug_codes, names_classed_drug
from criteria_nlp.knowledge.terminology import DisplayMatch

Match = tuple[Truth, Record, str]  # how the record falls in time, the record, why in words


def timing(record: Record, plan: PresencePlan, index_date: date) -> tuple[Truth, str]:
    """Whether a matched record falls in time: TRUE / FALSE / UNKNOWN and a phrase saying why.

    A procedure by its date; with a window, an event's record (``plan.window_reads == "onset"``) by its onset, a
    lasting condition's, a state's or a medication's by its span; a condition of unsure kind only where both
    readings agree."""
    if record.resource_type == "Procedure":
        return _performed(record, plan, index_date)
    if record.resource_type == "Medication":
        return _medication(record, plan, index_date)
    if plan.window is None or plan.window_reads == "span":
        return _span(record, plan, index_date)
    onset = _onset(record, plan.window, index_date)
    if plan.window_reads == "onset":
        return onset
    span = _span(record, plan, index_date)
    if span[0] is onset[0]:
        return span
    return Truth.UNKNOWN, (
        f"{span[1]}; as an event ({onset[1]}) it is {onset[0].value}, as a lasting condition {span[0].value}: "
        f"whether {plan.name} is an event whose onset the window asks is not known"
    )


def _performed(record: Record, plan: PresencePlan, index_date: date) -> tuple[Truth, str]:
    start = record.start
    earliest = plan.window.earliest if plan.window is not None else None
    latest = plan.window.latest if plan.window is not None else index_date
    if start is None:
        return Truth.UNKNOWN, "performed on an unknown date"
    if start > latest:
        return Truth.FALSE, f"performed {start}, after {latest}"
    if earliest is not None and start < earliest:
        return Truth.FALSE, f"performed {start}, before {earliest}"
    boundary = on_boundary(start, plan.window, index_date)
    if boundary is not None:
        return Truth.UNKNOWN, f"performed {start}, {boundary}"
    return Truth.TRUE, f"performed {start}"


def on_boundary(day: date, window: Window | None, index_date: date) -> str | None:
    """A record dated on a window's boundary day: whether "within 4 weeks" / "at least 4 weeks since" counts that
    day in or out is not written (a wash-out reads it out, a recency reads it in), so neither engine decides on
    it: the reason, else None. The index date itself is no boundary of this kind (the day asked about), nor is a
    bound the wording made inclusive or exclusive (``Window.earliest_known`` / ``latest_known``)."""
    if window is None:
        return None
    if window.earliest is not None and day == window.earliest and not window.earliest_known:
        return f"on the first day of the window ({window.description}): whether that day is inside is not known"
    if window.latest < index_date and day == window.latest and not window.latest_known:
        return f"on the last day of the window ({window.description}): whether that day is inside is not known"
    return None


def _onset(record: Record, window: Window, index_date: date) -> tuple[Truth, str]:
    """An event's record, or a condition whose onset the criterion asks ("newly diagnosed"): the onset must fall in
    the window, whatever the record's status (a stroke of 2015 still marked active is no recent stroke)."""
    start = record.start
    if start is None:
        return Truth.UNKNOWN, "onset not recorded"
    if start > window.latest:
        return Truth.FALSE, f"began {start}, after {window.latest}"
    if window.earliest is not None and start < window.earliest:
        return Truth.FALSE, f"began {start}, before {window.earliest}"
    boundary = on_boundary(start, window, index_date)
    if boundary is not None:
        return Truth.UNKNOWN, f"began {start}, {boundary}"
    return Truth.TRUE, f"began {start}"


def _medication(record: Record, plan: PresencePlan, index_date: date) -> tuple[Truth, str]:
    """A medication by its span, and by its status: one never taken (a draft order, an intention) is no use; one
    whose status is unknown, or held at the index date, is not known to be taken where its span would say so."""
    status = (record.status or "").lower()
    if status in plan.not_taken_medication:
        return Truth.FALSE, f"status {status}: never taken"
    outcome, why = _span(record, plan, index_date)
    unsure = status in plan.unknown_medication or (plan.active_at_latest and status in plan.held_medication)
    if outcome is Truth.TRUE and unsure:
        return Truth.UNKNOWN, f"{why}; status {status}: whether it is taken is not known"
    return outcome, why


def _span(record: Record, plan: PresencePlan, index_date: date) -> tuple[Truth, str]:
    """The record's span (onset to abatement, or on while active) against the window or the index date."""
    start, end = record.start, record.end
    earliest = plan.window.earliest if plan.window is not None else None
    latest = plan.window.latest if plan.window is not None else index_date
    status = (record.status or "").lower()
    inactive = plan.inactive_medication if record.resource_type == "Medication" else plan.inactive_condition
    if start is not None and start > latest:
        return Truth.FALSE, f"began {start}, after {latest}"
    if start is not None and plan.window is not None and start == latest < index_date:
        boundary = on_boundary(start, plan.window, index_date)
        if boundary is not None:
            return Truth.UNKNOWN, f"began {start}, {boundary}"
    if plan.active_at_latest:
        if end is not None and end < latest:
            return Truth.FALSE, f"ended {end}"
        if end is not None and end == latest:
            # an end date on the day asked about ("currently taking"): taken that day or stopped before it is
            # not written, while a start on that day counts as taking: unsure, never "not taking"
            return Truth.UNKNOWN, f"ended {end}, the day asked about: whether it was still taken then is not known"
        if end is None and status in inactive:
            return Truth.FALSE, f"status {status}"
        return Truth.TRUE, f"active (since {start})" if start else "active (start date not recorded)"
    if end is not None and earliest is not None and end < earliest:
        return Truth.FALSE, f"ended {end}, before {earliest}"
    if end is not None and earliest is not None and end == earliest:
        boundary = on_boundary(end, plan.window, index_date)
        if boundary is not None:
            return Truth.UNKNOWN, f"ended {end}, {boundary}"
    if start is None and earliest is not None:
        if end is None and status not in inactive and latest == index_date:
            return Truth.TRUE, "active now (start date not recorded)"
        return Truth.UNKNOWN, "start date not recorded"
    if end is None and status in inactive and earliest is not None:
        return Truth.UNKNOWN, f"status {status} with no end date"
    return Truth.TRUE, f"from {start or '?'}" + (f" to {end}" if end else "")


def candidates(plan: PresencePlan, index: PatientIndex) -> tuple[list[Record], list[Record]]:
    """(records matching by code, records matching by text only), cached per patient and concept.

    Text is only compared within the record kinds the plan names: a procedure "screening test for diabetes" says
    nothing about having diabetes.
    """
    coded = index.concept_matches.get(plan.key)
    if coded is None:
        coded = index.coded(plan.codes) if plan.codes is not None else []
        members = [record for record, found in class_members(plan, index) if found.membership == "member"]
        if members:
            unique = {id(record): record for record in (*coded, *members)}
            coded = sorted(unique.values(), key=lambda r: (r.resource_type, r.id))
        index.concept_matches[plan.key] = coded
    text_key = (plan.key, plan.category)
    texts = index.text_matches.get(text_key)
    if texts is None:
        texts = []
        if plan.text_pattern is not None:
            pattern = plan.text_pattern
            coded_ids = {id(record) for record in coded}
            for kind in plan.text_kinds:
                if plan.codes is not None and not plan.codes.may_name(index.words(kind)):
                    continue
                texts.extend(
                    record
                    for record, lower in index.texts(kind)
                    if id(record) not in coded_ids and pattern.search(lower)
                )
        if plan.past_form_codes is not None:
            # "active tuberculosis" and a record of latent tuberculosis (Z22.7): unsure, as a text-only match is
            coded_ids = {id(record) for record in coded}
            known = {id(record) for record in texts}
            texts.extend(r for r in index.coded(plan.past_form_codes) if id(r) not in coded_ids and id(r) not in known)
        # a drug of the concept's class in some uses only, or named with a word that doubts its use: unsure
        known = {id(record) for record in (*coded, *texts)}
        unsure = (r for r, found in class_members(plan, index) if found.membership == "possible")
        texts.extend(r for r in unsure if id(r) not in known)
        index.text_matches[text_key] = texts
    return coded, texts


def class_members(plan: PresencePlan, index: PatientIndex) -> list[tuple[Record, ClassMatch]]:
    """The medication records that are (or may be) drugs of the concept's class (``drug_classes.tsv``), whatever the
    concept's category: a record of gemcitabine is chemotherapy, a procedure concept."""
    drugs = drug_class(plan.concept) if plan.concept is not None else None
    if drugs is None:
        return []
    medications = (record for record in index.records if record.resource_type == "Medication")
    found = ((record, drugs.match(record.codes, record.text)) for record in medications)
    return [(record, match) for record, match in found if match is not None]


def matches(plan: PresencePlan, index: PatientIndex, index_date: date) -> tuple[list[Match], list[Match]]:
    """(coded matches with their timing, text-only matches not ruled out by their timing: UNKNOWN).

    With the terminology (``plan.term_id``), a record whose ids lie under the concept's is coded when the ids come
    from a code or from a display text they name whole, text-only otherwise; one naming only a broader concept is
    text-only. For a ``broader`` criterion ("pontine glioma" read as Glioma) no record makes the leaf TRUE.
    """
    coded_records, text_records = candidates(plan, index)
    notes = {id(record): f"; {found.why}" for record, found in class_members(plan, index)}
    if plan.term_id is not None:
        coded_records, text_records = _with_terms(plan, index, coded_records, text_records, notes)
    matched: list[Match] = []
    for record in coded_records:
        verification = (record.verification or "").lower()
        if verification in plan.ignored_verification:
            continue
        outcome, why = timing(record, plan, index_date)
        why += notes.get(id(record), "")
        if outcome is Truth.TRUE and verification in plan.unconfirmed_verification:
            outcome, why = Truth.UNKNOWN, f"{why}; diagnosis {verification}"
        if outcome is Truth.TRUE and plan.new_unstated is not None:
            new = plan.new_unstated.replace("_", " ")
            outcome, why = Truth.UNKNOWN, f"{why}; {new!r} with no time stated: whether this record is new needs review"
        if outcome is Truth.TRUE and plan.broader:
            narrower = " ".join(plan.narrower_words) or "more"
            outcome, why = Truth.UNKNOWN, f"{why}; the criterion says {narrower!r}, narrower than the record"
        matched.append((outcome, record, why))
    matched = disagreeing_records(plan, matched)
    text_matches: list[Match] = []
    past = {id(r) for r in index.coded(plan.past_form_codes)} if plan.past_form_codes is not None else set()
    for record in text_records:
        if (record.verification or "").lower() in plan.ignored_verification:
            continue
        outcome, why = timing(record, plan, index_date)
        if id(record) in past:
            notes.setdefault(id(record), "; coded as a past, latent or inactive form, not the condition now")
        if outcome is not Truth.FALSE:
            text_matches.append((Truth.UNKNOWN, record, f"{why}; {notes.get(id(record), '; text-only match')[2:]}"))
    return matched, text_matches


def ended_record(record: Record, plan: PresencePlan) -> bool:
    """A record that says its episode ended, or never was: a condition with an end date or an inactive status; a
    medication with an end date or a status that stopped it, completed it or withdrew it (``ending_medication``:
    not a draft or an intention, which plan an episode and never contradict one)."""
    status = (record.status or "").lower()
    if record.resource_type == "Medication":
        return record.end is not None or status in plan.ending_medication
    return record.resource_type == "Condition" and (record.end is not None or status in plan.inactive_condition)


def disagreeing_records(plan: PresencePlan, matched: list[Match]) -> list[Match]:
    """Two records of one condition or one drug with the same onset, one in time (active) and one that ended
    (resolved, abated, stopped, entered in error, or an end date out of time): they describe one episode and
    disagree on whether it goes on, so the one in time is unsure (UNKNOWN, for review), not present. A record of
    another onset (a recurrence, a new course) is no disagreement; nor is a record of another kind."""
    kinds = episode_kinds(plan)
    ended = {
        (record.resource_type, record.start)
        for outcome, record, _ in matched
        if outcome is Truth.FALSE
        and record.start is not None
        and record.resource_type in kinds
        and ended_record(record, plan)
    }
    if not ended:
        return matched
    return [
        (
            Truth.UNKNOWN,
            record,
            f"{why}; another record of it with the same onset ({record.start}) has ended: the records disagree",
        )
        if outcome is Truth.TRUE and (record.resource_type, record.start) in ended
        else (outcome, record, why)
        for outcome, record, why in matched
    ]


def episode_kinds(plan: PresencePlan) -> tuple[str, ...]:
    """The record kinds whose records of one episode are compared (``disagreeing_records``): conditions for a
    concept of the condition list; medications for a drug, for a concept a drug of its class shows (chemotherapy:
    gemcitabine) and for one a medication shows too (``also_complete``). The SQL engines compare the same kinds."""
    kinds: tuple[str, ...] = ("Condition",) if plan.record_list == "condition" else ()
    drugs = plan.record_list == "medication" or plan.also_complete == "medications_complete"
    if drugs or (plan.concept is not None and drug_class(plan.concept) is not None):
        kinds += ("Medication",)
    return kinds


def _with_terms(
    plan: PresencePlan, index: PatientIndex, coded: list[Record], texts: list[Record], notes: dict[int, str]
) -> tuple[list[Record], list[Record]]:
    """The coded and text-only records with those the terminology adds; ``notes`` gets how each added one matched."""
    assert plan.term_id is not None
    found = index.term_candidates(plan.term_id, plan.text_kinds)
    if not found.meets and not found.broader:
        return coded, texts
    in_coded = {id(record) for record in coded}
    in_texts = {id(record) for record in texts}
    # a record of a drug of the concept's class is judged by the class table, which knows its doubting words (a
    # topical cream of hydrocortisone is not corticosteroid therapy, though its display names the drug whole)
    judged = {id(record) for record, _ in class_members(plan, index)}
    coded, texts = list(coded), list(texts)
    for record, terms in found.meets:
        if id(record) in judged:
            if terms.display is not None:
                notes[id(record)] = f"{notes.get(id(record), '')}; {terms.display.describe()}"
            continue
        if id(record) in in_coded:
            continue
        if terms.display is not None:
            unmatched = f" (not matched: {' '.join(terms.display.unmatched)})" if terms.display.unmatched else ""
            notes[id(record)] = f"; {terms.display.describe()}{unmatched}"
        if terms.exact or _past_for_history(plan, terms.display):
            coded.append(record)
            in_coded.add(id(record))
            if id(record) in in_texts:
                texts = [r for r in texts if r is not record]
        elif id(record) not in in_texts:
            texts.append(record)
            in_texts.add(id(record))
    for record, terms in found.broader:
        if id(record) not in in_coded and id(record) not in in_texts:
            notes[id(record)] = f"; the record names only a broader concept ({', '.join(terms.specific)})"
            texts.append(record)
    coded.sort(key=lambda r: (r.resource_type, r.id))
    return coded, texts


def _past_for_history(plan: PresencePlan, display: DisplayMatch | None) -> bool:
    """A display naming the concept whole with a past cue ("History of myocardial infarction") meets a criterion
    asking for any record up to the index date ("history of myocardial infarction"), as a past code does."""
    return (
        plan.historical
        and plan.window is None
        and display is not None
        and display.cue is not None
        and display.cue.kind == "past"
        and set(display.unmatched) <= set(display.cue.cue.split())  # no word left but the cue's own
    )


def _describe(items: list[Match]) -> str:
    return "; ".join(f"{r.resource_type} {r.id} {r.text!r}: {why}" for _, r, why in items)


def eval_presence(node: Node, index: PatientIndex, ctx: EvaluationContext) -> TraceNode:
    plan = plan_for(node, ctx)
    if isinstance(plan, Review):
        return review_trace(node, plan)
    assert isinstance(plan, PresencePlan)
    patient = index.patient
    if plan.patient_flag is not None:
        flag = getattr(patient, plan.patient_flag)
        contradiction = _contradicted_flag(node, plan, index, ctx) if flag is False else None
        if contradiction is not None:
            return contradiction
        if flag is not None:
            outcome = Truth.of(flag)
            return trace(
                node,
                outcome,
                f"{plan.concept} recorded as {'yes' if flag else 'no'} on the patient; present is {outcome.value}",
                evidence=(
                    evidence_item(resource_type="Patient", resource_id=patient.id, text=f"{plan.concept}: {flag}"),
                ),
            )
    matched, text_matches = matches(plan, index, ctx.index_date)
    evidence = tuple(record.evidence() for _, record, _ in matched + text_matches)
    found = _found(node, plan, matched, text_matches, evidence)
    if found is not None:
        return found
    if plan.not_applicable_to is not None and patient.sex == plan.not_applicable_to:
        return trace(
            node,
            Truth.FALSE,
            f"{plan.name}: not applicable to a {patient.sex} patient",
            evidence=(evidence_item(resource_type="Patient", resource_id=patient.id, text=f"sex {patient.sex}"),),
        )
    absent = _absent(node, plan, index, matched, evidence, ctx.index_date)
    if absent.outcome is Truth.FALSE and plan.measured is not None:
        return _measured_instead(node, plan, plan.measured, index, ctx) or absent
    return absent


def measured_missing(plan: PresencePlan, measured: MeasurementPlan) -> str:
    """The datum that would decide a condition no record shows while a value meets its definition."""
    return f"{plan.name}: confirm (a recorded {variable_name(measured.variable)} meets its definition)"


def _measured_instead(
    node: Node, plan: PresencePlan, measured: MeasurementPlan, index: PatientIndex, ctx: EvaluationContext
) -> TraceNode | None:
    """A condition a measurement defines, absent from a complete record list, while the most recent value meets
    the definition ("no fever", a temperature of 38.9 °C): the record shows what the list does not, so UNKNOWN."""
    from criteria_nlp.evaluate.measurements import measured as measured_trace
    from criteria_nlp.evaluate.measurements import select

    selection = select(measured.variable, measured.lookback, index)
    read = measured_trace(node, measured, selection, ctx, measured.tests)
    if read.outcome is not Truth.TRUE:
        return None
    return trace(
        node,
        Truth.UNKNOWN,
        f"no record of {plan.name}{_where(plan)} on a complete {plan.record_list} list, but {read.sentence}: "
        f"a value meeting its definition ({variable_name(measured.variable)} {measured.threshold}): needs review",
        evidence=read.evidence,
        conversions=read.conversions,
        missing=(measured_missing(plan, measured),),
    )


def _contradicted_flag(node: Node, plan: PresencePlan, index: PatientIndex, ctx: EvaluationContext) -> TraceNode | None:
    """A "not pregnant" flag while a coded record says pregnant at the index date: the data disagree, unknown."""
    matched, _ = matches(plan, index, ctx.index_date)
    contradicting: list[Match] = [item for item in matched if item[0] is Truth.TRUE]
    if not contradicting:
        return None
    return trace(
        node,
        Truth.UNKNOWN,
        f"{plan.concept} recorded as no on the patient, but {_describe(contradicting)}: the data disagree, "
        "needs review",
        evidence=tuple(record.evidence() for _, record, _ in contradicting),
        missing=(f"{plan.concept}: confirm (the patient flag and a coded record disagree)",),
    )


def _where(plan: PresencePlan) -> str:
    if plan.window is not None:
        return f" {plan.window.description}"
    return " before the index date" if plan.historical else " at the index date"


def _found(
    node: Node, plan: PresencePlan, matched: list[Match], text_matches: list[Match], evidence: tuple[Evidence, ...]
) -> TraceNode | None:
    """TRUE on a coded record in time, UNKNOWN on an uncertain or text-only one, None when nothing matched."""
    assumed = plan.window is not None and plan.window.anchor_assumed
    true_matches = [m for m in matched if m[0] is Truth.TRUE]
    if true_matches:
        return trace(
            node,
            Truth.TRUE,
            f"{plan.name} present{_where(plan)}: {_describe(true_matches)}",
            evidence=evidence,
            assumed=assumed,
        )
    unsure = [m for m in matched if m[0] is Truth.UNKNOWN]
    if unsure or text_matches:
        kind = "text-only match, needs review" if not unsure else "matching record with uncertain timing or status"
        return trace(
            node,
            Truth.UNKNOWN,
            f"{plan.name}{_where(plan)}: {kind}: {_describe(unsure + text_matches)}",
            evidence=evidence,
            assumed=assumed,
            missing=(f"review: {plan.name} ({kind})",),
        )
    return None


def _unmapped(plan: PresencePlan, index: PatientIndex, index_date: date | None = None) -> tuple[Record, ...]:
    """For a concept only the terminology knows: the records of its kinds with no id, which could be it. For a
    medication concept (or one a drug of its class shows): the medication records that name no drug, those not out
    of time at ``index_date`` (all with None, as the SQL engines' per-record lookup asks)."""
    if plan.concept is not None or plan.term_id is None:
        return _unnamed_medications(plan, index, index_date)
    return index.term_candidates(plan.term_id, plan.text_kinds).unmapped


def _unnamed_medications(plan: PresencePlan, index: PatientIndex, index_date: date | None) -> tuple[Record, ...]:
    """Medication records with no text whose code neither the drug table nor the terminology knows (a clinical
    drug's RxNorm code, "855332", with no display): any of them could be the drug asked for, so even a complete
    medication list does not show it absent. A record naming another drug, by text or by a known code, does."""
    if plan.record_list != "medication" and plan.also_complete != "medications_complete":
        return ()
    known = known_drug_codes()
    # a class of drugs (chemotherapy) is shown absent only by drugs its table lists elsewhere (mitoxantrone has no row)
    classed = plan.concept is not None and drug_class(plan.concept) is not None
    unnamed = [
        record
        for record, terms in index.record_terms()
        if record.resource_type == "Medication"
        and not any(system == "rxnorm" and code.strip() in known for system, code in record.codes)
        and (not names_classed_drug(record.codes, record.text) if classed else not (record.text.strip() or terms.ids))
    ]
    if index_date is None:
        return tuple(unnamed)
    return tuple(record for record in unnamed if timing(record, plan, index_date)[0] is not Truth.FALSE)


def _records_named(records: tuple[Record, ...]) -> str:
    return "; ".join(_named(r) for r in records[:3]) + (" …" if len(records) > 3 else "")


def _named(record: Record) -> str:
    if record.text:
        return f"{record.resource_type} {record.id} {record.text!r}"
    codes = ", ".join(f"{system or '?'} {code}" for system, code in record.codes) or "no code"
    return f"{record.resource_type} {record.id} ({codes})"


def _absent(
    node: Node,
    plan: PresencePlan,
    index: PatientIndex,
    matched: list[Match],
    evidence: tuple[Evidence, ...],
    index_date: date,
) -> TraceNode:
    """No record in time: FALSE only when the record list is marked complete."""
    if plan.concept is None and plan.term_id is None:
        return trace(
            node,
            Truth.UNKNOWN,
            f"{plan.mention!r} is not a concept the lexicon knows, and no record mentions it: needs review",
            missing=(f"review: unknown concept {plan.mention!r}",),
        )
    unreadable = _unmapped(plan, index, index_date)
    if unreadable:
        return trace(
            node,
            Truth.UNKNOWN,
            f"no record of {plan.name} found, but the terminology cannot tell whether {_records_named(unreadable)} "
            + (
                "is one (no id in the concept's vocabulary): needs review"
                if plan.concept is None
                else "is one (no name, and a code no drug table knows; or a drug drug_classes.tsv does not class): "
                "needs review"
            ),
            evidence=tuple(record.evidence() for record in unreadable),
            missing=(f"review: {plan.name} (records the terminology cannot compare)",),
        )
    assumed = plan.window is not None and plan.window.anchor_assumed
    where = _where(plan)
    others = f" (matching records outside the time: {_describe(matched)})" if matched else ""
    also = plan.also_complete is None or getattr(index.patient, plan.also_complete)
    if getattr(index.patient, plan.complete_flag) and also and not plan.uncoded:
        return trace(
            node,
            Truth.FALSE,
            f"no record of {plan.name}{where}; the {plan.record_list} list is marked complete{others}",
            evidence=evidence,
            assumed=assumed,
        )
    return trace(
        node,
        Truth.UNKNOWN,
        f"no record of {plan.name}{where}, but "
        + (_UNCODED.format(plan.record_list) if plan.uncoded else f"the {plan.record_list} list is not marked complete")
        + others,
        evidence=evidence,
        assumed=assumed,
        missing=(f"{plan.name}{where} ({absence_unknown(plan)})",),
    )


_UNCODED = "no code of it exists for a record to carry, so even a complete {} list cannot show it absent"


def absence_unknown(plan: PresencePlan) -> str:
    """Why no record leaves the leaf unknown, as the missing data names it (the SQL engines give the same)."""
    return _UNCODED.format(plan.record_list) if plan.uncoded else f"{plan.record_list} list not known to be complete"

"""One criterion leaf's plan (:mod:`criteria_nlp.evaluate.plan`) as SQL: a state column per patient (0 FALSE, 1 TRUE,
2 and above: unknown, each code a reason of the Python engine), the truth read from it, the data that would decide
it (the ``missing`` of the Python trace, same words), and the aggregates it needs over the observations or records.

Scopes: ``obs`` rows are one patient's observations of the most recent day of a variable within the look-back
(``var_id``, ``day``, ``rn`` = 1 for the one the Python engine selects, ``value``, ``comparator``, the reference
range and the conversion slots of :mod:`~criteria_nlp.population.compile_lookups`); ``recs`` rows are conditions,
medications and procedures flattened as ``PatientIndex`` flattens them; the leaf columns see the patient ``p`` and
the aggregates ``m`` (observations) and ``r`` (records).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

from criteria_nlp.evaluate.measurements import aside_missing, window_missing
from criteria_nlp.evaluate.plan import (
    AgePlan,
    MeasurementPlan,
    Plan,
    PresencePlan,
    ReferencePlan,
    Review,
    SexPlan,
    Test,
)
from criteria_nlp.evaluate.presence import absence_unknown, episode_kinds, measured_missing
from criteria_nlp.evaluate.wording import missing_measurement, variable_name
from criteria_nlp.population.compile_lookups import Slots
from criteria_nlp.population.evidence import EvidenceSql
from criteria_nlp.population.sqlparts import COMPARATORS, age_test, day, num, test_outcome, text, truth_code

NULL_TRUTH = "CAST(NULL AS BOOLEAN)"

Missing = tuple[str, str, str]  # (condition, SQL string, dedup key: equal keys give equal strings)


@dataclass
class LeafSql:
    columns: list[tuple[str, str]] = field(default_factory=list)  # (name, SQL) in the leaves scope
    truth: str = NULL_TRUTH  # over those columns
    missing: list[Missing] = field(default_factory=list)
    obs_columns: list[tuple[str, str]] = field(default_factory=list)  # per observation row, computed once
    obs_aggregates: list[str] = field(default_factory=list)  # "AGG(...) AS name" over obs rows
    rec_columns: list[tuple[str, str]] = field(default_factory=list)  # per record row, computed once
    rec_aggregates: list[str] = field(default_factory=list)  # over recs rows
    evidence: EvidenceSql | None = None  # the record a measurement or age leaf read (only with evidence=True)


def _in_window(plan: MeasurementPlan | ReferencePlan) -> str:
    """The obs rows a leaf reads: the most recent day within the default look-back, and with the criterion's own
    window ("within 14 days before enrollment") only if that day is in it (as ``select`` with the window's start:
    the window never reaches before the default look-back, nor past the index date; see ``plan._lookback``)."""
    return f" AND day >= {day(plan.lookback.start)}" if plan.lookback.window is not None else ""


def state_truth(state: str) -> str:
    return f"(CASE WHEN {state} = 1 THEN TRUE WHEN {state} = 0 THEN FALSE ELSE NULL END)"


def constant(missing: tuple[str, ...]) -> LeafSql:
    """A leaf no patient data decides (unparsed, not computable, a plan sent to review)."""
    leaf = LeafSql()
    leaf.missing = [("TRUE", text(m), m) for m in missing if not m.startswith("review:")]
    return leaf


@dataclass
class LeafCompiler:
    slots: Slots
    index_date: date
    age_limit: float | None  # the lexicon's plausible maximum age
    variables: set[str] = field(default_factory=set)  # variables the observation scope must hold
    comparators: tuple[str, ...] = COMPARATORS  # the comparators the population's observations hold
    observed: dict[str, int] = field(default_factory=dict)  # variable -> number of its evidence aggregates
    # the earliest start of a measurement's own window: the obs rows hold the older days from it too (``latest``
    # marks the most recent day, which every other aggregate reads)
    window_start: date | None = None

    def compile(self, name: str, plan: Plan) -> LeafSql:
        if isinstance(plan, Review):
            return constant(plan.missing)
        if isinstance(plan, MeasurementPlan):
            return self.measurement(name, plan)
        if isinstance(plan, ReferencePlan):
            return self.reference(name, plan)
        if isinstance(plan, AgePlan):
            return self.age(name, plan)
        if isinstance(plan, SexPlan):
            same = f"(CASE WHEN p.sex = {text(plan.sex)} THEN 1 ELSE 0 END)"
            state = f"(CASE WHEN p.sex IN ('female', 'male') THEN {same} ELSE 2 END)"
            return LeafSql([(name, state)], state_truth(name), [(f"{name} = 2", text("sex"), "sex")])
        if isinstance(plan, PresencePlan):
            return self.presence(name, plan)
        raise TypeError(f"no SQL for plan {type(plan).__name__}")

    # --- measurements ---------------------------------------------------------------------------------------------

    def measurement(self, name: str, plan: MeasurementPlan) -> LeafSql:
        """``eval_measurement``: the tests in one unit together, else each test in its own unit (all must hold);
        every usable value of the selected day must agree (``measurements.disagreement``)."""
        self.variables.add(plan.variable)
        groups = [plan.tests] if len({t.unit for t in plan.tests}) <= 1 else [(t,) for t in plan.tests]
        leaf = LeafSql()
        truths = []
        first = missing_measurement(plan.variable, plan.loinc, plan.lookback.within())
        where = f"var_id = {text(plan.variable)} AND latest{_in_window(plan)}"
        windowed = plan.lookback.window is not None
        for number, tests in enumerate(groups):
            column = f"{name}_{number}"
            code = f"{column}_code"
            leaf.obs_columns.append((code, f"(CASE WHEN {where} THEN {self._code(plan, tests)} END)"))
            chosen, low, high = f"m.{column}_first", f"m.{column}_low", f"m.{column}_high"
            disagree = ""
            if windowed:
                # measurements.disagreement: an older value of the window deciding otherwise (3: no unit)
                disagree = self._window_codes(leaf, column, plan, self._code(plan, tests), chosen, (7, "<> 3"))
            leaf.obs_aggregates += [
                f"MAX(CASE WHEN rn = 1 THEN {code} END) AS {column}_first",
                f"MIN({code}) AS {column}_low",
                f"MAX({code}) AS {column}_high",
                f"MAX(CASE WHEN {where} THEN day END) AS {column}_day",
                f"MAX(CASE WHEN {where} AND aside_day >= day THEN 1 ELSE 0 END) AS {column}_aside",
            ]
            state = (
                f"(CASE WHEN {chosen} IS NULL THEN 2 WHEN m.{column}_aside = 1 THEN 6 WHEN {chosen} = 3 THEN 3 "
                f"WHEN {low} <> {high} THEN 4 {disagree}"
                f"WHEN {chosen} = 1 THEN 1 WHEN {chosen} = 0 THEN 0 ELSE 5 END)"
            )
            leaf.columns += [(column, state), (f"{column}_day", f"m.{column}_day")]
            truths.append(state_truth(column))
            target = tests[0].unit
            which = f"{variable_name(plan.variable)}: which value of "
            leaf.missing += [
                (f"{column} = 2", text(first), first),
                (f"{column} = 6", text(aside_missing(plan.variable)), aside_missing(plan.variable)),
                (f"{column} = 3", text(f"{first} in a unit convertible to {target}"), f"{first}>{target}"),
                (
                    f"{column} = 4",
                    f"({text(which)} || CAST({column}_day AS VARCHAR) || {text(' is right')})",
                    f"day:{plan.variable}",
                ),
                (f"{column} = 7", text(window_missing(plan)), window_missing(plan)),
            ]
        leaf.truth = "(" + " AND ".join(truths) + ")"
        leaf.missing = [(f"{leaf.truth} IS NULL AND {cond}", value, key) for cond, value, key in leaf.missing]
        target = groups[0][0].unit if groups[0] else None
        leaf.evidence = self._in_window(self._observed(plan.variable), plan)
        converted = self._converted(plan.variable, self.slots.unit(plan, target), leaf.evidence)
        leaf.evidence.fields.update(converted=converted, converted_unit=text(target) if target else "NULL")
        return leaf

    def _window_codes(
        self,
        leaf: LeafSql,
        column: str,
        plan: MeasurementPlan | ReferencePlan,
        code: str,
        chosen: str,
        branch: tuple[int, str],
    ) -> str:
        """The older values of a criterion's own window, each coded as ``code`` codes the selected one (the obs rows
        then hold the window's older days, from ``window_start``): ``branch`` is (the state, the test of the codes
        that count): the CASE branch giving that state when one that counts differs from the selected one, which
        decided (0 or 1)."""
        state, counts = branch
        if self.window_start is None or plan.lookback.start < self.window_start:
            self.window_start = plan.lookback.start
        earlier = f"{column}_wcode"
        older = f"var_id = {text(plan.variable)} AND NOT latest AND day >= {day(plan.lookback.start)}"
        leaf.obs_columns.append((earlier, f"(CASE WHEN {older} THEN {code} END)"))
        leaf.obs_aggregates += [
            f"MIN(CASE WHEN {earlier} {counts} THEN {earlier} END) AS {column}_wlow",
            f"MAX(CASE WHEN {earlier} {counts} THEN {earlier} END) AS {column}_whigh",
        ]
        return (
            f"WHEN {chosen} IN (0, 1) AND (m.{column}_wlow <> {chosen} OR m.{column}_whigh <> {chosen}) THEN {state} "
        )

    def _observed(self, variable: str) -> EvidenceSql:
        """The evidence of the observation the Python engine selects (``rn = 1``), as recorded."""
        number = self.observed.setdefault(variable, len(self.observed))
        where = f"var_id = {text(variable)} AND rn = 1"
        columns = {"value": "value", "comparator": "comparator", "unit": "unit", "date": "day"}
        columns |= {"reference_low": "reference_low", "reference_high": "reference_high"}
        aggregates = {f"ev{number}_{name}": f"MAX(CASE WHEN {where} THEN {sql} END)" for name, sql in columns.items()}
        fields = {name: f"m.ev{number}_{name}" for name in columns if not name.startswith("reference")}
        return EvidenceSql(f"m.ev{number}_date IS NOT NULL", fields, aggregates)

    def _converted(self, variable: str, slot: int, evidence: EvidenceSql) -> str:
        """The selected value in a conversion slot's unit (NULL when it does not convert)."""
        number = self.observed[variable]
        evidence.aggregates[f"ev{number}_cv{slot}"] = (
            f"MAX(CASE WHEN var_id = {text(variable)} AND rn = 1 THEN cv_{slot} END)"
        )
        return f"m.ev{number}_cv{slot}"

    def _code(self, plan: MeasurementPlan, tests: tuple[Test, ...]) -> str:
        """One observation against tests in one unit: 3 when its unit does not convert, else the truth code."""
        slot = self.slots.unit(plan, tests[0].unit if tests else None)
        value, seen = f"cv_{slot}", self.comparators
        outcome = " AND ".join(test_outcome(value, "comparator", t.operator, num(t.limit), seen) for t in tests)
        outcome = outcome or "TRUE"
        return f"(CASE WHEN NOT ok_{slot} THEN 3 ELSE {truth_code('(' + outcome + ')')} END)"

    def reference(self, name: str, plan: ReferencePlan) -> LeafSql:
        """``eval_reference_multiple`` on the selected observation: its own reference range, else the lexicon's
        default when assumed (converted to the default's unit), else unknown with the reason."""
        self.variables.add(plan.variable)
        own = "reference_high" if plan.reference == "ULN" else "reference_low"
        bound = f"({num(plan.factor)} * {own})"
        own_outcome = test_outcome("value", "comparator", plan.operator, bound, self.comparators)
        branches = [f"WHEN {own} IS NOT NULL THEN {truth_code(own_outcome)}"]
        if plan.default is None or plan.default_limit is None:
            branches.append("ELSE 4")
        elif "lexicon" not in plan.sources:
            branches.append("ELSE 5")
        else:
            slot = self.slots.unit(plan, plan.default_unit)
            limit = num(plan.factor * plan.default_limit)
            outcome = test_outcome(f"cv_{slot}", "comparator", plan.operator, limit, self.comparators)
            branches += [f"WHEN NOT ok_{slot} THEN 2", f"ELSE {truth_code(outcome)}"]
        code = "(CASE " + " ".join(branches) + " END)"
        where = f"var_id = {text(plan.variable)} AND rn = 1{_in_window(plan)}"
        aside = f"MAX(CASE WHEN {where} AND aside_day >= day THEN 1 ELSE 0 END) AS {name}_aside"
        # measurements._reference_same_day: the values of the selected day, each on its own range, must agree (8)
        day_of = f"var_id = {text(plan.variable)} AND latest{_in_window(plan)}"
        leaf = LeafSql(obs_aggregates=[f"MAX(CASE WHEN {where} THEN {code} END) AS {name}_ref", aside])
        leaf.obs_aggregates += [
            f"MIN(CASE WHEN {day_of} THEN {code} END) AS {name}_rlow",
            f"MAX(CASE WHEN {day_of} THEN {code} END) AS {name}_rhigh",
            f"MAX(CASE WHEN {day_of} THEN day END) AS {name}_day",
        ]
        chosen = f"m.{name}_ref"
        disagree = ""
        if plan.lookback.window is not None:
            # measurements._reference_window: an older value of the window deciding otherwise (9); those with no
            # reference range (4, 5) are passed over
            disagree = self._window_codes(leaf, name, plan, code, chosen, (9, "NOT IN (4, 5)"))
        state = (
            f"(CASE WHEN m.{name}_aside = 1 THEN 7 WHEN m.{name}_rlow <> m.{name}_rhigh THEN 8 {disagree}"
            f"ELSE COALESCE({chosen}, 6) END)"
        )
        leaf.columns = [(name, state), (f"{name}_day", f"m.{name}_day")]
        leaf.truth = state_truth(name)
        first = missing_measurement(plan.variable, plan.loinc, plan.lookback.within())
        ranges = f"{plan.reference} of {plan.variable} (reference range)"
        lab = f"{plan.reference} of {plan.variable} (the laboratory's reference range)"
        leaf.missing = [
            (f"{name} = 6", text(first), first),
            (f"{name} = 7", text(aside_missing(plan.variable)), aside_missing(plan.variable)),
            (f"{name} = 4", text(ranges), ranges),
            (f"{name} = 5", text(lab), lab),
            (
                f"{name} = 8",
                f"({text(f'{variable_name(plan.variable)}: which value of ')} || CAST({name}_day AS VARCHAR) || "
                f"{text(' is right')})",
                f"day:{plan.variable}",
            ),
            (f"{name} = 9", text(window_missing(plan)), window_missing(plan)),
        ]
        leaf.evidence = self._in_window(self._reference_evidence(plan), plan)
        return leaf

    def _in_window(self, evidence: EvidenceSql, plan: MeasurementPlan | ReferencePlan) -> EvidenceSql:
        """The selected observation is the leaf's evidence only when it lies in the criterion's window."""
        if plan.lookback.window is not None:
            evidence.condition += f" AND m.ev{self.observed[plan.variable]}_date >= {day(plan.lookback.start)}"
        return evidence

    def _reference_evidence(self, plan: ReferencePlan) -> EvidenceSql:
        """The range used: the observation's own (its value compared as recorded), else the lexicon's default
        when assumed (the value converted to the default's unit), else none."""
        evidence = self._observed(plan.variable)
        number = self.observed[plan.variable]
        own = f"m.ev{number}_reference_{'high' if plan.reference == 'ULN' else 'low'}"
        values = {
            "converted": evidence.fields["value"],
            "converted_unit": evidence.fields["unit"],
            "reference_low": f"m.ev{number}_reference_low",
            "reference_high": f"m.ev{number}_reference_high",
            "reference_source": text("observation"),
        }
        default = plan.default
        lexicon: dict[str, str] = {}
        if default is not None and plan.default_limit is not None and "lexicon" in plan.sources:
            slot = self.slots.unit(plan, plan.default_unit)
            lexicon = {
                "converted": self._converted(plan.variable, slot, evidence),
                "converted_unit": text(plan.default_unit) if plan.default_unit else "NULL",
                "reference_low": num(default.low) if default.low is not None else "NULL",
                "reference_high": num(default.high) if default.high is not None else "NULL",
                "reference_source": text("lexicon"),
            }
        for name, sql in values.items():
            otherwise = f" ELSE {lexicon[name]}" if lexicon else ""
            evidence.fields[name] = f"(CASE WHEN {own} IS NOT NULL THEN {sql}{otherwise} END)"
        return evidence

    # --- demographics ---------------------------------------------------------------------------------------------

    def _months(self, birth: str) -> str:
        on = self.index_date
        return (
            f"(({on.year} - YEAR({birth})) * 12 + ({on.month} - MONTH({birth})) "
            f"- (CASE WHEN {on.day} < DAY({birth}) THEN 1 ELSE 0 END))"
        )

    def _age_in(self, birth: str, unit: str) -> str:
        """``completed_age(birth, index date, unit)`` (never negative here: the birth is not after the index)."""
        if unit == "day":
            return f"DATE_DIFF('day', {birth}, {day(self.index_date)})"
        if unit == "week":
            return f"CAST(FLOOR(CAST(DATE_DIFF('day', {birth}, {day(self.index_date)}) AS DOUBLE) / 7) AS BIGINT)"
        months = self._months(birth)
        return months if unit == "month" else f"CAST(FLOOR(CAST({months} AS DOUBLE) / 12) AS BIGINT)"

    def _missing_anniversary(self, birth: str, unit: str) -> str:
        """``demographics.missing_anniversary`` as `` + 1`` on the higher age (a date recorded to the day only); the
        index date is known here, so only the birth's day and month are tested."""
        on = self.index_date
        last = calendar.monthrange(on.year, on.month)[1]
        if unit not in ("year", "month") or on.day != last:
            return ""
        test = f"DAY({birth}) > {last}" + (f" AND MONTH({birth}) = {on.month}" if unit == "year" else "")
        return f" + (CASE WHEN p.birth_date_precision IN ('year', 'month') THEN 0 WHEN {test} THEN 1 ELSE 0 END)"

    def age(self, name: str, plan: AgePlan) -> LeafSql:
        """``evaluate_age``: a birth date recorded as a year or a month makes the age an interval."""
        birth = "p.birth_date"
        latest = (
            f"(CASE WHEN p.birth_date_precision = 'year' THEN MAKE_DATE(YEAR({birth}), 12, 31) "
            f"WHEN p.birth_date_precision = 'month' THEN LAST_DAY({birth}) ELSE {birth} END)"
        )
        low = self._age_in(latest, plan.unit)
        high = f"({self._age_in(birth, plan.unit)}{self._missing_anniversary(birth, plan.unit)})"
        outcome = " AND ".join(age_test(low, high, t.operator, t.limit) for t in plan.tests) or "TRUE"
        implausible = ""
        if self.age_limit is not None:
            implausible = f"WHEN {self._age_in(birth, 'year')} > {num(self.age_limit)} THEN 4 "
        # an age interval the test cannot decide is unknown with nothing missing (code 5, not 2: "birth date")
        decided = f"(CASE WHEN ({outcome}) THEN 1 WHEN NOT ({outcome}) THEN 0 ELSE 5 END)"
        state = (
            f"(CASE WHEN {birth} IS NULL THEN 2 WHEN {latest} > {day(self.index_date)} THEN 3 {implausible}"
            f"ELSE {decided} END)"
        )
        missing = [(f"{name} = 2", text("birth date"), "birth date")]
        missing.append((f"{name} = 4", text("a plausible birth date"), "a plausible birth date"))
        # the trace shows the birth date only when the age was compared (not after the index, plausible)
        plausible = f" AND {self._age_in(birth, 'year')} <= {num(self.age_limit)}" if self.age_limit is not None else ""
        read = f"{birth} IS NOT NULL AND {latest} <= {day(self.index_date)}{plausible}"
        fields = {"date": birth, "converted_unit": text(plan.unit)}
        fields["converted"] = f"(CASE WHEN {low} = {high} THEN CAST({high} AS DOUBLE) END)"
        return LeafSql([(name, state)], state_truth(name), missing, evidence=EvidenceSql(read, fields))

    # --- presence -------------------------------------------------------------------------------------------------

    def _timing(self, plan: PresencePlan) -> str:
        """``presence.timing`` of a record: TRUE, FALSE or NULL (unknown)."""
        earliest = plan.window.earliest if plan.window is not None else None
        latest = plan.window.latest if plan.window is not None else self.index_date
        first, last = day(latest), day(earliest) if earliest is not None else None
        procedure = f"WHEN start_day IS NULL THEN NULL WHEN start_day > {first} THEN FALSE "
        # presence.on_boundary: a record dated on a window's boundary day is unknown, unless the wording said
        # whether that bound is inclusive (``Window.earliest_known`` / ``latest_known``)
        first_open = last is not None and not (plan.window is not None and plan.window.earliest_known)
        last_open = plan.window is not None and latest < self.index_date and not plan.window.latest_known
        edges = f"WHEN start_day = {last} THEN NULL " if first_open else ""
        if last_open:
            edges += f"WHEN start_day = {first} THEN NULL "
        if last is not None:
            procedure += f"WHEN start_day < {last} THEN FALSE "
        procedure += edges
        med, cond = _in("status_l", plan.inactive_medication), _in("status_l", plan.inactive_condition)
        inactive = f"(CASE WHEN rtype = 'Medication' THEN {med} ELSE {cond} END)"
        other = f"WHEN start_day IS NOT NULL AND start_day > {first} THEN FALSE "
        if last_open:
            other += f"WHEN start_day = {first} THEN NULL "
        if plan.active_at_latest:
            other += f"WHEN end_day IS NOT NULL AND end_day < {first} THEN FALSE WHEN end_day = {first} THEN NULL "
            other += f"WHEN end_day IS NULL AND {inactive} THEN FALSE ELSE TRUE"
        elif last is None:
            other += "ELSE TRUE"
        else:
            now = "TRUE" if latest == self.index_date else "FALSE"
            other += f"WHEN end_day IS NOT NULL AND end_day < {last} THEN FALSE "
            other += f"WHEN end_day = {last} THEN NULL " if first_open else ""
            undated = f"(CASE WHEN end_day IS NULL AND NOT {inactive} AND {now} THEN TRUE ELSE NULL END)"
            other += f"WHEN start_day IS NULL THEN {undated} "
            other += f"WHEN end_day IS NULL AND {inactive} THEN NULL ELSE TRUE"
        span = f"(CASE {other} END)"
        read = span
        if plan.window is not None and plan.window_reads != "span":
            # presence._onset: an event's onset must fall in the window; "either": only where both readings agree
            onset = f"(CASE WHEN start_day IS NULL THEN NULL WHEN start_day > {first} THEN FALSE "
            onset += f"WHEN start_day < {last} THEN FALSE " if last is not None else ""
            onset += f"{edges}ELSE TRUE END)"
            read = onset if plan.window_reads == "onset" else f"(CASE WHEN {span} = {onset} THEN {span} END)"
        # presence._medication: never taken is no use; an unknown (or, at the index date, held) status is unsure
        unsure = _in(
            "status_l", plan.unknown_medication | (plan.held_medication if plan.active_at_latest else frozenset())
        )
        medication = (
            f"(CASE WHEN {_in('status_l', plan.not_taken_medication)} THEN FALSE "
            f"WHEN {span} AND {unsure} THEN NULL ELSE {span} END)"
        )
        return (
            f"(CASE WHEN rtype = 'Procedure' THEN (CASE {procedure}ELSE TRUE END) "
            f"WHEN rtype = 'Medication' THEN {medication} ELSE {read} END)"
        )

    def presence(self, name: str, plan: PresencePlan) -> LeafSql:
        """``eval_presence``: the patient flag, coded records in time, uncertain or text-only matches (unknown), a
        sex the concept does not apply to, then absence (FALSE only when the record list is complete)."""
        slot = self.slots.record(plan)
        coded, named = f"rc_{slot} = 1", f"rc_{slot} = 2"
        timing = f"{name}_tm"
        ignored, unconfirmed = _in("verif_l", plan.ignored_verification), _in("verif_l", plan.unconfirmed_verification)
        kept = f"{coded} AND NOT {ignored}"
        # a broader criterion ("pontine glioma" read as Glioma): a coded record in time is only unsure
        in_time = "FALSE" if plan.broader else f"{timing} AND NOT {unconfirmed}"
        doubtful = f"{timing} IS NULL OR " + (timing if plan.broader else f"({timing} AND {unconfirmed})")
        leaf = LeafSql(rec_columns=[(timing, self._timing(plan))])
        kinds = episode_kinds(plan)
        if kinds:
            # presence.disagreeing_records: a record in time whose episode (same kind, same onset: one condition,
            # one drug's course) another record says ended
            cond, med = _in("status_l", plan.inactive_condition), _in("status_l", plan.ending_medication)
            ending = f"(CASE WHEN rtype = 'Medication' THEN {med} ELSE {cond} END)"
            ended = (
                f"{_in('rtype', frozenset(kinds))} AND {kept} AND start_day IS NOT NULL "
                f"AND (end_day IS NOT NULL OR {ending}) AND ({self._timing(plan)}) = FALSE"
            )
            over = "OVER (PARTITION BY patient_id, rtype, start_day)"
            disagreed = f"{name}_dr"
            leaf.rec_columns.append((disagreed, f"MAX(CASE WHEN {ended} THEN 1 ELSE 0 END) {over}"))
            contested = f"(start_day IS NOT NULL AND {disagreed} = 1)"
            doubtful += f" OR ({in_time} AND {contested})"
            in_time = f"{in_time} AND NOT {contested}"
        unnamed = plan.record_list == "medication" or plan.also_complete == "medications_complete"
        leaf.rec_aggregates = [
            f"MAX(CASE WHEN {kept} AND {in_time} THEN 1 ELSE 0 END) AS {name}_ct",
            f"MAX(CASE WHEN {kept} AND ({doubtful}) THEN 1 ELSE 0 END) AS {name}_cu",
            f"MAX(CASE WHEN {named} AND NOT {ignored} AND COALESCE({timing}, TRUE) THEN 1 ELSE 0 END) AS {name}_tx",
        ]
        if plan.concept is None and plan.term_id is not None:
            leaf.rec_aggregates.append(f"MAX(CASE WHEN ru_{slot} THEN 1 ELSE 0 END) AS {name}_un")
        elif unnamed:  # presence._unnamed_medications: an unnamed coded medication not out of time
            leaf.rec_aggregates.append(
                f"MAX(CASE WHEN ru_{slot} AND COALESCE({timing}, TRUE) THEN 1 ELSE 0 END) AS {name}_un"
            )
        true, unsure, texts = (f"COALESCE(r.{name}_{part}, 0) = 1" for part in ("ct", "cu", "tx"))
        branches = []
        if plan.patient_flag is not None:
            flag = f"p.{plan.patient_flag}"
            branches += [
                f"WHEN {flag} = FALSE AND {true} THEN 3",
                f"WHEN {flag} IS NOT NULL THEN (CASE WHEN {flag} THEN 1 ELSE 0 END)",
            ]
        branches += [f"WHEN {true} THEN 1", f"WHEN {unsure} OR {texts} THEN 2"]
        if plan.not_applicable_to is not None:
            branches.append(f"WHEN p.sex = {text(plan.not_applicable_to)} THEN 0")
        if plan.concept is None and plan.term_id is None:
            branches.append("ELSE 2")
        else:
            if plan.concept is None or unnamed:  # records the terminology cannot compare: absence stays unknown
                branches.append(f"WHEN COALESCE(r.{name}_un, 0) = 1 THEN 2")
            complete = "FALSE" if plan.uncoded else f"COALESCE(p.{plan.complete_flag}, FALSE)"
            if plan.also_complete is not None and not plan.uncoded:
                complete += f" AND COALESCE(p.{plan.also_complete}, FALSE)"
            if plan.measured is not None:  # presence._measured_instead: a value meeting the definition
                measured = self.measurement(f"{name}_d", plan.measured)
                leaf.obs_columns += measured.obs_columns
                leaf.obs_aggregates += measured.obs_aggregates
                branches.append(f"WHEN {complete} AND {measured.columns[0][1]} = 1 THEN 5")
            branches.append(f"WHEN {complete} THEN 0 ELSE 4")
        leaf.columns = [(name, "(CASE " + " ".join(branches) + " END)")]
        leaf.truth = state_truth(name)
        where = (
            f" {plan.window.description}"
            if plan.window is not None
            else (" before the index date" if plan.historical else " at the index date")
        )
        disagree = f"{plan.concept}: confirm (the patient flag and a coded record disagree)"
        absent = f"{plan.name}{where} ({absence_unknown(plan)})"
        leaf.missing = [(f"{name} = 3", text(disagree), disagree), (f"{name} = 4", text(absent), absent)]
        if plan.measured is not None:
            confirm = measured_missing(plan, plan.measured)
            leaf.missing.append((f"{name} = 5", text(confirm), confirm))
        return leaf


def _in(column: str, values: frozenset[str]) -> str:
    if not values:
        return "FALSE"
    return f"({column} IN ({', '.join(text(v) for v in sorted(values))}))"

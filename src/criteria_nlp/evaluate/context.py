"""What an evaluation is relative to (index date, look-back, lexicon), with the caches one screening run shares."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from criteria_nlp.errors import CriteriaEvaluationError, CriteriaSemanticError
from criteria_nlp.evaluate.dates import months_before, parse_index_date
from criteria_nlp.evaluate.plan import WORD, CodeSet, Conversion, Plan
from criteria_nlp.evaluate.wording import fmt
from criteria_nlp.explain.trace import TraceNode
from criteria_nlp.ir import Node
from criteria_nlp.knowledge.codes import icd10_range
from criteria_nlp.knowledge.lexicon import Concept, Lexicon, Variable, load_lexicon


@dataclass
class EvaluationContext:
    """What an evaluation is relative to: the index date, the look-back for measurements, the lexicon.

    ``index_date`` defaults to today. One context caches plans, conversion factors and concept code sets; reuse it.
    ``assume_default_ranges``: a "k × ULN" threshold may use the lexicon's default reference range when the
    observation has none (marked assumed); off by default, such a threshold is then unknown.
    ``keep_fixed_traces``: make each trace that no patient data can change once, for every patient evaluated in this
    context (see :attr:`fixed`).
    """

    index_date: date = field(default_factory=date.today)
    lookback_months: int = 12
    lexicon: Lexicon = field(default_factory=load_lexicon)
    assume_default_ranges: bool = False
    plans: dict[int, tuple[Node, Plan]] = field(default_factory=dict, repr=False)
    _conversions: dict[tuple[str, str, float | None, str | None], Conversion | str] = field(
        default_factory=dict, repr=False
    )
    _concepts: dict[str, CodeSet] = field(default_factory=dict, repr=False)
    _units: dict[str, str | None] = field(default_factory=dict, repr=False)
    keep_fixed_traces: bool = False
    fixed: dict[int, tuple[Node, TraceNode | None]] = field(default_factory=dict, repr=False)
    """With ``keep_fixed_traces`` (for a context that serves many patients), per node (kept, so that its id is not
    reused): its trace when no patient data can change it (an unparsed or not-computable leaf, a leaf its plan sends
    to review, a container of such nodes), else None. Off for one patient: keeping them costs more than it saves."""

    def __post_init__(self) -> None:
        if isinstance(self.index_date, datetime):
            self.index_date = self.index_date.date()
        elif isinstance(self.index_date, str):
            self.index_date = parse_index_date(self.index_date)
        if self.lookback_months < 0:
            raise CriteriaEvaluationError(f"lookback_months must not be negative, got {self.lookback_months}")
        self.lookback_start = months_before(self.index_date, self.lookback_months)

    def conversion(self, source: str, target: str, variable: Variable | None) -> Conversion | str:
        """The conversion between two normalised units for a variable, or the reason the units do not convert.

        Conversions are affine, so two points determine them; caching the pair keeps pint out of the per-patient
        loop.
        """
        molar_mass = variable.molar_mass if variable is not None else None
        analyte = variable.id if variable is not None else None
        key = (source, target, molar_mass, analyte)
        cached = self._conversions.get(key)
        if cached is not None:
            return cached
        from criteria_nlp.knowledge.units import convert

        try:
            one = convert(1.0, source, target, molar_mass=molar_mass, analyte=analyte)
            two = convert(2.0, source, target, molar_mass=molar_mass, analyte=analyte).value
        except CriteriaSemanticError as error:
            result: Conversion | str = f"{source} cannot be converted to {target}: {error.message}"
        else:
            slope = two - one.value
            steps = " ".join(one.steps)
            note = ""
            if "HbA1c" in steps:
                note = " (HbA1c: IFCC mmol/mol = 10.929 × (NGSP % − 2.15))"
            elif "g/mol" in steps and molar_mass is not None:
                note = f" (molar mass {fmt(molar_mass)} g/mol)"
            elif "valence" in steps:
                note = " (ion valence)"
            result = Conversion(source, target, slope, one.value - slope, note)
        self._conversions[key] = result
        return result

    def normalized_unit(self, unit: str) -> str | None:
        if unit not in self._units:
            from criteria_nlp.knowledge.units import normalize_unit

            try:
                self._units[unit] = normalize_unit(unit)
            except CriteriaSemanticError:
                self._units[unit] = None
        return self._units[unit]

    def concept_codes(self, concept: Concept) -> CodeSet:
        cached = self._concepts.get(concept.id)
        if cached is None:
            words = sorted(
                {s.lower() for s in (concept.name, *concept.synonyms) if len(s) >= 4},
                key=len,
                reverse=True,
            )
            pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b") if words else None
            cached = CodeSet(
                frozenset(concept.snomed),
                tuple(icd10_range(c) for c in concept.icd10),
                pattern,
                tuple(frozenset(WORD.findall(w)) for w in words),
            )
            self._concepts[concept.id] = cached
        return cached

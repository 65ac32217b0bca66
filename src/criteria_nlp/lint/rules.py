"""The protocol linter: is this criteria text machine-readable, and what is wrong with it?

:func:`lint` takes a parsed :class:`~criteria_nlp.ir.CriteriaDocument` and returns a :class:`LintReport`: findings
(each with a stable rule id from :data:`RULES`, a severity, the span in the document, a message and, where possible,
a suggested rewrite), a status per criterion and a machine-readability score with its breakdown.

The linter only reads the IR, the criterion text and the lexicon; it never re-parses. Its rules fall into four
categories:

* **ambiguity** (``A…``): a threshold without a unit, a group term whose meaning is open, "normal" without a stated
  reference, conditional thresholds, vague qualifiers, misspelt terms, unknown units;
* **logic** (``L…``): an inclusion that requires an abnormal value, a condition excluded twice, criteria that
  contradict each other, empty, overlapping or reversed ranges, criteria no patient data can decide;
* **units** (``U…``): a unit that cannot apply to its variable;
* **not understood** (``N…``): the exact spans the parser did not understand, and why.

Score
-----
Each criterion that patient data could decide earns points by its parse status (computable 1, partial 0.5, not
computable 0) minus a penalty for the worst ambiguity/logic/unit finding on it (error 0.5, warning 0.25, floored
at 0). The score is ``100 * points / decidable criteria``. Criteria that no patient data could decide (consent,
willingness, administrative) are counted separately and left out of the score; a document without any decidable
criterion scores 0.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.ir import (
    NEGATED_OPERATOR,
    Any_,
    Comparison,
    Conditional,
    CriteriaDocument,
    Criterion,
    Demographic,
    Diagnostic,
    Node,
    NotComputable,
    Operator,
    Presence,
    Range,
    ReferenceMultiple,
    Section,
    Span,
    Unparsed,
    VariableRef,
    kind_of,
    walk,
)
from criteria_nlp.ir.interval import Interval, complement, operator_interval
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon

Severity = Literal["error", "warning", "info"]
Category = Literal["ambiguity", "logic", "units", "not-understood"]
LintStatus = Literal["computable", "partial", "not_computable", "not_decidable"]

SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
STATUS_POINTS: dict[str, float] = {"computable": 1.0, "partial": 0.5, "not_computable": 0.0}
PENALTY: dict[str, float] = {"error": 0.5, "warning": 0.25, "info": 0.0}
PENALISED_CATEGORIES: frozenset[str] = frozenset({"ambiguity", "logic", "units"})


# --- the rule registry ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One lint rule: ``id`` is stable ("A001"), ``name`` a kebab-case handle ("unit-missing")."""

    id: str
    name: str
    category: Category
    severity: Severity
    description: str
    example: str
    fix: str | None = None

    @property
    def label(self) -> str:
        return f"{self.id} {self.name}"


RULES: tuple[Rule, ...] = (
    Rule(
        "A001",
        "unit-missing",
        "ambiguity",
        "warning",
        "A threshold has no unit although its variable is measured in one.",
        "Hemoglobin ≥ 9",
        "Hemoglobin ≥ 9 g/dL",
    ),
    Rule(
        "A002",
        "group-term",
        "ambiguity",
        "warning",
        "A group term stands for several variables and leaves open whether all of them or any one must meet the "
        'threshold ("transaminase" = ALT and/or AST).',
        "Transaminases ≤ 2.5 × ULN",
        "ALT ≤ 2.5 × ULN and AST ≤ 2.5 × ULN",
    ),
    Rule(
        "A003",
        "normal-without-reference",
        "ambiguity",
        "warning",
        '"Normal" or "abnormal" without a stated reference range or numeric limit.',
        "Normal renal function",
        "Serum creatinine ≤ 1.5 × ULN (institutional reference range)",
    ),
    Rule(
        "A004",
        "conditional-threshold",
        "ambiguity",
        "warning",
        'A threshold that depends on a condition ("if", "unless", "for patients with"): a screening system '
        "needs the condition recorded, and the parser may not have captured it.",
        "ALT ≤ 2.5 × ULN (≤ 5 × ULN if liver metastases are present)",
        "Split into one criterion per case, each stating its condition.",
    ),
    Rule(
        "A005",
        "vague-qualifier",
        "ambiguity",
        "warning",
        "A vague qualifier (severe, serious, significant, uncontrolled, adequate...) without a definition.",
        "Severe renal impairment",
        "Creatinine clearance < 30 mL/min (Cockcroft-Gault)",
    ),
    Rule(
        "A006",
        "misspelling",
        "ambiguity",
        "warning",
        "A misspelt clinical term or qualifier; the suggestion is the lexicon's spelling.",
        "acute sever hepatitis",
        "acute severe hepatitis",
    ),
    Rule(
        "A007",
        "unit-unknown",
        "ambiguity",
        "warning",
        "A unit that is not known or is misspelt; the threshold was read without it.",
        "Serum creatinine ≤ 1.5 mgs/dL",
        "Serum creatinine ≤ 1.5 mg/dL",
    ),
    Rule(
        "L001",
        "inclusion-requires-abnormal",
        "logic",
        "error",
        "An inclusion criterion requires an organ-function test above a multiple of the upper limit of normal (or "
        "below the lower limit): patients are admitted only if the value is abnormal, where exclusion is the usual "
        "intent.",
        "Inclusion: ALT > 2 × ULN",
        'Inclusion: ALT ≤ 2 × ULN (or move "ALT > 2 × ULN" to the exclusion criteria)',
    ),
    Rule(
        "L002",
        "exclusion-removes-normal",
        "logic",
        "error",
        "An exclusion criterion removes patients whose organ-function test is within a multiple of the normal "
        "limits, where inclusion is the usual intent.",
        "Exclusion: total bilirubin ≤ 1.5 × ULN",
        "Exclusion: total bilirubin > 1.5 × ULN",
    ),
    Rule(
        "L003",
        "redundant-exclusion",
        "logic",
        "warning",
        "The same condition is required absent in an inclusion criterion and listed again in an exclusion criterion.",
        "Inclusion: No serious infection / Exclusion: SLE with severe infection",
        "State the condition once, as an exclusion criterion, with one qualifier.",
    ),
    Rule(
        "L004",
        "contradictory-criteria",
        "logic",
        "error",
        "Two criteria contradict each other: no patient can meet the inclusion criteria without being excluded (or "
        "two inclusion criteria admit no common value).",
        "Inclusion: Age 14 to 60 years / Exclusion: Age > 12 years",
    ),
    Rule(
        "L005",
        "empty-range",
        "logic",
        "error",
        "A range or a conjunction of thresholds on one variable that no value can meet.",
        "Hemoglobin > 10 g/dL and < 8 g/dL",
    ),
    Rule(
        "L006",
        "overlapping-ranges",
        "logic",
        "warning",
        "Bounds on one variable that overlap: alternatives that overlap, or two inclusion criteria that set the "
        "same bound differently.",
        "Inclusion: Age ≥ 18 years / Inclusion: Age ≥ 21 years",
    ),
    Rule(
        "L007",
        "range-reversed",
        "logic",
        "warning",
        "A range written from the high to the low end; it was read as the interval between them.",
        "Age 60 to 14 years",
        "Age 14 to 60 years",
    ),
    Rule(
        "L008",
        "not-decidable",
        "logic",
        "info",
        "A criterion that no patient data can decide (consent, willingness, administrative, judgement); counted "
        "separately in the score, not as an error.",
        "Willingness to sign a written informed consent document",
    ),
    Rule(
        "U001",
        "unit-dimension",
        "units",
        "error",
        "A threshold whose unit cannot apply to its variable (dimension mismatch); the expected units are listed.",
        "HbA1c < 7 mg",
        "HbA1c < 7 %",
    ),
    Rule(
        "N001",
        "unknown-term",
        "not-understood",
        "warning",
        "Words the parser did not understand inside an otherwise understood criterion (unknown term).",
        "Patients with allergic constitution",
    ),
    Rule(
        "N002",
        "criterion-not-understood",
        "not-understood",
        "warning",
        "A criterion of which no variable, threshold or condition was recognised.",
        "At least one measurable lesion per RECIST v1.1",
    ),
    Rule(
        "N003",
        "unparsable-structure",
        "not-understood",
        "warning",
        "Text that does not fit the threshold grammar (unparsable structure).",
        "Platelets ≥ ≥ 100",
    ),
    Rule(
        "N004",
        "no-criteria",
        "not-understood",
        "error",
        "The text holds no eligibility criteria the segmenter could find.",
        "(an empty file)",
    ),
)

RULES_BY_ID: dict[str, Rule] = {rule.id: rule for rule in RULES}
RULES_BY_NAME: dict[str, Rule] = {rule.name: rule for rule in RULES}


def rule(key: str) -> Rule:
    """A rule by id ("A001") or by name ("unit-missing")."""
    found = RULES_BY_ID.get(key) or RULES_BY_NAME.get(key)
    if found is None:
        raise KeyError(key)
    return found


# --- the report -----------------------------------------------------------------------------------------------------


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Region(_Frozen):
    """Where a span lies as 1-based lines and columns (columns count Unicode code points; end column exclusive)."""

    start_line: int = Field(ge=1)
    start_column: int = Field(ge=1)
    end_line: int = Field(ge=1)
    end_column: int = Field(ge=1)


class RelatedLocation(_Frozen):
    """Another place a finding refers to (the other criterion of a contradiction)."""

    criterion: str | None
    span: Span
    region: Region
    message: str


class Finding(_Frozen):
    rule: str = Field(description="stable rule id, e.g. 'A001'")
    name: str = Field(description="kebab-case rule name, e.g. 'unit-missing'")
    category: Category
    severity: Severity
    criterion: str | None = Field(description="criterion id (e.g. 'inc-5'), None for document-level findings")
    span: Span = Field(description="character offsets into the document text")
    region: Region
    text: str = Field(description="the text of the span")
    message: str
    suggestion: str | None = Field(default=None, description="a suggested rewrite, where one can be given")
    related: tuple[RelatedLocation, ...] = ()


class UnparsedSpan(_Frozen):
    span: Span
    text: str
    reason: str


class CriterionReport(_Frozen):
    id: str
    section: Section
    label: str | None
    span: Span
    text: str
    status: LintStatus
    points: float | None = Field(description="score points (0-1); None when not decidable by data")
    unparsed: tuple[UnparsedSpan, ...] = ()
    findings: int = Field(description="number of findings on this criterion")


class ScoreBreakdown(_Frozen):
    score: float = Field(ge=0, le=100, description="machine-readability score 0-100")
    readability: float = Field(ge=0, le=100, description="score from the parse status alone, before penalties")
    penalty: float = Field(ge=0, description="points (0-100 scale) lost to ambiguity, logic and unit findings")
    criteria: int
    decidable: int
    computable: int
    partial: int
    not_computable: int
    not_decidable: int = Field(description="criteria no patient data could decide; not part of the score")


class Counts(_Frozen):
    error: int = 0
    warning: int = 0
    info: int = 0
    by_rule: dict[str, int] = Field(default_factory=dict)


class LintReport(_Frozen):
    source: str | None
    score: ScoreBreakdown
    counts: Counts
    criteria: tuple[CriterionReport, ...]
    findings: tuple[Finding, ...]

    def findings_for(self, criterion_id: str) -> list[Finding]:
        return [f for f in self.findings if f.criterion == criterion_id]

    def rule_ids(self, criterion_id: str | None = None) -> set[str]:
        return {f.rule for f in self.findings if criterion_id is None or f.criterion == criterion_id}


def lint_report_json_schema() -> dict[str, Any]:
    return LintReport.model_json_schema()


# --- helpers over the IR --------------------------------------------------------------------------------------------


class _Positions:
    def __init__(self, text: str) -> None:
        self.text = text
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", text)]

    def point(self, offset: int) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.line_starts, offset) - 1
        return line + 1, offset - self.line_starts[line] + 1

    def region(self, span: Span) -> Region:
        start_line, start_column = self.point(span.start)
        end_line, end_column = self.point(max(span.end, span.start))
        return Region(start_line=start_line, start_column=start_column, end_line=end_line, end_column=end_column)


@dataclass(frozen=True)
class _Leaf:
    node: Node
    negated: bool
    conjunct: bool  # reached from the root through all/not only: required (inclusion) as a whole
    disjunct: bool  # reached from the root through any/not only: sufficient on its own
    condition: bool  # inside the "when" part of a conditional


def _leaves(
    node: Node, negated: bool = False, conjunct: bool = True, disjunct: bool = True, condition: bool = False
) -> Iterator[_Leaf]:
    """Leaves with their polarity, from each child's role in its parent (:data:`criteria_nlp.ir.kinds.Role`); under
    a negation, "and" and "or" swap (De Morgan); k of n children are neither required nor sufficient alone."""
    kind = kind_of(node)
    if kind.roles is None:
        yield _Leaf(node, negated, conjunct, disjunct, condition)
        return
    for child, role in zip(kind.children(node), kind.roles(node), strict=True):
        if role == "and":
            yield from _leaves(child, negated, conjunct and not negated, disjunct and negated, condition)
        elif role == "or":
            yield from _leaves(child, negated, conjunct and negated, disjunct and not negated, condition)
        elif role == "not":
            yield from _leaves(child, not negated, conjunct, disjunct, condition)
        else:  # the parts of a conditional, one of k of n
            yield from _leaves(child, negated, False, False, condition or role == "when")


@dataclass(frozen=True)
class _Bound:
    key: str  # variable id, "age", or "alt@ULN" for reference multiples
    unit: str
    intervals: tuple[Interval, ...]  # a union (a negated interval becomes its complement)
    node: Node
    criterion: Criterion
    leaf: _Leaf


@lru_cache(maxsize=65536)
def _convert(
    value: float, unit: str | None, target: str | None, molar_mass: float | None, analyte: str
) -> float | None:
    if unit is None or target is None:
        return value if unit == target else None
    if unit == target:
        return value
    try:
        return units.convert(value, unit, target, molar_mass=molar_mass, analyte=analyte).value
    except (CriteriaSemanticError, ValueError, ZeroDivisionError):
        return None


def _bound_of(leaf: _Leaf, criterion: Criterion, lexicon: Lexicon) -> _Bound | None:
    node = leaf.node
    interval: Interval | None = None
    key: str
    unit: str
    if isinstance(node, Demographic):
        if node.attribute != "age":
            return None
        low = _convert(node.low, node.unit or "year", "year", None, "age") if node.low is not None else None
        high = _convert(node.high, node.unit or "year", "year", None, "age") if node.high is not None else None
        if (node.low is not None and low is None) or (node.high is not None and high is None):
            return None
        interval = Interval(low, node.low_inclusive, high, node.high_inclusive)
        key, unit = "age", "years"
    elif isinstance(node, ReferenceMultiple):
        if not node.variable.id:
            return None
        interval = operator_interval(node.operator, node.factor)
        key, unit = f"{node.variable.id}@{node.reference}", f"× {node.reference}"
    elif isinstance(node, Comparison | Range):
        variable_id = node.variable.id
        if not variable_id:
            return None
        variable = lexicon.variables.get(variable_id)
        target = variable.unit if variable is not None else None
        molar_mass = variable.molar_mass if variable is not None else None
        if isinstance(node, Comparison):
            value = _convert(node.quantity.value, node.quantity.unit_normalized, target, molar_mass, variable_id)
            if value is None:
                return None
            interval = operator_interval(node.operator, value)
        else:
            low = high = None
            if node.low is not None:
                low = _convert(node.low.value, node.low.unit_normalized, target, molar_mass, variable_id)
                if low is None:
                    return None
            if node.high is not None:
                high = _convert(node.high.value, node.high.unit_normalized, target, molar_mass, variable_id)
                if high is None:
                    return None
            interval = Interval(low, node.low_inclusive, high, node.high_inclusive)
        key, unit = variable_id, target or ""
    else:
        return None
    if interval is None:
        return None
    intervals = tuple(complement(interval)) if leaf.negated else (interval,)
    return _Bound(key, unit, intervals, node, criterion, leaf)


# --- the linter -----------------------------------------------------------------------------------------------------

_ORGAN_FUNCTION_GROUPS = ("transaminases", "liver_function_tests", "renal_function")
_ORGAN_FUNCTION_EXTRA = frozenset(
    {"alt", "ast", "total_bilirubin", "direct_bilirubin", "alkaline_phosphatase", "ggt", "creatinine", "bun", "inr"}
)

_VAGUE = re.compile(
    r"\b(clinically\s+(?:significant|relevant|important)|significant(?:ly)?|severe(?:ly)?|serious(?:ly)?|"
    r"uncontrolled|poorly\s+controlled|unstable|adequate(?:ly)?|sufficient)\b",
    re.IGNORECASE,
)
_VAGUE_WORDS = frozenset({"severe", "serious", "significant", "uncontrolled", "unstable", "adequate", "sufficient"})
_DEFINITION_AFTER = re.compile(
    r"[^.;]{0,80}?(\(|\bdefined\b|\bi\.e\.|\brequir\w*|\bgrade\b|\bctcae\b|\bclass\b|\bnyha\b|\bchild[- ]pugh\b|"
    r"\bas per\b|\baccording to\b|\bresulting in\b|\bleading to\b|[<>≤≥]|\bper\b)",
    re.IGNORECASE,
)
_NORMAL = re.compile(r"\b(ab)?normal(?:ity|ities|ly)?\b", re.IGNORECASE)
_LIMIT_OF_NORMAL = re.compile(r"\blimits?\s+of\s+(?:the\s+)?$", re.IGNORECASE)
_STATED_REFERENCE = re.compile(
    r"\b(institution\w*|laborator\w*|local\s+lab\w*|reference\s+(?:range|values?|limits?)|ULN|LLN)\b"
    r"|[<>≤≥]\s*\d|\d\s*(?:-|–|to)\s*\d",
    re.IGNORECASE,
)
_CONDITION_CUE = re.compile(
    r"\b(if|unless|except(?:\s+for)?|in\s+case\s+of|in\s+the\s+presence\s+of|"
    r"for\s+(?:patients|participants|subjects|those|women|men|people)\s+(?:with|who|on|receiving))\b",
    re.IGNORECASE,
)
_UNIT_TOKEN = re.compile(r"\s*([^\s,;()\[\]]+(?:\s*/\s*[^\s,;()\[\]]+)*)")
_WORDS_NOT_UNDERSTOOD = "words not understood"
_COMMON_UNITS = (
    "mg/dL",
    "g/dL",
    "g/L",
    "mmol/L",
    "umol/L",
    "mEq/L",
    "U/L",
    "10^9/L",
    "10^3/uL",
    "1/uL",
    "%",
    "mmol/mol",
    "mL/min",
    "mL/min/1.73m^2",
    "mmHg",
    "1/min",
    "kg",
    "kg/m^2",
    "cm",
    "ms",
    "degC",
    "ng/mL",
    "pg/mL",
    "year",
)


@lru_cache(maxsize=4096)
def _suggest_units(token: str) -> list[str]:
    return units.suggest_units(token)


@cache
def _expected_units(unit: str, molar_mass: float | None, analyte: str) -> tuple[str, ...]:
    found = [unit]
    for candidate in _COMMON_UNITS:
        if candidate != unit and units.compatible(candidate, unit, molar_mass=molar_mass, analyte=analyte):
            found.append(candidate)
    return tuple(found[:5])


def _short_name(variable_id: str, lexicon: Lexicon) -> str:
    variable = lexicon.variables.get(variable_id)
    if variable is None:
        return variable_id
    for synonym in variable.synonyms:
        if synonym.isupper() and len(synonym) <= 6 and " " not in synonym:
            return synonym
    return variable.name


class _Linter:
    def __init__(self, document: CriteriaDocument, lexicon: Lexicon) -> None:
        self.document = document
        self.text = document.text
        self.lexicon = lexicon
        self.positions = _Positions(document.text)
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int, str | None]] = set()
        self.organ_function = set(_ORGAN_FUNCTION_EXTRA)
        for group_id in _ORGAN_FUNCTION_GROUPS:
            group = lexicon.groups.get(group_id)
            if group is not None:
                self.organ_function.update(group.members)

    # -- recording

    def add(
        self,
        rule_key: str,
        criterion: Criterion | None,
        span: Span,
        message: str,
        suggestion: str | None = None,
        related: Iterable[tuple[Criterion | None, Span, str]] = (),
    ) -> None:
        found = rule(rule_key)
        key = (found.id, span.start, span.end, criterion.id if criterion else None)
        if key in self._seen:
            return
        self._seen.add(key)
        self.findings.append(
            Finding(
                rule=found.id,
                name=found.name,
                category=found.category,
                severity=found.severity,
                criterion=criterion.id if criterion else None,
                span=span,
                region=self.positions.region(span),
                text=span.slice(self.text),
                message=message,
                suggestion=suggestion,
                related=tuple(
                    RelatedLocation(
                        criterion=other.id if other else None,
                        span=other_span,
                        region=self.positions.region(other_span),
                        message=note,
                    )
                    for other, other_span, note in related
                ),
            )
        )

    @staticmethod
    def name_of(criterion: Criterion) -> str:
        return f"{criterion.section} {criterion.label}" if criterion.label else criterion.id

    # -- per criterion

    def run(self) -> LintReport:
        for diagnostic in self.document.diagnostics:
            if diagnostic.code == "no-criteria":
                self.add("N004", None, diagnostic.span, diagnostic.message)
        for criterion in self.document.criteria:
            self.criterion_rules(criterion)
        self.cross_criteria_rules()
        return self.report()

    def criterion_rules(self, criterion: Criterion) -> None:
        unknown_unit_spans = self.unit_unknown(criterion)
        for diagnostic in criterion.diagnostics:
            self.from_diagnostic(criterion, diagnostic, unknown_unit_spans)
        leaves = list(_leaves(criterion.expression))
        self.not_decidable(criterion, leaves)
        self.group_terms(criterion, leaves)
        self.abnormal_requirements(criterion, leaves)
        self.conditional_thresholds(criterion)
        self.vague_qualifiers(criterion)
        self.normal_without_reference(criterion)
        self.reversed_ranges(criterion)
        self.conjunction_ranges(criterion, leaves)

    def from_diagnostic(self, criterion: Criterion, diagnostic: Diagnostic, unknown_unit_spans: set[int]) -> None:
        code = diagnostic.code
        if code == "unit-missing":
            if diagnostic.span.start in unknown_unit_spans:
                return
            self.add("A001", criterion, diagnostic.span, diagnostic.message, diagnostic.suggestion)
        elif code == "unit-dimension":
            self.unit_dimension(criterion, diagnostic)
        elif code == "range-empty":
            self.add(
                "L005", criterion, diagnostic.span, "the range admits no value: its low end lies above its high end"
            )
        elif code == "misspelling":
            word = diagnostic.span.slice(self.text)
            suggestion = diagnostic.suggestion
            self.add(
                "A006",
                criterion,
                diagnostic.span,
                f"{word!r} is misspelt" + (f"; did you mean {suggestion!r}?" if suggestion else ""),
                suggestion,
            )
        elif code == "not-understood":
            words = diagnostic.span.slice(self.text)
            if diagnostic.message.startswith(_WORDS_NOT_UNDERSTOOD):
                if any(diagnostic.span.start <= s < diagnostic.span.end for s in unknown_unit_spans):
                    return
                self.add("N001", criterion, diagnostic.span, f"not understood: {words!r} (unknown term)")
            else:
                self.add("N002", criterion, diagnostic.span, f"not understood: {diagnostic.message}")
        elif code == "too-long":
            self.add("N002", criterion, diagnostic.span, diagnostic.message)
        elif code == "syntax":
            self.add("N003", criterion, diagnostic.span, f"unparsable structure: {diagnostic.message}")

    def unit_dimension(self, criterion: Criterion, diagnostic: Diagnostic) -> None:
        node = next(
            (
                n
                for n in walk(criterion.expression)
                if isinstance(n, Comparison | Range) and n.span == diagnostic.span and n.variable.id
            ),
            None,
        )
        message = diagnostic.message
        suggestion = diagnostic.suggestion
        variable = self.lexicon.variables.get(node.variable.id or "") if node is not None else None
        if node is not None and variable is not None and variable.unit:
            expected = _expected_units(variable.unit, variable.molar_mass, variable.id)
            quantity = node.quantity if isinstance(node, Comparison) else (node.low or node.high)
            written = quantity.unit if quantity is not None else None
            message = f"unit {written!r} cannot apply to {variable.name}; expected units: " + ", ".join(expected)
            if quantity is not None:
                suggestion = f"{node.variable.mention} … {quantity.value:g} {variable.unit}"
        self.add("U001", criterion, diagnostic.span, message, suggestion)

    def unit_unknown(self, criterion: Criterion) -> set[int]:
        """Thresholds read without a unit where the next word looks like a misspelt unit ("1.5 mgs/dL")."""
        starts: set[int] = set()
        for node in walk(criterion.expression):
            if not isinstance(node, Comparison | Range):
                continue
            quantity = node.quantity if isinstance(node, Comparison) else (node.high or node.low)
            if quantity is None or quantity.unit is not None:
                continue
            match = _UNIT_TOKEN.match(self.text, node.span.end, criterion.span.end)
            if match is None:
                continue
            token = match.group(1).rstrip(".")
            if not token or token[0].isdigit() or units.is_unit(token):
                continue
            suggestions = _suggest_units(token)
            looks_like_unit = "/" in token or any(
                token.lower().startswith(s.lower()[:2]) and len(token) <= len(s) + 2 for s in suggestions
            )
            if not suggestions or not looks_like_unit:
                continue
            span = Span(start=match.start(1), end=match.start(1) + len(token))
            starts.add(node.span.start)
            starts.add(span.start)
            self.add(
                "A007",
                criterion,
                span,
                f"unknown unit {token!r}: the threshold {quantity.value:g} was read without a unit; "
                f"did you mean {suggestions[0]!r}?",
                suggestions[0],
            )
        return starts

    def not_decidable(self, criterion: Criterion, leaves: Sequence[_Leaf]) -> None:
        for leaf in leaves:
            if isinstance(leaf.node, NotComputable):
                self.add(
                    "L008",
                    criterion,
                    leaf.node.span,
                    f"no patient data can decide this ({leaf.node.category}); it is counted separately, "
                    "and checked by the study team",
                )

    def group_terms(self, criterion: Criterion, leaves: Sequence[_Leaf]) -> None:
        by_mention: dict[tuple[int, int], list[VariableRef]] = {}
        thresholds: dict[tuple[int, int], str] = {}
        for leaf in leaves:
            node = leaf.node
            if isinstance(node, Comparison | Range | ReferenceMultiple) and node.variable.group:
                key = (node.variable.span.start, node.variable.span.end)
                by_mention.setdefault(key, []).append(node.variable)
                thresholds.setdefault(key, _threshold_text(node))
        for (start, end), refs in by_mention.items():
            mention = refs[0].mention
            group = self.lexicon.lookup(refs[0].group or mention)
            members = [r.id for r in refs if r.id] or (
                list(self.lexicon.groups[group.id].members) if group and group.id in self.lexicon.groups else []
            )
            names = [_short_name(m, self.lexicon) for m in members]
            if names and all(re.search(rf"\b{re.escape(n)}\b", mention) for n in names):
                continue  # the members are named ("ALT/AST"): nothing is left open
            threshold = thresholds[(start, end)]
            both = " and ".join(f"{n} {threshold}" for n in names)
            either = " or ".join(f"{n} {threshold}" for n in names)
            self.add(
                "A002",
                criterion,
                Span(start=start, end=end),
                f"{mention!r} stands for {', '.join(names)}: must all of them meet the threshold, or any one? "
                f"(read as all)",
                f"{both}  (or, if any one suffices: {either})" if threshold else None,
            )

    def abnormal_requirements(self, criterion: Criterion, leaves: Sequence[_Leaf]) -> None:
        if criterion.section not in ("inclusion", "exclusion"):
            return
        grouped: dict[tuple[str, int, int, str, float, str], list[str]] = {}
        for leaf in leaves:
            node = leaf.node
            if not isinstance(node, ReferenceMultiple) or leaf.condition or node.variable.id not in self.organ_function:
                continue
            operator: Operator = NEGATED_OPERATOR[node.operator] if leaf.negated else node.operator
            above = operator in (">", ">=")
            if node.reference == "ULN":
                abnormal = above and (node.factor > 1 or (node.factor == 1 and operator == ">"))
                normal_side = (not above) and operator != "!=" and node.factor >= 1
            else:
                abnormal = (not above) and operator != "!=" and node.factor <= 1
                normal_side = above and node.factor <= 1
            if operator == "==":
                continue  # "= 2 × ULN" is almost always a lost "≥" (or "≤"): no direction to judge
            if criterion.section == "inclusion" and abnormal and not _EXCEPTION_CUE.search(criterion.text):
                rule_id = "L001"
            elif criterion.section == "exclusion" and normal_side:
                rule_id = "L002"
            else:
                continue
            key = (rule_id, node.span.start, node.span.end, operator, node.factor, node.reference)
            grouped.setdefault(key, []).append(_short_name(node.variable.id or "", self.lexicon))
        for (rule_id, start, end, written, factor, reference), names in grouped.items():
            subject = " and ".join(dict.fromkeys(names))
            threshold = f"{_symbol(written)} {factor:g} × {reference}"
            fixed = f"{_symbol(NEGATED_OPERATOR[written])} {factor:g} × {reference}"
            if rule_id == "L001":
                message = (
                    f"inclusion requires {subject} {threshold}, an abnormal value: only patients with impaired "
                    "organ function would qualify, where exclusion is the usual intent"
                )
            else:
                message = (
                    f"exclusion removes patients with {subject} {threshold}, which includes normal values, where "
                    "inclusion is the usual intent"
                )
            suggestion = " and ".join(f"{name} {fixed}" for name in dict.fromkeys(names))
            if rule_id == "L001":
                suggestion += f" (or move '{subject} {threshold}' to the exclusion criteria)"
            self.add(rule_id, criterion, Span(start=start, end=end), message, suggestion)

    def conditional_thresholds(self, criterion: Criterion) -> None:
        nodes = list(walk(criterion.expression))
        conditionals = [n for n in nodes if isinstance(n, Conditional)]
        for node in conditionals:
            self.add(
                "A004",
                criterion,
                node.span,
                f"the threshold depends on a condition ({_render_short(node.when)}): a screening system needs it "
                "recorded for every patient; stating each case as its own criterion makes both explicit",
            )
        has_threshold = any(isinstance(n, Comparison | Range | ReferenceMultiple) for n in nodes)
        if conditionals or not has_threshold:
            return
        local = criterion.text
        for match in _CONDITION_CUE.finditer(local):
            span = Span(start=criterion.span.start + match.start(), end=criterion.span.start + match.end())
            self.add(
                "A004",
                criterion,
                span,
                f"{match.group(0)!r} makes a threshold conditional, but the condition was not captured: a screening "
                "system would apply the thresholds as if unconditional",
                "Write one criterion per case, e.g. 'ALT ≤ 5 × ULN in patients with liver metastases'",
            )
            break

    def vague_qualifiers(self, criterion: Criterion) -> None:
        local = criterion.text
        hits: list[tuple[int, int, str, str]] = [
            (m.start(), m.end(), f"'{m.group(0)}'", m.group(0)) for m in _VAGUE.finditer(local)
        ]
        for diagnostic in criterion.diagnostics:
            if diagnostic.code == "misspelling" and diagnostic.suggestion in _VAGUE_WORDS:
                written = diagnostic.span.slice(self.text)
                hits.append(
                    (
                        diagnostic.span.start - criterion.span.start,
                        diagnostic.span.end - criterion.span.start,
                        f"'{written}' (read as '{diagnostic.suggestion}')",
                        diagnostic.suggestion or written,
                    )
                )
        for start, end, shown, word in sorted(hits):
            if _DEFINITION_AFTER.match(local, end):
                continue
            self.add(
                "A005",
                criterion,
                Span(start=criterion.span.start + start, end=criterion.span.start + end),
                f"{shown} is not defined: screening staff and systems may judge it differently",
                f"define it, e.g. '{word} (CTCAE grade ≥ 3)' or '{word} (requiring hospitalisation)'",
            )

    def normal_without_reference(self, criterion: Criterion) -> None:
        local = criterion.text
        for match in _NORMAL.finditer(local):
            if _LIMIT_OF_NORMAL.search(local, 0, match.start()):
                continue
            if _STATED_REFERENCE.search(local):
                continue
            word = match.group(0)
            self.add(
                "A003",
                criterion,
                Span(start=criterion.span.start + match.start(), end=criterion.span.start + match.end()),
                f"{word!r} has no stated reference: name the test and its limits",
                "state the limits, e.g. 'within the institutional reference range' or 'serum creatinine ≤ 1.5 × ULN'",
            )

    def reversed_ranges(self, criterion: Criterion) -> None:
        for node in walk(criterion.expression):
            if isinstance(node, Range) and node.low is not None and node.high is not None:
                low, high = node.low.value, node.high.value
            elif isinstance(node, Demographic) and node.low is not None and node.high is not None:
                low, high = node.low, node.high
            else:
                continue
            if low == high:
                continue
            numbers = [float(n) for n in re.findall(r"\d+(?:\.\d+)?", node.span.slice(self.text))]
            try:
                first_high = numbers.index(high)
                first_low = numbers.index(low)
            except ValueError:
                continue
            if first_high < first_low:
                self.add(
                    "L007",
                    criterion,
                    node.span,
                    f"the range is written from {high:g} down to {low:g}; it was read as {low:g} to {high:g}",
                    f"{low:g} to {high:g}",
                )

    def conjunction_ranges(self, criterion: Criterion, leaves: Sequence[_Leaf]) -> None:
        """Bounds on one variable joined by 'and' that no value meets; alternatives that overlap."""
        required: dict[str, list[_Bound]] = {}
        for leaf in leaves:
            if not leaf.conjunct or leaf.condition:
                continue
            bound = _bound_of(leaf, criterion, self.lexicon)
            if bound is not None and len(bound.intervals) == 1:
                required.setdefault(bound.key, []).append(bound)
        for bounds in required.values():
            if len(bounds) < 2:
                continue
            combined = bounds[0].intervals[0]
            for bound in bounds[1:]:
                combined = combined.intersect(bound.intervals[0])
            joined_by_or = _OR.search(
                self.text, min(b.node.span.start for b in bounds), max(b.node.span.end for b in bounds)
            )
            if (
                combined.is_empty()
                and joined_by_or is None  # the parser read an "or" as "and": not the author's mistake
                and not any(b.node.kind == "range" and b.intervals[0].is_empty() for b in bounds)
            ):
                span = bounds[0].node.span.cover(bounds[-1].node.span)
                self.add("L005", criterion, span, "these bounds on one variable together admit no value")
        for node in walk(criterion.expression):
            if not isinstance(node, Any_):
                continue
            alternatives: dict[str, list[_Bound]] = {}
            for child in node.children:
                if isinstance(child, Comparison | Range | ReferenceMultiple | Demographic):
                    bound = _bound_of(_Leaf(child, False, False, True, False), criterion, self.lexicon)
                    if bound is not None:
                        alternatives.setdefault(bound.key, []).append(bound)
            for bounds in alternatives.values():
                for i, first in enumerate(bounds):
                    for second in bounds[i + 1 :]:
                        between = first.node.span.cover(second.node.span).slice(self.text)
                        if (
                            _AND.search(between)
                            and not _OR.search(between)
                            and first.intervals[0].intersect(second.intervals[0]).is_empty()
                        ):
                            # "Platelets ≥ 100 and ≤ 50 × 10^9/L": the parser reads such bounds as alternatives,
                            # but the author wrote "and": one of them is probably a typo
                            self.add(
                                "L005",
                                criterion,
                                first.node.span.cover(second.node.span),
                                "these bounds joined by 'and' admit no value together; they were read as alternatives",
                            )
                        elif first.intervals[0].overlaps(second.intervals[0]):
                            self.add(
                                "L006",
                                criterion,
                                first.node.span.cover(second.node.span),
                                f"the alternatives overlap: {first.intervals[0].describe(first.unit)} "
                                f"or {second.intervals[0].describe(second.unit)}",
                            )

    # -- across criteria

    def cross_criteria_rules(self) -> None:
        inclusion = self.document.section("inclusion")
        exclusion = self.document.section("exclusion")
        self.redundant_exclusions(inclusion, exclusion)
        self.contradictory_presence(inclusion, exclusion)
        self.contradictory_bounds(inclusion, exclusion)

    def redundant_exclusions(self, inclusion: Sequence[Criterion], exclusion: Sequence[Criterion]) -> None:
        absent: dict[str, tuple[Criterion, Presence]] = {}
        for criterion in inclusion:
            for leaf in _leaves(criterion.expression):
                if isinstance(leaf.node, Presence) and leaf.negated and leaf.conjunct and leaf.node.concept.id:
                    absent.setdefault(leaf.node.concept.id, (criterion, leaf.node))
        if not absent:
            return
        for criterion in exclusion:
            for leaf in _leaves(criterion.expression):
                node = leaf.node
                if not isinstance(node, Presence) or leaf.negated or leaf.condition or node.concept.id not in absent:
                    continue
                inclusion_criterion, inclusion_node = absent[node.concept.id]
                excluded_words = _with_qualifiers(node, self.text)
                absent_words = _with_qualifiers(inclusion_node, self.text)
                self.add(
                    "L003",
                    inclusion_criterion,
                    inclusion_node.span,
                    f"{self.name_of(inclusion_criterion)} requires no {absent_words!r}, and "
                    f"{self.name_of(criterion)} excludes {excluded_words!r} again: the same condition is stated twice"
                    + (
                        " with different qualifiers"
                        if _qualifier_words(absent_words) != _qualifier_words(excluded_words)
                        else ""
                    ),
                    f"keep it once, as an exclusion criterion with one definition (e.g. '{_bare(excluded_words)} "
                    "requiring systemic treatment'), and drop it from the inclusion criteria",
                    related=[(criterion, node.span, f"{self.name_of(criterion)}: {excluded_words!r}")],
                )

    def contradictory_presence(self, inclusion: Sequence[Criterion], exclusion: Sequence[Criterion]) -> None:
        required: dict[str, tuple[Criterion, Presence]] = {}
        for criterion in inclusion:
            for leaf in _leaves(criterion.expression):
                node = leaf.node
                if isinstance(node, Presence) and not leaf.negated and leaf.conjunct and node.concept.id:
                    required.setdefault(node.concept.id, (criterion, node))
        for criterion in exclusion:
            for leaf in _leaves(criterion.expression):
                node = leaf.node
                if (
                    not isinstance(node, Presence)
                    or leaf.negated
                    or not leaf.disjunct
                    or node.concept.id not in required
                ):
                    continue
                inclusion_criterion, inclusion_node = required[node.concept.id]
                if node.window is not None or not set(node.concept.qualifiers) <= set(
                    inclusion_node.concept.qualifiers
                ):
                    continue  # the exclusion narrows the condition: not a contradiction
                if _PURPOSE_BEFORE.search(self.text, criterion.span.start, node.concept.span.start):
                    continue  # "therapy for asthma": the condition is the purpose of a treatment
                self.add(
                    "L004",
                    criterion,
                    node.span,
                    f"{self.name_of(criterion)} excludes {node.concept.span.slice(self.text)!r}, which "
                    f"{self.name_of(inclusion_criterion)} requires: no patient can be eligible",
                    related=[
                        (inclusion_criterion, inclusion_node.span, f"{self.name_of(inclusion_criterion)} requires it")
                    ],
                )

    def contradictory_bounds(self, inclusion: Sequence[Criterion], exclusion: Sequence[Criterion]) -> None:
        required: dict[str, list[_Bound]] = {}
        for criterion in inclusion:
            for leaf in _leaves(criterion.expression):
                if leaf.conjunct and not leaf.condition:
                    bound = _bound_of(leaf, criterion, self.lexicon)
                    if bound is not None and len(bound.intervals) == 1 and not _is_point(bound.intervals[0]):
                        required.setdefault(bound.key, []).append(bound)
        for key, bounds in required.items():
            effective = bounds[0].intervals[0]
            for index, bound in enumerate(bounds[1:], start=1):
                interval = bound.intervals[0]
                previous = bounds[index - 1]
                if bound.criterion.id == previous.criterion.id:
                    effective = effective.intersect(interval)
                    continue
                combined = effective.intersect(interval)
                if combined.is_empty():
                    self.add(
                        "L004",
                        bound.criterion,
                        bound.node.span,
                        f"{self.name_of(bound.criterion)} ({interval.describe(bound.unit)}) and "
                        f"{self.name_of(previous.criterion)} ({effective.describe(bound.unit)}) admit no common value",
                        related=[(previous.criterion, previous.node.span, self.name_of(previous.criterion))],
                    )
                elif _conflicting_side(effective, interval):
                    self.add(
                        "L006",
                        bound.criterion,
                        bound.node.span,
                        f"{self.name_of(bound.criterion)} ({interval.describe(bound.unit)}) and "
                        f"{self.name_of(previous.criterion)} ({effective.describe(bound.unit)}) bound {key} "
                        f"on the same side; together they mean {combined.describe(bound.unit)}",
                        f"state one range: {combined.describe(bound.unit)}",
                        related=[(previous.criterion, previous.node.span, self.name_of(previous.criterion))],
                    )
                effective = combined
        excluded: dict[str, list[_Bound]] = {}
        for criterion in exclusion:
            for leaf in _leaves(criterion.expression):
                if leaf.disjunct and not leaf.condition:
                    bound = _bound_of(leaf, criterion, self.lexicon)
                    if bound is not None:
                        excluded.setdefault(bound.key, []).append(bound)
        for key, bounds in required.items():
            if key not in excluded:
                continue
            effective = bounds[0].intervals[0]
            for bound in bounds[1:]:
                effective = effective.intersect(bound.intervals[0])
            if effective.is_empty():
                continue
            removers = excluded[key]
            union = [interval for remover in removers for interval in remover.intervals]
            if not effective.covered_by(union):
                continue
            culprits = [r for r in removers if any(i.overlaps(effective) for i in r.intervals)]
            first = culprits[0] if culprits else removers[0]
            self.add(
                "L004",
                first.criterion,
                first.node.span,
                f"the inclusion criteria admit {key} {effective.describe(first.unit)}, and "
                + ", ".join(f"{self.name_of(r.criterion)}" for r in culprits)
                + " exclude every such value: no patient can be eligible",
                related=[(b.criterion, b.node.span, f"{self.name_of(b.criterion)} requires it") for b in bounds],
            )

    # -- the report

    def report(self) -> LintReport:
        findings = sorted(self.findings, key=lambda f: (f.span.start, SEVERITY_ORDER[f.severity], f.rule, f.span.end))
        per_criterion: dict[str, list[Finding]] = {}
        for finding in findings:
            if finding.criterion is not None:
                per_criterion.setdefault(finding.criterion, []).append(finding)
        criteria: list[CriterionReport] = []
        counts_by_status: Counter[str] = Counter()
        points_total = 0.0
        readability_total = 0.0
        for criterion in self.document.criteria:
            status = _lint_status(criterion)
            counts_by_status[status] += 1
            own = per_criterion.get(criterion.id, [])
            points: float | None = None
            if status != "not_decidable":
                base = STATUS_POINTS[status]
                penalty = max((PENALTY[f.severity] for f in own if f.category in PENALISED_CATEGORIES), default=0.0)
                points = max(0.0, base - penalty)
                points_total += points
                readability_total += base
            criteria.append(
                CriterionReport(
                    id=criterion.id,
                    section=criterion.section,
                    label=criterion.label,
                    span=criterion.span,
                    text=criterion.text,
                    status=status,
                    points=points,
                    unparsed=tuple(
                        UnparsedSpan(span=n.span, text=n.text, reason=n.reason)
                        for n in walk(criterion.expression)
                        if isinstance(n, Unparsed)
                    ),
                    findings=len(own),
                )
            )
        decidable = len(criteria) - counts_by_status["not_decidable"]
        score = round(100 * points_total / decidable, 1) if decidable else 0.0
        readability = round(100 * readability_total / decidable, 1) if decidable else 0.0
        breakdown = ScoreBreakdown(
            score=score,
            readability=readability,
            penalty=round(readability - score, 1),
            criteria=len(criteria),
            decidable=decidable,
            computable=counts_by_status["computable"],
            partial=counts_by_status["partial"],
            not_computable=counts_by_status["not_computable"],
            not_decidable=counts_by_status["not_decidable"],
        )
        severities = Counter(f.severity for f in findings)
        by_rule = Counter(f.rule for f in findings)
        counts = Counts(
            error=severities["error"],
            warning=severities["warning"],
            info=severities["info"],
            by_rule=dict(sorted(by_rule.items())),
        )
        return LintReport(
            source=self.document.source,
            score=breakdown,
            counts=counts,
            criteria=tuple(criteria),
            findings=tuple(findings),
        )


def _lint_status(criterion: Criterion) -> LintStatus:
    if criterion.status == "not_computable" and any(isinstance(n, NotComputable) for n in walk(criterion.expression)):
        return "not_decidable"
    return criterion.status


def _conflicting_side(first: Interval, second: Interval) -> bool:
    """Both set a lower (or an upper) bound, and differently."""
    lows = first.low is not None and second.low is not None
    highs = first.high is not None and second.high is not None
    return (lows and (first.low, first.low_inclusive) != (second.low, second.low_inclusive)) or (
        highs and (first.high, first.high_inclusive) != (second.high, second.high_inclusive)
    )


def _symbol(operator: str) -> str:
    return {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}.get(operator, operator)


def _threshold_text(node: Node) -> str:
    if isinstance(node, ReferenceMultiple):
        return f"{_symbol(node.operator)} {node.factor:g} × {node.reference}"
    if isinstance(node, Comparison):
        return f"{_symbol(node.operator)} {node.quantity}"
    if isinstance(node, Range):
        return f"{node.low}–{node.high}" if node.low and node.high else ""
    return ""


def _render_short(node: Node) -> str:
    from criteria_nlp.ir import render

    return render(node)


_EXCEPTION_CUE = re.compile(r"\b(acceptable|allowed|permitted|eligible|unless|if)\b", re.IGNORECASE)
_OR = re.compile(r"\bor\b", re.IGNORECASE)
_AND = re.compile(r"\band\b", re.IGNORECASE)


def _is_point(interval: Interval) -> bool:
    return interval.low is not None and interval.low == interval.high


_PURPOSE_BEFORE = re.compile(r"\b(?:for|treat(?:ing|ment\s+of)?|against|prevent(?:ion\s+of)?)\s+$", re.IGNORECASE)
_QUALIFIER_WORDS = frozenset({"severe", "serious", "acute", "active", "chronic", "significant", "major", "mild"})


def _qualifier_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if w in _QUALIFIER_WORDS}


def _with_qualifiers(node: Presence, text: str) -> str:
    written = node.concept.span.slice(text)
    missing = [q for q in node.concept.qualifiers if q.replace("_", " ") not in written.lower()]
    return " ".join([*missing, written])


def _bare(text: str) -> str:
    return " ".join(w for w in text.split() if w.lower() not in _QUALIFIER_WORDS) or text


def lint(document: CriteriaDocument, *, lexicon: Lexicon | None = None) -> LintReport:
    """Lint a parsed document: findings, a status per criterion and a machine-readability score."""
    return _Linter(document, lexicon or load_lexicon()).run()


def lint_text(text: str, *, source: str | None = None, lexicon: Lexicon | None = None) -> LintReport:
    """Parse and lint a protocol's eligibility text."""
    from criteria_nlp.pipeline import parse_criteria

    return lint(parse_criteria(text, source=source), lexicon=lexicon)


__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Counts",
    "CriterionReport",
    "Finding",
    "LintReport",
    "Region",
    "RelatedLocation",
    "Rule",
    "ScoreBreakdown",
    "UnparsedSpan",
    "lint",
    "lint_report_json_schema",
    "lint_text",
    "rule",
]

"""Stage 4: build the IR expression of one criterion from the grammar's chunks.

The grammar has parsed the numeric islands (thresholds, ranges, reference multiples, windows); what is left is
prose, which this stage reads for the things around the islands: implied variables ("18 years or older" is an
age), concepts with their qualifiers and negation, lists and their connectives, conditions ("if liver metastases
are present"), sex, consent and judgement. Words that none of this explains are kept as explicit ``unparsed``
nodes, so that nothing is silently dropped.

Section semantics: in the inclusion section a list joined by "and" means all of them; in the exclusion section
a list of conditions means any of them ("Pregnancy and breastfeeding women": either excludes). A negated list
("No serious infection or acute hemorrhage") means none of them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, lru_cache

from criteria_nlp.errors import CriteriaError
from criteria_nlp.grammar import (
    Chunk,
    ConstraintChunk,
    Piece,
    ProseChunk,
    Threshold,
    VariableMention,
    WindowChunk,
)
from criteria_nlp.ir import (
    All,
    Any_,
    Comparison,
    ConceptRef,
    Conditional,
    Demographic,
    Diagnostic,
    Node,
    Not,
    NotComputable,
    Presence,
    Quantity,
    Range,
    ReferenceMultiple,
    Section,
    Span,
    TemporalWindow,
    Unparsed,
    VariableRef,
    span_at,
    walk,
)
from criteria_nlp.knowledge import units
from criteria_nlp.knowledge.lexicon import Lexicon, load_lexicon

_CLAUSE_BREAKS = frozenset({";", "."})
_JOIN_PUNCTUATION = frozenset({",", ")", "]"})
_NON = frozenset({"non", "non-"})
_AGAINST = frozenset({"anti", "anti-"})
# words after which a negation no longer reaches: "with hypertension but without diabetes", "without X who have Y"
_SCOPE_BREAKERS = frozenset({"but", "who", "whose", "which", "that", "however", "although", "whereas", "yet"})
_SCOPE_BREAKING_KINDS = frozenset({"WITH", "IF", "UNLESS", "ALLOWED"})
_NEGATIVE_RESULT = frozenset({"negative", "seronegative"})
_PREDICATE_STARTS = frozenset({"on", "using", "taking", "receiving", "has", "have", "is", "are", "uses", "takes"})
_GENERIC_NOUNS = frozenset(
    {"disease", "diseases", "disorder", "disorders", "condition", "conditions", "illness", "illnesses", "cause"}
    | {"causes", "origin", "etiology", "lesion", "lesions", "event", "events", "reason", "reasons", "type", "types"}
)
_HYPHENS = frozenset({"-", "‐", "‑", "–"})
_SEX_PREPOSITIONS = ("for", "in", "among")
# words that say a threshold is a score without naming the scale ("a baseline score of > 5 on the …")
_AFTER_SCALE_NAME = frozenset({"at", "in", "on", "by", "during", "after", "before", "from", "with", "using", "per"})
_GENERIC_SCORE_WORDS = frozenset({"score", "scores", "scaled", "baseline", "total", "points", "point", "rating"})
_SCALE_NAME_WORDS = frozenset(
    {"scale", "questionnaire", "inventory", "test", "index", "score", "assessment", "examination", "battery", "rating"}
)
_PERSON_WORDS = frozenset(
    {"patient", "patients", "subject", "subjects", "participant", "participants", "volunteer", "volunteers"}
    | {"adult", "adults", "individual", "individuals", "person", "persons", "people", "user", "users"}
)
# qualifiers whose cue phrases differ from the value by design ("use of" -> exposure), not by misspelling
_PHRASE_QUALIFIERS = frozenset({"history", "diagnosed", "exposure"})
_TIME_UNITS = {"year": "year", "month": "month", "week": "week", "day": "day", "hour": "hour"}

# Words that carry no eligibility meaning of their own: never reported as "not understood".
_STOPWORDS = frozenset(
    [
        "(s)",  # "lesion(s)"
        "(es)",
        "(ies)",
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "for",
        "to",
        "with",
        "by",
        "from",
        "as",
        "any",
        "all",
        "other",
        "following",
        "this",
        "these",
        "those",
        "that",
        "which",
        "who",
        "whom",
        "whose",
        "their",
        "his",
        "her",
        "its",
        "it",
        "they",
        "he",
        "she",
        "them",
        "such",
        "must",
        "should",
        "will",
        "would",
        "may",
        "might",
        "can",
        "could",
        "shall",
        "be",
        "is",
        "are",
        "was",
        "were",
        "been",
        "being",
        "have",
        "has",
        "had",
        "having",
        "do",
        "does",
        "did",
        "not",
        "no",
        "and",
        "or",
        "nor",
        "but",
        "if",
        "than",
        "then",
        "also",
        "only",
        "either",
        "both",
        "each",
        "per",
        "within",
        "into",
        "onto",
        "over",
        "under",
        "about",
        "after",
        "before",
        "during",
        "while",
        "when",
        "where",
        "whether",
        "there",
        "here",
        "some",
        "more",
        "most",
        "less",
        "least",
        "very",
        "much",
        "many",
        "few",
        "several",
        "include",
        "includes",
        "including",
        "includ",
        "e.g.",
        "i.e.",
        "etc",
        "eg",
        "ie",
        "vs",
        "via",
        "patient",
        "patients",
        "subject",
        "subjects",
        "participant",
        "participants",
        "individual",
        "individuals",
        "person",
        "persons",
        "people",
        "volunteer",
        "volunteers",
        "adult",
        "adults",
        "child",
        "children",
        "male",
        "female",
        "men",
        "women",
        "man",
        "woman",
        "case",
        "cases",
        "diagnosis",
        "diagnosed",
        "history",
        "known",
        "evidence",
        "presence",
        "present",
        "documented",
        "confirmed",
        "disease",
        "diseases",
        "disorder",
        "disorders",
        "condition",
        "conditions",
        "illness",
        "illnesses",
        "period",
        "periods",
        "type",
        "types",
        "level",
        "levels",
        "value",
        "values",
        "study",
        "trial",
        "trials",
        "enrollment",
        "enrolment",
        "screening",
        "entry",
        "inclusion",
        "exclusion",
        "criteria",
        "criterion",
        "eligible",
        "eligibility",
        "require",
        "required",
        "requires",
        "requirement",
        "following",
        "prior",
        "previous",
        "previously",
        "current",
        "currently",
        "age",
        "aged",
        "year",
        "years",
        "old",
        "inclusive",
        "exclusive",
        "inclusively",
        "adults",
        "adult",
        "infants",
        "infant",
        "children",
        "child",
        "adolescents",
        "adolescent",
        "neonates",
        "newborns",
        "elderly",
        "toddlers",
    ]
)
_DURATION_CUES = frozenset(
    [
        "for",
        "since",
        "after",
        "duration",
        "during",
        "lasting",
        "post",
        "due",
        "treatment",
        "therapy",
        "treated",
        "ago",
        "history",
        "previous",
        "prior",
        "diagnosed",
        "onset",
        "stable",
        "received",
        "receiving",
        "use",
        "using",
        "taking",
        "exposure",
        "followed",
        "persisting",
        "persistent",
    ]
)
_DETAIL_OPENERS = frozenset({"according", "from", "per", "meeting", "fulfilling", "fulfil", "fulfill", "as", "by"})
_DETAIL_WORDS = frozenset(
    {"criteria", "criterion", "classification", "acr", "slicc", "eular", "guidelines", "definition"}
)


@dataclass
class BuildResult:
    expression: Node
    diagnostics: list[Diagnostic]


@dataclass
class _Clause:
    chunks: list[Chunk]
    consumed: set[int] = field(default_factory=set)  # piece indices explained by something
    durations: list[WindowChunk] = field(default_factory=list)  # "for at least 3 months": windows found by the builder
    # numbers that could not be placed: counts of events ("at least two episodes of ..."), thresholds of nothing
    unplaced: list[Unparsed] = field(default_factory=list)
    placed_windows: set[int] = field(default_factory=set)  # ids of the windows given to a condition
    permission: bool = False  # the clause is a permission ("patients with ... are eligible if ...")
    inherited: tuple[VariableMention, ...] = ()  # variables of the clause a permission relaxes
    subject: bool = False  # names whom the next clause applies to ("Women of childbearing potential | must ...")
    sexes: frozenset[str] = frozenset()  # the sexes the whole criterion names ("Male: …; Female: …")

    _prose: list[Piece] | None = None

    @property
    def prose(self) -> list[Piece]:
        """The prose pieces of the clause (its chunks are complete before this is first read)."""
        if self._prose is None:
            self._prose = [c.piece for c in self.chunks if isinstance(c, ProseChunk)]
        return self._prose


@cache
def _variable_forms(lexicon: Lexicon) -> dict[str, tuple[str, str]]:
    """Lower-case surface forms of variables (5+ letters) -> (form, variable id), for misspelling look-ups."""
    forms: dict[str, tuple[str, str]] = {}
    for entry in lexicon.phrase_entries():
        if entry.label == "VARIABLE" and len(entry.text) >= 5 and " " not in entry.text:
            forms.setdefault(entry.text.lower(), (entry.text, entry.id))
    return forms


@lru_cache(maxsize=4096)
def _close_variable(lexicon: Lexicon, word: str) -> tuple[str, str] | None:
    forms = _variable_forms(lexicon)
    # forms whose length could reach the 0.88 similarity at all
    candidates = [form for form in forms if abs(len(form) - len(word)) <= 2 and form[0] == word[0]]
    matches = difflib.get_close_matches(word, candidates, n=2, cutoff=0.88)
    if not matches or (len(matches) > 1 and forms[matches[0]][1] != forms[matches[1]][1]):
        return None
    return forms[matches[0]]


@cache
def _phrase_table(lexicon: Lexicon) -> dict[str, tuple[str, str]]:
    table: dict[str, tuple[str, str]] = {}
    for entry in lexicon.phrase_entries():
        table.setdefault(entry.text.lower(), (entry.label, entry.id))
    return table


class Builder:
    """Builds one criterion's expression; create one per document (it caches lexicon look-ups)."""

    def __init__(self, lexicon: Lexicon | None = None) -> None:
        self.lexicon = lexicon or load_lexicon()
        self.phrases = _phrase_table(self.lexicon)
        self.document = ""
        # concept pieces another reading has taken (the condition of a threshold, a word of a scale's name)
        self._taken_concepts: set[int] = set()
        self.diagnostics: list[Diagnostic] = []

    # ----------------------------------------------------------------------------------------------- entry point
    def build(self, chunks: Sequence[Chunk], section: Section, span: Span, document: str) -> BuildResult:
        """The expression of the criterion at ``span`` of ``document`` (the whole document text)."""
        self.document = document
        self._taken_concepts = set()
        diagnostics: list[Diagnostic] = []
        self.diagnostics = diagnostics
        text = span.slice(document)
        clauses = self._clauses(chunks)
        nodes: list[Node] = []
        subject: Node | None = None
        for clause in clauses:
            node = self._clause(clause, section, diagnostics)
            if clause.subject:
                subject = node
                continue
            if subject is not None:
                node = self._applies_to(subject, node, section) if node is not None else subject
                subject = None
            if node is None:
                continue
            if clause.permission and nodes:
                # "Creatinine ≤ 1.5 mg/dL; patients with creatinine > 1.5 mg/dL are eligible if ...": relaxes the last
                nodes[-1] = self._with_permission(nodes[-1], [node], section)
            elif clause.permission:
                nodes.append(
                    self._not_understood(
                        _node_span(node), 'a permission ("… are eligible if …") with no requirement before it to relax'
                    )
                )
            else:
                nodes.append(node)
        if not nodes:
            return BuildResult(
                Unparsed(span=span, text=text, reason="no variable, threshold or condition recognised"), diagnostics
            )
        if len(nodes) == 1:
            return BuildResult(nodes[0], diagnostics)
        combined: Node
        if section == "exclusion":
            combined = Any_(span=span, children=tuple(nodes))
        else:
            combined = All(span=span, children=tuple(nodes))
        return BuildResult(combined, diagnostics)

    def _clauses(self, chunks: Sequence[Chunk]) -> list[_Clause]:
        """Split at ";" and "." unless what follows continues the clause before it: a bare threshold
        ("ALT ≤ 2.5 × ULN; ≤ 5 × ULN if liver metastases are present") or a condition ("; in case of …")."""
        clauses: list[_Clause] = [_Clause([])]
        for position, chunk in enumerate(chunks):
            if isinstance(chunk, ProseChunk) and chunk.piece.text in _CLAUSE_BREAKS:
                following = chunks[position + 1] if position + 1 < len(chunks) else None
                continues = (isinstance(following, ConstraintChunk) and not following.variables) or (
                    isinstance(following, ProseChunk) and "IF" in following.piece.kinds and chunk.piece.text == ";"
                )
                if continues:
                    clauses[-1].chunks.append(chunk)
                    continue
                clauses.append(_Clause([]))
                continue
            clauses[-1].chunks.append(chunk)
        result: list[_Clause] = []
        for clause in clauses:
            if clause.chunks:
                for part in _split_permission(clause):
                    result.extend(_split_obligation(part))
        sexes = frozenset(c.piece.kinds["SEX"] for c in chunks if isinstance(c, ProseChunk) and "SEX" in c.piece.kinds)
        for clause in result:
            clause.sexes = sexes
        return result

    # ----------------------------------------------------------------------------------------------- one clause
    def _clause(self, clause: _Clause, section: Section, diagnostics: list[Diagnostic]) -> Node | None:
        prose = clause.prose
        numeric = self._numeric(clause)
        concepts = self._concepts(clause, section, diagnostics)
        parts: list[Node] = [n for n in (numeric, concepts) if n is not None]

        parts.extend(clause.unplaced)
        windows = [c for c in clause.chunks if isinstance(c, WindowChunk)] + clause.durations
        for window in windows:
            if id(window) not in clause.placed_windows:
                parts.append(
                    self._not_understood(
                        window.span, "a time window with no condition, treatment or event it applies to"
                    )
                )

        sex = self._sex(clause)
        # a sex that says whom the clause applies to needs something it applies to
        sex_condition = sex is not None and bool(parts) and self._sex_is_condition(clause, sex)
        if sex is not None and not sex_condition:
            parts.append(sex)

        not_computable = [p for p in prose if "NOTCOMP" in p.kinds]
        if not_computable:
            category = _not_computable_category(not_computable)
            for p in not_computable:
                clause.consumed.add(p.index)
            span = _cover_pieces(prose) or not_computable[0].span
            # numbers and windows reported as not understood do not make the rest of the clause decidable
            understood = [p for p in parts if not isinstance(p, Unparsed)]
            if (category in ("consent", "willingness") and numeric is None) or not understood:
                span = _cover([span, *(_node_span(p) for p in parts)]) or span
                for p in prose:
                    clause.consumed.add(p.index)
                return NotComputable(span=span, category=category, text=span.slice(self.document))
            if category == "judgement":
                parts.append(NotComputable(span=span, category=category, text=_text_of(prose, self.document)))

        # "cannot communicate", "HBcAb negative", "bilirubin >1.Sx": a negation or comparator that reached nothing
        # understood is reported with the words around it, never silently lost
        loose = {
            p.index
            for p in prose
            if p.index not in clause.consumed
            and (("NEG" in p.kinds and p.lower not in _NON) or "CMP_PRE" in p.kinds or "CMP_POST" in p.kinds)
            and p.text != "+"  # "HIV (+)": a positive result, not a comparator
        }
        leftovers = self._leftovers(clause, loose)
        if not parts:
            if not leftovers and not any(_is_content(p) for p in prose):
                return None
            pieces = [p for p in prose if p.text not in _CLAUSE_BREAKS]
            if not pieces:
                return None
            return Unparsed(
                span=_cover_pieces(pieces) or pieces[0].span,
                text=_text_of(pieces, self.document),
                reason="no variable, threshold or condition recognised",
            )
        not_understood = [
            Unparsed(
                span=_cover_pieces(run) or run[0].span,
                text=_text_of(run, self.document),
                reason="words not understood: "
                + ", ".join(repr(p.text) for p in run if p.index in loose or _is_content(p)),
            )
            for run in leftovers
        ]
        if numeric is not None and concepts is not None:
            alternatives = self._threshold_or_condition(clause, numeric, concepts, not_understood)
            if alternatives is not None:
                parts = [alternatives, *(p for p in parts if p is not numeric and p is not concepts)]
                not_understood = []
        parts.extend(not_understood)
        if sex_condition and sex is not None:
            # "Not pregnant for female subjects": the rest applies to that sex; others meet it
            return self._applies_to(sex, _all_of(parts), section)
        return _all_of(parts)

    @staticmethod
    def _applies_to(subject: Node, body: Node, section: Section) -> Node:
        """ "Women of childbearing potential must have a negative pregnancy test", "not pregnant for female
        subjects": the body applies to the subject; everyone else meets it (an exclusion stated this way concerns
        only the subject)."""
        span = _node_span(subject).cover(_node_span(body))
        if section == "exclusion":
            return All(span=span, children=(subject, body))
        return Conditional(span=span, when=subject, then=body, otherwise=None)

    def _with_permission(self, required: Node, permitted: list[Node], section: Section) -> Node:
        """A requirement relaxed by a permission.

        When the permission restates a threshold of a variable the requirement tests ("AST ≤ 2.5 × ULN (≤ 5 × ULN is
        acceptable with liver metastases)"), the criterion is met by either (an exclusion holds unless the
        permitted case does). Otherwise the permission is kept as text the engine does not apply, so that a patient
        it might concern goes to review instead of being decided by the requirement alone.
        """
        # within a permission a condition is part of what is permitted: "≤ 5 × ULN is acceptable with liver
        # metastases" permits the pair; a rule that holds when its condition does not would permit everything
        permission = _all_of([_condition_required(p) for p in permitted])
        if _threshold_variables(required) & _threshold_variables(permission):
            span = _node_span(required).cover(_node_span(permission))
            if section == "exclusion":
                return All(span=span, children=(required, Not(span=_node_span(permission), child=permission)))
            return Any_(span=span, children=(required, permission))
        note = self._not_understood(
            _node_span(permission), 'a permission ("… is allowed", "… are eligible if …") the engine does not apply'
        )
        return All(span=_node_span(required).cover(note.span), children=(required, note))

    def _threshold_or_condition(
        self, clause: _Clause, numeric: Node, concepts: Node, not_understood: list[Unparsed]
    ) -> Node | None:
        """ "Serum creatinine > 2 mg/dL or dialysis": a threshold and a condition joined by "or" are alternatives.

        The words not understood go with the alternative they stand in, so that one side can still decide.
        None when no "or" stands between the two.
        """
        first, second = sorted((numeric, concepts), key=lambda n: _node_span(n).start)
        gap_start, gap_end = _node_span(first).end, _node_span(second).start
        gap = [p for p in clause.prose if gap_start <= p.char_start and p.char_end <= gap_end]
        # the "or" must follow the first alternative directly ("> 2 mg/dL, or dialysis"); an "or" further on joins
        # words inside the second one ("at least 2 moderate or severe exacerbations")
        position = 0
        while position < len(gap) and gap[position].text in _JOIN_PUNCTUATION:
            position += 1
        if position == len(gap) or not _is_or(gap[position]):
            return None
        if any("CONCEPT" in p.kinds for p in gap):
            return None  # "methylprednisolone or prednisone in a dose of 10 mg/day": the "or" joins the drugs
        joiner = gap[position]
        split = joiner.char_start
        clause.consumed.add(joiner.index)
        sides: list[Node] = []
        for node, on_this_side in ((first, True), (second, False)):
            extra = [u for u in not_understood if (u.span.end <= split) == on_this_side]
            if extra:
                children = sorted([node, *extra], key=lambda n: _node_span(n).start)
                node = All(span=_cover([_node_span(c) for c in children]) or _node_span(node), children=tuple(children))
            sides.append(node)
        return Any_(span=_cover([_node_span(n) for n in sides]) or _node_span(first), children=tuple(sides))

    # ----------------------------------------------------------------------------------------------- numbers
    def _numeric(self, clause: _Clause) -> Node | None:
        chunks = clause.chunks
        nodes: list[Node] = []
        # a permission restates thresholds of the variables of the clause it relaxes ("(≤ 5 × ULN is acceptable …)")
        last_variables: tuple[VariableMention, ...] = clause.inherited
        last_operator: str | None = None
        last_node_index = -1
        last_chunk_index = -1 if clause.inherited else -10
        either_joins: list[bool] = []  # per node: joined to the ones before it by "or"
        for index, chunk in enumerate(chunks):
            if not isinstance(chunk, ConstraintChunk):
                continue
            graded = None if chunk.variables else self._graded(clause, index)
            thresholds = [
                t for t in chunk.thresholds if t.explicit or chunk.variables or len(chunk.thresholds) > 1 or graded
            ]
            if not thresholds and last_operator is not None and _bare_value_for_sex(clause, index):
                # "at least 60 kg for men and 48 kg for women": the bare value takes the comparator before it
                thresholds = [_with_operator(t, last_operator) for t in chunk.thresholds]
            if not thresholds:
                if any(q is not None and q.unit for t in chunk.thresholds for q in (t.low, t.high)):
                    # "stable for 2 weeks", "48 hours": a quantity that is no threshold is reported, not dropped
                    clause.unplaced.append(
                        self._not_understood(chunk.span, "a quantity with no variable or comparator it belongs to")
                    )
                continue
            thresholds = _propagate_units(thresholds)
            variables = self._unit_fitting(clause, index, chunk.variables, thresholds)
            if graded is not None:
                variables, thresholds = (graded[0],), [_with_scale(t, graded[1]) for t in thresholds]
            inherited = False
            between = chunks[last_chunk_index + 1 : index] if last_chunk_index >= -1 else []
            leading_sex = _leading_sex(clause, index)  # "…, females < 120 g/L": the sex does not part the two
            adjacent = last_chunk_index >= -1 and all(
                isinstance(c, ProseChunk)
                and (c.piece.index in clause.consumed or not _is_content(c.piece) or c is leading_sex)
                and "VARIABLE" not in c.piece.kinds
                for c in between
            )
            if not variables and adjacent and last_variables and not self._is_duration(thresholds, last_variables):
                variables = last_variables
                inherited = True
            if not variables:
                implied = self._implied_variable(clause, index, thresholds)
                if implied is None:
                    if any(t.explicit for t in thresholds):
                        # "≥ 5 ppm CO": a threshold whose variable is not found is reported, not dropped
                        clause.unplaced.append(
                            self._not_understood(chunk.span, "a threshold with no variable it applies to")
                        )
                    continue
                if isinstance(implied, WindowChunk):
                    clause.durations.append(implied)
                    continue
                if isinstance(implied, Unparsed):
                    clause.unplaced.append(implied)
                    continue
                variables = (implied,)
            self._check_unknown_unit(chunk, thresholds)
            condition, exception = self._condition_after(clause, index)
            if condition is None and exception is None:
                condition = self._condition_before(clause, index)
            for c in between:
                if isinstance(c, ProseChunk):
                    clause.consumed.add(c.piece.index)
            node = self._threshold_node(variables, thresholds, chunk.span, either=chunk.either)
            if exception is not None:
                # "INR ≤ 1.5 unless on therapeutic anticoagulation": met by the threshold or by the exception
                node = Any_(span=_node_span(node).cover(_node_span(exception)), children=(node, exception))
            negation = self._negation_before(clause, index)
            if negation is not None:
                node = Not(span=negation.span.cover(chunk.span), child=node)
            restated = (
                condition is not None
                and bool(last_variables)
                and {v.id for v in variables} == {v.id for v in last_variables}
            )
            if (inherited or restated) and nodes and last_node_index == len(nodes) - 1:
                previous = nodes[-1]
                if condition is not None:
                    nodes[-1] = Conditional(
                        span=_node_span(previous).cover(chunk.span), when=condition, then=node, otherwise=previous
                    )
                elif any(isinstance(c, ProseChunk) and _is_or(c.piece) for c in between):
                    # "Systolic blood pressure < 90 mmHg, or > 160 mmHg": the second threshold is an alternative
                    nodes[-1] = Any_(span=_node_span(previous).cover(chunk.span), children=(previous, node))
                elif _admit_no_value_together(previous, node):
                    # "Adults older than 45 and children younger than 18 years": two groups, not one empty range
                    nodes[-1] = Any_(span=_node_span(previous).cover(chunk.span), children=(previous, node))
                else:
                    merged = _merge_bounds(previous, node)
                    nodes[-1] = (
                        merged
                        if merged is not None
                        else All(span=_node_span(previous).cover(chunk.span), children=(previous, node))
                    )
            else:
                if condition is not None:
                    node = Conditional(span=chunk.span, when=condition, then=node, otherwise=None)
                nodes.append(node)
                either_joins.append(any(isinstance(c, ProseChunk) and _is_or(c.piece) for c in between))
            last_variables = variables
            last_operator = thresholds[-1].operator
            last_node_index = len(nodes) - 1
            last_chunk_index = index
        if not nodes:
            return None
        # "creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 50 mL/min": thresholds joined by "or" need only one
        result = nodes[0]
        for node, either in zip(nodes[1:], either_joins[1:], strict=True):
            span = _node_span(result).cover(_node_span(node))
            result = Any_(span=span, children=(result, node)) if either else All(span=span, children=(result, node))
        return result

    def _unit_fitting(
        self,
        clause: _Clause,
        index: int,
        variables: tuple[VariableMention, ...],
        thresholds: Sequence[Threshold],
    ) -> tuple[VariableMention, ...]:
        """ "Body Mass Index (BMI, weight in kg divided by the square of height in meters) of 18 to 30 kg/m2": when
        no variable next to a threshold takes its unit but a variable named earlier in the clause does, the threshold
        is on that one."""
        unit = _first_unit(thresholds)
        if unit is None or not variables or any(self._takes_unit(v.id, unit) is not False for v in variables):
            return variables
        for chunk in reversed(clause.chunks[:index]):
            if isinstance(chunk, ConstraintChunk) or (isinstance(chunk, ProseChunk) and chunk.piece.text in (";", ".")):
                break
            piece = chunk.piece if isinstance(chunk, ProseChunk) else None
            if piece is not None and "VARIABLE" in piece.kinds and self._takes_unit(piece.kinds["VARIABLE"], unit):
                clause.consumed.add(piece.index)
                return (VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span),)
        return variables

    def _takes_unit(self, variable_id: str, unit: str) -> bool | None:
        """Whether a lexicon variable's unit converts to ``unit``; None when either is unknown."""
        variable = self.lexicon.variables.get(variable_id)
        if variable is None or not variable.unit:
            return None
        try:
            return units.compatible(unit, variable.unit, molar_mass=variable.molar_mass, analyte=variable.id)
        except CriteriaError:
            return False

    def _implied_variable(
        self, clause: _Clause, index: int, thresholds: Sequence[Threshold]
    ) -> VariableMention | WindowChunk | Unparsed | None:
        """What a threshold without a variable of its own is about.

        A variable named earlier in the clause; an age ("18 years or older", "aged 18-65"); a duration, which
        becomes a time window for the clause's event ("for at least 3 months"); a count of events ("at least two
        episodes"), which is not supported and reported; or the words just before it, as an unknown variable.
        """
        prose_before = [c.piece for c in clause.chunks[:index] if isinstance(c, ProseChunk)]
        unit = _first_unit(thresholds)
        is_time = unit in _TIME_UNITS.values()
        unfitting: Piece | None = None  # the nearest variable, whose unit does not fit the threshold's
        for piece in reversed(prose_before):
            if "VARIABLE" in piece.kinds or "GROUP" in piece.kinds:
                var_id = piece.kinds.get("VARIABLE") or piece.kinds["GROUP"]
                variable = self.lexicon.variables.get(var_id)
                if is_time and not (variable is not None and variable.unit in _TIME_UNITS.values()):
                    break
                if unit is not None and self._takes_unit(var_id, unit) is False:
                    # "BMI (weight in kg divided by the square of height in meters) of 18 to 30 kg/m2"
                    unfitting = unfitting or piece
                    continue
                _consume_with_abbreviation(clause, prose_before, piece)
                return VariableMention(var_id, "VARIABLE" not in piece.kinds, piece.text, piece.span)
        if unfitting is not None:
            _consume_with_abbreviation(clause, prose_before, unfitting)
            var_id = unfitting.kinds.get("VARIABLE") or unfitting.kinds["GROUP"]
            return VariableMention(var_id, "VARIABLE" not in unfitting.kinds, unfitting.text, unfitting.span)
        following = self._variable_after(clause, index)
        if following is not None:
            return following
        age_words = [
            p for p in clause.prose if "AGEWORD" in p.kinds or ("VARIABLE" in p.kinds and p.kinds["VARIABLE"] == "age")
        ]
        duration_cue = any(p.lower in _DURATION_CUES or "WITHIN" in p.kinds or "AFTER" in p.kinds for p in prose_before)
        in_years = any(q is not None and q.unit_normalized == "year" for t in thresholds for q in (t.low, t.high))
        written = _chunk_span(clause.chunks[index]).slice(self.document).lower()
        # "Adults 18 or older", "younger than 18": comparators that only ages take
        age_comparator = unit is None and any(word in written for word in ("older", "younger", "elder"))
        if age_words or age_comparator or (in_years and not duration_cue):
            for piece in age_words:
                clause.consumed.add(piece.index)
            return VariableMention("age", False, "age", thresholds[0].span)
        if is_time:
            threshold = thresholds[0]
            if threshold.operator in ("<", "<="):
                return WindowChunk(None, threshold.high, threshold.span)
            return WindowChunk(threshold.low, threshold.high if threshold.operator is None else None, threshold.span)
        scale = self._scale_after(clause, index, prose_before)
        if scale is not None:
            return scale
        chunk = clause.chunks[index]
        after = clause.chunks[index + 1] if index + 1 < len(clause.chunks) else None
        if (
            unit is None
            and isinstance(after, ProseChunk)
            and (_is_content(after.piece) or after.piece.lower == "of")
            and "VARIABLE" not in after.piece.kinds
            and "CONCEPT" not in after.piece.kinds
        ):
            clause.consumed.add(after.piece.index)
            return self._not_understood(
                _chunk_span(chunk).cover(after.piece.span), f"a count of {after.piece.text!r} is not supported"
            )
        # an unknown variable: the content words just before the threshold, as written
        words: list[Piece] = []
        for piece in reversed(prose_before):
            if (
                piece.text in (",", ";", ":")
                or "CONJ" in piece.kinds
                or "NEG" in piece.kinds
                or "WITH" in piece.kinds
                or "SEX" in piece.kinds  # "intake (males: = 28 units/week": the sex is no part of the variable
            ):
                if words:
                    break
                continue
            if piece.text in ("(", ")") or "VERB_IS" in piece.kinds or piece.lower in _STOPWORDS:
                if words and piece.text not in ("(", ")"):
                    break
                continue
            words.insert(0, piece)
            if len(words) >= 4:
                break
        if not words:
            return None
        for piece in words:
            clause.consumed.add(piece.index)
        misspelt = self._misspelt_variable(words)
        if misspelt is not None:
            return misspelt
        span = _cover_pieces(words) or words[0].span
        return VariableMention("", False, " ".join(p.text for p in words), span)

    def _check_unknown_unit(self, chunk: ConstraintChunk, thresholds: Sequence[Threshold]) -> None:
        """ "≤ 1.5 mgs/dL": a word after a threshold that is no unit but close to one is reported with a suggestion."""
        if _first_unit(thresholds) is not None or any(t.reference for t in thresholds):
            return
        match = _NEXT_WORD.match(self.document, chunk.span.end)
        if match is None:
            return
        word = match.group(1)
        if not any(ch.isalpha() for ch in word) or units.is_unit(word):
            return
        suggestions = units.suggest_units(word)
        if suggestions:
            start = match.start(1)
            self.diagnostics.append(
                Diagnostic(
                    code="unit-unknown",
                    severity="warning",
                    message=f"unknown unit {word!r}; did you mean {suggestions[0]!r}?",
                    span=Span(start=start, end=start + len(word)),
                    suggestion=suggestions[0],
                )
            )

    def _graded(self, clause: _Clause, index: int) -> tuple[VariableMention, str] | None:
        """ "Grade IV glioblastoma", "NYHA class III", "3rd trimester": a grade, class or stage of something.

        Returns the thing graded (the nearest condition or content word after the number, else before the scale
        word) and the scale word, which becomes the unit.
        """
        before = [c.piece for c in clause.chunks[:index] if isinstance(c, ProseChunk)]
        if not before or before[-1].lower not in _SCALE_WORDS:
            return None
        scale = before[-1]
        clause.consumed.add(scale.index)
        after = clause.chunks[index + 1 : index + 3]
        for chunk in after:
            if isinstance(chunk, ProseChunk) and (_is_content(chunk.piece) or "CONCEPT" in chunk.piece.kinds):
                return VariableMention("", False, chunk.piece.text, chunk.piece.span), scale.lower
        for piece in reversed(before[:-1]):
            if _is_content(piece) or "CONCEPT" in piece.kinds:
                return VariableMention("", False, piece.text, piece.span), scale.lower
        return VariableMention("", False, scale.text, scale.span), scale.lower

    def _is_duration(self, thresholds: Sequence[Threshold], variables: Sequence[VariableMention]) -> bool:
        """A time threshold cannot belong to a variable that is not itself a time ("phosphate ... for > 3 months")."""
        if _first_unit(thresholds) not in _TIME_UNITS.values():
            return False
        for variable in variables:
            known = self.lexicon.variables.get(variable.id)
            if known is not None and known.unit in _TIME_UNITS.values():
                return False
        return True

    def _negation_before(self, clause: _Clause, index: int) -> Piece | None:
        """ "No ALT > 3 x ULN": a negation cue right before a threshold (only fillers between) negates it."""
        for chunk in reversed(clause.chunks[:index]):
            if not isinstance(chunk, ProseChunk):
                return None
            piece = chunk.piece
            if "NEG" in piece.kinds:
                clause.consumed.add(piece.index)
                return piece
            if _is_content(piece) and "VARIABLE" not in piece.kinds and "GROUP" not in piece.kinds:
                return None
        return None

    def _scale_after(self, clause: _Clause, index: int, prose_before: Sequence[Piece]) -> VariableMention | None:
        """ "a score of > 5 on the Roland-Morris Disability Questionnaire", "< 120 points on the Mattis Dementia
        Rating Scale": the scale named after the threshold, when the words before it only say "score"."""
        chunks = clause.chunks
        position = index + 1
        following = chunks[position] if position < len(chunks) else None
        if isinstance(following, ProseChunk) and following.piece.lower in ("points", "point"):
            position += 1  # "< 120 points on the …": "points" is no unit the registry knows
        if position + 1 >= len(chunks):
            return None
        opener = chunks[position]
        if not isinstance(opener, ProseChunk) or opener.piece.lower not in ("on", "in", "of"):
            return None
        before: list[Piece] = []
        for piece in reversed(prose_before):
            if (
                piece.text in (",", ";", ":", "(", ")")
                or "CONJ" in piece.kinds
                or "WITH" in piece.kinds
                or piece.lower.startswith("with ")
            ):
                break  # "back pain with a baseline score of > 7 on …": the condition before "with" is no variable
            before.append(piece)
        if any(p.lower not in _GENERIC_SCORE_WORDS and _is_content(p) for p in before):
            return None  # "Hb > 9 g/dL in women": the words before name the variable
        words: list[Piece] = []
        for chunk in chunks[position + 1 :]:
            if not isinstance(chunk, ProseChunk):
                break
            piece = chunk.piece
            if piece.text in (",", ";", ".", "(", ")") or "CONJ" in piece.kinds or "IF" in piece.kinds:
                break
            if not words and piece.lower in ("the", "a", "an"):
                continue
            if words and (piece.lower in _AFTER_SCALE_NAME or "WITHIN" in piece.kinds or "BEFORE" in piece.kinds):
                break  # "… Scale at baseline"
            words.append(piece)
            if len(words) >= 10:
                break
        while words and not _is_content(words[-1]):
            words.pop()
        if not words or not any(
            p.lower.rsplit(" ", 1)[-1] in _SCALE_NAME_WORDS or "VARIABLE" in p.kinds for p in words
        ):
            return None
        between = [c.piece for c in chunks[index + 1 : position + 1] if isinstance(c, ProseChunk)]
        clause.consumed.update(p.index for p in (*between, *words, *before))
        self._taken_concepts.update(p.index for p in words if "CONCEPT" in p.kinds)  # "Mattis Dementia Rating Scale"
        if len(words) == 1 and "VARIABLE" in words[0].kinds:
            return VariableMention(words[0].kinds["VARIABLE"], False, words[0].text, words[0].span)
        span = _cover_pieces(words) or words[0].span
        return VariableMention("", False, _text_of(words, self.document), span)

    def _variable_after(self, clause: _Clause, index: int) -> VariableMention | None:
        """ "A minimum of 50 kg body weight": the variable written after its threshold."""
        for chunk in clause.chunks[index + 1 : index + 4]:
            if not isinstance(chunk, ProseChunk):
                return None
            piece = chunk.piece
            if "VARIABLE" in piece.kinds and piece.index not in clause.consumed:
                clause.consumed.add(piece.index)
                return VariableMention(piece.kinds["VARIABLE"], False, piece.text, piece.span)
            if _is_content(piece):
                return None
        return None

    def _misspelt_variable(self, words: list[Piece]) -> VariableMention | None:
        """An unknown mention that is a close misspelling of a variable name ("creatinin")."""
        candidate = words[-1].text
        if len(candidate) < 5:
            return None
        entry = _close_variable(self.lexicon, candidate.lower())
        if entry is None:
            return None
        self.diagnostics.append(
            Diagnostic(
                code="misspelling",
                severity="info",
                message=f"{candidate!r} read as {entry[0]!r}",
                span=words[-1].span,
                suggestion=entry[0],
            )
        )
        return VariableMention(entry[1], False, _text_of(words, self.document), _cover_pieces(words) or words[0].span)

    def _threshold_node(
        self, variables: Sequence[VariableMention], thresholds: Sequence[Threshold], span: Span, either: bool = False
    ) -> Node:
        per_variable: list[Node] = []
        references = [ref for variable in variables for ref in self._expand(variable)]
        if len(references) == 2 and any(t.pair is not None for t in thresholds):
            # "BP ≤ 140/90 mmHg": the first value bounds the first variable of the pair, the second the other
            first, second = references
            return All(
                span=span,
                children=(
                    self._one_threshold(first, thresholds[0]),
                    self._one_threshold(second, _pair_threshold(thresholds[0])),
                ),
            )
        for variable in variables:
            for ref in self._expand(variable):
                alternatives = [self._one_threshold(ref, t) for t in thresholds]
                per_variable.append(
                    alternatives[0] if len(alternatives) == 1 else Any_(span=span, children=tuple(alternatives))
                )
        if len(per_variable) == 1:
            return per_variable[0]
        if either:
            return Any_(span=span, children=tuple(per_variable))
        return All(span=span, children=tuple(per_variable))

    def _expand(self, variable: VariableMention) -> list[VariableRef]:
        if variable.is_group and variable.id in self.lexicon.groups:
            group = self.lexicon.groups[variable.id]
            return [
                VariableRef(id=m, mention=variable.mention, span=variable.span, group=variable.mention)
                for m in group.members
            ]
        return [VariableRef(id=variable.id or None, mention=variable.mention, span=variable.span)]

    def _one_threshold(self, variable: VariableRef, t: Threshold) -> Node:
        span = variable.span.cover(t.span)
        if variable.id == "age":
            unit = _time_unit(_first_unit([t])) or "year"
            return Demographic(
                span=span,
                attribute="age",
                low=t.low.value if t.low else None,
                low_inclusive=t.low_inclusive,
                high=_in_unit(t.high, unit) if t.high else None,
                high_inclusive=t.high_inclusive,
                unit=unit,
            )
        if t.reference is not None:
            factor = (t.low or t.high or Quantity(value=1.0)).value
            operator = t.operator if t.operator in ("<", "<=", ">", ">=") else "=="
            return ReferenceMultiple(
                span=span,
                variable=variable,
                operator=operator,
                factor=factor,
                reference=t.reference,
            )
        if t.operator in ("<", "<=", ">", ">=") and (t.low is None) != (t.high is None):
            quantity = t.low if t.low is not None else t.high
            assert quantity is not None
            return Comparison(span=span, variable=variable, operator=t.operator, quantity=quantity)
        if t.low is not None and t.high is not None and t.low == t.high and t.low_inclusive and t.high_inclusive:
            return Comparison(span=span, variable=variable, operator="==", quantity=t.low)
        return Range(
            span=span,
            variable=variable,
            low=t.low,
            low_inclusive=t.low_inclusive,
            high=t.high,
            high_inclusive=t.high_inclusive,
        )

    def _condition_after(self, clause: _Clause, index: int) -> tuple[Node | None, Node | None]:
        """(condition, exception) after the threshold at ``index``: "if liver metastases are present" is a
        condition for it, "unless on therapeutic anticoagulation" an exception to it."""
        for chunk in clause.chunks[index + 1 :]:
            if isinstance(chunk, ConstraintChunk) or (isinstance(chunk, ProseChunk) and chunk.piece.text in (";", ".")):
                return None, None
            if isinstance(chunk, ProseChunk) and "UNLESS" in chunk.piece.kinds:
                exception = self._condition_at(clause, clause.chunks.index(chunk))
                return None, exception
            if isinstance(chunk, ProseChunk) and "IF" in chunk.piece.kinds:
                return self._condition_at(clause, clause.chunks.index(chunk)), None
            if _sex_leads_threshold(clause, clause.chunks.index(chunk)):
                return None, None  # "Hb < 130 g/L, females < 120 g/L": the sex belongs to the next threshold
            sex = self._sex_condition(clause, chunk)
            if sex is not None:
                return sex, None
            if not (isinstance(chunk, ProseChunk) and not _is_content(chunk.piece)):
                return None, None
        return None, None

    def _condition_before(self, clause: _Clause, index: int) -> Node | None:
        """ "in case of hepatic metastases, AST ≤ 5 × ULN": a condition written before its threshold; likewise
        "males Hb < 130 g/L, females < 120 g/L", where the clause gives a threshold for each sex."""
        leading_sex = _leading_sex(clause, index)
        if leading_sex is not None:
            return self._sex_condition(clause, leading_sex)
        for position in range(index - 1, -1, -1):
            chunk = clause.chunks[position]
            if not isinstance(chunk, ProseChunk):
                return None
            piece = chunk.piece
            if "IF" in piece.kinds and piece.index not in clause.consumed:
                return self._condition_at(clause, position)
            if piece.text in (";", "."):
                return None
        return None

    def _condition_at(self, clause: _Clause, start: int) -> Node | None:
        """The condition that the IF/UNLESS cue at ``start`` introduces: a known concept, else its words."""
        chunk = clause.chunks[start]
        if isinstance(chunk, ProseChunk):
            for later in clause.chunks[start + 1 :]:
                if isinstance(later, ConstraintChunk):
                    return None
                if isinstance(later, ProseChunk) and later.piece.text == ")":
                    break
                if isinstance(later, ProseChunk) and "CONCEPT" in later.piece.kinds:
                    piece = later.piece
                    clause.consumed.update({chunk.piece.index, piece.index})
                    for other in clause.chunks[start + 1 : clause.chunks.index(later) + 3]:
                        if isinstance(other, ProseChunk) and not _is_content(other.piece):
                            clause.consumed.add(other.piece.index)
                    self._taken_concepts.add(piece.index)
                    return Presence(span=piece.span, concept=self._concept_ref(piece, ()))
        return self._unknown_condition(clause, start)

    def _unknown_condition(self, clause: _Clause, start: int) -> Node | None:
        """ "if bone marrow involvement": a condition the lexicon does not know, kept as a concept by its words."""
        words: list[Piece] = []
        for later in clause.chunks[start + 1 :]:
            if not isinstance(later, ProseChunk) or later.piece.text in (")", ",", ";"):
                break
            words.append(later.piece)
        content = _trim([p for p in words if p.lower not in ("is", "are", "present", "documented", "known")])
        if not content:
            return None
        for p in words:
            clause.consumed.add(p.index)
        clause.consumed.add(clause.chunks[start].piece.index)  # type: ignore[union-attr]
        span = _cover_pieces(content) or content[0].span
        mention = _text_of(content, self.document)
        return Presence(span=span, concept=ConceptRef(id=None, mention=mention, span=span, category="other"))

    def _sex_condition(self, clause: _Clause, chunk: Chunk) -> Node | None:
        """ "≥ 12 g/dL for women": the threshold applies to one sex."""
        if not isinstance(chunk, ProseChunk) or "SEX" not in chunk.piece.kinds:
            return None
        value = chunk.piece.kinds["SEX"]
        if value not in ("female", "male"):
            return None
        clause.consumed.add(chunk.piece.index)
        return Demographic(span=chunk.piece.span, attribute="sex", sex=value)

    # ----------------------------------------------------------------------------------------------- concepts
    def _concepts(self, clause: _Clause, section: Section, diagnostics: list[Diagnostic]) -> Node | None:
        items: list[tuple[Piece, tuple[str, ...]]] = []
        chunks = clause.chunks
        pieces = clause.prose
        # a condition whose threshold is missing ("if liver metastases are present" on its own) is not a requirement:
        # concepts after an unattached "if"/"unless" are left to be reported as not understood
        concept_positions: list[int] = []
        consumed = clause.consumed
        for k, p in enumerate(pieces):
            kinds = p.kinds
            if not kinds:
                continue
            if ("IF" in kinds or "UNLESS" in kinds) and p.index not in consumed:
                break
            if "CONCEPT" in kinds and p.index not in self._taken_concepts:
                concept_positions.append(k)
        prefix_negations, modifiers = self._non_prefixes(clause, pieces)
        if modifiers:
            concept_positions = [k for k in concept_positions if pieces[k].index not in modifiers]
        if not concept_positions:
            return None
        connective_or = False
        with_join = False
        seen_ids: set[str] = set()
        details: dict[int, str] = {}
        for position in concept_positions:
            piece = pieces[position]
            qualifiers: list[str] = []
            k = position - 1
            while k >= 0 and ("QUAL" in pieces[k].kinds or pieces[k].lower in ("of", "a", "an", "the", "with")):
                if "QUAL" in pieces[k].kinds:
                    value = pieces[k].kinds["QUAL"]
                    qualifiers.insert(0, value)
                    clause.consumed.add(pieces[k].index)
                    if value.replace("_", " ") != pieces[k].lower and value not in _PHRASE_QUALIFIERS:
                        diagnostics.append(
                            Diagnostic(
                                code="misspelling",
                                severity="info",
                                message=f"{pieces[k].text!r} read as {value!r}",
                                span=pieces[k].span,
                                suggestion=value,
                            )
                        )
                k -= 1
            concept_id = piece.kinds["CONCEPT"]
            clause.consumed.add(piece.index)
            if concept_id in seen_ids:
                continue  # "SLE (Systemic lupus erythematosus)", "malignant tumors or other malignant disease"
            seen_ids.add(concept_id)
            items.append((piece, tuple(qualifiers)))
            detail = _detail_after(pieces, position, self.document)
            if detail is not None:
                run, text = detail
                # a bare number inside the definition ("criteria in 1997") belongs to it
                end = max(p.char_end for p in run)
                for chunk in chunks:
                    if (
                        isinstance(chunk, ConstraintChunk)
                        and chunk.span.start >= end - 1
                        and not any(t.explicit for t in chunk.thresholds)
                    ):
                        end = max(end, chunk.span.end)
                text = self.document[run[0].char_start : end]
                details[len(items) - 1] = text
                for p in run:
                    clause.consumed.add(p.index)
        # coordination ellipsis after the head: "hepatitis B or C" -> hepatitis B, hepatitis C
        for position in concept_positions:
            if position + 2 < len(pieces) and (
                "CONJ" in pieces[position + 1].kinds or pieces[position + 1].text in (",", "/")
            ):
                other = pieces[position + 2]
                if "CONCEPT" in other.kinds or not other.text.isalnum() or len(other.text) > 3:
                    continue
                words = pieces[position].text.split()
                entry = self.phrases.get(" ".join([*words[:-1], other.text]).lower())
                if len(words) > 1 and entry and entry[0] == "CONCEPT":
                    fake = Piece(
                        other.index,
                        other.start,
                        other.end,
                        other.char_start,
                        other.char_end,
                        other.text,
                        {"CONCEPT": entry[1]},
                    )
                    items.append((fake, items[-1][1] if items else ()))
                    clause.consumed.add(other.index)
        # coordination ellipsis: "liver and kidney disease" -> liver disease, kidney disease
        for position in concept_positions:
            if position >= 2 and ("CONJ" in pieces[position - 1].kinds or pieces[position - 1].text == ","):
                modifier = pieces[position - 2]
                if "CONCEPT" in modifier.kinds or "QUAL" in modifier.kinds:
                    continue
                head = pieces[position].text.split()[-1].lower()
                entry = self.phrases.get(f"{modifier.lower} {head}")
                if entry and entry[0] == "CONCEPT":
                    fake = Piece(
                        modifier.index,
                        modifier.start,
                        modifier.end,
                        modifier.char_start,
                        modifier.char_end,
                        modifier.text,
                        {"CONCEPT": entry[1]},
                    )
                    items.append((fake, ()))
                    clause.consumed.add(modifier.index)
        in_negation = self._negation_scope(clause, pieces, items)
        for p in pieces:
            if "CONJ" in p.kinds or p.text == ",":
                if p.kinds.get("CONJ") in ("or", "andor") or p.lower == "nor":
                    connective_or = True
                clause.consumed.add(p.index)
            if "WITH" in p.kinds:
                with_join = True
                clause.consumed.add(p.index)
        # "non-pregnant, non-lactating": when "non" negates every condition, the list is negated as a whole
        all_prefixed = all(piece.index in prefix_negations for piece, _ in items)
        negated = all_prefixed or (bool(in_negation) and all(piece.index in in_negation for piece, _ in items))
        windows = [c for c in chunks if isinstance(c, WindowChunk)] + clause.durations
        anchors = [p for p in pieces if "ANCHOR" in p.kinds]
        presences: list[Node] = []
        negated_presences: list[Node] = []
        for number, (piece, written_qualifiers) in enumerate(items):
            window = self._window_for(piece, windows, anchors, clause)
            presence: Node = Presence(
                span=piece.span if window is None else piece.span.cover(window.span),
                concept=self._concept_ref(piece, written_qualifiers, details.get(number)),
                window=window,
            )
            prefix = prefix_negations.get(piece.index)
            if prefix is not None and not all_prefixed:
                presence = Not(span=prefix.span.cover(presence.span), child=presence)  # "non-smoker"
            if not negated and piece.index in in_negation:
                negated_presences.append(presence)
            else:
                presences.append(presence)
        if negated_presences:
            # "with hypertension but without diabetes": the positive conditions, and none of the negated ones
            excluded = _any_of(negated_presences)
            absent = Not(span=_node_span(excluded), child=excluded)
            if not presences:
                return absent
            positive = self._combine_conditions(presences, section, with_join, connective_or, negated=False)
            return All(span=_node_span(positive).cover(absent.span), children=(positive, absent))
        node = self._combine_conditions(presences, section, with_join, connective_or, negated)
        if negated:
            return Not(span=node.span, child=node)
        return node

    @staticmethod
    def _combine_conditions(
        presences: list[Node], section: Section, with_join: bool, connective_or: bool, negated: bool
    ) -> Node:
        presences.sort(key=lambda n: n.span.start)
        span = _cover([n.span for n in presences]) or presences[0].span
        if len(presences) == 1:
            return presences[0]
        if with_join and not connective_or:
            return All(span=span, children=tuple(presences))
        if connective_or or section == "exclusion" or negated:
            return Any_(span=span, children=tuple(presences))
        return All(span=span, children=tuple(presences))

    def _negation_scope(
        self, clause: _Clause, pieces: list[Piece], items: list[tuple[Piece, tuple[str, ...]]]
    ) -> set[int]:
        """The conditions a negation cue reaches: those after it, up to a word that starts a new description
        ("with", "but", "who", ";", "if"). Returns their piece indices; the cues that reach one are consumed."""
        order = {p.index: k for k, p in enumerate(pieces)}
        reached: set[int] = set()
        for piece, _ in items:
            k = order.get(piece.index)
            if k is None:
                continue
            after = k + 1
            # "HIV-negative", "pregnancy test (hCG) that is negative", "pregnancy test result: negative"
            while after < len(pieces):
                word = pieces[after]
                if word.text == "(":
                    close = next(
                        (m for m in range(after + 1, min(len(pieces), after + 12)) if pieces[m].text == ")"), None
                    )
                    if close is None:
                        break
                    after = close + 1
                    continue
                if not (
                    word.text in _HYPHENS
                    or word.text == ":"
                    or "VERB_IS" in word.kinds
                    or word.lower in _STOPWORDS
                    or word.lower in ("test", "tests", "result", "results", "screen")
                ):
                    break
                after += 1
            if after < len(pieces) and pieces[after].lower in _NEGATIVE_RESULT:
                reached.add(piece.index)  # "HIV negative", "HIV-seronegative"
                clause.consumed.add(pieces[after].index)
                continue
            for j in range(k - 1, -1, -1):
                before = pieces[j]
                if "NEG" in before.kinds and before.lower not in _NON:
                    reached.add(piece.index)
                    clause.consumed.add(before.index)
                    break
                if (
                    before.lower in _SCOPE_BREAKERS
                    or before.text == ";"
                    or not _SCOPE_BREAKING_KINDS.isdisjoint(before.kinds)
                    # "not pregnant and on effective contraception": "and" starts a new predicate
                    or (before.lower in _PREDICATE_STARTS and j > 0 and pieces[j - 1].lower == "and")
                ):
                    break
        return reached

    def _non_prefixes(self, clause: _Clause, pieces: list[Piece]) -> tuple[dict[int, Piece], set[int]]:
        """ "non-" negates the word it is attached to, never the clause.

        Returns the concepts it negates ("non-smoker", "non-pregnant female": concept piece index -> the "non"
        piece) and the concepts that only modify the noun after them ("non-malignant illness", "non-infectious
        pneumonitis"): those are no presence, and the modifier is reported as not understood.
        """
        negated: dict[int, Piece] = {}
        modifiers: set[int] = set()
        for k, piece in enumerate(pieces):
            if piece.lower in _AGAINST and k + 2 < len(pieces) and pieces[k + 1].text in _HYPHENS:
                # "anti-epileptic medication" is a treatment, not epilepsy
                target = pieces[k + 2]
                if "CONCEPT" in target.kinds and pieces[k + 1].char_start == piece.char_end:
                    modifiers.add(target.index)
                    clause.consumed.add(pieces[k + 1].index)
                    self._unplace(
                        clause, piece, target, f"a treatment against {target.text!r}, not the condition itself"
                    )
                continue
            if piece.lower not in _NON or "NEG" not in piece.kinds:
                continue
            clause.consumed.add(piece.index)
            j = k + 1
            if j < len(pieces) and pieces[j].text in _HYPHENS:
                clause.consumed.add(pieces[j].index)
                j += 1
            if j >= len(pieces):
                continue
            if "CONCEPT" not in pieces[j].kinds:
                if _is_content(pieces[j]):  # "non-cardiac surgery": reported with its "non", not as "cardiac"
                    self._unplace(clause, piece, pieces[j], "a negated modifier, not applied")
                continue
            concept = pieces[j]
            following = pieces[j + 1] if j + 1 < len(pieces) else None
            if following is not None and following.text in (")", "]"):
                following = pieces[j + 2] if j + 2 < len(pieces) else None
            if (
                following is not None
                and (_is_content(following) or following.lower in _GENERIC_NOUNS)
                and ("SEX" not in following.kinds and following.lower not in _PERSON_WORDS)
            ):
                modifiers.add(concept.index)
                self._unplace(clause, piece, concept, f"a negated modifier of {following.text!r}, not applied")
            else:
                negated[concept.index] = piece
        return negated, modifiers

    def _unplace(self, clause: _Clause, first: Piece, last: Piece, reason: str) -> None:
        """Report the words from ``first`` to ``last`` as not understood, with the reason, and consume them."""
        clause.consumed.update((first.index, last.index))
        clause.unplaced.append(self._not_understood(first.span.cover(last.span), reason))

    def _not_understood(self, span: Span, reason: str) -> Unparsed:
        """The document text at ``span``, reported as not understood for ``reason``."""
        return Unparsed(span=span, text=span.slice(self.document), reason=reason)

    def _window_for(
        self, piece: Piece, windows: list[WindowChunk], anchors: list[Piece], clause: _Clause
    ) -> TemporalWindow | None:
        if not windows:
            return None
        window = min(windows, key=lambda w: abs(w.span.start - piece.char_end))
        clause.placed_windows.add(id(window))
        anchor_text = None
        after = [a for a in anchors if a.char_start >= window.span.end]
        if after:
            anchor_text = after[0].text
            clause.consumed.add(after[0].index)
        return TemporalWindow(min_ago=window.min_ago, max_ago=window.max_ago, anchor=anchor_text, span=window.span)

    def _concept_ref(self, piece: Piece, qualifiers: tuple[str, ...], detail: str | None = None) -> ConceptRef:
        concept_id = piece.kinds["CONCEPT"]
        concept = self.lexicon.concepts.get(concept_id)
        category = concept.category if concept is not None else "condition"
        if category not in ("condition", "state", "medication", "procedure"):
            category = "other"
        return ConceptRef(
            id=concept_id,
            mention=piece.text,
            span=piece.span,
            category=category,
            qualifiers=qualifiers,
            detail=detail,
        )

    # ----------------------------------------------------------------------------------------------- the rest
    def _sex(self, clause: _Clause) -> Node | None:
        """A sex restriction ("Female patients", "pregnant or breastfeeding women"); none for "men and women"."""
        sexes = [p for p in clause.prose if "SEX" in p.kinds and p.index not in clause.consumed]
        if not sexes:
            return None
        for p in sexes:
            clause.consumed.add(p.index)
        values = {p.kinds["SEX"] for p in sexes}
        if "any" in values or len(values) != 1:
            return None
        value = values.pop()
        return Demographic(span=_cover_pieces(sexes) or sexes[0].span, attribute="sex", sex=value)

    @staticmethod
    def _sex_is_condition(clause: _Clause, sex: Node) -> bool:
        """ "for female subjects", "in women": a sex after "for"/"in" says whom the clause applies to."""
        prose = clause.prose
        for k, piece in enumerate(prose):
            if "SEX" not in piece.kinds or not (sex.span.start <= piece.char_start < sex.span.end):
                continue
            j = k - 1
            while j >= 0 and ("VERB_IS" in prose[j].kinds or prose[j].lower in ("all", "any", "the")):
                j -= 1
            if j >= 0 and prose[j].lower in _SEX_PREPOSITIONS:
                return True
        return False

    def _leftovers(self, clause: _Clause, loose: set[int] | frozenset[int] = frozenset()) -> list[list[Piece]]:
        """Runs of words nothing explained; ``loose`` pieces (negations that reached nothing) count as words."""

        def content(piece: Piece) -> bool:
            # a number that nothing placed is never filler ("from 18 years" that the grammar could not read)
            return piece.index in loose or _is_content(piece) or "NUM" in piece.kinds or "UNIT" in piece.kinds

        runs: list[list[Piece]] = []
        current: list[Piece] = []
        for chunk in clause.chunks:
            if isinstance(chunk, ProseChunk):
                piece = chunk.piece
                if piece.index in clause.consumed or not content(piece):
                    if (
                        current
                        and piece.index not in clause.consumed
                        and (
                            piece.lower in _STOPWORDS
                            # "anti-inflammatory": a hyphen inside a word keeps the word whole
                            or (piece.text in _HYPHENS and current[-1].char_end == piece.char_start)
                        )
                    ):
                        current.append(piece)
                        continue
                    if current:
                        runs.append(current)
                        current = []
                    continue
                current.append(piece)
            elif current:
                runs.append(current)
                current = []
        if current:
            runs.append(current)
        return [_trim(run, content) for run in runs if any(content(p) for p in run)]


def _trim(run: list[Piece], content: Callable[[Piece], bool] | None = None) -> list[Piece]:
    content = content or _is_content
    while run and not content(run[-1]):
        run = run[:-1]
    while run and not content(run[0]):
        run = run[1:]
    return run


# Cue words the parser knows; left over (a qualifier with no condition after it, an anchor with no window) they
# add nothing a reader must resolve, so they are not reported as "not understood".
_STRUCTURAL_KINDS = frozenset(
    {"VERB_IS", "CONJ", "TO", "FROM", "BETWEEN", "WITH", "AGEWORD", "TIMES", "CMP_POST", "CMP_PRE", "NUM", "NUMWORD"}
    | {"UNIT", "REF", "QUAL", "ANCHOR", "NEG", "WITHIN", "BEFORE", "AFTER", "IF", "UNLESS", "ALLOWED", "OBLIGE"}
)


def _is_content(piece: Piece) -> bool:
    """Does this prose piece carry meaning that must be understood (not a stopword, punctuation or known cue)?"""
    kinds = piece.kinds
    if kinds:
        if "VERB_IS" in kinds:
            return False
        return not all(kind in _STRUCTURAL_KINDS for kind in kinds)
    return _is_content_word(piece.text.lower())


@lru_cache(maxsize=65536)
def _is_content_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text) and text not in _STOPWORDS


def _not_computable_category(pieces: Sequence[Piece]) -> str:
    order = ("consent", "willingness", "judgement", "administrative")
    values = {p.kinds["NOTCOMP"] for p in pieces}
    for category in order:
        if category in values:
            return category
    return "other"


def _detail_after(pieces: Sequence[Piece], position: int, document: str) -> tuple[list[Piece], str] | None:
    """A definition such as "from ACR according to established criteria in 1997" after a concept."""
    k = position + 1
    while (k < len(pieces) and pieces[k].text in ("(", ")")) or (
        k < len(pieces)
        and "CONCEPT" in pieces[k].kinds
        and pieces[k].kinds["CONCEPT"] == pieces[position].kinds["CONCEPT"]
    ):
        k += 1
    if k >= len(pieces) or (pieces[k].lower.split() or [""])[0] not in _DETAIL_OPENERS:
        return None
    run: list[Piece] = []
    for piece in pieces[k:]:
        if piece.text in _CLAUSE_BREAKS or "NEG" in piece.kinds or ("CONCEPT" in piece.kinds and run):
            break
        run.append(piece)
    if any(p.lower in _DETAIL_WORDS for p in run):
        return run, _text_of(run, document)
    return None


_NEXT_WORD = re.compile(r"[ \t]*([^\s,;()]{2,20})")
_SCALE_WORDS = frozenset({"grade", "grades", "class", "classes", "stage", "stages", "type", "trimester", "level"})


def _with_scale(t: Threshold, scale: str) -> Threshold:
    low = Quantity(value=t.low.value, unit=scale) if t.low is not None and not t.low.unit else t.low
    high = Quantity(value=t.high.value, unit=scale) if t.high is not None and not t.high.unit else t.high
    return Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit, t.pair)


def _pair_threshold(t: Threshold) -> Threshold:
    second = t.pair
    low = second if t.low is not None else None
    high = second if t.high is not None else None
    return Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit)


def _propagate_units(thresholds: list[Threshold]) -> list[Threshold]:
    """ "< 40 or > 100 mmHg": a unit written once applies to the thresholds of the list that lack one."""
    units = [q for t in thresholds for q in (t.low, t.high) if q is not None and q.unit]
    if not units or len(thresholds) < 2:
        return thresholds
    unit = units[-1]
    result = []
    for t in thresholds:
        if t.reference is not None:
            result.append(t)
            continue
        low = _with_unit(t.low, unit)
        high = _with_unit(t.high, unit)
        result.append(
            Threshold(low, t.low_inclusive, high, t.high_inclusive, t.reference, t.operator, t.span, t.explicit)
        )
    return result


def _with_unit(q: Quantity | None, unit: Quantity) -> Quantity | None:
    if q is None or q.unit:
        return q
    return Quantity(value=q.value, unit=unit.unit, unit_normalized=unit.unit_normalized)


def _first_unit(thresholds: Sequence[Threshold]) -> str | None:
    for t in thresholds:
        for q in (t.low, t.high):
            if q is not None and q.unit_normalized:
                return q.unit_normalized
    return None


def _in_unit(quantity: Quantity, unit: str) -> float:
    """ "aged 28 days to 18 years": the upper end in the unit of the lower one (one unit per age node)."""
    written = _time_unit(quantity.unit_normalized)
    if written is None or written == unit:
        return quantity.value
    try:
        return units.convert(quantity.value, written, unit).value
    except CriteriaError:
        return quantity.value


def _time_unit(unit: str | None) -> str | None:
    if unit is None:
        return None
    return _TIME_UNITS.get(unit.rstrip("s"))


def _one_sided(node: Node) -> tuple[str, str | None, float | None, bool, float | None, bool] | None:
    """(variable, unit, low, low_inclusive, high, high_inclusive) of an age or comparison bound, else None."""
    if isinstance(node, Demographic) and node.attribute == "age":
        return "age", node.unit, node.low, node.low_inclusive, node.high, node.high_inclusive
    if isinstance(node, Comparison) and node.operator in (">", ">=", "<", "<=") and node.variable.id:
        value, unit = node.quantity.value, node.quantity.unit_normalized
        if node.operator in (">", ">="):
            return node.variable.id, unit, value, node.operator == ">=", None, False
        return node.variable.id, unit, None, False, value, node.operator == "<="
    return None


def _admit_no_value_together(first: Node, second: Node) -> bool:
    """Are these two bounds of one variable, in one unit, that no value meets together ("> 45 and < 18")?"""
    one, two = _one_sided(first), _one_sided(second)
    if one is None or two is None or one[:2] != two[:2]:
        return False
    lows = [(low, inclusive) for low, inclusive in ((one[2], one[3]), (two[2], two[3])) if low is not None]
    highs = [(high, inclusive) for high, inclusive in ((one[4], one[5]), (two[4], two[5])) if high is not None]
    if len(lows) != 1 or len(highs) != 1:
        return False
    (low, low_inclusive), (high, high_inclusive) = lows[0], highs[0]
    return low > high or (low == high and not (low_inclusive and high_inclusive))


def _merge_bounds(first: Node, second: Node) -> Node | None:
    """ "Age ≥ 18 and < 65 years": two one-sided bounds of one variable make one interval."""
    if (
        isinstance(first, Demographic)
        and isinstance(second, Demographic)
        and first.attribute == second.attribute == "age"
    ):
        if first.high is None and second.low is None and first.low is not None and second.high is not None:
            return Demographic(
                span=first.span.cover(second.span),
                attribute="age",
                low=first.low,
                low_inclusive=first.low_inclusive,
                high=second.high,
                high_inclusive=second.high_inclusive,
                unit=second.unit or first.unit,
            )
        return None
    if (
        isinstance(first, Comparison)
        and isinstance(second, Comparison)
        and first.variable.id == second.variable.id
        and first.operator in (">", ">=")
        and second.operator in ("<", "<=")
    ):
        return Range(
            span=first.span.cover(second.span),
            variable=first.variable,
            low=first.quantity,
            low_inclusive=first.operator == ">=",
            high=second.quantity,
            high_inclusive=second.operator == "<=",
        )
    return None


def _consume_with_abbreviation(clause: _Clause, prose: Sequence[Piece], piece: Piece) -> None:
    """Mark a variable's piece as explained, with the other half of "Body Mass Index (BMI" when it names the same."""
    clause.consumed.add(piece.index)
    position = prose.index(piece)
    if position >= 2 and prose[position - 1].text == "(":
        full = prose[position - 2]
        if full.kinds.get("VARIABLE", "") == piece.kinds.get("VARIABLE") and "VARIABLE" in full.kinds:
            clause.consumed.add(full.index)


def _bare_value_for_sex(clause: _Clause, index: int) -> bool:
    """Is the bare value at ``index`` followed by "for women"/"in men" in a criterion that names both sexes?"""
    chunks = clause.chunks
    if index + 2 >= len(chunks) or not {"female", "male"} <= clause.sexes:
        return False
    preposition, sex = chunks[index + 1], chunks[index + 2]
    return (
        isinstance(preposition, ProseChunk)
        and preposition.piece.lower in _SEX_PREPOSITIONS
        and isinstance(sex, ProseChunk)
        and sex.piece.kinds.get("SEX") in ("female", "male")
    )


def _with_operator(threshold: Threshold, operator: str) -> Threshold:
    """A bare value ("48 kg") as a bound with ``operator``."""
    value = threshold.low or threshold.high
    if operator in (">", ">="):
        return replace(
            threshold, low=value, low_inclusive=operator == ">=", high=None, high_inclusive=False, operator=operator
        )
    if operator in ("<", "<="):
        return replace(
            threshold, low=None, low_inclusive=False, high=value, high_inclusive=operator == "<=", operator=operator
        )
    return threshold


def _between_sex_and_threshold(chunk: Chunk) -> bool:
    """Words that may stand between a sex and its threshold: "males: Hb < 130", "women with a BMI > 35"."""
    return isinstance(chunk, ProseChunk) and chunk.piece.lower in (
        ":",
        "with",
        "with a",
        "with an",
        "having",
        "who have",
    )


def _leading_sex(clause: _Clause, index: int) -> ProseChunk | None:
    """The sex word that leads the threshold at ``index`` (see :func:`_sex_leads_threshold`), if any."""
    position = index - 1
    while position >= 0 and _between_sex_and_threshold(clause.chunks[position]):
        position -= 1
    if position < 0 or not _sex_leads_threshold(clause, position):
        return None
    chunk = clause.chunks[position]
    assert isinstance(chunk, ProseChunk)
    return chunk


def _sex_leads_threshold(clause: _Clause, position: int) -> bool:
    """Is the chunk at ``position`` a bare sex word right before a threshold ("males Hb < 130 g/L", "female<105
    ml/min") in a criterion that names both sexes? A sex after "for"/"in" says whom the threshold before it applies
    to instead ("< 130 g/L for men, < 120 g/L for women")."""
    chunks = clause.chunks
    chunk = chunks[position]
    if not isinstance(chunk, ProseChunk) or chunk.piece.kinds.get("SEX") not in ("female", "male"):
        return False
    if chunk.piece.index in clause.consumed:
        return False
    before = chunks[position - 1] if position > 0 else None
    if isinstance(before, ProseChunk) and before.piece.lower in _SEX_PREPOSITIONS:
        return False
    following = position + 1
    while following < len(chunks) and _between_sex_and_threshold(chunks[following]):
        following += 1
    if following >= len(chunks) or not isinstance(chunks[following], ConstraintChunk):
        return False
    return {"female", "male"} <= clause.sexes


def _is_or(piece: Piece) -> bool:
    return piece.kinds.get("CONJ") in ("or", "andor") or piece.lower in ("or", "and/or")


def _chunk_span(chunk: Chunk) -> Span:
    return chunk.piece.span if isinstance(chunk, ProseChunk) else chunk.span


def _first_with(chunks: Sequence[Chunk], kind: str) -> int | None:
    """Index of the first prose chunk with an annotation of ``kind``."""
    return next((k for k, c in enumerate(chunks) if isinstance(c, ProseChunk) and kind in c.piece.kinds), None)


def _split_obligation(clause: _Clause) -> list[_Clause]:
    """ "Female patients | must have a negative pregnancy test": the words before an obligation name whom it
    applies to, when they hold a sex, a condition or a threshold."""
    if clause.permission:
        return [clause]
    chunks = clause.chunks
    cue = _first_with(chunks, "OBLIGE")
    if not cue:
        return [clause]
    subject = chunks[:cue]
    names_someone = any(
        isinstance(c, ConstraintChunk)
        or (
            isinstance(c, ProseChunk) and ("CONCEPT" in c.piece.kinds or c.piece.kinds.get("SEX") in ("female", "male"))
        )
        for c in subject
    )
    body = chunks[cue:]
    # "Previous chemotherapy must have been performed ≥ 8 weeks prior": the rest only qualifies the subject
    states_something = any(
        isinstance(c, ConstraintChunk)
        or (isinstance(c, ProseChunk) and not {"CONCEPT", "NOTCOMP", "VARIABLE"}.isdisjoint(c.piece.kinds))
        for c in body
    )
    if not names_someone or not states_something:
        return [clause]
    return [_Clause(subject, subject=True), _Clause(body, inherited=clause.inherited)]


def _split_permission(clause: _Clause) -> list[_Clause]:
    """ "Bilirubin ≤ 1.5 × ULN (isolated bilirubin > 1.5 × ULN is acceptable if ...)": the permission becomes a
    clause of its own, from the bracket, comma or "except" before its cue to the closing bracket."""
    chunks = clause.chunks
    cue = _first_with(chunks, "ALLOWED")
    if cue is None:
        return [clause]
    after = chunks[cue + 1] if cue + 1 < len(chunks) else None
    if isinstance(after, ProseChunk) and after.piece.lower in ("for", "to"):
        return [clause]  # "eligible for PCI", "allowed to drive": no permission
    start = 0
    opener = ""
    depth = 0  # brackets closed before the cue are skipped with what they hold
    for k in range(cue - 1, -1, -1):
        chunk = chunks[k]
        if not isinstance(chunk, ProseChunk):
            continue
        text = chunk.piece.text
        if text in (")", "]"):
            depth += 1
        elif text in ("(", "[") and depth:
            depth -= 1
        elif depth == 0 and (text in ("(", "[", ",") or "UNLESS" in chunk.piece.kinds):
            start, opener = k, text
            break
    if any(isinstance(c, ProseChunk) and "NEG" in c.piece.kinds for c in chunks[start:cue]):
        return [clause]  # "No concomitant anti-cancer treatment is allowed": a prohibition, not a permission
    end = len(chunks)
    if opener in ("(", "["):
        closer = ")" if opener == "(" else "]"
        for k in range(cue + 1, len(chunks)):
            chunk = chunks[k]
            if isinstance(chunk, ProseChunk) and chunk.piece.text == closer:
                end = k + 1
                break
    if start == 0:
        clause.permission = True
        return [clause]
    inherited: tuple[VariableMention, ...] = ()
    for chunk in chunks[:start]:
        if isinstance(chunk, ConstraintChunk) and chunk.variables:
            inherited = chunk.variables
    parts = [_Clause(chunks[:start]), _Clause(chunks[start:end], permission=True, inherited=inherited)]
    if end < len(chunks):
        parts.append(_Clause(chunks[end:]))
    return parts


def _condition_required(node: Node) -> Node:
    if isinstance(node, Conditional) and node.otherwise is None:
        return All(span=node.span, children=(node.when, node.then))
    if isinstance(node, All):
        return node.model_copy(update={"children": tuple(_condition_required(c) for c in node.children)})
    return node


def _any_of(nodes: Sequence[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    ordered = sorted(nodes, key=lambda n: _node_span(n).start)
    return Any_(span=_cover([_node_span(n) for n in ordered]) or ordered[0].span, children=tuple(ordered))


def _all_of(nodes: Sequence[Node]) -> Node:
    if len(nodes) == 1:
        return nodes[0]
    return All(span=_cover([_node_span(n) for n in nodes]) or nodes[0].span, children=tuple(nodes))


def _threshold_variables(node: Node) -> set[str]:
    return {
        n.variable.id
        for n in walk(node)
        if isinstance(n, Comparison | Range | ReferenceMultiple) and n.variable.id is not None
    }


def _cover_pieces(pieces: Sequence[Piece]) -> Span | None:
    if not pieces:
        return None
    return span_at(min(p.char_start for p in pieces), max(p.char_end for p in pieces))


def _cover(spans: Sequence[Span]) -> Span | None:
    if not spans:
        return None
    return span_at(min(s.start for s in spans), max(s.end for s in spans))


def _node_span(node: Node) -> Span:
    return node.span


def _text_of(pieces: Sequence[Piece], document: str) -> str:
    """The document text covering the pieces (as written, with its own spacing)."""
    if not pieces:
        return ""
    start = min(p.char_start for p in pieces)
    end = max(p.char_end for p in pieces)
    return document[start:end]

"""A patient indexed once for evaluation: observations by variable, records by code, texts by record kind."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from criteria_nlp.evaluate.dates import as_date, sort_key
from criteria_nlp.evaluate.plan import WORD, CodeSet
from criteria_nlp.explain.trace import Evidence, evidence_item
from criteria_nlp.knowledge.codes import code_system, icd10_in_range, icd10_key
from criteria_nlp.knowledge.lexicon import Lexicon
from criteria_nlp.knowledge.terminology import DisplayMatch, Terminology, load_terminology
from criteria_nlp.knowledge.terminology_titles import title_links
from criteria_nlp.sources.patient import Observation, Patient


@dataclass(slots=True)
class Record:
    """A condition, medication or procedure flattened for matching; codes as (short code system, code)."""

    resource_type: str
    id: str
    codes: tuple[tuple[str | None, str], ...]
    text: str
    start: date | None
    end: date | None
    status: str | None
    verification: str | None

    def evidence(self) -> Evidence:
        return evidence_item(
            resource_type=self.resource_type,
            resource_id=self.id,
            text=self.text or None,
            date=self.start.isoformat() if self.start else None,
        )


@dataclass(frozen=True, slots=True)
class RecordTerms:
    """The terminology ids of a record: from its codes, or else from its display text (``display`` then says how)."""

    ids: tuple[str, ...]
    specific: tuple[str, ...]  # the ids no other of its ids lies under: what the record names most precisely
    display: DisplayMatch | None = None
    # the curated lexicon's ids among them: against a curated concept, a record with one is left to the lexicon's
    # codes and names, which win over the tables ("Prediabetes" lies under Diabetes Mellitus in MeSH, not in the
    # lexicon)
    curated: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        """Whether the ids are as good as a code: from a code, or from a display text every word of which they name."""
        return self.display is None or self.display.exact


@dataclass(frozen=True, slots=True)
class TermCandidates:
    """The records of some kinds, seen through the terminology, for one concept id."""

    meets: tuple[tuple[Record, RecordTerms], ...]  # an id of the record is the concept or lies under it
    broader: tuple[tuple[Record, RecordTerms], ...]  # the record names only a concept broader than it
    # no id from a code or the display text, or ids only of vocabularies the concept's hierarchy does not reach
    # (an ICD-10-CM code against a MeSH concept with no cross-link): the record could be the concept
    unmapped: tuple[Record, ...]


class PatientIndex:
    """A patient pre-indexed for evaluation, built lazily on first use and then reused by every criterion.

    Observations are grouped by variable once; each variable's list is sorted newest first when first asked for.
    Conditions, medications and procedures are flattened into records indexed by code; concept matches are cached
    per concept.
    """

    def __init__(self, patient: Patient, lexicon: Lexicon) -> None:
        self.patient = patient
        self.undated: dict[str, int] = {}
        self._unsorted: dict[str, list[Observation]] = {}
        self._sorted: dict[str, list[tuple[date, Observation]]] = {}
        for observation in patient.observations:
            variable_id = observation.variable
            if variable_id is None and observation.code and code_system(observation.system) in (None, "loinc"):
                variable = lexicon.by_loinc(observation.code)
                variable_id = variable.id if variable is not None else None
            if variable_id is None:
                continue
            if observation.effective is None:
                self.undated[variable_id] = self.undated.get(variable_id, 0) + 1
                continue
            bucket = self._unsorted.get(variable_id)
            if bucket is None:
                self._unsorted[variable_id] = [observation]
            else:
                bucket.append(observation)
        self._records: list[Record] | None = None
        self._by_code: dict[tuple[str | None, str], list[Record]] = {}
        self._icd10: list[tuple[str, Record]] = []  # (icd10_key, record)
        self._texts: dict[str, list[tuple[Record, str]]] = {}
        self._words: dict[str, frozenset[str]] = {}
        self.concept_matches: dict[str, list[Record]] = {}
        self.text_matches: dict[tuple[str, str], list[Record]] = {}
        self._record_terms: list[tuple[Record, RecordTerms]] | None = None
        self._term_candidates: dict[tuple[str, tuple[str, ...]], TermCandidates] = {}

    def observations(self, variable_id: str) -> list[tuple[date, Observation]]:
        """(date, observation) of one variable, newest first; ties broken by id, never by input order."""
        found = self._sorted.get(variable_id)
        if found is None:
            items = [(sort_key(o.effective), o.id, o) for o in self._unsorted.get(variable_id, ()) if o.effective]
            items.sort(key=lambda item: (item[0], item[1]), reverse=True)
            found = [(moment.date(), obs) for moment, _, obs in items]
            self._sorted[variable_id] = found
        return found

    @property
    def records(self) -> list[Record]:
        if self._records is None:
            self._records = self._build_records()
        return self._records

    def coded(self, codes: CodeSet) -> list[Record]:
        """Records whose code belongs to a concept (SNOMED exactly, ICD-10 by prefix or range)."""
        _ = self.records
        found: list[Record] = []
        if len(codes.snomed) < len(self._by_code):
            for code in codes.snomed:
                found.extend(self._by_code.get(("snomed", code), ()))
        else:
            for (system, code), records in self._by_code.items():
                if system == "snomed" and code in codes.snomed:
                    found.extend(records)
        if codes.icd10:
            found.extend(
                record for key, record in self._icd10 if any(icd10_in_range(pattern, key) for pattern in codes.icd10)
            )
        if not found:
            return found
        unique = {id(record): record for record in found}
        return sorted(unique.values(), key=lambda r: (r.resource_type, r.id))

    def texts(self, resource_type: str) -> list[tuple[Record, str]]:
        _ = self.records
        return self._texts.get(resource_type, [])

    def words(self, resource_type: str) -> frozenset[str]:
        """Every word in the record texts of one kind: a concept none of whose names fits costs no regex search."""
        found = self._words.get(resource_type)
        if found is None:
            found = frozenset(word for _, lower in self.texts(resource_type) for word in WORD.findall(lower))
            self._words[resource_type] = found
        return found

    def record_terms(self) -> list[tuple[Record, RecordTerms]]:
        """Every record with its terminology ids, computed once per patient (the tables are read on first use)."""
        if self._record_terms is None:
            layer = load_terminology()
            self._record_terms = [(record, _terms_of(record, layer)) for record in self.records]
        return self._record_terms

    def term_candidates(self, concept_id: str, kinds: tuple[str, ...]) -> TermCandidates:
        """The records of ``kinds`` that are ``concept_id`` or lie under it, those naming only a broader concept, and
        those the terminology cannot read; cached per concept."""
        curated_concept = ":" not in concept_id
        key = (concept_id, kinds)
        found = self._term_candidates.get(key)
        if found is None:
            layer = load_terminology()
            meets, broader, unmapped = [], [], []
            reach = {concept_id.partition(":")[0]} if ":" in concept_id else _vocabularies(layer, (concept_id,))
            for record, terms in self.record_terms():
                if record.resource_type not in kinds:
                    continue
                if curated_concept and terms.curated:
                    # between the lexicon's concepts the lexicon decides: by its codes, or by the very concept
                    # the display text names
                    if terms.display is not None and concept_id in terms.curated:
                        meets.append((record, terms))
                    continue
                ids, specific = terms.ids, terms.specific
                if not terms.ids:
                    unmapped.append(record)
                elif any(layer.is_a(term, concept_id) for term in ids):
                    meets.append((record, terms))
                elif any(layer.is_a(concept_id, term) for term in specific):
                    broader.append((record, terms))
                elif not reach & _vocabularies(layer, terms.ids):
                    unmapped.append(record)
            found = TermCandidates(tuple(meets), tuple(broader), tuple(unmapped))
            self._term_candidates[key] = found
        return found

    def _build_records(self) -> list[Record]:
        records = _records(self.patient)
        for record in records:
            for system, code in record.codes:
                self._by_code.setdefault((system, code), []).append(record)
                if system == "icd10":
                    self._icd10.append((icd10_key(code), record))
            if record.text:
                self._texts.setdefault(record.resource_type, []).append((record, record.text.lower()))
        for items in self._texts.values():
            items.sort(key=lambda item: item[0].id)
        return records


def _records(patient: Patient) -> list[Record]:
    records: list[Record] = []
    for condition in patient.conditions:
        codes = ((condition.system, condition.code),) if condition.code else ()
        records.append(
            Record(
                "Condition",
                condition.id,
                tuple((code_system(s), c) for s, c in codes + condition.alternate_codes),
                _joined_text(condition.text, condition.display),
                as_date(condition.onset),
                as_date(condition.abatement),
                condition.clinical_status,
                condition.verification_status,
            )
        )
    for medication in patient.medications:
        records.append(
            Record(
                "Medication",
                medication.id,
                ((code_system(medication.system), medication.code),) if medication.code else (),
                _joined_text(medication.text, medication.display),
                as_date(medication.start),
                as_date(medication.end),
                medication.status,
                None,
            )
        )
    for procedure in patient.procedures:
        start = as_date(procedure.performed_start) or as_date(procedure.performed_end)
        records.append(
            Record(
                "Procedure",
                procedure.id,
                ((code_system(procedure.system), procedure.code),) if procedure.code else (),
                procedure.display or "",
                start,
                as_date(procedure.performed_end) or start,
                None,
                None,
            )
        )
    return records


def _joined_text(text: str | None, display: str | None) -> str:
    if text and display and text != display:
        return f"{text} {display}"
    return text or display or ""


def _terms_of(record: Record, layer: Terminology) -> RecordTerms:
    """Ids from the record's codes (ICD-10-CM, the lexicon's SNOMED and ICD columns...), else from its display text
    for codes the layer does not hold (SNOMED CT, RxNorm)."""
    ids = tuple(dict.fromkeys(i for system, code in record.codes for i in layer.concepts_for_code(system or "", code)))
    display = None
    if not ids and record.text:
        display = layer.match_display(record.text)
        ids = display.ids if display is not None else ()
    specific = tuple(
        i for i in ids if not any(other != i and layer.is_a(other, i) and not layer.is_a(i, other) for other in ids)
    )
    # an ICD-10-CM code whose title names a MeSH concept whole is that concept (as a same-term link would say): the
    # record has a place in MeSH, so a MeSH concept it does not lie under is absent, not unknown
    linked = tuple(dict.fromkeys(link for i in specific for link in title_links(layer, i) if link not in ids))
    curated = tuple(i for i in ids if i in layer.lexicon.concepts)
    return RecordTerms((*ids, *linked), (*specific, *linked), display, curated)


def _vocabularies(layer: Terminology, ids: tuple[str, ...]) -> set[str]:
    """The table namespaces (mesh, icd10cm, drugbank) the ids are written in, themselves or by a same-term link:
    within one vocabulary, not lying under a concept says the record is not it; across two, it says nothing."""
    return {i.partition(":")[0] for c in ids for i in (c, *layer.equivalents(c)) if ":" in i}

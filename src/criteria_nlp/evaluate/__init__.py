"""Evaluation: an IR expression against one patient, in three-valued logic, with a trace.

Three-valued rules (the contract; SQL / CQL / Kleene semantics)
----------------------------------------------------------------
* Every node evaluates to :class:`Truth` ``TRUE``, ``FALSE`` or ``UNKNOWN``. Missing data is ``UNKNOWN``, never
  ``FALSE``.
* ``all``: FALSE if any child is FALSE, else UNKNOWN if any child is UNKNOWN, else TRUE (an empty ``all`` is TRUE).
  ``any``: TRUE if any child is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE (an empty ``any`` is FALSE).
  ``not``: swaps TRUE and FALSE; ``not UNKNOWN`` is UNKNOWN.
* ``conditional``: ``when`` TRUE -> ``then``; ``when`` FALSE -> ``otherwise`` (TRUE when there is none: a rule that
  does not apply is met); ``when`` UNKNOWN -> the common outcome of both branches if they agree, else UNKNOWN.
  Without ``otherwise`` this is Kleene's implication ``not when or then``.
* ``not_computable`` and ``unparsed`` are UNKNOWN, with "needs review" in the sentence.

Measurements (``comparison``, ``range``, ``reference_multiple``)
----------------------------------------------------------------
* The most recent observation of the variable dated within the look-back (``lookback_months``, default 12, before
  the index date, inclusive) decides; older values, values dated after the index date, values without a date and
  values without a usable number are ignored and the trace says so. No value within the look-back -> UNKNOWN with
  the missing datum ("lvef (LOINC 10230-1) within 12 months").
* Observations are matched by lexicon variable id (set by the loaders from the LOINC code).
* The observation's value is converted to the threshold's unit with :func:`criteria_nlp.knowledge.units.convert`, using
  the lexicon's molar mass for mass <-> substance and the HbA1c NGSP % <-> IFCC mmol/mol relation. Units that cannot be
  converted give UNKNOWN with the reason, never an exception. A threshold written without a unit takes the
  lexicon's canonical unit and is marked *assumed*.
* ``k x ULN/LLN`` uses the observation's own reference range (compared in the observation's unit); without one,
  the lexicon's default reference range, marked *assumed* in the trace.
* Equality and the inclusive bounds tolerate a relative 1e-9 so that a converted boundary value (88.4 µmol/L =
  1 mg/dL) still meets ``<= 1 mg/dL``.

Age and sex
-----------
Age is the number of completed years (or months / weeks / days, as the criterion's unit says) between the birth
date and the index date. A missing birth date or a sex other than female/male recorded is UNKNOWN.

Presence of conditions, states, treatments, procedures
------------------------------------------------------
* Records match a concept through its lexicon codes: SNOMED CT codes (the lexicon lists descendants explicitly) and
  ICD-10 prefixes (``E11`` matches ``E11.9``) or category ranges (``A15-A19`` matches ``A17.0``). Refuted and
  entered-in-error records are ignored; unconfirmed, provisional and differential diagnoses make the answer UNKNOWN
  at best.
* Without a window a condition or medication must be active at the index date: onset on or before it, not abated
  by it, and, when no abatement date is recorded, a clinical status other than resolved/inactive/remission (for
  medications: not stopped/completed/cancelled). A procedure counts when performed on or before the index date.
  Qualifiers "history"/"prior"/"previous"/"past" ask for any record up to the index date, active or not.
* With a window ("within 6 months", "at least 4 weeks ago") the record's time span must overlap
  [index - max_ago, index - min_ago]; a procedure's date must fall inside it. An anchor other than the index date
  ("before randomisation") is taken as the index date and marked assumed.
* A record whose text (but no code) names the concept is a *text-only match*: UNKNOWN, reported as such for review.
  Text is compared only within the record kind of the concept's category (a condition's name in a procedure such
  as "screening test for diabetes" is not a match).
* Absence. In screening practice the absence of a record is weak evidence: problem lists are incomplete, and a
  patient "without tuberculosis" in the data may simply have been treated elsewhere. So when nothing matches, the
  answer is FALSE only if the patient's record is explicitly complete for that kind of record
  (``Patient.conditions_complete`` for conditions and states, ``medications_complete``, ``procedures_complete``);
  otherwise UNKNOWN, naming the record that would decide it. The flags default to False for every loader, FHIR
  included: Synthea bundles are complete by construction, but real bundles are not, and the loader cannot tell.
* Pregnancy and breastfeeding: ``Patient.pregnant`` / ``Patient.breastfeeding`` decide when recorded; otherwise an
  active coded condition makes it TRUE; a male patient is FALSE; otherwise the absence rule above.

Rules as data: each leaf is planned once per context (:func:`criteria_nlp.evaluate.plan.plan_for`): the variable,
thresholds, units and conversions, look-back, reference-limit source, code sets, statuses and window of the leaf,
as frozen data that another backend (SQL) reads too. The qualifiers read as "history" are data
(``corpora/lexicon/evaluation-qualifiers.tsv``).

Modules: ``engine`` (dispatch: containers through :mod:`criteria_nlp.ir.kinds`, leaves through ``EVALUATORS``),
``plan`` (the plans), ``context`` (:class:`EvaluationContext`), ``index`` (:class:`PatientIndex`), ``measurements``,
``presence``, ``demographics`` (the evaluators per node family), ``dates``, ``wording`` and ``traces``.

Performance: a :class:`PatientIndex` groups a patient's observations by variable (newest first) and flattens the
coded records once; :class:`EvaluationContext` caches plans, unit conversion factors and concept code sets, so one
context should serve a whole screening run.
"""

from criteria_nlp.evaluate.context import EvaluationContext
from criteria_nlp.evaluate.dates import completed_age, months_before, parse_index_date
from criteria_nlp.evaluate.engine import EVALUATORS, evaluate
from criteria_nlp.evaluate.index import PatientIndex
from criteria_nlp.evaluate.plan import Plan, plan_for

__all__ = [
    "EVALUATORS",
    "EvaluationContext",
    "PatientIndex",
    "Plan",
    "completed_age",
    "evaluate",
    "months_before",
    "parse_index_date",
    "plan_for",
]

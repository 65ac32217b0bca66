"""The CodeX Integrated Trial Matching shapes of ``POST [base]/ResearchStudy/$match`` (FHIR R4).

In: a ``Parameters`` resource whose ``trialMatchClinicalData`` parameter is a Bundle of the patient's data. The IG's
``zipCode``, ``travelRadius``, ``phase`` and ``recruitmentStatus`` are accepted and ignored (the library holds
eligibility text only); two parameters of our own are read: ``maxResults`` (valueInteger) and ``indexDate``
(valueDate, default today).

Out: a ``searchset`` Bundle of ``ResearchStudy`` resources (identifier = the trial id), ``search.mode = match`` and
``search.score`` from the ranking of :mod:`.matching`, with the decision, the counts and the deciding criteria in the
extension :data:`MATCH_EXTENSION`. Errors are an ``OperationOutcome``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from criteria_nlp.errors import CriteriaInputError
from criteria_nlp.service.matching import MatchResult, TrialMatch

FHIR_JSON = "application/fhir+json"
CLINICAL_DATA = "trialMatchClinicalData"
IGNORED_PARAMETERS = frozenset({"zipCode", "travelRadius", "phase", "recruitmentStatus"})
MATCH_EXTENSION = "urn:criteria-nlp:fhir:StructureDefinition:trial-match"
TRIAL_SYSTEM = "urn:criteria-nlp:trial-id"
_FHIR_ID = re.compile(r"[^A-Za-z0-9.\-]")


@dataclass(frozen=True)
class MatchRequest:
    bundle: dict[str, Any]
    max_results: int | None
    index_date: str | None


def read_parameters(body: Any) -> MatchRequest:
    """The patient Bundle and our options from a ``Parameters`` resource; raises CriteriaInputError naming the field."""
    if not isinstance(body, Mapping) or body.get("resourceType") != "Parameters":
        raise CriteriaInputError(
            "the body must be a FHIR Parameters resource", expected=['"resourceType": "Parameters"']
        )
    parameters = body.get("parameter", [])
    if not isinstance(parameters, list):
        raise CriteriaInputError("Parameters.parameter must be an array")
    bundle: dict[str, Any] | None = None
    max_results: int | None = None
    index_date: str | None = None
    for number, parameter in enumerate(parameters):
        where = f"Parameters.parameter[{number}]"
        name = parameter.get("name") if isinstance(parameter, Mapping) else None
        if not isinstance(parameter, Mapping) or not isinstance(name, str):
            raise CriteriaInputError(f"{where} must be an object with a string 'name'")
        if name == CLINICAL_DATA:
            resource = parameter.get("resource")
            if not isinstance(resource, Mapping) or resource.get("resourceType") != "Bundle":
                raise CriteriaInputError(f"{where}.resource must be a Bundle", expected=['"resourceType": "Bundle"'])
            bundle = dict(resource)
        elif name == "maxResults":
            value = parameter.get("valueInteger")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise CriteriaInputError(f"{where}.valueInteger must be a positive integer")
            max_results = value
        elif name == "indexDate":
            value = parameter.get("valueDate")
            if not isinstance(value, str):
                raise CriteriaInputError(f"{where}.valueDate must be a date (YYYY-MM-DD)")
            index_date = value
        elif name not in IGNORED_PARAMETERS:
            raise CriteriaInputError(
                f"{where}: unknown parameter {name!r}",
                expected=[CLINICAL_DATA, "maxResults", "indexDate", *sorted(IGNORED_PARAMETERS)],
            )
    if bundle is None:
        raise CriteriaInputError(f"Parameters has no {CLINICAL_DATA!r} parameter", expected=[CLINICAL_DATA])
    return MatchRequest(bundle=bundle, max_results=max_results, index_date=index_date)


def searchset(result: MatchResult) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(result.matches),
        "entry": [_entry(match) for match in result.matches],
    }


def _entry(match: TrialMatch) -> dict[str, Any]:
    resource_id = _FHIR_ID.sub("-", match.trial_id)[:64] or "trial"
    details: list[dict[str, Any]] = [
        {"url": "decision", "valueCode": match.decision},
        {"url": "rank", "valueInteger": match.rank},
        {"url": "criteria", "valueInteger": match.counts.criteria},
        {"url": "met", "valueInteger": match.counts.met},
        {"url": "notMet", "valueInteger": match.counts.not_met},
        {"url": "unknown", "valueInteger": match.counts.unknown},
    ]
    details.extend(
        {"url": "decidingCriterion", "valueString": f"{item.section} {item.label or item.criterion_id}: {item.reason}"}
        for item in match.deciding
    )
    return {
        "fullUrl": f"urn:criteria-nlp:ResearchStudy:{resource_id}",
        "resource": {
            "resourceType": "ResearchStudy",
            "id": resource_id,
            "identifier": [{"system": TRIAL_SYSTEM, "value": match.trial_id}],
            "title": match.title,
            "status": "active",
            "extension": [{"url": MATCH_EXTENSION, "extension": details}],
        },
        "search": {"mode": "match", "score": match.score},
    }


def operation_outcome(message: str, *, code: str = "invalid", expression: Sequence[str] = ()) -> dict[str, Any]:
    """An OperationOutcome with one error issue; ``code`` from the FHIR issue-type value set."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": message}
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}

"""Patient data sources: the patient model (:mod:`.patient`) and its readers behind one interface (:mod:`.reader`).

The library's own JSON (:mod:`.own_json`) and FHIR R4 (:mod:`.fhir`) are listed in :data:`.load.READERS`;
:func:`load_patient` and :func:`load_patients` dispatch through it.
"""

from criteria_nlp.sources.load import READERS, load_patient, load_patients, patient_files
from criteria_nlp.sources.patient import Condition, Medication, Observation, Patient, PatientSex, Procedure
from criteria_nlp.sources.reader import SourceReader

__all__ = [
    "READERS",
    "Condition",
    "Medication",
    "Observation",
    "Patient",
    "PatientSex",
    "Procedure",
    "SourceReader",
    "load_patient",
    "load_patients",
    "patient_files",
]

"""Patient data sources: the patient model and its readers (the library's own JSON, FHIR R4)."""

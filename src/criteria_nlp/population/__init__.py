"""Population screening: one trial against many patients, on DuckDB (embedded), Spark or the Python engine.

A population is held as the long tables of :mod:`criteria_nlp.population.tables` (the patient model, a table per
record kind); readers turn FHIR NDJSON, bundles, own-JSON patients and OMOP CDM into them, and each engine decides
every patient from the same tables.
"""

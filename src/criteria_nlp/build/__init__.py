"""Build stage: the prose around the numeric islands read into IR expressions."""

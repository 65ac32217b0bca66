"""Evaluation: three-valued evaluation of IR expressions against a patient."""

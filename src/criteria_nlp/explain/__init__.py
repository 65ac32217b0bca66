"""Explanations: the evaluation trace as data, rendered as text, JSON or HTML."""

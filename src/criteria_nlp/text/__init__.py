"""Text stage: segmentation of a protocol into criteria, and the spaCy pipeline that annotates them."""

from criteria_nlp.text import terms  # registers the ``criteria_terms`` pipeline component

__all__ = ["terms"]

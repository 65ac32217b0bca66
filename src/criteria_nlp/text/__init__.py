"""Text stage: segmentation of a protocol into criteria, and the spaCy pipeline that annotates them."""

"""Check stage: ``Node -> Node`` passes over built expressions, listed in order in ``PASSES``."""

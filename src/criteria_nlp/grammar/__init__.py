"""Parse stage: the contextual lexer over annotated tokens, the LALR grammar of numeric islands, its transformer."""

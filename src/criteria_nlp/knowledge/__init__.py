"""Clinical knowledge as data: the lexicon (variables, groups, concepts, cues), codes and units."""

"""A variable's name glued to its number ("Age18-65", "BMI30-40", "ECOG0-1", "HbA1c7-10%"): the tokenizer splits
the name off, where a name made of letters and digits ("CD4", "FEV1", "HbA1c") is otherwise kept whole.

The names are the one-word forms of the lexicon's variables (``corpora/lexicon/variables.tsv``), read as plain
text when the tokenizer is made (the lexicon itself is not loaded for it). A form is left out when it is short
(two letters: "pT2" is a tumour stage, not "PT 2") or when a form of the lexicon's variables or concepts continues
it with a digit ("FEV" of "FEV1"): there the digits belong to the name. A lab's name followed by a digit is often
another name ("IgG4", "ApoB100"): it is split only before a range or a percentage ("HbA1c7-10%", "HbA1c7.5%");
another name is split before those or before two digits ("KPS70", "Age18 to 65"), not before one ("BMI1", a gene).
"""

from __future__ import annotations

import re
from functools import cache

from criteria_nlp.resources import corpus_path

_SHORTEST = 3
_WORD = re.compile(r"[a-z][a-z0-9]*[a-z]")


def _forms(name: str) -> dict[str, list[str]]:
    """The lower-cased surface forms (name and synonyms) of a lexicon file's entries, by their kind (variables) or
    category (concepts)."""
    rows = [
        line.split("\t")
        for line in corpus_path("lexicon", name).read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    header = rows[0]
    name_at, synonyms_at = header.index("name"), header.index("synonyms")
    kind_at = header.index("kind" if "kind" in header else "category")
    found: dict[str, list[str]] = {}
    for row in rows[1:]:
        synonyms = row[synonyms_at].split("|") if len(row) > synonyms_at else []
        forms = found.setdefault(row[kind_at], [])
        forms.extend(form.strip().lower() for form in [row[name_at], *synonyms] if form.strip())
    return found


@cache
def glued_name() -> str:
    """A regular expression (for the tokenizer's prefixes, unanchored) matching a variable's name at the start of a
    token when a digit follows it; it first checks that the token starts with letters and a digit, so that other
    tokens cost one cheap test."""
    variables = _forms("variables.tsv")
    every = [form for forms in variables.values() for form in forms] + [
        form for forms in _forms("concepts.tsv").values() for form in forms
    ]
    continued = {form[: match.start()] for form in every for match in re.finditer(r"(?<=[a-z])[0-9]", form)}

    def names(kinds: set[str], inside: bool) -> str:
        chosen = {
            form
            for kind, forms in variables.items()
            if (kind in kinds) == inside
            for form in forms
            if len(form) >= _SHORTEST and _WORD.fullmatch(form)
        }
        return "|".join(re.escape(name) for name in sorted(chosen - continued, key=lambda n: (-len(n), n)))

    labs = names({"lab"}, True)
    others = names({"lab"}, False)
    # a range or a percentage after the digits marks a value; so do two digits after a name that is no lab's
    # ("KPS70", "Age18"), where one digit alone is often part of another name ("BMI1", a gene)
    value = r"[0-9]+(?:[.,][0-9]+)?(?:[-–][0-9]|%)"
    return f"(?=[A-Za-z]{{2,}}[0-9])(?i:(?:{others})(?=[0-9]{{2}}|{value})|(?:{labs})(?={value}))"

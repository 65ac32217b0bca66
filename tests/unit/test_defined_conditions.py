"""The conditions defined by one variable (corpora/lexicon/defined_conditions.tsv) and their strict loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.defined_conditions import check_defined_conditions, defined_conditions
from criteria_nlp.knowledge.lexicon import load_lexicon


def test_every_variable_is_the_lexicons() -> None:
    check_defined_conditions(load_lexicon())
    assert defined_conditions()["anaemia"].variables == ("hemoglobin",)
    assert defined_conditions()["hypoxemia"].variables == ("oxygen_saturation", "pao2")


def test_a_wrong_side_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "defined.tsv"
    path.write_text("# header\ncondition\tvariables\tside\nanemia\themoglobin\tbelow\n", encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match="side"):
        defined_conditions(path)


def test_a_repeated_form_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "defined.tsv"
    path.write_text("condition\tvariables\tside\nanemia\themoglobin\tlow\nanemia|x\tplatelets\tlow\n", encoding="utf-8")
    with pytest.raises(CriteriaSemanticError, match="repeated"):
        defined_conditions(path)

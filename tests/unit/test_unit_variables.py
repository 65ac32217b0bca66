"""Units that name their variable (corpora/lexicon/variables_units.tsv): strict, and ambiguous units name nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from criteria_nlp.errors import CriteriaSemanticError
from criteria_nlp.knowledge.unit_variables import check_unit_variables, unit_key, unit_variables
from criteria_nlp.pipeline import default_parser

_HEADER = "# a comment\nunit\tvariable\tof\n"


def test_the_file_names_known_variables() -> None:
    check_unit_variables(default_parser().lexicon)
    found = unit_variables()
    assert found[("breaths per minute", "")] == "respiratory_rate"
    assert found[("l/min", "oxygen")] == "oxygen_flow"
    assert ("l/min", "") not in found  # L/min alone is also a cardiac output or a ventilation


def test_a_unit_listed_for_two_variables_names_neither(tmp_path: Path) -> None:
    path = tmp_path / "units.tsv"
    path.write_text(_HEADER + "/min\theart_rate\t\n/min\trespiratory_rate\t\nbpm\theart_rate\t\n", encoding="utf-8")
    assert dict(unit_variables(path)) == {("bpm", ""): "heart_rate"}


@pytest.mark.parametrize("row", ["bpm\theart_rate\n", "bpm\theart_rate\t\nbpm\theart_rate\t\n", "\theart_rate\t\n"])
def test_malformed_rows_are_errors(tmp_path: Path, row: str) -> None:
    path = tmp_path / "units.tsv"
    path.write_text(_HEADER + row, encoding="utf-8")
    with pytest.raises(CriteriaSemanticError):
        unit_variables(path)


def test_units_are_compared_as_written_in_lower_case() -> None:
    assert unit_key("Breaths  per Minute") == "breaths per minute"

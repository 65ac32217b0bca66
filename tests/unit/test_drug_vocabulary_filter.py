"""The drug vocabulary's filter of ordinary words (scripts/build_terminology.py): a one-word DrugBank synonym written
in capitals (an acronym or a trade name) that English titles use as an ordinary word is no term of the drug, so "the
longest dimension" names no herbicide; acronyms and the drugs' own names stay."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from criteria_nlp.knowledge.terminology import load_terminology

_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "build_terminology.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_terminology", _SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the script runs
    spec.loader.exec_module(module)
    return module


_PROSE = frozenset({"dimension", "balance", "capture", "aspirin", "bifidobacterium"})


@pytest.mark.parametrize(
    ("synonym", "common_name", "dropped"),
    [
        ("DIMENSION", "Dithiopyr", True),  # a trade name in capitals that is an English word
        ("CAPTURE", "Bifenthrin", True),
        ("Balance", "Isoxaflutole", False),  # not in capitals: the source's own spelling of a name, kept
        ("GABA", "gamma-Aminobutyric acid", False),  # an acronym titles write in capitals too
        ("BIFIDOBACTERIUM", "Bifidobacterium spp.", False),  # a word of the drug's own name
        ("ASPIRIN", "Acetylsalicylic acid", True),  # capitals and a prose word: the rule, whatever the word
        ("TNR 001", "Etanercept", False),  # not one word
    ],
)
def test_capitals_word(synonym: str, common_name: str, dropped: bool) -> None:
    assert _script()._capitals_word(synonym, common_name, _PROSE) is dropped


def test_the_shipped_table_has_no_ordinary_word_of_a_trade_name() -> None:
    terminology = load_terminology()
    ids = {text: [m.match.id for m in terminology.match_text(text)] for text in ("dimension", "DMSO", "aspirin")}
    assert not any(i.startswith("drugbank:") for i in ids["dimension"]), ids
    assert any(i.startswith("drugbank:") for i in ids["DMSO"]), ids  # an acronym of the drug stays a term
    assert ids["aspirin"], ids

"""The Chia threshold benchmark reads BRAT offsets and judges matches correctly (its figures are reported)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

BENCHMARK = Path(__file__).parent.parent.parent / "benchmarks" / "bench_chia_values.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_chia_values", BENCHMARK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_chia_values"] = module
    spec.loader.exec_module(module)
    return module


def test_numbers_are_read_every_way_they_may_be_meant(bench: ModuleType) -> None:
    assert {1500.0, 1.5} <= bench._numbers("≥1,500/µL")
    assert 100000.0 in bench._numbers("³ 100 000 per mm3")
    assert {0.0, 1.0} <= bench._numbers("0,1, or 2")
    assert bench._numbers("<2.5X ULN") == {2.5}


def test_offsets_count_crlf_as_two_characters(bench: ModuleType, tmp_path: Path) -> None:
    lines = ["Diabetes mellitus", "Hemoglobin <9 g/dl at screening"]
    text = "\r\n".join(lines) + "\r\n"
    (tmp_path / "NCT00000001_exc.txt").write_bytes(text.encode("utf-8"))
    start = text.index("Hemoglobin")
    value = text.index("<9 g/dl")
    ann = (
        f"T1\tMeasurement {start} {start + 10}\tHemoglobin\n"
        f"T2\tValue {value} {value + 7}\t<9 g/dl\n"
        "R1\tHas_value Arg1:T1 Arg2:T2\t\n"
    )
    (tmp_path / "NCT00000001_exc.ann").write_text(ann, encoding="utf-8")
    [pair] = bench.chia_pairs(tmp_path, None)
    assert pair.line == lines[1]
    assert pair.line[pair.value_start : pair.value_end] == "<9 g/dl"
    assert pair.section == "exclusion"


def _constraint(mention: str, variable: str | None, low: float | None, high: float | None) -> dict[str, Any]:
    return {"mention": mention, "variable": variable, "interval": [low, True, high, False], "span": [0, 20]}


def test_judge_tells_right_variable_from_wrong(bench: ModuleType) -> None:
    pair = bench.Pair("f", "Hb < 9 g/dL", "inclusion", 3, 11, "< 9 g/dL", "Measurement", "Hb")
    assert bench.judge(pair, [_constraint("Hb", "hemoglobin", None, 9.0)]) == "attached"
    assert bench.judge(pair, [_constraint("platelets", "platelets", None, 9.0)]) == "found"
    assert bench.judge(pair, [_constraint("Hb", "hemoglobin", None, 10.0)]) == "missed"
    age = bench.Pair("f", "aged 18 or older", "inclusion", 5, 16, "18 or older", "Person", "aged")
    assert bench.judge(age, [_constraint("aged", "age", 18.0, None)]) == "attached"
    assert bench.judge(age, [_constraint("aged", None, 18.0, None)]) == "found"

"""``criteria_nlp.spark`` in Spark local mode: the same documents and constraint rows as one process."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.resources import shared_chia_lines, shared_dir

pytest.importorskip("pyspark")
pytest.importorskip("pyarrow")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java"),
]

REPO_ROOT = Path(__file__).resolve().parents[2]


def _records(limit: int = 300) -> list[dict[str, str]]:
    """A few hundred Chia lines, or the bundled protocols' lines when ../shared is missing."""
    shared = shared_dir()
    lines = shared_chia_lines(shared) if shared is not None else []
    if not lines:
        for path in sorted((REPO_ROOT / "corpora" / "trials").glob("*.txt")):
            lines.extend((line, "exclusion") for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return [{"id": f"r{n}", "text": text, "section": section} for n, (text, section) in enumerate(lines[:limit])]


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    from criteria_nlp.spark import local_session

    session = local_session("local[2]")
    yield session
    session.stop()


def _single_process(records: list[dict[str, str]], output_format: str) -> list[str]:
    data = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records).encode()
    result = CliRunner().invoke(cli, ["parse", "-", "--input-format", "jsonl", "--format", output_format], input=data)
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def test_parse_dataframe_matches_one_process(spark_session: Any) -> None:
    from criteria_nlp.spark import constraint_table, parse_dataframe, record_of

    records = _records()
    df = spark_session.createDataFrame(records, schema="id string, text string, section string")
    parsed = parse_dataframe(df, text_col="text", id_col="id", section_col="section").collect()
    by_id = {row["id"]: row for row in parsed}
    assert len(by_id) == len(records)
    documents = [by_id[record["id"]]["document"] for record in records]
    assert documents == _single_process(records, "json")

    rows = constraint_table(spark_session.createDataFrame(parsed)).collect()
    grouped: dict[str, list[Any]] = {}
    for row in sorted(rows, key=lambda r: (r["id"], r["position"])):
        grouped.setdefault(row["id"], []).append(record_of(row.asDict()))
    expected = [json.loads(line) for line in _single_process(records, "constraints")]
    assert [grouped.get(record["id"], []) for record in records] == [item["constraints"] for item in expected]
    assert sum(len(item["constraints"]) for item in expected) > 20


def test_cli_engine_spark_writes_parquet(tmp_path: Path, spark_session: Any) -> None:
    import pyarrow.parquet as pq

    records = _records(60)
    source = tmp_path / "criteria.jsonl"
    source.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    result = CliRunner().invoke(cli, ["parse", "--engine", "spark", str(source), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    documents = pq.read_table(tmp_path / "out" / "documents").to_pylist()
    assert sorted(row["document"] for row in documents) == sorted(_single_process(records, "json"))
    constraints = pq.read_table(tmp_path / "out" / "constraints").to_pylist()
    expected = sum(len(json.loads(line)["constraints"]) for line in _single_process(records, "constraints"))
    assert len(constraints) == expected


def test_engine_spark_needs_a_destination() -> None:
    result = CliRunner().invoke(cli, ["parse", "--engine", "spark", "x.jsonl"])
    assert result.exit_code != 0
    assert "DESTINATION" in result.output

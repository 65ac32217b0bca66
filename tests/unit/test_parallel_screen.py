"""``screen DIR --jobs N`` and ``screen POPULATION --engine python --jobs N``: the same bytes as one process, in the
files' (patients') order, bad files reported where one process reports them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.pipeline import parse_criteria
from criteria_nlp.population.engines import screen_population
from criteria_nlp.population.source import ArrowPopulation
from criteria_nlp.population.synthetic import synthetic_tables
from script_module import load_script

REPO_ROOT = Path(__file__).resolve().parents[2]
TRIAL = REPO_ROOT / "corpora" / "trials" / "NCT03219801.txt"
PATIENTS = REPO_ROOT / "corpora" / "patients"


@pytest.fixture(scope="module")
def patient_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled patients four times over (so that the workers get several chunks), with bad files among them."""
    folder = tmp_path_factory.mktemp("patients")
    for copy in range(4):
        for path in sorted(PATIENTS.glob("*.json")):
            shutil.copy(path, folder / f"{copy}-{path.name}")
    (folder / "1-broken.json").write_text('{"resourceType": "Bundle", ', encoding="utf-8")
    (folder / "2-latin1.json").write_bytes(b'{"id": "caf\xe9"}')
    (folder / "2-zz-array.json").write_text("[1, 2]", encoding="utf-8")
    (folder / "3-a-directory.json").mkdir()
    (folder / "3-dangling.json").symlink_to(folder / "nowhere.json")
    return folder


def _screen(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["screen", str(TRIAL), *arguments, "--index-date", "2026-11-01"])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("output_format", ["json", "text"])
def test_screen_directory_jobs_two_is_byte_identical_with_bad_files(patient_dir: Path, output_format: str) -> None:
    arguments = [str(patient_dir), "--format", output_format]
    if output_format == "text":
        arguments.append("--explain")
    one, two, every_core = (_screen(*arguments, "--jobs", jobs) for jobs in ("1", "2", "0"))
    assert one == two == every_core
    code, out, err = two
    assert code == 1 and "5 patient file(s) could not be screened" in err
    if output_format == "json":
        items = json.loads(out)
        screened = [item["source"] for item in items if "decision" in item]
        assert [Path(source).name for source in screened] == sorted(
            f"{copy}-{path.name}" for copy in range(4) for path in PATIENTS.glob("*.json")
        )
        failed = [Path(item["source"]).name for item in items if "error" in item]
        assert failed == ["1-broken.json", "2-latin1.json", "2-zz-array.json", "3-a-directory.json", "3-dangling.json"]
    else:
        assert out.count("patient ") >= 20  # one explanation per screened patient


def test_screen_directory_jobs_stops_on_a_bad_index_date_like_one_process(patient_dir: Path) -> None:
    results = [
        CliRunner().invoke(cli, ["screen", str(TRIAL), str(patient_dir), "--index-date", "0001-01-01", "--jobs", jobs])
        for jobs in ("1", "2")
    ]
    assert results[0].exit_code == results[1].exit_code != 0
    assert results[0].output == results[1].output


def test_screen_python_engine_jobs_two_is_byte_identical() -> None:
    outputs = [
        _screen(str(PATIENTS), "--engine", "python", "--evidence", "--format", "jsonl", "--jobs", jobs)
        for jobs in ("1", "2")
    ]
    assert outputs[0] == outputs[1]
    code, out, _ = outputs[1]
    assert code == 0 and len(out.splitlines()) == 5


def test_screen_population_workers_keep_rows_and_order() -> None:
    """Several hundred synthetic patients (several chunks per worker) screened in two workers: the same table."""
    population = ArrowPopulation(synthetic_tables(300, seed=5))
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    one = screen_population(trial, population, engine="python", index_date="2026-11-01", evidence=True)
    two = screen_population(trial, population, engine="python", index_date="2026-11-01", evidence=True, workers=2)
    assert one.num_rows == 300
    assert two.equals(one)
    assert one.column("patient").to_pylist() == [row["patient_id"] for row in population.tables["patients"].to_pylist()]


def test_population_workers_read_their_parts_themselves(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A population in Parquet tables: this process reads only the first part (64 patients) and hands out ranges of
    positions; the workers read the rest. The same table as one process, in input order."""
    from criteria_nlp.population import engines
    from criteria_nlp.population.folder import ParquetTablesPopulation
    from criteria_nlp.population.synthetic import write_synthetic

    folder = write_synthetic(tmp_path / "population", 300, seed=7)
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    one = screen_population(trial, ParquetTablesPopulation(folder), engine="python", index_date="2026-11-01")
    read_here: list[tuple[int, int]] = []
    original = ParquetTablesPopulation.read_part

    def counted(self: ParquetTablesPopulation, part: tuple[int, int]) -> Any:
        read_here.append(part)  # in this process only: a forked worker appends to its own copy
        return original(self, part)

    def refused(self: ParquetTablesPopulation) -> Any:
        raise AssertionError("the parent read every patient")

    monkeypatch.setattr(ParquetTablesPopulation, "read_part", counted)
    monkeypatch.setattr(ParquetTablesPopulation, "patients", refused)
    population = ParquetTablesPopulation(folder)
    two = screen_population(trial, population, engine="python", index_date="2026-11-01", workers=2)
    assert two.equals(one) and one.num_rows == 300
    assert read_here == [(0, engines._PART_SIZE - 1)]
    parts = list(population.patient_parts(engines._PART_SIZE))
    assert len(parts) == 5 and parts[-1] == (256, 299)


@pytest.mark.parametrize("count", [0, 1, 64, 65])
def test_population_workers_with_few_patients(count: int) -> None:
    """No patient, one, exactly one part, one part and one patient: the same rows as one process."""
    population = ArrowPopulation(synthetic_tables(count, seed=3))
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    one = screen_population(trial, population, engine="python", index_date="2026-11-01")
    two = screen_population(trial, population, engine="python", index_date="2026-11-01", workers=2)
    assert two.equals(one) and one.num_rows == count


def test_ndjson_population_workers_are_byte_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FHIR NDJSON read in parts: DuckDB groups each patient's resources here, the workers decode and map the
    groups (this process maps the first part only). The bundled FHIR patient 150 times over, so that the workers
    get several parts."""
    from criteria_nlp.population import engines
    from criteria_nlp.population.ndjson import NdjsonPopulation
    from criteria_nlp.population.source import ReadInParts

    load_script("bundles_to_ndjson").bundles_to_ndjson(PATIENTS, tmp_path / "one")
    export = tmp_path / "export"
    export.mkdir()
    for path in (tmp_path / "one").glob("*.ndjson"):
        lines = []
        for copy in range(150):
            for line in path.read_text(encoding="utf-8").splitlines():
                resource = json.loads(line)
                resource["id"] = f"{copy}-{resource['id']}"
                if "subject" in resource:
                    resource["subject"]["reference"] = resource["subject"]["reference"].replace("/", f"/{copy}-")
                lines.append(json.dumps(resource) + "\n")
        (export / path.name).write_text("".join(lines), encoding="utf-8")
    outputs = [_screen(str(export), "--engine", "python", "--jobs", jobs) for jobs in ("1", "2")]
    assert outputs[0] == outputs[1]
    code, out, err = outputs[0]
    assert code == 0, err
    patients = [json.loads(line)["patient"] for line in out.splitlines()]
    assert patients == [f"{copy}-sle-fhir-patient" for copy in range(150)]
    population = NdjsonPopulation(export)
    assert isinstance(population, ReadInParts)
    mapped_here: list[int] = []
    original = NdjsonPopulation.read_part

    def counted(self: NdjsonPopulation, part: Any) -> Any:
        mapped_here.append(len(part))  # in this process only: a forked worker appends to its own copy
        return original(self, part)

    monkeypatch.setattr(NdjsonPopulation, "read_part", counted)
    monkeypatch.setattr(NdjsonPopulation, "patients", lambda self: pytest.fail("the parent mapped every patient"))
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    table = screen_population(trial, population, engine="python", index_date="2026-11-01", workers=2)
    assert table.column("patient").to_pylist() == patients and mapped_here == [engines._PART_SIZE // 16]
    assert len(population.problems) == 1 and "no Procedure.ndjson" in population.problems[0]


def test_omop_population_workers_read_their_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """OMOP CDM read in parts: DuckDB makes the tables here, the workers build their parts' patients; the same
    table as one process, in input order."""
    from criteria_nlp.population.omop import OmopPopulation
    from criteria_nlp.population.source import ReadInParts

    bundles = tmp_path / "bundles"
    bundles.mkdir()
    for copy in range(30):
        for path in sorted(PATIENTS.glob("*.json")):
            shutil.copy(path, bundles / f"{copy:02}-{path.name}")
    load_script("bundles_to_omop").bundles_to_omop(bundles, tmp_path / "omop")
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    one = screen_population(trial, OmopPopulation(tmp_path / "omop"), engine="python", index_date="2026-11-01")
    population = OmopPopulation(tmp_path / "omop")
    assert isinstance(population, ReadInParts)
    monkeypatch.setattr(OmopPopulation, "patients", lambda self: pytest.fail("the parent read every patient"))
    two = screen_population(trial, population, engine="python", index_date="2026-11-01", workers=2)
    assert two.equals(one) and one.num_rows == 150


def test_json_folder_population_workers_read_the_files(patient_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``screen DIR --engine python --jobs 2``: this process reads the first part's files only, the workers the
    rest; rows, the summary and the warnings about bad files are the bytes of one process."""
    from criteria_nlp.population.json_folder import JsonFolderPopulation

    outputs = [_screen(str(patient_dir), "--engine", "python", "--jobs", jobs) for jobs in ("1", "2")]
    assert outputs[0] == outputs[1]
    code, out, err = outputs[1]
    assert code == 0 and len(out.splitlines()) == 4 * len(list(PATIENTS.glob("*.json")))
    assert all(f"warning: {patient_dir / name}" in err for name in ("1-broken.json", "2-latin1.json"))
    read_here: list[list[Path]] = []
    original = JsonFolderPopulation.read_part

    def counted(self: JsonFolderPopulation, part: list[Path]) -> Any:
        read_here.append(part)
        return original(self, part)

    monkeypatch.setattr(JsonFolderPopulation, "read_part", counted)
    monkeypatch.setattr(JsonFolderPopulation, "patients", lambda self: pytest.fail("the parent read every file"))
    population = JsonFolderPopulation(patient_dir)
    trial = parse_criteria(TRIAL.read_text(encoding="utf-8"))
    table = screen_population(trial, population, engine="python", index_date="2026-11-01", workers=2)
    assert len(read_here) == 1 and len(read_here[0]) < len(population.files) // 4
    assert table.num_rows == 4 * len(list(PATIENTS.glob("*.json")))
    assert len(population.problems) == 5  # the bad files read by the workers too

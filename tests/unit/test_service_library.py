"""The trial library (SQLite store keyed by text hash and version), matching, and the `trials` / `match` commands."""

from __future__ import annotations

import json
import random
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from criteria_nlp.cli import cli
from criteria_nlp.pipeline import CriteriaParser
from criteria_nlp.screen import screen
from criteria_nlp.service import library as library_module
from criteria_nlp.service.library import FOLDER_STORE, Trial, TrialLibrary
from criteria_nlp.service.matching import MatchPlan, match_patient, score_of
from criteria_nlp.sources import load_patient

ROOT = Path(__file__).resolve().parents[2]
TRIALS = ROOT / "corpora" / "trials"
PATIENT = ROOT / "corpora" / "patients" / "sle-eligible.json"


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "trials"
    target.mkdir()
    for path in TRIALS.glob("*.txt"):
        shutil.copy(path, target / path.name)
    return target


def test_a_restart_does_not_parse_unchanged_files(folder: Path, parser: CriteriaParser) -> None:
    library, first = TrialLibrary.open(folder)
    assert sorted(first.parsed) == sorted(p.stem for p in TRIALS.glob("*.txt")) and not first.unchanged
    assert (folder / FOLDER_STORE).is_file()
    (folder / "example-mixed.txt").write_text("Inclusion criteria\n  1. Age 18 years or older\n", encoding="utf-8")
    (folder / "example-oncology.txt").unlink()
    (folder / "NEW-1.txt").write_text("Exclusion criteria\n  1. Pregnancy\n", encoding="utf-8")
    library, second = TrialLibrary.open(folder)
    assert sorted(second.parsed) == ["NEW-1", "example-mixed"]
    assert sorted(second.unchanged) == ["NCT03219801", "example-cardiometabolic"]
    assert second.removed == ("example-oncology",)
    mixed = library.get("example-mixed")
    assert mixed is not None and len(mixed.document.criteria) == 1
    assert library.get("NCT03219801") is not None and library.get("example-oncology") is None


def test_a_new_version_parses_again(folder: Path, parser: CriteriaParser, monkeypatch: pytest.MonkeyPatch) -> None:
    TrialLibrary.open(folder)
    monkeypatch.setattr(library_module, "__version__", "99.0.0")
    _, report = TrialLibrary.open(folder)
    assert len(report.parsed) == 4 and not report.unchanged


def test_stored_documents_equal_a_fresh_parse(folder: Path, parser: CriteriaParser) -> None:
    TrialLibrary.open(folder)
    library, _ = TrialLibrary.open(folder)
    text = (folder / "NCT03219801.txt").read_text(encoding="utf-8")
    trial = library.get("NCT03219801")
    assert trial is not None
    assert trial.document == parser.parse(text, source="NCT03219801")


def test_matching_agrees_with_screen(folder: Path, parser: CriteriaParser) -> None:
    library, _ = TrialLibrary.open(folder)
    patient = load_patient(PATIENT)
    result = match_patient(patient, MatchPlan.of(library.trials()), index_date="2026-11-01", limit=10)
    assert len(result.matches) == 4
    for match in result.matches:
        trial = library.get(match.trial_id)
        assert trial is not None
        assert match.decision == screen(trial.document, patient, index_date="2026-11-01").decision
    order = {"eligible": 0, "needs_review": 1, "ineligible": 2}
    assert [order[m.decision] for m in result.matches] == sorted(order[m.decision] for m in result.matches)


def test_scores_follow_the_groups() -> None:
    assert score_of("eligible", 0.0) == 1.0
    assert 0.9 >= score_of("needs_review", 1.0) > score_of("needs_review", 0.5) >= 0.2
    assert 0.1 >= score_of("ineligible", 1.0) > score_of("ineligible", 0.0) == 0.0


def test_trials_commands(tmp_path: Path, parser: CriteriaParser) -> None:
    database = str(tmp_path / "library.sqlite3")
    runner = CliRunner()
    added = runner.invoke(cli, ["trials", "add", str(TRIALS), "--trials", database])
    assert added.exit_code == 0, added.output
    assert "NCT03219801: parsed" in added.output
    again = runner.invoke(cli, ["trials", "add", str(TRIALS / "NCT03219801.txt"), "--trials", database])
    assert again.output.strip() == "NCT03219801: unchanged"
    listed = runner.invoke(cli, ["trials", "list", "--trials", database])
    assert "NCT03219801\t14 criteria" in listed.output
    removed = runner.invoke(cli, ["trials", "remove", "example-mixed", "--trials", database])
    assert removed.exit_code == 0 and "example-mixed: removed" in removed.output
    missing = runner.invoke(cli, ["trials", "remove", "nope", "--trials", database])
    assert missing.exit_code == 1
    assert len(runner.invoke(cli, ["trials", "list", "--trials", database]).output.splitlines()) == 3


def test_trials_add_refuses_a_folder_library(folder: Path) -> None:
    result = CliRunner().invoke(cli, ["trials", "add", str(TRIALS / "NCT03219801.txt"), "--trials", str(folder)])
    assert result.exit_code == 2 and "folder library" in result.output


def test_match_command(folder: Path, parser: CriteriaParser) -> None:
    runner = CliRunner()
    arguments = ["match", str(PATIENT), "--trials", str(folder), "--index-date", "2026-11-01"]
    text = runner.invoke(cli, arguments)
    assert text.exit_code == 0, text.output
    assert "1. NCT03219801  needs_review" in text.output
    data = json.loads(runner.invoke(cli, [*arguments, "--format", "json", "--limit", "2"]).output)
    assert data["trials_searched"] == 4 and len(data["matches"]) == 2
    bad = runner.invoke(cli, ["match", str(PATIENT), "--trials", str(folder), "--index-date", "soon"])
    assert bad.exit_code == 1 and "index date" in bad.output


def _recombined(parser: CriteriaParser, count: int) -> list[Trial]:
    """Protocols made of the bundled protocols' criteria, shuffled (as the service benchmark makes them)."""
    pool: dict[str, list[str]] = {"inclusion": [], "exclusion": []}
    for path in sorted(TRIALS.glob("*.txt")):
        for criterion in parser.parse(path.read_text(encoding="utf-8")).criteria:
            if criterion.section in pool:
                pool[criterion.section].append(" ".join(criterion.text.split()))
    rng = random.Random(9)
    trials = []
    for number in range(count):
        lines = ["Inclusion criteria"]
        lines += [f"  {n}. {t}" for n, t in enumerate(rng.sample(pool["inclusion"], rng.randint(2, 8)), start=1)]
        lines.append("Exclusion criteria")
        lines += [f"  {n}. {t}" for n, t in enumerate(rng.sample(pool["exclusion"], rng.randint(1, 6)), start=1)]
        trials.append(Trial(f"R{number}", parser.parse("\n".join(lines) + "\n")))
    return trials


@pytest.mark.parametrize("patient_file", sorted(p.name for p in PATIENT.parent.glob("*.json")))
def test_matching_decides_as_screen_does(patient_file: str, parser: CriteriaParser) -> None:
    trials = [Trial(p.stem, parser.parse(p.read_text(encoding="utf-8"))) for p in sorted(TRIALS.glob("*.txt"))]
    trials += _recombined(parser, 60)
    plan = MatchPlan.of(trials)
    assert len(plan.pool.criteria) < sum(len(t.document.criteria) for t in trials)
    patient = load_patient(PATIENT.parent / patient_file)
    matches = {m.trial_id: m for m in match_patient(patient, plan, index_date="2026-11-01", limit=1000).matches}
    for trial in trials:
        expected = screen(trial.document, patient, index_date="2026-11-01")
        match = matches[trial.id]
        assert match.decision == expected.decision, trial.id
        assert match.counts.met == sum(1 for c in expected.criteria if c.met is True), trial.id
        assert match.counts.unknown == sum(1 for c in expected.criteria if c.met is None), trial.id


def test_matching_keeps_one_context_per_date_and_restores_the_collector(folder: Path, parser: CriteriaParser) -> None:
    import gc
    from datetime import date

    library, _ = TrialLibrary.open(folder)
    plan = MatchPlan.of(library.trials())
    patient = load_patient(PATIENT)
    assert plan.context(date(2026, 11, 1), 12) is plan.context(date(2026, 11, 1), 12)
    assert plan.context(date(2026, 11, 1), 6) is not plan.context(date(2026, 11, 1), 12)
    first = match_patient(patient, plan, index_date="2026-11-01", limit=10)
    assert gc.isenabled()
    gc.disable()
    try:
        again = match_patient(patient, plan, index_date="2026-11-01", limit=10)
        assert not gc.isenabled()
    finally:
        gc.enable()
    assert again == first


def test_a_patient_deceased_at_the_index_date_matches_no_trial(folder: Path) -> None:
    """screen()'s rule holds in the matcher too: never eligible, with the reason; alive at the index date, matched."""
    library, _ = TrialLibrary.open(folder)
    plan = MatchPlan.of(library.trials())
    alive = load_patient(PATIENT)
    dead = alive.model_copy(update={"deceased": True, "deceased_date": date(2026, 10, 1)})
    result = match_patient(dead, plan, index_date="2026-11-01", limit=10)
    assert result.matches and all(match.decision == "ineligible" for match in result.matches)
    assert result.reasons and "deceased on 2026-10-01" in result.reasons[0]
    for match in result.matches:
        trial = library.get(match.trial_id)
        assert trial is not None
        assert screen(trial.document, dead, index_date="2026-11-01").decision == "ineligible"
    before = match_patient(dead, plan, index_date="2026-09-01", limit=10)
    assert before.reasons == () and any(match.decision != "ineligible" for match in before.matches)

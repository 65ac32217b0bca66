"""The built wheel installs into a clean virtual environment and works from outside the checkout.

Builds the wheel once per module, installs it (dependencies from the package index or pip's cache) into a fresh
``venv`` in a temporary directory, and runs the installed ``criteria-nlp`` script and ``python -m criteria_nlp``
from a directory that is not the checkout, with ``PYTHONPATH`` removed, so nothing can come from ``src/``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = "NCT03219801.txt"


@dataclass(frozen=True)
class InstalledWheel:
    wheel: Path
    venv: Path
    python: Path
    script: Path
    outside: Path  # a working directory outside the checkout

    def run(self, *args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(arg) for arg in args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.outside,
            env=clean_environment(self.venv),
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        return result

    def python_value(self, code: str) -> Any:
        return json.loads(self.run(self.python, "-c", code).stdout)


def clean_environment(venv: Path | None = None) -> dict[str, str]:
    """The current environment without anything that would put the checkout or the dev venv on the path."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PIP_REQUIRE_VIRTUALENV"}
    }
    environment["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if venv is not None:
        environment["VIRTUAL_ENV"] = str(venv)
        environment["PATH"] = str(venv / "bin") + os.pathsep + environment.get("PATH", "")
    return environment


def build_wheel(outdir: Path) -> Path:
    command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(REPO_ROOT)]
    try:
        import build  # noqa: F401
    except ImportError:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(outdir), str(REPO_ROOT)]
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=outdir, env=clean_environment(), timeout=900, check=False
    )
    assert result.returncode == 0, f"wheel build failed:\n{result.stdout}\n{result.stderr}"
    wheels = sorted(outdir.glob("criteria_nlp-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> InstalledWheel:
    if not (REPO_ROOT / "README.md").is_file():
        # Work in progress in a checkout, not a packaging bug to hide: pyproject names README.md as the readme.
        pytest.xfail("README.md is missing, so hatchling cannot build the wheel (pyproject: readme = README.md)")
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    dist.mkdir()
    wheel = build_wheel(dist)

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=clean_environment())
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(wheel)],
        capture_output=True,
        text=True,
        cwd=base,
        env=clean_environment(venv),
        timeout=1800,
        check=False,
    )
    assert install.returncode == 0, f"pip install of the wheel failed:\n{install.stdout}\n{install.stderr}"

    outside = base / "elsewhere"
    outside.mkdir()
    return InstalledWheel(wheel=wheel, venv=venv, python=python, script=venv / "bin" / "criteria-nlp", outside=outside)


def installed_protocol(installed: InstalledWheel) -> Path:
    code = (
        "import json; from criteria_nlp.resources import corpus_path; "
        f"print(json.dumps(str(corpus_path('trials', {PROTOCOL!r}))))"
    )
    return Path(installed.python_value(code))


def test_wheel_holds_grammars_and_every_corpus_file(installed: InstalledWheel) -> None:
    with zipfile.ZipFile(installed.wheel) as archive:
        names = set(archive.namelist())
    assert "criteria_nlp/grammars/constraints.lark" in names
    assert "criteria_nlp/__main__.py" in names
    assert "criteria_nlp/py.typed" in names  # PEP 561: type checkers read the package's own annotations
    for folder in ("grammars", "corpora"):
        for path in (REPO_ROOT / folder).rglob("*"):
            if path.is_file():
                packaged = "criteria_nlp/" + path.relative_to(REPO_ROOT).as_posix()
                assert packaged in names, f"{packaged} missing from {installed.wheel.name}"
    assert not any(name.startswith(("tests/", "src/")) for name in names)


def test_package_is_imported_from_the_venv_not_the_checkout(installed: InstalledWheel) -> None:
    location = Path(installed.python_value("import json, criteria_nlp; print(json.dumps(criteria_nlp.__file__))"))
    assert location.is_relative_to(installed.venv)
    assert not location.is_relative_to(REPO_ROOT)


def test_installed_package_carries_grammar_and_lexicon(installed: InstalledWheel) -> None:
    code = """
import json
from importlib.resources import files
from criteria_nlp import resources
package = files("criteria_nlp")
print(json.dumps({
    "grammar": package.joinpath("grammars", "constraints.lark").is_file(),
    "grammar_text": package.joinpath("grammars", "constraints.lark").read_text(encoding="utf-8")[:2000],
    "lexicon": sorted(p.name for p in package.joinpath("corpora", "lexicon").iterdir() if p.name.endswith(".tsv")),
    "grammars_dir": str(resources.grammars_dir()),
    "corpora_dir": str(resources.corpora_dir()),
    "package_dir": str(package),
}))
"""
    found = installed.python_value(code)
    assert found["grammar"]
    assert found["grammar_text"].strip()
    checkout_lexicon = sorted(path.name for path in (REPO_ROOT / "corpora" / "lexicon").glob("*.tsv"))
    assert checkout_lexicon
    assert found["lexicon"] == checkout_lexicon
    package_dir = Path(found["package_dir"])
    assert Path(found["grammars_dir"]) == package_dir / "grammars"
    assert Path(found["corpora_dir"]) == package_dir / "corpora"


def test_installed_lexicon_loads(installed: InstalledWheel) -> None:
    code = (
        "import json; from criteria_nlp.knowledge.lexicon import load_lexicon; lexicon = load_lexicon(); "
        "print(json.dumps([len(lexicon.variables), lexicon.variable('lvef').id, lexicon.concept('pregnancy').id]))"
    )
    variables, lvef, pregnancy = installed.python_value(code)
    assert variables >= 150
    assert (lvef, pregnancy) == ("lvef", "pregnancy")


def test_console_script_prints_constraints_for_the_bundled_protocol(installed: InstalledWheel) -> None:
    protocol = installed_protocol(installed)
    assert protocol.is_relative_to(installed.venv)
    result = installed.run(installed.script, "parse", protocol, "--format", "constraints")
    records = {record["id"]: record for record in map(json.loads, result.stdout.splitlines())}
    assert len(records) == 14
    age = records["inc-2"]["constraints"]
    assert [(c["variable"], c["interval"], c["unit"]) for c in age] == [("age", [14.0, True, 60.0, True], "year")]
    lvef = records["inc-4"]["constraints"]
    assert [(c["variable"], c["interval"], c["unit"]) for c in lvef] == [("lvef", [50.0, True, None, False], "%")]
    liver_and_kidney = records["inc-5"]["constraints"]
    assert {c["variable"] for c in liver_and_kidney} == {"alt", "ast", "creatinine"}
    assert all(c["reference"] == "ULN" and c["interval"][0] == 2.0 for c in liver_and_kidney)


def test_python_dash_m_parses_stdin_as_text(installed: InstalledWheel) -> None:
    text = installed_protocol(installed).read_text(encoding="utf-8")
    result = installed.run(installed.python, "-m", "criteria_nlp", "parse", "-", "--format", "text", stdin=text)
    output = result.stdout
    assert "Inclusion criteria" in output
    assert "Exclusion criteria" in output
    assert "age in [14, 60] year" in output
    assert "lvef >= 50 %" in output
    for variable in ("alt", "ast", "creatinine"):  # the rendering may name the group term: "alt [transaminase]"
        assert re.search(rf"^\s*{variable}( \[[^\]]*\])? > 2 x ULN$", output, re.MULTILINE), variable
    assert "not_computable(consent)" in output
    exclusion = output.split("Exclusion criteria", 1)[1]
    assert "present(pregnancy)" in exclusion
    assert "present(active tuberculosis)" in exclusion  # the qualifier is kept (evaluation-qualifiers.tsv)


def test_installed_cli_reports_version_and_bad_input_cleanly(installed: InstalledWheel) -> None:
    version = installed.run(installed.script, "--version")
    with (REPO_ROOT / "pyproject.toml").open("rb") as pyproject:
        expected_version = tomllib.load(pyproject)["project"]["version"]
    assert expected_version in version.stdout
    bad = subprocess.run(
        [str(installed.script), "parse", "-"],
        input=b"Inclusion:\n1. Age \xff 18\n",
        capture_output=True,
        cwd=installed.outside,
        env=clean_environment(installed.venv),
        timeout=600,
        check=False,
    )
    assert bad.returncode != 0
    assert b"not valid UTF-8" in bad.stderr
    assert b"Traceback" not in bad.stderr

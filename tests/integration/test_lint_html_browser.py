"""The HTML lint report in a real browser: Debian's headless chromium renders it; we assert on the DOM and a PNG.

Skipped when /usr/bin/chromium is missing, except in CI (CI=true), where it must run (.ci/install-browser.sh
installs it).
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from criteria_nlp.lint import lint
from criteria_nlp.lint.render import LintedDocument, render_html
from criteria_nlp.pipeline import parse_criteria

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PROTOCOL = ROOT / "corpora" / "trials" / "NCT03219801.txt"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def _chromium() -> Path:
    if CHROMIUM.exists():
        return CHROMIUM
    if os.environ.get("CI") == "true":
        pytest.fail("chromium is required in CI: run .ci/install-browser.sh")
    pytest.skip("/usr/bin/chromium is not installed (run .ci/install-browser.sh)")


def _run(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [str(_chromium()), *FLAGS, f"--user-data-dir={profile}", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    document = parse_criteria(PROTOCOL.read_text(encoding="utf-8"), source=PROTOCOL.name)
    page = render_html([LintedDocument(document=document, report=lint(document), uri="NCT03219801.txt")])
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_dom_shows_findings_and_highlights(report_page: Path, tmp_path: Path) -> None:
    result = _run(tmp_path, "--dump-dom", report_page.as_uri())
    dom = result.stdout
    assert result.returncode == 0, result.stderr[-2000:]
    assert "<main>" in dom
    rules = set(re.findall(r'<tr class="finding" data-rule="([A-Z]\d{3})"', dom))
    assert {"L001", "L003", "L008", "A006", "A002"} <= rules
    assert re.search(r'<span class="hl sev-error"[^>]*>transaminase', dom)
    document = parse_criteria(PROTOCOL.read_text(encoding="utf-8"))
    for criterion in lint(document).criteria:
        for unparsed in criterion.unparsed:  # every span not understood is underlined in the text
            words = re.escape(unparsed.text.split()[0])
            assert re.search(rf'<span class="[^"]*unparsed"[^>]*>{words}', dom), unparsed.text
    assert 'data-score="' in dom
    assert dom.count('class="criterion"') == 14
    assert "lvef &gt;= 50 %" in dom  # the parse tree of inclusion 4
    for pattern in (r"\bsrc=", r"https?://", r"<link\b", r"@import", r"url\("):
        assert not re.search(pattern, dom), pattern


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_screenshot_is_a_real_picture(report_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    result = _run(tmp_path, f"--screenshot={shot}", "--window-size=1200,1600", report_page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    data = shot.read_bytes()
    assert _png_size(data) == (1200, 1600)
    assert len(data) > 30_000  # text, highlights and tables, not a blank page
    keep = os.environ.get("CRITERIA_NLP_KEEP_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)

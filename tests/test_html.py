"""The HTML report as a reader sees it: rendered in a real headless Chromium.

The browser test needs the Debian package ``chromium`` (CI installs it); without it the
test is skipped, unless ``PGX_REQUIRE_BROWSER=1`` (set by CI) makes a missing browser fail.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pgx import evaluate, load_profile
from tests.helpers import NOW, ROOT

_BROWSERS = ("chromium", "chromium-browser", "google-chrome")
# innerText is what is rendered: text in a closed <details> or hidden by CSS is not in it
_SEEN = (
    "<script>const t = document.body.innerText; document.body.textContent = '';"
    "const p = document.createElement('pre'); p.id = 'seen'; p.textContent = t;"
    "document.body.appendChild(p);</script></body>"
)


def _browser() -> str:
    found = next((b for b in map(shutil.which, _BROWSERS) if b), None)
    if found is None:
        if os.environ.get("PGX_REQUIRE_BROWSER") == "1":
            pytest.fail("no chromium on PATH (apt-get install chromium)")
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    return found


def _run(tmp: Path, *args: str) -> str:
    cmd = [
        _browser(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _seen(page: str, tmp: Path) -> str:
    path = tmp / "seen.html"
    path.write_text(page.replace("</body>", _SEEN), encoding="utf-8")
    dom = _run(tmp, "--dump-dom", path.as_uri())
    match = re.search(r"<pre id=\"seen\">(.*)</pre>", dom, re.DOTALL)
    assert match is not None, dom[:2000]
    return html.unescape(match.group(1))


@pytest.fixture(scope="module")
def crc_page() -> str:
    profile = load_profile(ROOT / "examples" / "profiles" / "crc-igf1r.yaml")
    return evaluate(profile, now=NOW).to_html()


def test_page_is_self_contained(crc_page: str) -> None:
    assert crc_page.startswith("<!DOCTYPE html>")
    assert "<script" not in crc_page
    assert not re.search(r"(src|href)\s*=\s*['\"]?(https?:)?//", crc_page)
    assert "@media print" in crc_page


def test_escapes_everything_from_input() -> None:
    page = evaluate({"id": "<img src=x onerror=alert(1)>"}, now=NOW).to_html()
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_what_a_reader_sees(crc_page: str, tmp_path: Path) -> None:
    seen = _seen(crc_page, tmp_path)
    assert seen.startswith("pgx report — P-CRC-IGF1R")
    report = evaluate(load_profile(ROOT / "examples" / "profiles" / "crc-igf1r.yaml"), now=NOW)
    # every finding's summary is on the page, in the report's order
    positions = [seen.index(f.summary, seen.index("Findings (")) for f in report.findings]
    assert report.findings and positions == sorted(positions)
    # the undecided rules are summarised; the list itself is folded away
    assert "could not be decided:" in seen
    assert "Every undecided rule" in seen
    first = report.indeterminate[0]
    assert f"{first.rule_id}: would fire if" not in seen
    assert "Legend" in seen and "level 4" in seen
    # provenance: pgx version, ruleset hash
    assert report.ruleset.sha256[:12] in seen


def test_warnings_are_read_first(tmp_path: Path) -> None:
    profile = {"id": "W", "germline": {"CYP2C91": {"diplotype": "*1/*1"}}}
    seen = _seen(evaluate(profile, now=NOW).to_html(), tmp_path)
    assert seen.index("Warnings") < seen.index("Findings (")
    assert "CYP2C91" in seen.split("Findings (")[0]


def test_full_mode_opens_the_undecided_rules(tmp_path: Path) -> None:
    report = evaluate({"id": "U"}, now=NOW)
    seen = _seen(report.to_html(undecided="full"), tmp_path)
    assert f"{report.indeterminate[0].rule_id}: would fire if" in seen


def test_prints_to_pdf_and_screenshots(crc_page: str, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text(crc_page, encoding="utf-8")
    pdf, png = tmp_path / "report.pdf", tmp_path / "report.png"
    _run(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes())) >= 2
    _run(tmp_path, "--window-size=1000,1400", f"--screenshot={png}", page.as_uri())
    assert png.read_bytes().startswith(b"\x89PNG")
    keep = os.environ.get("PGX_SCREENSHOT_DIR")
    if keep:  # to look at the page (e.g. while changing the style)
        shutil.copy(png, Path(keep) / "report.png")
        shutil.copy(pdf, Path(keep) / "report.pdf")


def test_source_column_says_where_each_finding_comes_from(tmp_path: Path) -> None:
    """CPIC for a guideline rule; the kinds of source cited for an oncology rule."""
    profile = {
        "id": "S",
        "germline": {"CYP2C19": {"diplotype": "*2/*2"}},
        "tumor": {
            "cancer_type": {"code": "COADREAD"},
            "variants": [{"gene": "KRAS", "protein": "p.G12D"}],
        },
    }
    report = evaluate(profile, drugs=["clopidogrel", "cetuximab"], now=NOW)
    seen = _seen(report.to_html(), tmp_path)
    glance = seen.split("Findings (")[1].split("For current")[0].split("Tumour")[0]
    assert "drugs\taction\tevidence\tsource\tsummary" in glance
    rows = [line.split("\t") for line in glance.splitlines() if "\t" in line]
    sources = sorted((row[0].split(",")[0], row[3]) for row in rows[1:])
    assert sources == [  # CPIC and DPWG both advise on clopidogrel: a row each
        ("cetuximab", "FDA label, literature"),
        ("clopidogrel (current)", "CPIC"),
        ("clopidogrel (current)", "DPWG"),
    ]
    markdown = report.to_markdown()
    assert "| evidence | source | summary |" in markdown
    assert "- **Source:** CPIC" in markdown

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
from pgx.render._relevance import GROUP_TITLES, finding_groups
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


def _glance(seen: str) -> list[tuple[str, list[str]]]:
    """The at-a-glance table as read: (group title, cells) per finding row."""
    lines = seen.split("\nFindings (", 1)[1].splitlines()
    start = lines.index("drugs\taction\tevidence\tsource\tsummary")
    rows: list[tuple[str, list[str]]] = []
    group = ""
    for line in lines[start + 1 :]:
        if "\t" in line:
            rows.append((group, line.split("\t")))
        elif line.strip() in GROUP_TITLES.values() and (not rows or rows[-1][0] != line.strip()):
            group = line.strip()
        else:
            break
    return rows


def test_what_a_reader_sees(crc_page: str, tmp_path: Path) -> None:
    seen = _seen(crc_page, tmp_path)
    assert seen.startswith("pgx report — P-CRC-IGF1R")
    report = evaluate(load_profile(ROOT / "examples" / "profiles" / "crc-igf1r.yaml"), now=NOW)
    # every finding's summary is at a glance, in the report's groups and order
    glance = _glance(seen)
    expected = [(g.title, f) for g in finding_groups(report) for f in g.findings]
    assert report.findings and len(glance) == len(expected)
    for (group, row), (title, finding) in zip(glance, expected, strict=True):
        assert (group, row[4]) == (title, finding.summary)
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
    assert seen.index("Warnings") < seen.index("\nFindings (")
    assert "CYP2C91" in seen.split("\nFindings (")[0]


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
    rows = [row for _, row in _glance(seen)]
    sources = sorted((row[0].split(",")[0], row[3]) for row in rows)
    assert sources == [  # CPIC and DPWG both advise on clopidogrel: a row each
        ("cetuximab", "FDA label, literature"),
        ("clopidogrel (current)", "CPIC"),
        ("clopidogrel (current)", "DPWG"),
    ]
    markdown = report.to_markdown()
    assert "| evidence | source | summary |" in markdown
    assert "- **Source:** CPIC" in markdown


def test_contents_links_and_severity_marks(tmp_path: Path) -> None:
    """A long page opens with links to its parts; each glance row carries its severity."""
    profile = {
        "id": "C",
        "germline": {"CYP2C19": {"diplotype": "*2/*2"}, "CYP2C91": {"diplotype": "*1/*1"}},
        "clinical": {"medications": ["clopidogrel"]},
    }
    report = evaluate(profile, now=NOW)
    page = report.to_html()
    seen = _seen(page, tmp_path)
    contents = next(x for x in seen.splitlines() if x.startswith("Warnings ("))
    assert seen.index(contents) < seen.index("\nWarnings\n") < seen.index("\nFindings (")
    assert contents == (
        f"Warnings ({len(report.warnings)}) · Findings ({len(report.findings)}) · "
        f"Germline results (2 genes) · Could not be decided ({len(report.indeterminate)}) · "
        "Legend"
    )
    for target in re.findall(r"<nav class='contents'.*?</nav>", page)[0].split("href='#")[1:]:
        assert f"id='{target.split(chr(39))[0]}'" in page
    first = report.findings[0]
    assert first.current and first.indicator == "warning"
    assert f"<tr class='warning current'><td>{html.escape(', '.join(first.drugs))}" in page
    assert _glance(seen)[0][0] == "For current medications"
    assert "nav.contents { display: none; }" in page  # not printed

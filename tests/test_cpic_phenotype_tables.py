"""Every diplotype of CPIC's 2025-11 phenotype tables gets CPIC's phenotype from pgx.

The whole table of every gene pgx phenotypes is checked (not a sample), through the public
API: a profile naming the diplotype in CPIC's own spelling, evaluated with the bundled rules,
must report CPIC's phenotype in CPIC's spelling. Needs the shared data snapshot beside the
clone (``../shared/data/cpic-pharmcat``, or ``$PGX_SHARED_DATA/cpic-pharmcat``); skipped without it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pgx import default_ruleset, evaluate
from tests.helpers import NOW, ROOT

# the shared data beside the clone (CI); PGX_SHARED_DATA points to it from elsewhere
SOURCE = Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cpic-pharmcat"
pytestmark = pytest.mark.skipif(
    not (SOURCE / "phenotype").is_dir(), reason="shared CPIC data snapshot not present"
)


def _tables() -> dict[str, list[dict[str, Any]]]:
    phenotyped = set(default_ruleset().knowledge.gene_phenotypes)
    out = {}
    for path in sorted((SOURCE / "phenotype").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["gene"] in phenotyped:
            out[data["gene"]] = data["diplotypes"]
    return out


def _profiles(tables: dict[str, list[dict[str, Any]]]) -> Iterator[dict[str, Any]]:
    """One profile per row index, holding that row of every gene's table."""
    longest = max(len(rows) for rows in tables.values())
    for i in range(longest):
        germline = {
            gene: {"diplotype": rows[i]["diplotype"]}
            for gene, rows in tables.items()
            if i < len(rows)
        }
        yield {"pgx_profile": 1, "id": f"row-{i}", "germline": germline}


def test_every_cpic_diplotype_gets_cpics_phenotype() -> None:
    tables = _tables()
    # the genes pgx phenotypes from this snapshot: a table silently dropped would pass below
    assert set(tables) >= {"CYP2C19", "CYP2C9", "CYP2B6", "DPYD", "SLCO1B1", "TPMT", "NUDT15"}
    checked = dict.fromkeys(tables, 0)
    wrong: dict[str, list[str]] = {gene: [] for gene in tables}
    for profile in _profiles(tables):
        report = evaluate(profile, drugs=[], now=NOW)
        i = int(profile["id"].split("-")[1])
        for gene in profile["germline"]:
            row = tables[gene][i]
            got = report.phenotypes[gene].phenotype or report.phenotypes[gene].status
            checked[gene] += 1
            if got != row["phenotype"]:
                wrong[gene].append(f"{row['diplotype']}: pgx {got!r}, CPIC {row['phenotype']!r}")
    assert checked == {gene: len(rows) for gene, rows in tables.items()}
    assert {gene: found[:5] for gene, found in wrong.items() if found} == {}

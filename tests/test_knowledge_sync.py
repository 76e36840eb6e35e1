"""The committed germline tables are exactly what the source data and deviations give.

``scripts/sync_knowledge.py`` regenerates ``rules/knowledge/alleles`` and ``phenotypes`` from
CPIC's data as PharmCAT publishes it (``../shared/data/cpic-pharmcat`` beside the clone) plus
the hand-curated deviations; any difference is a table edited by hand or data that moved on.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml

from pgx import default_ruleset
from pgx.engine import call_phenotype
from pgx.model.profile import GeneResult
from tests.helpers import ROOT

# the shared data beside the clone (CI); PGX_SHARED_DATA points to it from elsewhere
SOURCE = Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cpic-pharmcat"
KNOWLEDGE = ROOT / "rules" / "knowledge"
needs_source = pytest.mark.skipif(
    not (SOURCE / "definition").is_dir(), reason="shared CPIC data snapshot not present"
)


def _sync() -> ModuleType:
    path = ROOT / "scripts" / "sync_knowledge.py"
    spec = importlib.util.spec_from_file_location("sync_knowledge", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("sync_knowledge", module)
    spec.loader.exec_module(module)
    return module


@needs_source
def test_tables_regenerate_identically() -> None:
    tables = _sync().generate(SOURCE)
    assert len(tables) >= 30
    differ = [
        rel
        for rel, text in tables.items()
        if not (KNOWLEDGE / rel).is_file() or (KNOWLEDGE / rel).read_text(encoding="utf-8") != text
    ]
    assert differ == [], "run: python scripts/sync_knowledge.py ../shared/data/cpic-pharmcat"


@needs_source
def test_check_mode_reports_a_hand_edit(tmp_path: Path) -> None:
    sync = _sync()
    out = tmp_path / "knowledge"
    assert sync.main([str(SOURCE), "--out", str(out)]) == 0
    assert sync.main([str(SOURCE), "--out", str(out), "--check"]) == 0
    edited = out / "phenotypes" / "CYP2C19.yaml"
    edited.write_text(edited.read_text().replace("No function", "Normal function", 1))
    assert sync.main([str(SOURCE), "--out", str(out), "--check"]) == 1


def test_every_generated_table_is_stamped() -> None:
    """Source and data version on every allele and phenotype table, and in the ruleset."""
    for path in sorted((KNOWLEDGE / "alleles").glob("*.yaml")) + sorted(
        (KNOWLEDGE / "phenotypes").glob("*.yaml")
    ):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        (table,) = (data.get("allele_definitions") or data.get("gene_phenotypes")).values()
        assert table["source"], path
        assert table.get("data_version"), path
    versions = default_ruleset().knowledge.data_versions()
    assert versions["CYP2C19"] == "2025-11-05-00-25"
    assert versions["G6PD"] == "v1.23.0"


def test_deviations_carry_reason_and_citation(tmp_path: Path) -> None:
    sync = _sync()
    bad = tmp_path / "deviations.yaml"
    bad.write_text("aliases:\n  DPYD:\n    '*1': {allele: Reference, reason: legacy}\n")
    with pytest.raises(sync.SourceError, match="reason and citations"):
        sync.load_deviations(bad)
    for section in sync.load_deviations().values():
        assert section


@needs_source
def test_no_germline_table_is_kept_by_hand() -> None:
    """Every allele and phenotype table is the sync script's output: a table it does not
    write would be a hand-kept one, outside the regeneration check."""
    tables = set(_sync().generate(SOURCE))
    committed = {
        f"{folder}/{path.name}"
        for folder in ("alleles", "phenotypes")
        for path in (KNOWLEDGE / folder).glob("*.yaml")
    }
    assert committed == tables


#: CYP2D6 alleles the 2025-11 definitions name but CPIC's function table (the curated
#: supplement in scripts/knowledge_deviations.yaml) does not: unknown, never guessed.
CYP2D6_WITHOUT_FUNCTION = ("*150", "*151", *(f"*{n}" for n in range(164, 186)))


@needs_source
def test_cyp2d6_alleles_without_function_data_are_the_documented_ones() -> None:
    definitions = json.loads(
        (SOURCE / "definition" / "CYP2D6_translation.json").read_text(encoding="utf-8")
    )
    table = default_ruleset().knowledge.gene_phenotypes["CYP2D6"]
    named = [allele["name"] for allele in definitions["namedAlleles"]]
    assert tuple(n for n in named if n not in table.alleles) == CYP2D6_WITHOUT_FUNCTION


@pytest.mark.parametrize("allele", CYP2D6_WITHOUT_FUNCTION)
def test_cyp2d6_alleles_without_function_data_leave_the_phenotype_undecided(allele: str) -> None:
    knowledge = default_ruleset().knowledge
    assert len(CYP2D6_WITHOUT_FUNCTION) == 24
    found = call_phenotype("CYP2D6", GeneResult(diplotype=f"*1/{allele}"), knowledge)
    assert (found.status, found.phenotype, found.activity_score) == ("unknown_allele", None, None)

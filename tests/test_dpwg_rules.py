"""The DPWG rules: generated from PharmGKB's DPWG annotations, and what they say.

``scripts/dpwg_rules.py`` writes them from the annotations (in the shared data snapshot beside
the clone) and the wording in ``scripts/dpwg_rules.yaml``; a committed file that differs from
what the script gives was edited by hand or the wording moved on without regenerating.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from pgx import default_ruleset, evaluate
from tests.helpers import NOW, ROOT

SNAPSHOT = (
    Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data"))
    / "guidelines-2023-08"
    / "dpwg"
)
needs_snapshot = pytest.mark.skipif(not SNAPSHOT.is_dir(), reason="DPWG annotations not present")


def _script() -> ModuleType:
    path = ROOT / "scripts" / "dpwg_rules.py"
    spec = importlib.util.spec_from_file_location("dpwg_rules", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("dpwg_rules", module)
    spec.loader.exec_module(module)
    return module


@needs_snapshot
def test_rule_files_regenerate_identically() -> None:
    files = _script().generate(SNAPSHOT)
    assert len(files) >= 22
    differ = [
        rel
        for rel, text in files.items()
        if not (ROOT / "rules" / rel).is_file()
        or (ROOT / "rules" / rel).read_text(encoding="utf-8") != text
    ]
    assert differ == [], "run: python scripts/dpwg_rules.py ../shared/data/guidelines-2023-08/dpwg"


@needs_snapshot
def test_a_phenotype_two_groups_claim_must_be_resolved(tmp_path: Path) -> None:
    script = _script()
    text = (ROOT / "scripts" / "dpwg_rules.yaml").read_text(encoding="utf-8")
    curated = tmp_path / "dpwg_rules.yaml"
    curated.write_text(
        text.replace('CYP2C19: {"Likely Intermediate Metabolizer": IM}', "CYP2C19: {}"),
        encoding="utf-8",
    )
    with pytest.raises(script.SourceError, match="Likely Intermediate Metabolizer"):
        script.generate(SNAPSHOT, curated)


@needs_snapshot
def test_a_group_dpwg_advises_a_change_for_needs_wording(tmp_path: Path) -> None:
    script = _script()
    text = (ROOT / "scripts" / "dpwg_rules.yaml").read_text(encoding="utf-8")
    start = text.index("  voriconazole/CYP2C19:")
    curated = tmp_path / "dpwg_rules.yaml"
    cut = text[start:].index("      PM:")
    end = text[start:].index("      IM:")
    curated.write_text(text[: start + cut] + text[start + end :], encoding="utf-8")
    with pytest.raises(script.SourceError, match="voriconazole/CYP2C19: DPWG advises a change"):
        script.generate(SNAPSHOT, curated)


def _dpwg(profile: dict[str, object], drug: str) -> list[tuple[str, str]]:
    report = evaluate(profile, default_ruleset(), drugs=[drug], now=NOW)
    return sorted((f.action, f.rule_id) for f in report.findings if f.source == "DPWG")


def test_cyp2c19_reads_cpic_terms_in_dpwg_groups() -> None:
    # DPWG's normal metabolizer group holds *1/*17, which CPIC calls rapid: no DPWG finding
    assert _dpwg({"germline": {"CYP2C19": {"diplotype": "*1/*17"}}}, "citalopram") == []
    assert _dpwg({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, "citalopram") == [
        ("reduce_dose", "dpwg-cyp2c19-citalopram-poor")
    ]
    assert _dpwg({"germline": {"CYP2C19": {"diplotype": "*1/*9"}}}, "escitalopram") == [
        ("reduce_dose", "dpwg-cyp2c19-escitalopram-intermediate")
    ]


def test_dpyd_scores_and_vkorc1_genotype() -> None:
    hap_b3 = "c.1129-5923C>G, c.1236G>A (HapB3)"
    assert _dpwg({"germline": {"DPYD": {"diplotype": f"{hap_b3}/Reference"}}}, "capecitabine") == [
        ("reduce_dose", "dpwg-dpyd-capecitabine-activity-1-5")
    ]
    assert _dpwg({"germline": {"DPYD": {"activity_score": 0.5}}}, "fluorouracil") == [
        ("caution", "dpwg-dpyd-fluorouracil-activity-0-5")
    ]
    assert _dpwg({"germline": {"VKORC1": {"variants": {"rs9923231": "T/T"}}}}, "warfarin") == [
        ("reduce_dose", "dpwg-vkorc1-warfarin-1639-aa")
    ]


def test_an_untested_gene_leaves_the_dpwg_rules_undecided() -> None:
    report = evaluate({"germline": {}}, default_ruleset(), drugs=["simvastatin"], now=NOW)
    assert not [f for f in report.findings if f.source == "DPWG"]
    undecided = {i.rule_id for i in report.indeterminate}
    assert {"dpwg-slco1b1-simvastatin-poor-function"} <= undecided


def test_cyp2d6_scores_outside_dpwg_groups_are_said_so() -> None:
    # metoprolol's DPWG groups: poor 0, intermediate 0.5-1, normal 1.5-2.5, ultrarapid 3+
    assert _dpwg({"germline": {"CYP2D6": {"activity_score": 0.25}}}, "metoprolol") == [
        ("caution", "dpwg-cyp2d6-metoprolol-score-0-25")
    ]
    assert _dpwg({"germline": {"CYP2D6": {"activity_score": 1.25}}}, "metoprolol") == [
        ("informative", "dpwg-cyp2d6-metoprolol-score-1-25")
    ]
    assert _dpwg({"germline": {"CYP2D6": {"activity_score": 0.5}}}, "metoprolol") == [
        ("reduce_dose", "dpwg-cyp2d6-metoprolol-intermediate")
    ]
    # the 2023 antipsychotic groups leave no score out: no such rule for risperidone
    rules = {r.id for r in default_ruleset().rules}
    assert not [r for r in rules if r.startswith("dpwg-cyp2d6-risperidone-score-")]


@needs_snapshot
def test_a_gap_rule_for_a_score_dpwg_covers_is_refused(tmp_path: Path) -> None:
    script = _script()
    text = (ROOT / "scripts" / "dpwg_rules.yaml").read_text(encoding="utf-8")
    curated = tmp_path / "dpwg_rules.yaml"
    curated.write_text(text.replace('  "2.75":', '  "1.5":'), encoding="utf-8")
    with pytest.raises(script.SourceError, match=r"has a group for activity score 1\.5"):
        script.generate(SNAPSHOT, curated)


def test_cyp2c9_diplotypes_dpwg_names_hide_the_generic_advice() -> None:
    report = evaluate(
        {"germline": {"CYP2C9": {"diplotype": "*2/*3"}}}, default_ruleset(), drugs=["warfarin"],
        now=NOW,
    )  # fmt: skip
    assert [f.rule_id for f in report.findings if f.source == "DPWG"] == [
        "dpwg-cyp2c9-warfarin-2-3"
    ]
    assert "dpwg-cyp2c9-warfarin-poor" in {s.rule_id for s in report.superseded}
    assert _dpwg({"germline": {"CYP2C9": {"diplotype": "*1/*2"}}}, "siponimod") == [
        ("informative", "dpwg-cyp2c9-siponimod-1-2")
    ]
    assert _dpwg({"germline": {"CYP2C9": {"diplotype": "*1/*3"}}}, "siponimod") == [
        ("reduce_dose", "dpwg-cyp2c9-siponimod-intermediate")
    ]

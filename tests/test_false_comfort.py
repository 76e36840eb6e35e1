"""Inputs that used to read as reassuring when they said nothing (each a regression test)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import InputError, default_ruleset, evaluate, load_profile, load_ruleset
from pgx.inputs import decisive_positions
from pgx.model.knowledge import IUPAC
from tests.helpers import NOW, write

_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
# CYP2C19*2 (rs4244285): chr10:94781859 G>A on GRCh38, chr10:96541616 on GRCh37
_STAR2_38 = "chr10\t94781859\trs4244285\tG\tA\t.\tPASS\t.\tGT\t1/1\n"
_STAR2_37 = "10\t96541616\trs4244285\tG\tA\t.\tPASS\t.\tGT\t1/1\n"


def _cyp2c19_span() -> tuple[int, int, str]:
    """The first and last allele-defining positions of CYP2C19, and the first's REF."""
    defs = default_ruleset().knowledge.allele_definitions["CYP2C19"]
    first = min(defs.positions.values(), key=lambda dp: dp.position)
    last = max(dp.position for dp in defs.positions.values())
    return first.position, last, first.ref[0]


@pytest.mark.parametrize(
    ("name", "body"),
    [("header-only", ""), ("grch37-without-build-headers", _STAR2_37)],
)
def test_assume_reference_never_calls_genes_with_no_positions_present(
    tmp_path: Path, name: str, body: str
) -> None:
    """A *2/*2 sample on the wrong build read as 'CYP2C19 normal, clopidogrel standard dose'."""
    vcf = write(tmp_path, f"{name}.vcf", _HEAD + body)
    profile = load_profile(vcf=vcf, assume_reference=True)
    assert profile.germline["CYP2C19"].diplotype is None
    report = evaluate(profile, drugs=["clopidogrel"], now=NOW)
    assert report.findings == ()
    assert report.phenotypes["CYP2C19"].phenotype is None
    assert {i.rule_id for i in report.indeterminate} >= {
        "cpic-cyp2c19-clopidogrel-normal-rapid-ultrarapid"
    }
    row = next(line for line in report.to_markdown().splitlines() if "| CYP2C19 |" in line)
    assert row.split(" | ")[2] == "—"  # no phenotype


@pytest.mark.parametrize("assume", [False, True])
def test_no_pgx_position_in_the_vcf_is_said_at_the_top(tmp_path: Path, assume: bool) -> None:
    vcf = write(tmp_path, "empty.vcf", _HEAD)
    total = sum(len(d.positions) for d in default_ruleset().knowledge.allele_definitions.values())
    report = evaluate(load_profile(vcf=vcf, assume_reference=assume), now=NOW)
    expected = (
        f"0 of {total} pharmacogene positions found in {vcf} — wrong build, wrong file, or a gVCF?"
    )
    assert report.warnings[0] == expected
    markdown = report.to_markdown()
    # the warning comes before any finding, result table or undecided list
    assert markdown.index(expected) < markdown.index("## Germline results")


def _vcf_rows(gene: str, genotypes: dict[str, str], alts: dict[str, str] | None = None) -> str:
    """VCF records at a gene's positions, ``{position id: GT}``; ALT from ``alts`` or the first."""
    defs = default_ruleset().knowledge.allele_definitions[gene]
    chrom = defs.chromosome if defs.chromosome.startswith("chr") else f"chr{defs.chromosome}"
    rows = []
    for pid, gt in genotypes.items():
        dp = defs.positions[pid]
        alt = (alts or {}).get(pid, dp.alts[0])
        rows.append(
            (dp.position, f"{chrom}\t{dp.position}\t{pid}\t{dp.ref}\t{alt}\t.\tPASS\t.\tGT\t{gt}\n")
        )
    return "".join(row for _, row in sorted(rows))


def _star2() -> dict[str, str]:
    """CYP2C19 *2's variant bases (rs58973490 R: *2 allows either base there, so left out)."""
    defs = default_ruleset().knowledge.allele_definitions["CYP2C19"]
    return {pid: alt for pid, alt in defs.alleles["*2"].items() if alt not in IUPAC}


def test_variants_only_vcf_is_not_assumed_reference(tmp_path: Path) -> None:
    """A *1/*17 record alone: the other 34 positions could hide a *2; nothing is assumed."""
    vcf = write(tmp_path, "variants-only.vcf", _HEAD + _vcf_rows("CYP2C19", {"rs12248560": "0/1"}))
    profile = load_profile(vcf=vcf, assume_reference=True)
    call = profile.germline["CYP2C19"].call
    assert call is not None and call.assumed_positions == ()
    report = evaluate(profile, drugs=["clopidogrel"], now=NOW)
    assert report.phenotypes["CYP2C19"].phenotype is None
    assert report.findings == ()
    (warning,) = [w for w in report.warnings if w.startswith("CYP2C19")]
    decisive = decisive_positions(
        default_ruleset().knowledge.allele_definitions["CYP2C19"],
        default_ruleset().knowledge.gene_phenotypes["CYP2C19"],
    )
    assert warning.startswith(
        f"CYP2C19: reference not assumed (assume_reference): {len(decisive) - 1} of the "
        f"{len(decisive)} positions that tell an allele of another function from the "
        "reference are not genotyped: "
    )
    assert "rs4986893 (*3)" in warning  # the first eight, along the chromosome, then a count
    assert warning.endswith(f"and {len(decisive) - 1 - 8} more; absent positions stay unknown")
    markdown = report.to_markdown()
    assert markdown.index(warning) < markdown.index("## Germline results")


def test_assume_reference_needs_every_decisive_position(tmp_path: Path) -> None:
    """Every decisive position genotyped, and half of all: the rest may be assumed."""
    knowledge = default_ruleset().knowledge
    defs = knowledge.allele_definitions["CYP2C19"]
    decisive = decisive_positions(defs, knowledge.gene_phenotypes["CYP2C19"])
    assert {"rs4244285", "rs4986893", "rs12248560"} <= set(decisive)  # *2, *3, *17
    star2 = _star2()
    # the decisive positions (*2's homozygous), then others up to half of the gene's positions
    present = dict.fromkeys(decisive, "0/0") | dict.fromkeys(star2, "1/1")
    for pid in defs.positions:
        if 2 * len(present) >= len(defs.positions):
            break
        present.setdefault(pid, "0/0")
    vcf = write(tmp_path, "enough.vcf", _HEAD + _vcf_rows("CYP2C19", present, star2))
    report = evaluate(load_profile(vcf=vcf, assume_reference=True), now=NOW)
    assert report.phenotypes["CYP2C19"].diplotype == "*2/*2"
    row = next(line for line in report.to_markdown().splitlines() if line.startswith("| CYP2C19 |"))
    total = len(defs.positions)
    absent = total - len(present)
    assert absent > 0
    assert f"assumed reference at {absent} of {total} positions" in row
    assert "| called |" not in row

    # one decisive position (*3's) missing: nothing is assumed, and the warning names it
    del present["rs4986893"]
    vcf = write(tmp_path, "no-star3.vcf", _HEAD + _vcf_rows("CYP2C19", present, star2))
    profile = load_profile(vcf=vcf, assume_reference=True)
    call = profile.germline["CYP2C19"].call
    assert call is not None and call.assumed_positions == ()
    assert any("1 of the" in w and "not genotyped: rs4986893 (*3)" in w for w in call.warnings), (
        call.warnings
    )


def test_assume_reference_needs_half_of_the_positions(tmp_path: Path) -> None:
    """CYP2C9: every decisive position genotyped, but fewer than half of all 83."""
    knowledge = default_ruleset().knowledge
    defs = knowledge.allele_definitions["CYP2C9"]
    decisive = decisive_positions(defs, knowledge.gene_phenotypes["CYP2C9"])
    assert 0 < 2 * len(decisive) < len(defs.positions)
    body = _vcf_rows("CYP2C9", dict.fromkeys(decisive, "0/0"))
    vcf = write(tmp_path, "decisive-only.vcf", _HEAD + body)
    profile = load_profile(vcf=vcf, assume_reference=True)
    call = profile.germline["CYP2C9"].call
    assert call is not None and call.assumed_positions == ()
    expected = (
        f"CYP2C9: reference not assumed (assume_reference): only {len(decisive)} of its "
        f"{len(defs.positions)} positions are genotyped (at least half are needed); absent "
        "positions stay unknown"
    )
    assert expected in call.warnings
    report = evaluate(profile, drugs=["celecoxib"], now=NOW)
    assert report.phenotypes["CYP2C9"].phenotype is None
    assert report.findings == ()


def test_gvcf_reference_blocks_are_reference_calls(tmp_path: Path) -> None:
    """A *2/*2 gVCF: variant records at *2's three positions, reference blocks between."""
    defs = default_ruleset().knowledge.allele_definitions["CYP2C19"]
    low, high, ref = _cyp2c19_span()
    star2 = sorted(
        (defs.positions[pid].position, defs.positions[pid].ref, alt)
        for pid, alt in defs.alleles["*2"].items()
        if alt not in IUPAC
    )
    rows, start = [], low
    for pos, base, alt in star2:
        if start < pos:
            rows.append(f"chr10\t{start}\t.\tN\t<NON_REF>\t.\tPASS\tEND={pos - 1}\tGT:DP\t0/0:30")
        rows.append(f"chr10\t{pos}\t.\t{base}\t{alt},<NON_REF>\t.\tPASS\t.\tGT\t1/1")
        start = pos + 1
    rows.append(f"chr10\t{start}\t.\tN\t<*>\t.\tPASS\tEND={high}\tGT:DP\t0/0:30")
    rows[0] = rows[0].replace("\tN\t", f"\t{ref}\t", 1)
    vcf = write(tmp_path, "s.g.vcf", _HEAD + "\n".join(rows) + "\n")
    profile = load_profile(vcf=vcf)  # no assume_reference: the blocks are calls
    result = profile.germline["CYP2C19"]
    assert result.diplotype == "*2/*2"
    assert result.call is not None
    assert result.call.missing_positions == ()
    # a gene the blocks do not cover stays uncalled
    assert profile.germline["CYP2C9"].diplotype is None


def test_gvcf_block_with_no_call_genotype_is_no_call(tmp_path: Path) -> None:
    low, high, ref = _cyp2c19_span()
    body = f"chr10\t{low}\t.\t{ref}\t<NON_REF>\t.\tPASS\tEND={high}\tGT\t./.\n"
    profile = load_profile(vcf=write(tmp_path, "s.g.vcf", _HEAD + body))
    assert profile.germline["CYP2C19"].diplotype is None


def test_a_known_drug_no_rule_covers_is_not_none_fired() -> None:
    profile = {"germline": {"CYP2C19": {"diplotype": "*1/*1"}}}
    report = evaluate(profile, drugs=["prasugrel"], now=NOW)
    assert "no pgx rule covers prasugrel" in report.warnings
    markdown = report.to_markdown()
    assert "no pgx rule covers prasugrel" in markdown
    assert "No rule fired" not in markdown
    from pgx.cds_hooks import cards

    (card,) = cards(report)["cards"]
    assert card["summary"] == "No pgx rule covers prasugrel"
    from pgx.cds_hooks import service_cards

    (card,) = service_cards(report)["cards"]  # what the CDS Hooks service answers an order
    assert card["summary"] == "No pgx rule covers prasugrel"
    # rules that ran and did not fire are said differently
    ran = evaluate({"germline": {"CYP2C19": {"diplotype": "*2/*2"}}}, drugs=["sertraline"])
    assert not any("covers" in w for w in ran.warnings)


_LAB_RULES = """\
pgx_rules: 1
rules:
  - id: t-hba1c-high
    version: 1.0.0
    drugs: [alpelisib]
    when: {lab: {name: HbA1c, at_least: 6.5, unit: "%"}}
    then:
      action: caution
      summary: HbA1c in the diabetic range
      evidence: {level: "2"}
      citations: ["PMID:31091374"]
  - id: t-glucose-high
    version: 1.0.0
    drugs: [alpelisib]
    when: {lab: {name: fasting_glucose, at_least: 126, unit: mg/dL}}
    then:
      action: caution
      summary: fasting glucose in the diabetic range
      evidence: {level: "2"}
      citations: ["PMID:31091374"]
"""


def test_implausible_lab_value_for_its_unit_is_undecided(tmp_path: Path) -> None:
    """HbA1c 7.4 'mmol/mol' (a % value with the wrong unit) became 2.8 % and read as false."""
    rules = load_ruleset(write(tmp_path, "labs.yaml", _LAB_RULES))
    labs = {"HbA1c": {"value": 7.4, "unit": "mmol/mol"}}
    report = evaluate({"clinical": {"labs": labs}}, rules, now=NOW)
    assert [i.rule_id for i in report.indeterminate] == ["t-glucose-high", "t-hba1c-high"]
    assert any("lab HbA1c 7.4 mmol/mol is not a plausible value" in w for w in report.warnings), (
        report.warnings
    )
    # a plausible value in the same unit is decided as before
    labs = {"HbA1c": {"value": 58, "unit": "mmol/mol"}}
    assert evaluate({"clinical": {"labs": labs}}, rules).finding("t-hba1c-high") is not None


@pytest.mark.parametrize("unit", ["mg/dl", "MG/DL", "mg/dL"])
def test_lab_units_match_case_insensitively(tmp_path: Path, unit: str) -> None:
    rules = load_ruleset(write(tmp_path, "labs.yaml", _LAB_RULES))
    labs = {"fasting_glucose": {"value": 140, "unit": unit}}
    report = evaluate({"clinical": {"labs": labs}}, rules, now=NOW)
    assert report.finding("t-glucose-high") is not None
    assert not any("unit" in w for w in report.warnings)


def test_unknown_drug_gets_a_suggestion() -> None:
    with pytest.raises(InputError, match="did you mean clopidogrel"):
        evaluate({}, drugs=["clopidogrl"])


@pytest.mark.parametrize(
    ("name", "hint"),
    [("clopidogrl", "(did you mean clopidogrel?)"), ("Tagrisso", "(a brand name or salt?)")],
)
def test_a_misspelt_medication_gets_a_suggestion(name: str, hint: str) -> None:
    """A typo on the medication list is named as one; an unknown name may be a brand."""
    report = evaluate({"clinical": {"medications": [name]}}, now=NOW)
    assert (
        f"drug '{name}' is not in pgx's drug table {hint}: rules about drugs and drug classes "
        "treat it as possibly any of them"
    ) in report.warnings

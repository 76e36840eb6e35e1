"""Unphased heterozygous positions whose arrangement decides the call, and one-X calls.

Worked cases on the bundled 2025-11 tables: TPMT heterozygous at the *3B and *3C positions is
*1/*3A (both variants on one chromosome) or *3B/*3C (one on each); only phasing tells them
apart, and their phenotypes differ, so the phenotype is undecided.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import default_ruleset, evaluate, load_profile
from pgx.inputs._joint import call_joint
from tests.helpers import NOW

_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT"
_TPMT_3B, _TPMT_3C = "rs1800460", "rs1142345"


def _vcf(tmp: Path, gene: str, genotypes: dict[str, str], *, samples: int = 1) -> Path:
    """Every position of ``gene`` written, ``0/0`` unless ``genotypes`` says otherwise.

    A genotype may carry a phase set after a colon (``0|1:7``).
    """
    defs = default_ruleset().knowledge.allele_definitions[gene]
    names = "\t".join(f"S{i + 1}" for i in range(samples))
    rows = [f"{_HEAD}\t{names}"]
    for pid, dp in sorted(defs.positions.items(), key=lambda item: item[1].position):
        value = genotypes.get(pid, "0/0")
        fmt = "GT:PS" if ":" in value else "GT"
        cols = [defs.chromosome, str(dp.position), pid, dp.ref, ",".join(dp.alts), ".", "PASS"]
        rows.append("\t".join([*cols, ".", fmt, *([value] * samples)]))
    path = tmp / f"{gene}.vcf"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_unphased_tpmt_3b_and_3c_are_both_arrangements(tmp_path: Path) -> None:
    vcf = _vcf(tmp_path, "TPMT", {_TPMT_3B: "0/1", _TPMT_3C: "0/1"})
    profile = load_profile(vcf=vcf)
    result = profile.germline["TPMT"]
    assert result.diplotype is None
    assert result.call is not None
    assert result.call.candidates == ("*1/*3A", "*3B/*3C")
    assert set(result.call.unphased_positions) == {_TPMT_3B, _TPMT_3C}
    assert any("phased genotypes" in note for note in result.call.notes)

    report = evaluate(profile, drugs=["azathioprine"], now=NOW)
    tpmt = report.phenotypes["TPMT"]
    assert (tpmt.status, tpmt.phenotype) == ("indeterminate", None)
    assert "Intermediate Metabolizer, Poor Metabolizer" in (tpmt.reason or "")
    (warning,) = [w for w in report.warnings if w.startswith("TPMT phenotype undecided")]
    assert "*1/*3A or *3B/*3C" in warning
    assert f"phased genotypes at {_TPMT_3C}, {_TPMT_3B} would decide it" in warning
    # no thiopurine dose is stated from a guessed arrangement
    assert not [f for f in report.findings if "azathioprine" in f.drugs]
    assert any("tpmt" in i.rule_id for i in report.indeterminate)


@pytest.mark.parametrize(
    ("genotypes", "diplotype", "phenotype"),
    [
        ({_TPMT_3B: "0|1:7", _TPMT_3C: "0|1:7"}, "*1/*3A", "Intermediate Metabolizer"),
        ({_TPMT_3B: "0|1:7", _TPMT_3C: "1|0:7"}, "*3B/*3C", "Poor Metabolizer"),
    ],
)
def test_phased_tpmt_resolves_to_one_diplotype(
    tmp_path: Path, genotypes: dict[str, str], diplotype: str, phenotype: str
) -> None:
    profile = load_profile(vcf=_vcf(tmp_path, "TPMT", genotypes))
    result = profile.germline["TPMT"]
    assert result.diplotype == diplotype
    assert result.call is not None
    assert result.call.unphased_positions == ()
    report = evaluate(profile, now=NOW)
    assert report.phenotypes["TPMT"].phenotype == phenotype
    assert not [w for w in report.warnings if "phenotype undecided" in w]


def test_phase_sets_that_differ_leave_the_arrangement_open(tmp_path: Path) -> None:
    """Two phase blocks: how they lie to each other is unknown, as if unphased."""
    vcf = _vcf(tmp_path, "TPMT", {_TPMT_3B: "0|1:7", _TPMT_3C: "0|1:9"})
    result = load_profile(vcf=vcf).germline["TPMT"]
    assert result.call is not None
    assert result.call.candidates == ("*1/*3A", "*3B/*3C")
    assert set(result.call.unphased_positions) == {_TPMT_3B, _TPMT_3C}


def test_arrangements_whose_phenotypes_agree_give_the_phenotype(tmp_path: Path) -> None:
    """CYP2C19 *4 allows either base at the *17 promoter position (Y): heterozygous at both
    is *1/*4 or *4/*17, both intermediate metabolizers, so the phenotype is stated."""
    # *1 and *4 share rs3758581 G; *4 is rs28399504 G, *17 the promoter T at rs12248560
    genotypes = {"rs3758581": "1/1", "rs28399504": "0/1", "rs12248560": "0/1"}
    profile = load_profile(vcf=_vcf(tmp_path, "CYP2C19", genotypes))
    result = profile.germline["CYP2C19"]
    assert result.call is not None
    assert set(result.call.candidates) == {"*1/*4", "*4/*17"}
    assert result.call.unphased_positions
    report = evaluate(profile, now=NOW)
    assert report.phenotypes["CYP2C19"].phenotype == "Intermediate Metabolizer"
    assert not [w for w in report.warnings if "phenotype undecided" in w]


def test_joint_calling_gives_the_same_arrangements(tmp_path: Path) -> None:
    vcf = _vcf(tmp_path, "TPMT", {_TPMT_3B: "0/1", _TPMT_3C: "0/1"}, samples=2)
    joint = call_joint(vcf, default_ruleset())
    for index in range(2):
        call = joint.sample(index)["TPMT"].call
        assert call is not None
        assert call.candidates == ("*1/*3A", "*3B/*3C")
        assert set(call.unphased_positions) == {_TPMT_3B, _TPMT_3C}


_MEDITERRANEAN = "rs5030868"  # G6PD Mediterranean (class II, deficient): chrX G>A


@pytest.mark.parametrize("missing", ["absent", "no-call"])
def test_one_x_with_a_missing_position_is_not_normal(tmp_path: Path, missing: str) -> None:
    """A haploid (XY) G6PD call with the Mediterranean position uncalled was reported as the
    reference allele, Normal: the deficient allele hiding there keeps it undecided."""
    defs = default_ruleset().knowledge.allele_definitions["G6PD"]
    genotypes = dict.fromkeys(defs.positions, "0")
    genotypes[_MEDITERRANEAN] = "." if missing == "no-call" else "0"
    vcf = _vcf(tmp_path, "G6PD", genotypes)
    if missing == "absent":
        text = vcf.read_text(encoding="utf-8").splitlines()
        vcf.write_text(
            "\n".join(line for line in text if f"\t{_MEDITERRANEAN}\t" not in line) + "\n",
            encoding="utf-8",
        )
    profile = load_profile(vcf=vcf)
    result = profile.germline["G6PD"]
    assert result.diplotype is None
    assert result.call is not None
    assert result.call.missing_positions == (_MEDITERRANEAN,)
    assert result.call.candidates[0] == "B (reference)"
    assert "Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham" in result.call.candidates
    report = evaluate(profile, drugs=["rasburicase"], now=NOW)
    assert report.phenotypes["G6PD"].phenotype is None
    assert not [f for f in report.findings if "rasburicase" in f.drugs]


def test_one_x_fully_called_is_its_allele(tmp_path: Path) -> None:
    defs = default_ruleset().knowledge.allele_definitions["G6PD"]
    genotypes = dict.fromkeys(defs.positions, "0")
    genotypes[_MEDITERRANEAN] = "1"
    profile = load_profile(vcf=_vcf(tmp_path, "G6PD", genotypes))
    result = profile.germline["G6PD"]
    assert result.diplotype == "Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham"
    assert evaluate(profile, now=NOW).phenotypes["G6PD"].phenotype == "Deficient"

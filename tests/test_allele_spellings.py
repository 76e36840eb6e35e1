"""Every spelling of an allele, one-copy genes, IUPAC codes and the data version in reports."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import ProfileError, default_ruleset, evaluate, load_profile
from pgx.inputs import call_gene, read_vcf
from pgx.inputs._match import natural_key
from pgx.inputs._vcf import norm_chrom
from pgx.model.knowledge import allowed_bases
from pgx.model.profile import GeneResult
from tests.adapters_support import vcf_text, write_vcf
from tests.helpers import NOW


def _phenotype(gene: str, diplotype: str) -> tuple[str, str | None, str | None, str | None]:
    found = evaluate({"germline": {gene: {"diplotype": diplotype}}}, drugs=[], now=NOW)
    p = found.phenotypes[gene]
    return p.status, p.diplotype, p.phenotype, p.reason


@pytest.mark.parametrize(
    ("gene", "written", "shown", "phenotype"),
    [
        ("DPYD", "*2A/*1", "c.1905+1G>A (*2A)/Reference", "Intermediate Metabolizer"),
        (
            "DPYD",
            "c.1905+1G>A/Reference",
            "c.1905+1G>A (*2A)/Reference",
            "Intermediate Metabolizer",
        ),
        (
            "DPYD",
            "c.1905+1G>A (*2A)/Reference",
            "c.1905+1G>A (*2A)/Reference",
            "Intermediate Metabolizer",
        ),
        ("DPYD", "*13/*2A", "c.1679T>G (*13)/c.1905+1G>A (*2A)", "Poor Metabolizer"),
        (
            "DPYD",
            "HapB3/Reference",
            "c.1129-5923C>G, c.1236G>A (HapB3)/Reference",
            "Intermediate Metabolizer",
        ),
        (
            "DPYD",
            "c.1129-5923C>G, c.1236G>A/hapb3",
            "c.1129-5923C>G, c.1236G>A (HapB3)/c.1129-5923C>G, c.1236G>A (HapB3)",
            "Intermediate Metabolizer",
        ),
        ("SLCO1B1", "*1/*45.002", "*1/*45", "Decreased Function"),
        ("SLCO1B1", "*45.001/*45.002", "*45/*45", "Poor Function"),
        ("SLCO1B1", "*1/*39", "*1/*39", "Decreased Function"),  # CPIC 2025: No function
        ("CYP2C19", "*1/*17", "*1/*17", "Rapid Metabolizer"),
    ],
)
def test_every_spelling_is_shown_once_in_canonical_form(
    gene: str, written: str, shown: str, phenotype: str
) -> None:
    assert _phenotype(gene, written) == ("called", shown, phenotype, None)


def test_an_unknown_name_suggests_the_closest() -> None:
    status, shown, phenotype, reason = _phenotype("DPYD", "*2B/*1")
    assert (status, shown, phenotype) == ("unknown_allele", "*2B/*1", None)
    assert reason is not None and "*2A" in reason and "did you mean" in reason


def test_outside_calls_accept_legacy_names(tmp_path: Path) -> None:
    calls = tmp_path / "outside.tsv"
    calls.write_text("DPYD\t*1/*2A\nMT-RNR1\tm.1555A>G\nG6PD\tA- 202A_376G\n", encoding="utf-8")
    report = evaluate(load_profile(outside_calls=calls), drugs=[], now=NOW)
    assert report.phenotypes["DPYD"].diplotype == "Reference/c.1905+1G>A (*2A)"
    assert report.phenotypes["DPYD"].phenotype == "Intermediate Metabolizer"
    assert report.phenotypes["MT-RNR1"].phenotype == (
        "increased risk of aminoglycoside-induced hearing loss"
    )
    assert report.phenotypes["G6PD"].phenotype == "Deficient"


@pytest.mark.parametrize(
    ("written", "phenotype"),
    [
        ("A- 202A_376G", "Deficient"),  # hemizygous: one X chromosome
        ("B (reference)", "Normal"),
        ("Bangkok", "Deficient with CNSHA"),
        ("B (reference)/A- 202A_376G", "Variable"),  # heterozygous
        ("B (reference)/B (reference)", "Normal"),
        ("A- 202A_376G/Mediterranean, Dallas, Panama, Sassari, Cagliari, Birmingham", "Deficient"),
        ("Bangkok/Bangkok", "Deficient with CNSHA"),  # homozygous class I
        ("Bangkok/A- 202A_376G", "Deficient"),  # class I with class III (CPIC 2022 Table 1)
        ("Dagua", "Indeterminate"),  # uncertain function
    ],
)
def test_g6pd_one_and_two_x_chromosomes(written: str, phenotype: str) -> None:
    assert _phenotype("G6PD", written)[2] == phenotype


def test_one_allele_only_where_a_gene_can_have_one_copy() -> None:
    assert _phenotype("MT-RNR1", "m.1555A>G")[2] == (
        "increased risk of aminoglycoside-induced hearing loss"
    )
    with pytest.raises(ProfileError, match="expected a diplotype"):
        load_profile({"germline": {"CYP2C19": {"diplotype": "*2"}}})


@pytest.mark.parametrize(
    ("gene", "diplotype", "phenotype"),
    [
        ("CACNA1S", "Reference/Reference", "Uncertain Susceptibility"),
        ("CACNA1S", "Reference/c.520C>T", "Malignant Hyperthermia Susceptibility"),
        ("RYR1", "Reference/c.103T>C", "Malignant Hyperthermia Susceptibility"),
        ("RYR1", "Reference/c.1598G>A", "Uncertain Susceptibility"),
        (
            "IFNL3",
            "rs12979860 reference (C)/rs12979860 reference (C)",
            "Favorable response genotype",
        ),
        (
            "IFNL3",
            "rs12979860 reference (C)/rs12979860 variant (T)",
            "Unfavorable response genotype",
        ),
        ("ABCG2", "rs2231142 variant (T)/rs2231142 variant (T)", "Poor Function"),
    ],
)
def test_new_genes_phenotype(gene: str, diplotype: str, phenotype: str) -> None:
    assert _phenotype(gene, diplotype)[2] == phenotype


def test_an_unlisted_ryr1_variant_is_never_a_confident_call() -> None:
    status, _, phenotype, _ = _phenotype("RYR1", "Reference/c.38T>G")
    assert (status, phenotype) == ("unknown_allele", None)


def _call(tmp: Path, gene: str, pair: tuple[str, str], pick: dict[str, str]) -> GeneResult:
    k = default_ruleset().knowledge
    defs = k.allele_definitions
    d = defs[gene]
    path = write_vcf(
        tmp / "s.vcf",
        vcf_text(defs, {gene: pair}, pick=lambda _a, _p, code: pick.get(code, code)),
    )
    wanted = {(norm_chrom(d.chromosome), p.position) for p in d.positions.values()}
    return call_gene(gene, d, read_vcf(path, wanted), k.gene_phenotypes.get(gene))


@pytest.mark.parametrize(
    ("gene", "pair", "pick", "candidates"),
    [
        # *4 allows C or T at rs12248560 (Y): the *4B form with the *17 promoter variant
        ("CYP2C19", ("*4", "*4"), {"Y": "T"}, ("*4/*4",)),
        ("CYP2C19", ("*4", "*4"), {"Y": "C"}, ("*4/*4",)),
        ("CYP2C19", ("*4", "*17"), {"Y": "T"}, ("*4/*17",)),
        # *2 allows A or G at rs58973490 (R); with A, *2 + *11 explains the genotypes too
        ("CYP2C19", ("*1", "*2"), {"R": "G"}, ("*1/*2",)),
        ("CYP2C19", ("*1", "*2"), {"R": "A"}, ("*1/*2", "*2/*11")),
        # *18 allows A or G at rs2279343 (R); with G there, unphased, *4 (rs2279343 G) with
        # an *18 that has A is the other arrangement (both intermediate metabolizers)
        ("CYP2B6", ("*1", "*18"), {"R": "G"}, ("*1/*18", "*4/*18")),
    ],
)
def test_iupac_codes_match_either_base(
    tmp_path: Path,
    gene: str,
    pair: tuple[str, str],
    pick: dict[str, str],
    candidates: tuple[str, ...],
) -> None:
    result = _call(tmp_path, gene, pair, pick)
    assert result.call is not None
    assert result.call.candidates == candidates


def test_cyp2c19_star4_star4_is_a_poor_metabolizer(tmp_path: Path) -> None:
    vcf = write_vcf(
        tmp_path / "s.vcf",
        vcf_text(
            default_ruleset().knowledge.allele_definitions,
            {"CYP2C19": ("*4", "*4")},
            pick=lambda _a, _p, code: {"Y": "T"}.get(code, code),
        ),
    )
    report = evaluate(load_profile(vcf=vcf), drugs=[], now=NOW)
    assert report.phenotypes["CYP2C19"].phenotype == "Poor Metabolizer"


def test_iupac_codes_stand_for_ref_or_alt_bases() -> None:
    for defs in default_ruleset().knowledge.allele_definitions.values():
        for bases in defs.alleles.values():
            for pid, base in bases.items():
                pos = defs.positions[pid]
                assert allowed_bases(base) <= {pos.ref, *pos.alts}


def test_reports_carry_the_data_versions() -> None:
    report = evaluate({"germline": {"CYP2C19": {"diplotype": "*1/*2"}}}, drugs=[], now=NOW)
    versions = report.to_dict()["ruleset"]["data_versions"]
    assert versions["CYP2C19"] == "2025-11-05-00-25"
    assert versions["DPYD"] == "2025-11-05-00-25"
    assert versions["RYR1"] == "2023-09-01-18-07"


_DEFS = default_ruleset().knowledge.allele_definitions
_STAR_GENES = sorted(
    g for g in _DEFS if g != "DPYD" and g in default_ruleset().knowledge.gene_phenotypes
)


@st.composite
def _synthesised(draw: st.DrawFn) -> tuple[str, str, str, bool, bool]:
    gene = draw(st.sampled_from(_STAR_GENES))
    names = sorted(_DEFS[gene].alleles, key=natural_key)
    a, b = draw(st.sampled_from(names)), draw(st.sampled_from(names))
    return gene, a, b, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_synthesised())
def test_synthesised_vcfs_are_called_as_the_pair(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[str, str, str, bool, bool]
) -> None:
    """A VCF made from two 2025-11 alleles (an IUPAC code read either way) is called as that
    pair or a set containing it: always when phased; unphased when one allele is the
    reference or both are the same (otherwise a cis phasing may score higher, as in PharmCAT).
    """
    gene, a, b, variant, phased = case
    d = _DEFS[gene]

    def pick(_allele: str, pid: str, code: str) -> str:
        ref = d.positions[pid].ref
        other = sorted(allowed_bases(code) - {ref})
        return (
            other[0] if (variant and other) else (ref if ref in allowed_bases(code) else other[0])
        )

    path = write_vcf(
        tmp_path_factory.mktemp("v") / "s.vcf",
        vcf_text(_DEFS, {gene: (a, b)}, phased=phased, pick=pick),
    )
    wanted = {(norm_chrom(d.chromosome), p.position) for p in d.positions.values()}
    knowledge = default_ruleset().knowledge
    result = call_gene(gene, d, read_vcf(path, wanted), knowledge.gene_phenotypes.get(gene))
    assert result.call is not None
    truth = "/".join(sorted((a, b), key=natural_key))
    if phased or a == b or not d.alleles[a] or not d.alleles[b]:
        assert truth in result.call.candidates, (truth, result.call)
    else:
        assert result.call.candidates, result.call

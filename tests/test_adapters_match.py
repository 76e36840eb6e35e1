"""Calling genes from VCF genotypes: properties over the allele tables, and worked cases."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx import default_ruleset, evaluate, load_profile
from pgx.engine import call_phenotype
from pgx.inputs import call_gene, decisive_positions, read_vcf
from pgx.inputs._match import LOWEST_FUNCTION_GENES, natural_key
from pgx.inputs._vcf import norm_chrom
from pgx.model.knowledge import AlleleDefinitions, Knowledge
from pgx.model.profile import GeneResult
from tests.adapters_support import tiny_definitions, tiny_ruleset, vcf_text, write_vcf
from tests.helpers import NOW

STAR_GENES = sorted(
    g
    for g in tiny_definitions()
    if g not in LOWEST_FUNCTION_GENES and g in default_ruleset().knowledge.gene_phenotypes
)


def _bundled() -> Mapping[str, AlleleDefinitions]:
    return default_ruleset().knowledge.allele_definitions


def _sources() -> list[tuple[str, Mapping[str, AlleleDefinitions], Knowledge]]:
    out = [("tiny", tiny_definitions(), tiny_ruleset().knowledge)]
    if _bundled():  # the real PharmVar/CPIC tables, once they are bundled
        out.append(("bundled", _bundled(), default_ruleset().knowledge))
    return out


SOURCES = _sources()


def _call(
    tmp: Path,
    defs: Mapping[str, AlleleDefinitions],
    knowledge: Knowledge,
    gene: str,
    pair: tuple[str, str],
    **options: object,
) -> GeneResult:
    assume_reference = bool(options.pop("assume_reference", False))
    path = write_vcf(tmp / "s.vcf", vcf_text(defs, {gene: pair}, **options))  # type: ignore[arg-type]
    d = defs[gene]
    wanted = {(norm_chrom(d.chromosome), p.position) for p in d.positions.values()}
    return call_gene(
        gene,
        d,
        read_vcf(path, wanted),
        knowledge.gene_phenotypes.get(gene),
        assume_reference=assume_reference,
    )


def _signature(defs: AlleleDefinitions, a: str, b: str) -> tuple[tuple[str, ...], ...]:
    """A diplotype as the bases it puts at each position (identical definitions are equal)."""

    def vec(name: str) -> tuple[str, ...]:
        return tuple(defs.alleles[name].get(pid, p.ref) for pid, p in defs.positions.items())

    return tuple(sorted((vec(a), vec(b))))


def _candidates(result: GeneResult) -> tuple[str, ...]:
    assert result.call is not None
    return result.call.candidates


def _star_genes(defs: Mapping[str, AlleleDefinitions], knowledge: Knowledge) -> list[str]:
    return sorted(
        g for g in defs if g not in LOWEST_FUNCTION_GENES and g in knowledge.gene_phenotypes
    )


@st.composite
def _gene_pair(draw: st.DrawFn) -> tuple[int, str, str, str]:
    index = draw(st.sampled_from(range(len(SOURCES))))
    _, defs, knowledge = SOURCES[index]
    gene = draw(st.sampled_from(_star_genes(defs, knowledge)))
    names = sorted(defs[gene].alleles, key=natural_key)
    return index, gene, draw(st.sampled_from(names)), draw(st.sampled_from(names))


@given(_gene_pair())
def test_phased_pairs_are_called_back(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, str]
) -> None:
    """A phased VCF made from any two defined alleles is called as that pair (or as pairs
    with identical definitions)."""
    index, gene, a, b = case
    _, defs, knowledge = SOURCES[index]
    result = _call(tmp_path_factory.mktemp("v"), defs, knowledge, gene, (a, b), phased=True)
    want = _signature(defs[gene], a, b)
    got = [_signature(defs[gene], *c.split("/")) for c in _candidates(result)]
    assert got, result
    assert all(sig == want for sig in got), (a, b, _candidates(result))


@given(_gene_pair())
def test_unphased_pairs_fit_the_genotypes(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, str]
) -> None:
    """Unphased: every candidate explains the genotypes, and the true pair is among them
    (every arrangement of the heterozygous positions is kept, not only the best-scoring)."""
    index, gene, a, b = case
    _, defs, knowledge = SOURCES[index]
    d = defs[gene]
    result = _call(tmp_path_factory.mktemp("v"), defs, knowledge, gene, (a, b))
    cands = _candidates(result)
    assert cands, result

    def genotypes(x: str, y: str) -> list[tuple[str, ...]]:
        return [
            tuple(sorted((d.alleles[x].get(pid, p.ref), d.alleles[y].get(pid, p.ref))))
            for pid, p in d.positions.items()
        ]

    for cand in cands:
        assert genotypes(*cand.split("/")) == genotypes(a, b)
    sigs = {_signature(d, *c.split("/")) for c in cands}
    assert result.call is not None
    assert _signature(d, a, b) in sigs or result.call.truncated, (a, b, cands)
    if len(cands) == 1:
        assert result.diplotype == cands[0]


@st.composite
def _with_missing(draw: st.DrawFn) -> tuple[int, str, str, str, frozenset[str], int]:
    index, gene, a, b = draw(_gene_pair())
    positions = sorted(SOURCES[index][1][gene].positions)
    gone = draw(st.frozensets(st.sampled_from(positions), max_size=len(positions)))
    return index, gene, a, b, gone, draw(st.integers(0, 3))


@given(_with_missing())
def test_no_calls_never_assert_a_wrong_phenotype(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, str, frozenset[str], int]
) -> None:
    """With random positions missing (or ./.), a stated phenotype is the true one: a no-call
    never reads as reference, so an allele hiding there keeps the phenotype unknown, and an
    unphased arrangement never decides it.
    """
    index, gene, a, b, gone, mode = case
    as_no_call, phased = bool(mode & 1), bool(mode & 2)
    _, defs, knowledge = SOURCES[index]
    tmp = tmp_path_factory.mktemp("v")
    holes = {(gene, pid) for pid in gone}
    result = _call(
        tmp,
        defs,
        knowledge,
        gene,
        (a, b),
        phased=phased,
        **({"no_call": holes} if as_no_call else {"missing": holes}),
    )
    truth = call_phenotype(gene, GeneResult(diplotype=f"{a}/{b}"), knowledge)
    got = call_phenotype(gene, result, knowledge)
    assert result.call is not None
    assert set(result.call.missing_positions) == set(gone)
    if got.phenotype is not None:
        assert got.phenotype == truth.phenotype, (a, b, sorted(gone), got)
    # an allele that differs from a true one only at the uncalled positions could be there
    d = defs[gene]

    def seen(name: str) -> dict[str, str]:
        return {pid: d.alleles[name].get(pid, p.ref) for pid, p in d.positions.items()
                if pid not in gone}  # fmt: skip

    for h in d.alleles:
        for x, y in ((a, b), (b, a)):
            if h != x and seen(h) == seen(x):
                other = call_phenotype(gene, GeneResult(diplotype=f"{h}/{y}"), knowledge)
                if other.phenotype != truth.phenotype:
                    assert got.phenotype in (None, "Indeterminate"), (a, b, sorted(gone), h, got)


@st.composite
def _with_missing_assumable(draw: st.DrawFn) -> tuple[int, str, str, str, frozenset[str], int]:
    """Like `_with_missing`, but only positions assume_reference may fill: none decisive,
    at most half of the gene's."""
    index, gene, a, b = draw(_gene_pair())
    _, defs, knowledge = SOURCES[index]
    decisive = decisive_positions(defs[gene], knowledge.gene_phenotypes.get(gene))
    free = sorted(set(defs[gene].positions) - set(decisive))
    half = min(len(defs[gene].positions) // 2, len(free))
    gone = draw(st.frozensets(st.sampled_from(free), max_size=half)) if half else frozenset()
    return index, gene, a, b, gone, 0


@given(_with_missing() | _with_missing_assumable())
def test_assume_reference_fills_only_absent_positions(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, str, frozenset[str], int]
) -> None:
    """assume_reference: a reference sample with absent positions is called *1/*1-like, and
    the call records that it was used."""
    index, gene, _, _, gone, _ = case
    _, defs, knowledge = SOURCES[index]
    ref = next(n for n, bases in defs[gene].alleles.items() if not bases)
    result = _call(
        tmp_path_factory.mktemp("v"),
        defs,
        knowledge,
        gene,
        (ref, ref),
        missing={(gene, pid) for pid in gone},
        assume_reference=True,
    )
    assert result.call is not None
    assert result.call.assume_reference
    positions = set(defs[gene].positions)
    decisive = set(decisive_positions(defs[gene], knowledge.gene_phenotypes.get(gene)))
    if gone & decisive or 2 * len(positions - gone) < len(positions):
        # a decisive position absent, or fewer than half present: the VCF does not show that
        # it covers the gene, and reference is not assumed (a header-only or variants-only
        # file, another build, is not "normal")
        assert set(result.call.missing_positions) == gone
        assert result.call.assumed_positions == ()
        assert any("reference not assumed" in w for w in result.call.warnings)
        if gone == positions:
            assert result.diplotype is None
        return
    assert result.call.missing_positions == ()
    assert all(_signature(defs[gene], *c.split("/")) == _signature(defs[gene], ref, ref)
               for c in result.call.candidates)  # fmt: skip
    assert bool(gone) == any("assumed reference" in w for w in result.call.warnings)
    assert set(result.call.assumed_positions) == gone


# ------------------------------------------------------------------ worked cases (tiny tables)
def _tiny(tmp: Path, gene: str, pair: tuple[str, str], **options: object) -> GeneResult:
    return _call(tmp, tiny_definitions(), tiny_ruleset().knowledge, gene, pair, **options)


def test_heterozygous_star_alleles(tmp_path: Path) -> None:
    result = _tiny(tmp_path, "CYP2C19", ("*2", "*17"))
    assert result.diplotype == "*2/*17"
    assert result.call is not None
    assert result.call.source == "vcf"
    assert set(result.call.positions_used) == set(tiny_definitions()["CYP2C19"].positions)
    assert result.call.missing_positions == ()


def test_cis_beats_trans_when_unphased(tmp_path: Path) -> None:
    """het at both *2 positions: *1/*2 (cis) scores above *35 + an undefined allele."""
    result = _tiny(tmp_path, "CYP2C19", ("*1", "*2"))
    assert result.diplotype == "*1/*2"


def test_missing_position_lists_the_alleles_hiding_there(tmp_path: Path) -> None:
    result = _tiny(tmp_path, "CYP2C19", ("*1", "*1"), missing={("CYP2C19", "rs4986893")})
    assert result.diplotype is None
    assert result.call is not None
    assert set(result.call.candidates) == {"*1/*1", "*1/*3", "*3/*3"}
    assert result.call.missing_positions == ("rs4986893",)
    pheno = call_phenotype("CYP2C19", result, tiny_ruleset().knowledge)
    assert pheno.status == "indeterminate"
    assert pheno.phenotype is None
    assert "rs4986893" in (pheno.reason or "")


def test_candidates_that_agree_give_the_phenotype(tmp_path: Path) -> None:
    """*2 or *35 hidden behind rs4244285 with rs12769205 G het: both no function."""
    result = _tiny(tmp_path, "CYP2C19", ("*2", "*2"), missing={("CYP2C19", "rs4244285")})
    assert result.call is not None
    assert set(result.call.candidates) == {"*2/*2", "*2/*35", "*35/*35"}
    pheno = call_phenotype("CYP2C19", result, tiny_ruleset().knowledge)
    assert (pheno.status, pheno.phenotype) == ("called", "Poor Metabolizer")
    assert pheno.call == result.call


def test_undocumented_variant_is_not_called(tmp_path: Path) -> None:
    text = vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*1")}).replace(
        "rs1799853\tC\tT\t.\tPASS\t.\tGT\t0/0", "rs1799853\tC\tG\t.\tPASS\t.\tGT\t0/1"
    )
    path = write_vcf(tmp_path / "u.vcf", text)
    profile = load_profile(vcf=path, ruleset=tiny_ruleset())
    result = profile.germline["CYP2C9"]
    assert result.diplotype is None
    assert result.call is not None
    assert result.call.unmatched_variants == ("rs1799853 C>G",)
    report = evaluate(profile, tiny_ruleset(), now=NOW)
    assert report.phenotypes["CYP2C9"].status == "no_call"
    assert any("matching no defined allele" in w for w in report.warnings)


def test_genotype_genes_give_variants(tmp_path: Path) -> None:
    result = _tiny(tmp_path, "VKORC1", ("rs9923231 reference (C)", "rs9923231 variant (T)"))
    assert result.variants == {"rs9923231": "C/T"}
    missing = _tiny(
        tmp_path,
        "VKORC1",
        ("rs9923231 reference (C)", "rs9923231 variant (T)"),
        missing={("VKORC1", "rs9923231")},
    )
    assert missing.variants == {"rs9923231": "./."}


@pytest.mark.parametrize(
    ("pair", "expected", "phenotype"),
    [
        (("Reference", "Reference"), "Reference/Reference", "Normal Metabolizer"),
        (("c.2846A>T", "Reference"), "c.2846A>T/Reference", "Intermediate Metabolizer"),
        (("c.2846A>T", "c.1905+1G>A"), "c.1905+1G>A/c.2846A>T", "Poor Metabolizer"),
        (("c.1905+1G>A", "c.1905+1G>A"), "c.1905+1G>A/c.1905+1G>A", "Poor Metabolizer"),
        (
            ("c.1129-5923C>G, c.1236G>A", "Reference"),
            "c.1129-5923C>G, c.1236G>A/Reference",
            "Intermediate Metabolizer",
        ),
        (
            ("c.1129-5923C>G, c.1236G>A", "c.1129-5923C>G"),
            "c.1129-5923C>G/c.1129-5923C>G, c.1236G>A",
            "Intermediate Metabolizer",
        ),
    ],
)
def test_dpyd_lowest_function(
    tmp_path: Path, pair: tuple[str, str], expected: str, phenotype: str
) -> None:
    result = _tiny(tmp_path, "DPYD", pair)
    assert result.diplotype == expected
    pheno = call_phenotype("DPYD", result, tiny_ruleset().knowledge)
    assert pheno.phenotype == phenotype


def test_dpyd_three_variants_keep_the_two_lowest(tmp_path: Path) -> None:
    defs = tiny_definitions()
    text = vcf_text(defs, {"DPYD": ("c.2846A>T", "c.1905+1G>A")}).replace(
        "rs55886062\tA\tC\t.\tPASS\t.\tGT\t0/0", "rs55886062\tA\tC\t.\tPASS\t.\tGT\t0/1"
    )
    path = write_vcf(tmp_path / "d.vcf", text)
    result = load_profile(vcf=path, ruleset=tiny_ruleset()).germline["DPYD"]
    assert result.diplotype == "c.1679T>G/c.1905+1G>A"


def test_dpyd_phased_in_cis(tmp_path: Path) -> None:
    """Two variants on one chromosome: the other chromosome is the reference."""
    defs = tiny_definitions()
    text = vcf_text(defs, {"DPYD": ("Reference", "Reference")}, phased=True)
    for pid in ("rs67376798", "rs3918290"):
        p = defs["DPYD"].positions[pid]
        text = text.replace(f"{pid}\t{p.ref}\t{p.alts[0]}\t.\tPASS\t.\tGT:PS\t0|0:100",
                            f"{pid}\t{p.ref}\t{p.alts[0]}\t.\tPASS\t.\tGT:PS\t1|0:100")  # fmt: skip
    path = write_vcf(tmp_path / "d.vcf", text)
    result = load_profile(vcf=path, ruleset=tiny_ruleset()).germline["DPYD"]
    assert result.diplotype == "c.1905+1G>A/Reference"


def test_dpyd_missing_position_is_not_normal(tmp_path: Path) -> None:
    result = _tiny(tmp_path, "DPYD", ("Reference", "Reference"), missing={("DPYD", "rs3918290")})
    assert result.call is not None
    assert "c.1905+1G>A/Reference" in result.call.candidates
    pheno = call_phenotype("DPYD", result, tiny_ruleset().knowledge)
    assert pheno.phenotype is None
    assert pheno.status == "indeterminate"


def test_partial_genotype_constrains_one_chromosome(tmp_path: Path) -> None:
    text = vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*3")}).replace(
        "rs1057910\tA\tC\t.\tPASS\t.\tGT\t0/1", "rs1057910\tA\tC\t.\tPASS\t.\tGT\t./1"
    )
    path = write_vcf(tmp_path / "p.vcf", text)
    result = load_profile(vcf=path, ruleset=tiny_ruleset()).germline["CYP2C9"]
    assert result.call is not None
    assert set(result.call.candidates) == {"*1/*3", "*3/*3"}


def test_report_says_which_genes_a_vcf_cannot_call(tmp_path: Path) -> None:
    path = write_vcf(tmp_path / "s.vcf", vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*2")}))
    report = evaluate(load_profile(vcf=path, ruleset=tiny_ruleset()), tiny_ruleset(), now=NOW)
    for gene in ("CYP2D6", "HLA-A", "HLA-B"):
        found = report.phenotypes[gene]
        assert found.status == "no_call"
        assert "not called from a VCF" in (found.reason or "")
    assert report.phenotypes["CYP2C9"].phenotype == "Intermediate Metabolizer"
    # the genes of the VCF that are absent from it are no-calls, never reference
    assert report.phenotypes["CYP2C19"].phenotype is None


@st.composite
def _dpyd_case(draw: st.DrawFn) -> tuple[int, str, str, bool]:
    index = draw(st.sampled_from([i for i, (_, d, _) in enumerate(SOURCES) if "DPYD" in d]))
    names = sorted(SOURCES[index][1]["DPYD"].alleles, key=natural_key)
    return index, draw(st.sampled_from(names)), draw(st.sampled_from(names)), draw(st.booleans())


@given(_dpyd_case())
def test_dpyd_pairs_give_their_phenotype(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, str, str, bool]
) -> None:
    """Any two DPYD alleles, phased or not: the call's phenotype is the pair's CPIC phenotype."""
    index, a, b, phased = case
    _, defs, knowledge = SOURCES[index]
    result = _call(tmp_path_factory.mktemp("d"), defs, knowledge, "DPYD", (a, b), phased=phased)
    truth = call_phenotype("DPYD", GeneResult(diplotype=f"{a}/{b}"), knowledge)
    got = call_phenotype("DPYD", result, knowledge)
    assert result.diplotype is not None
    assert (got.phenotype, got.activity_score) == (truth.phenotype, truth.activity_score), (
        a,
        b,
        result.diplotype,
    )

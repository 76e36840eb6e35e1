"""VCFs synthesised from the bundled 2025-11 allele definitions, for every gene pgx calls.

Two properties, over random allele pairs of every gene with definitions (named alleles, DPYD's
lowest-function variants, genotype-only genes, and G6PD on one X chromosome):

- with every position called, the VCF is called as that pair, or as a set containing it;
- with positions missing or ``./.``, a stated phenotype is the true one, and an allele that
  could hide at the uncalled positions with another phenotype leaves it unstated: a missing
  position never yields a confident normal call.

(The named-allele properties on the tiny test tables as well are in test_adapters_match.py.)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pgx import default_ruleset
from pgx.engine import call_phenotype
from pgx.inputs import call_gene, read_vcf
from pgx.inputs._match import natural_key
from pgx.inputs._vcf import norm_chrom
from pgx.model.knowledge import IUPAC, AlleleDefinitions, Knowledge, allowed_bases
from pgx.model.profile import GeneResult
from tests.helpers import ROOT

_HEAD = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"


def _knowledge() -> Knowledge:
    return default_ruleset().knowledge


GENES = sorted(_knowledge().allele_definitions)
ONE_X = [g for g in GENES if (t := _knowledge().gene_phenotypes.get(g)) and t.haploid]


def _reference(gene: str) -> str:
    defs = _knowledge().allele_definitions[gene]
    return next(name for name, bases in defs.alleles.items() if not bases)


def _splits(gene: str) -> list[tuple[str, str]]:
    """Pairs of alleles whose variants together define a third allele (TPMT *3B + *3C = *3A):
    unphased, the pair and the third allele with the reference fit the same genotypes."""
    alleles = _knowledge().allele_definitions[gene].alleles
    combined = {frozenset(bases.items()) for bases in alleles.values() if len(bases) > 1}
    return [
        (x, y)
        for x, bx in sorted(alleles.items())
        for y, by in sorted(alleles.items())
        if bx
        and by
        and x < y
        and not set(bx) & set(by)
        and frozenset({**bx, **by}.items()) in combined
    ]


SPLITS = {gene: _splits(gene) for gene in GENES}


@st.composite
def _case(draw: st.DrawFn) -> tuple[str, tuple[str, ...], bool, frozenset[str], bool]:
    """A gene, its alleles (one for one X), phased?, uncalled positions, ./. or absent.

    The reference allele is drawn often (a reference call is where a missing position would
    read as normal), and so are pairs whose variants also make up a third allele (where the
    arrangement of unphased variants decides the call).
    """
    gene = draw(st.sampled_from(GENES))
    defs = _knowledge().allele_definitions[gene]
    names = sorted(defs.alleles, key=natural_key)
    one_allele = st.one_of(st.just(_reference(gene)), st.sampled_from(names))
    one_x = gene in ONE_X and draw(st.booleans())
    if one_x:
        alleles: tuple[str, ...] = (draw(one_allele),)
    elif len(SPLITS[gene]) > 0 and draw(st.booleans()):
        alleles = draw(st.sampled_from(SPLITS[gene]))
    else:
        alleles = (draw(one_allele), draw(one_allele))
    positions = sorted(defs.positions)
    gone = draw(st.frozensets(st.sampled_from(positions), max_size=min(4, len(positions))))
    return gene, alleles, draw(st.booleans()), gone, draw(st.booleans())


def _base(defs: AlleleDefinitions, allele: str, pid: str) -> str:
    code = defs.alleles[allele].get(pid, defs.positions[pid].ref)
    return sorted(allowed_bases(code))[0] if code in IUPAC else code


def _call(
    tmp: Path,
    gene: str,
    alleles: tuple[str, ...],
    *,
    phased: bool,
    gone: frozenset[str] = frozenset(),
    as_no_call: bool = False,
) -> GeneResult:
    defs = _knowledge().allele_definitions[gene]
    rows = []
    for pid, dp in sorted(defs.positions.items(), key=lambda item: item[1].position):
        if pid in gone and not as_no_call:
            continue
        order = [dp.ref, *dp.alts]
        indices = [str(order.index(_base(defs, a, pid))) for a in alleles]
        if pid in gone:
            indices = ["."] * len(indices)
        gt = ("|" if phased else "/").join(indices)
        fmt, value = ("GT:PS", f"{gt}:7") if phased and len(indices) == 2 else ("GT", gt)
        cols = [defs.chromosome, str(dp.position), pid, dp.ref, ",".join(dp.alts), ".", "PASS"]
        rows.append("\t".join([*cols, ".", fmt, value]) + "\n")
    path = tmp / "s.vcf"
    path.write_text(_HEAD + "".join(rows), encoding="utf-8")
    wanted = {(norm_chrom(defs.chromosome), p.position) for p in defs.positions.values()}
    return call_gene(gene, defs, read_vcf(path, wanted), _knowledge().gene_phenotypes.get(gene))


def _vector(defs: AlleleDefinitions, name: str) -> tuple[str, ...]:
    return tuple(_base(defs, name, pid) for pid in sorted(defs.positions))


def _signature(defs: AlleleDefinitions, names: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """What alleles put at each position (identical definitions are the same call)."""
    return tuple(sorted(_vector(defs, n) for n in names))


def _split(diplotype: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in diplotype.split("/"))


def _truth(gene: str, alleles: tuple[str, ...]) -> tuple[str | None, float | None]:
    found = call_phenotype(gene, GeneResult(diplotype="/".join(alleles)), _knowledge())
    return found.phenotype, found.activity_score


@given(_case())
def test_full_calls_are_that_pair_or_a_set_containing_it(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[str, tuple[str, ...], bool, frozenset[str], bool],
) -> None:
    gene, alleles, phased, _, _ = case
    knowledge = _knowledge()
    defs = knowledge.allele_definitions[gene]
    result = _call(tmp_path_factory.mktemp("v"), gene, alleles, phased=phased)
    assert result.call is not None
    assert result.call.missing_positions == ()
    if gene not in knowledge.gene_phenotypes:  # genotype-only genes (VKORC1, CYP4F2)
        assert result.variants is not None
        for pid in defs.positions:
            want = sorted(_base(defs, a, pid) for a in alleles)
            assert sorted(result.variants[pid].replace("|", "/").split("/")) == want
        return
    candidates = result.call.candidates
    assert candidates, result.call.warnings
    assert not result.call.truncated, (alleles, len(candidates))
    if gene == "DPYD":
        # built from the lowest-function variants: the pair's phenotype, among its candidates
        truth = _truth(gene, alleles)
        got = {_truth(gene, _split(c)) for c in candidates}
        assert truth in got, (alleles, candidates)
    else:
        pair = _signature(defs, alleles)
        assert pair in {_signature(defs, _split(c)) for c in candidates}, (alleles, candidates)
        if phased:  # one phase set: the arrangement is known
            assert all(_signature(defs, _split(c)) == pair for c in candidates), candidates
    if len(candidates) == 1:
        assert result.diplotype == candidates[0]


def _hiding(
    defs: AlleleDefinitions, alleles: tuple[str, ...], gone: frozenset[str]
) -> list[tuple[str, ...]]:
    """Allele combinations the sample could have that differ from the truth only at ``gone``."""

    def seen(name: str) -> tuple[str, ...]:
        return tuple(_base(defs, name, pid) for pid in sorted(defs.positions) if pid not in gone)

    out = []
    for index, true in enumerate(alleles):
        for other in defs.alleles:
            if other != true and seen(other) == seen(true):
                out.append((*alleles[:index], other, *alleles[index + 1 :]))
    return out


@given(_case())
def test_missing_positions_never_give_a_confident_wrong_or_normal_call(
    tmp_path_factory: pytest.TempPathFactory,
    case: tuple[str, tuple[str, ...], bool, frozenset[str], bool],
) -> None:
    gene, alleles, phased, gone, as_no_call = case
    knowledge = _knowledge()
    defs = knowledge.allele_definitions[gene]
    result = _call(
        tmp_path_factory.mktemp("v"), gene, alleles, phased=phased, gone=gone, as_no_call=as_no_call
    )
    assert result.call is not None
    assert set(result.call.missing_positions) == set(gone)
    if gene not in knowledge.gene_phenotypes:
        assert result.variants is not None
        for pid in gone:  # a missing position is never a genotype, least of all reference
            assert "." in result.variants[pid] or result.variants[pid] == "", result.variants
        return
    got = call_phenotype(gene, result, knowledge)
    truth = _truth(gene, alleles)
    if got.phenotype is None:
        return
    assert got.phenotype == truth[0], (alleles, sorted(gone), got)
    for other in _hiding(defs, alleles, gone):
        if _truth(gene, other)[0] != truth[0]:
            raise AssertionError(
                f"{gene} {'/'.join(alleles)} with {sorted(gone)} uncalled is {got.phenotype}, "
                f"but {'/'.join(other)} ({_truth(gene, other)[0]}) could hide there"
            )


def test_every_gene_with_definitions_is_drawn() -> None:
    """The properties above range over every gene the VCF caller calls."""
    knowledge = _knowledge()
    assert set(GENES) == set(knowledge.allele_definitions)
    assert {"ABCG2", "CYP2C19", "DPYD", "G6PD", "TPMT", "VKORC1"} <= set(GENES)
    assert ONE_X == ["G6PD"]


# ------------------------------------------------------------------ against the shared snapshot
SOURCE = Path(os.environ.get("PGX_SHARED_DATA", ROOT.parent / "shared" / "data")) / "cpic-pharmcat"
needs_source = pytest.mark.skipif(
    not (SOURCE / "definition").is_dir(), reason="shared CPIC data snapshot not present"
)
#: Genes with definitions in the snapshot that a short-read VCF cannot call (docs say why).
OUTSIDE_CALLS = {"CYP2D6"}


@needs_source
def test_every_snapshot_gene_callable_from_short_reads_is_called() -> None:
    snapshot = {p.name.removesuffix("_translation.json")
                for p in (SOURCE / "definition").glob("*_translation.json")}  # fmt: skip
    assert set(GENES) == snapshot - OUTSIDE_CALLS
    docs = (ROOT / "docs" / "pipeline-inputs.md").read_text(encoding="utf-8")
    for gene in OUTSIDE_CALLS:
        assert f"| {gene} |" in docs  # the table of genes that need an outside call


@needs_source
def test_pharmcat_unphased_priorities_are_candidates_not_choices(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """PharmCAT picks one NAT2 diplotype for some unphased genotypes (exemptions.json);
    pgx lists every one of them and states a phenotype only when all agree."""
    exemptions = json.loads((SOURCE / "definition" / "exemptions.json").read_text("utf-8"))
    priorities = exemptions["NAT2"]["unphasedDiplotypePriorities"]
    assert len(priorities) == 29
    knowledge = _knowledge()
    differing = 0
    for entry in priorities:
        result = _call(tmp_path_factory.mktemp("v"), "NAT2", _split(entry["pick"]), phased=False)
        assert result.call is not None
        assert set(entry["list"]) <= set(result.call.candidates), entry
        phenotypes = {_truth("NAT2", _split(d))[0] for d in entry["list"]}
        got = call_phenotype("NAT2", result, knowledge).phenotype
        if len(phenotypes) > 1:
            differing += 1
            assert got is None, entry
    assert differing == 15

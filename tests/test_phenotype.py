"""Diplotype → phenotype through the CPIC tables in rules/knowledge/phenotypes."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import yaml

from pgx.engine import call_phenotype
from pgx.model.diplotype import parse_diplotype
from pgx.model.knowledge import UNDETERMINED_FUNCTIONS, Knowledge
from pgx.model.profile import GeneResult
from tests.helpers import DATA, basic_rules


@pytest.fixture(name="knowledge", scope="module")
def _knowledge() -> Knowledge:
    return basic_rules().knowledge


def _call(knowledge: Knowledge, gene: str, **kw: Any) -> Any:
    return call_phenotype(gene, GeneResult(**kw), knowledge)


def _spot_checks() -> list[Any]:
    cases = []
    for name in ("EXPECTED-a.yaml", "EXPECTED-b.yaml"):
        path = DATA / name
        if path.exists():
            for case in yaml.safe_load(path.read_text()):
                cases.append(pytest.param(case, id=f"{case['gene']}:{case['diplotype']}"))
    return cases


@pytest.mark.parametrize("case", _spot_checks())
def test_cpic_spot_checks(knowledge: Knowledge, case: dict[str, Any]) -> None:
    """Diplotypes read from CPIC's published diplotype-phenotype tables give CPIC's phenotype."""
    called = _call(knowledge, case["gene"], diplotype=case["diplotype"])
    assert called.phenotype == case["phenotype"], called.reason
    if "activity_score" in case:
        assert called.activity_score == pytest.approx(float(case["activity_score"]))


def test_three_distinct_non_results(knowledge: Knowledge) -> None:
    """CPIC Indeterminate, an unknown allele and an unphenotyped gene stay distinct."""
    uncertain = _call(knowledge, "CYP2C19", diplotype="*1/*12")
    unknown = _call(knowledge, "CYP2C19", diplotype="*1/*999")
    unsupported = _call(knowledge, "VKORC1", diplotype="*1/*2")
    assert (uncertain.status, uncertain.phenotype) == ("indeterminate", "Indeterminate")
    assert (unknown.status, unknown.phenotype) == ("unknown_allele", None)
    assert "*999" in (unknown.reason or "")
    assert (unsupported.status, unsupported.phenotype) == ("not_phenotyped", None)


def test_cyp2d6_copy_number_and_tandem(knowledge: Knowledge) -> None:
    """xN multiplies activity; tandem parts are summed (CPIC 2020 consensus, *10 = 0.25)."""
    assert _call(knowledge, "CYP2D6", diplotype="*1/*4").activity_score == 1.0
    assert _call(knowledge, "CYP2D6", diplotype="*1/*4").phenotype == "Intermediate Metabolizer"
    assert _call(knowledge, "CYP2D6", diplotype="*1x2/*1").activity_score == 3.0
    assert _call(knowledge, "CYP2D6", diplotype="*1x2/*1").phenotype == "Ultrarapid Metabolizer"
    tandem = _call(knowledge, "CYP2D6", diplotype="*36+*10/*4")
    assert (tandem.activity_score, tandem.phenotype) == (0.25, "Intermediate Metabolizer")
    assert _call(knowledge, "CYP2D6", diplotype="*4xN/*4").activity_score == 0.0
    assert _call(knowledge, "CYP2D6", diplotype="*1xN/*4").phenotype == "Indeterminate"


def test_reported_conflict_is_not_resolved(knowledge: Knowledge) -> None:
    """A reported phenotype that disagrees with the diplotype gives no phenotype."""
    called = _call(knowledge, "CYP2C19", diplotype="*1/*1", phenotype="Poor Metabolizer")
    assert (called.status, called.phenotype) == ("conflict", None)
    agree = _call(knowledge, "CYP2C19", diplotype="*2/*2", phenotype="poor metabolizer")
    assert agree.phenotype == "Poor Metabolizer"


def test_reported_activity_score_bins(knowledge: Knowledge) -> None:
    """A reported CYP2D6 activity score is binned by the table."""
    assert _call(knowledge, "CYP2D6", activity_score=1.25).phenotype == "Normal Metabolizer"
    assert _call(knowledge, "CYP2D6", activity_score=0.0).phenotype == "Poor Metabolizer"


def test_ugt1a1_named_combination_kept_whole(knowledge: Knowledge) -> None:
    """CPIC's named allele *80+*28 is looked up whole, not split as a tandem."""
    assert parse_diplotype("*1/*80+*28", {"*80+*28"}) is not None
    called = _call(knowledge, "UGT1A1", diplotype="*1/*80+*28")
    assert called.phenotype == "Intermediate Metabolizer"


def test_every_function_pair_is_derived_from_the_table(knowledge: Knowledge) -> None:
    """Every allele pair's phenotype follows from its two functions by the table's rows.

    Pairs with an allele of uncertain or unknown function are CPIC Indeterminate unless
    the table lists that pair explicitly (e.g. TPMT No function + Uncertain).
    """
    for gene, table in knowledge.gene_phenotypes.items():
        if table.method != "function":
            continue
        if not table.diploid:  # one copy (MT-RNR1): every allele's function has its row
            for allele, fn in table.alleles.items():
                row = next(r for r in table.phenotypes if r.functions == (fn.function,))
                assert _call(knowledge, gene, diplotype=allele).phenotype == row.phenotype
            continue
        rows = {tuple(sorted(r.functions or ())): r.phenotype for r in table.phenotypes}
        by_function: dict[str, str] = {}
        for allele, fn in table.alleles.items():
            by_function.setdefault(fn.function, allele)  # one representative per function
        for (f1, a1), (f2, a2) in itertools.combinations_with_replacement(
            sorted(by_function.items()), 2
        ):
            called = _call(knowledge, gene, diplotype=f"{a1}/{a2}")
            expected = rows.get(tuple(sorted([f1, f2])))
            if expected is None:
                assert called.phenotype == "Indeterminate", (gene, a1, a2)
                if not UNDETERMINED_FUNCTIONS & {f1, f2}:
                    pytest.fail(f"{gene}: no phenotype row for {f1} + {f2}")
            else:
                assert called.phenotype == expected, (gene, a1, a2)


def test_every_activity_allele_pair_bins(knowledge: Knowledge) -> None:
    """Every pair of activity-valued alleles sums to a score that lands in exactly one range."""
    for gene, table in knowledge.gene_phenotypes.items():
        if table.method != "activity_score":
            continue
        values = sorted(
            {fn.activity_value for fn in table.alleles.values() if fn.activity_value is not None}
        )
        for v1, v2 in itertools.combinations_with_replacement(values, 2):
            score = round(v1 + v2, 4)
            matches = [
                r.phenotype
                for r in table.phenotypes
                if (r.at_least is None or score >= r.at_least)
                and (r.at_most is None or score <= r.at_most)
            ]
            assert len(matches) == 1, (gene, score, matches)


def test_tables_cite_their_source(knowledge: Knowledge) -> None:
    """Every phenotype table names its CPIC source and a checked citation."""
    for gene, table in knowledge.gene_phenotypes.items():
        assert table.source, gene
        assert table.citations, gene


def test_no_call_is_not_normal(knowledge: Knowledge) -> None:
    """An explicit no-call has no phenotype."""
    called = _call(knowledge, "CYP2C19", diplotype="./.")
    assert (called.status, called.phenotype) == ("no_call", None)


def test_cyp2d6_three_or_more_copies(knowledge: Knowledge) -> None:
    """CPIC's '≥3' copies: the phenotype is stated only when the lower bound decides it."""
    um = _call(knowledge, "CYP2D6", diplotype="*1x≥3/*4")
    assert (um.phenotype, um.activity_score) == ("Ultrarapid Metabolizer", None)
    decreased = _call(knowledge, "CYP2D6", diplotype="*10x≥3/*4")  # 0.75 or more
    assert decreased.phenotype == "Indeterminate"
    assert _call(knowledge, "CYP2D6", diplotype="*4x>=3/*4").activity_score == 0.0


def test_reported_terms_and_scores_checked(knowledge: Knowledge) -> None:
    """Abbreviations are read; unknown terms and off-scale scores are invalid, never binned."""
    assert _call(knowledge, "CYP2C19", phenotype="IM").phenotype == "Intermediate Metabolizer"
    assert _call(knowledge, "CYP2D6", phenotype="EM").phenotype == "Normal Metabolizer"
    bad_term = _call(knowledge, "CYP2C19", phenotype="Slow")
    assert (bad_term.status, bad_term.phenotype) == ("invalid", None)
    for gene, score in (("DPYD", 1.25), ("CYP2C9", 1.75), ("CYP2D6", 1.1), ("CYP2D6", -1.0)):
        called = _call(knowledge, gene, activity_score=score)
        assert (called.status, called.phenotype) == ("invalid", None), (gene, score)
    assert _call(knowledge, "NUDT15", activity_score=1.0).status == "invalid"
    clash = _call(knowledge, "CYP2D6", phenotype="Poor Metabolizer", activity_score=1.0)
    assert (clash.status, clash.phenotype) == ("conflict", None)
    agree = _call(knowledge, "CYP2D6", phenotype="Intermediate Metabolizer", activity_score=1.0)
    assert (agree.phenotype, agree.activity_score) == ("Intermediate Metabolizer", 1.0)

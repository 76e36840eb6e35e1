"""Every allele pair of every phenotype table, against CPIC's rules written out independently.

The tables' own phenotype rows are what is under test, so the expected phenotypes here come
from CPIC's published method (function pairs, or activity-score bins: CPIC/PharmCAT, see
shared research notes §3), encoded without reading those rows. Every pair of named alleles
is checked, not one representative per function.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from pgx.engine import call_phenotype
from pgx.model.knowledge import Knowledge
from pgx.model.profile import GeneResult
from tests.helpers import basic_rules

N, INC, D, NF = "Normal function", "Increased function", "Decreased function", "No function"
UNC, UNK = "Uncertain function", "Unknown function"
UNDETERMINED = {UNC, UNK}
IND = "Indeterminate"


def _pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def cyp2c19(a: str, b: str) -> str:
    """CPIC 2022 (Lee et al.): likely phenotypes for decreased-function alleles."""
    if {a, b} & UNDETERMINED:
        return IND
    table = {
        _pair(INC, INC): "Ultrarapid Metabolizer",
        _pair(N, INC): "Rapid Metabolizer",
        _pair(N, N): "Normal Metabolizer",
        _pair(N, D): "Likely Intermediate Metabolizer",
        _pair(INC, D): "Likely Intermediate Metabolizer",
        _pair(D, D): "Likely Intermediate Metabolizer",
        _pair(N, NF): "Intermediate Metabolizer",
        _pair(INC, NF): "Intermediate Metabolizer",
        _pair(D, NF): "Likely Poor Metabolizer",
        _pair(NF, NF): "Poor Metabolizer",
    }
    return table[_pair(a, b)]


def cyp2b6(a: str, b: str) -> str:
    """CPIC 2019 efavirenz: increased alleles raise, decreased/no-function lower activity."""
    if {a, b} & UNDETERMINED:
        return IND
    low = sum(f in (D, NF) for f in (a, b))
    high = sum(f == INC for f in (a, b))
    if low == 2:
        return "Poor Metabolizer"
    if low == 1:
        return "Intermediate Metabolizer"
    return {0: "Normal Metabolizer", 1: "Rapid Metabolizer", 2: "Ultrarapid Metabolizer"}[high]


def thiopurine(a: str, b: str) -> str:
    """CPIC 2018 TPMT/NUDT15: no-function count; No function + uncertain is 'Possible IM'."""
    nf = sum(f == NF for f in (a, b))
    undetermined = sum(f in UNDETERMINED for f in (a, b))
    if undetermined == 0:
        return ["Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"][nf]
    if undetermined == 1 and nf == 1:
        return "Possible Intermediate Metabolizer"
    return IND


def slco1b1(a: str, b: str) -> str:
    """CPIC 2022 statins: function terms; increased counts as normal except twice."""
    nf = sum(f == NF for f in (a, b))
    undetermined = sum(f in UNDETERMINED for f in (a, b))
    if undetermined:
        return "Possible Decreased Function" if (undetermined == 1 and nf == 1) else IND
    if nf == 2:
        return "Poor Function"
    if nf == 1:
        return "Decreased Function"
    return "Increased Function" if (a, b) == (INC, INC) else "Normal Function"


def ugt1a1(a: str, b: str) -> str:
    """CPIC 2015 atazanavir: count of decreased-function alleles (increased counts as normal)."""
    if {a, b} & UNDETERMINED:
        return IND
    return ["Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"][
        sum(f == D for f in (a, b))
    ]


def cyp3a5(a: str, b: str) -> str:
    """CPIC 2015 tacrolimus, with CPIC's later 'Possible IM' for normal + unknown function."""
    pair = _pair(a, b)
    table = {
        _pair(N, N): "Normal Metabolizer",
        _pair(N, NF): "Intermediate Metabolizer",
        _pair(NF, NF): "Poor Metabolizer",
        _pair(N, UNK): "Possible Intermediate Metabolizer",
        _pair(N, UNC): "Possible Intermediate Metabolizer",
    }
    return table.get(pair, IND)


def abcg2(a: str, b: str) -> str:
    """CPIC 2022 statins, rs2231142: G/G normal, G/T decreased, T/T poor function."""
    return ["Normal Function", "Decreased Function", "Poor Function"][sum(f == D for f in (a, b))]


def susceptibility(a: str, b: str) -> str:
    """CPIC 2018 RYR1/CACNA1S: one MH-associated allele is enough; otherwise uncertain."""
    if "Malignant Hyperthermia associated" in (a, b):
        return "Malignant Hyperthermia Susceptibility"
    return "Uncertain Susceptibility"  # a negative result does not rule MHS out


def g6pd(a: str, b: str) -> str:
    """CPIC 2022 G6PD Table 1, two X chromosomes: class IV normal, I-III deficient."""
    if {a, b} & UNDETERMINED:
        return IND
    normal = sum(f == "IV/Normal" for f in (a, b))
    if normal == 2:
        return "Normal"
    if normal == 1:
        return "Variable"  # X inactivation: anything from normal to deficient
    both_class_1 = a == b == "I/Deficient with CNSHA"
    return "Deficient with CNSHA" if both_class_1 else "Deficient"


def ifnl3(a: str, b: str) -> str:
    """CPIC 2013 peginterferon: rs12979860 CC favorable; CT and TT unfavorable."""
    favorable = a == b == "Favorable response allele"
    return "Favorable response genotype" if favorable else "Unfavorable response genotype"


def cftr(a: str, b: str) -> str:
    """CPIC 2014 ivacaftor: one ivacaftor-responsive allele makes the genotype responsive."""
    if "ivacaftor responsive" in (a, b):
        return "ivacaftor responsive in CF patients"
    return "ivacaftor non-responsive in CF patients"


def cyp3a4(a: str, b: str) -> str:
    """CPIC CYP3A4 table: one reduced allele intermediate, two poor."""
    low = sum(f in (D, NF) for f in (a, b))
    return ["Normal Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"][low]


def nat2(a: str, b: str) -> str:
    """CPIC NAT2 table: acetylator status by the count of decreased-function alleles."""
    if {a, b} & UNDETERMINED:
        return IND
    return ["Rapid Metabolizer", "Intermediate Metabolizer", "Poor Metabolizer"][
        sum(f == D for f in (a, b))
    ]


FUNCTION_RULES: dict[str, Callable[[str, str], str]] = {
    "CACNA1S": susceptibility,
    "RYR1": susceptibility,
    "G6PD": g6pd,
    "IFNL3": ifnl3,
    "CFTR": cftr,
    "CYP3A4": cyp3a4,
    "NAT2": nat2,
    "CYP2C19": cyp2c19,
    "CYP2B6": cyp2b6,
    "TPMT": thiopurine,
    "NUDT15": thiopurine,
    "SLCO1B1": slco1b1,
    "UGT1A1": ugt1a1,
    "CYP3A5": cyp3a5,
    "ABCG2": abcg2,
}

# Activity-score bins as the current guidelines define them (CYP2D6: 2020 CPIC/DPWG
# consensus; CYP2C9: 2020 phenytoin/NSAIDs; DPYD: 2017 guideline).
SCORE_RULES: dict[str, Callable[[float], str]] = {
    "CYP2D6": lambda s: (
        "Poor Metabolizer"
        if s == 0
        else "Intermediate Metabolizer"
        if s <= 1.0
        else "Normal Metabolizer"
        if s <= 2.25
        else "Ultrarapid Metabolizer"
    ),
    "CYP2C9": lambda s: (
        "Normal Metabolizer"
        if s >= 2
        else "Intermediate Metabolizer"
        if s >= 1
        else "Poor Metabolizer"
    ),
    "DPYD": lambda s: (
        "Normal Metabolizer"
        if s >= 2
        else "Intermediate Metabolizer"
        if s >= 1
        else "Poor Metabolizer"
    ),
}


@pytest.fixture(name="knowledge", scope="module")
def _knowledge() -> Knowledge:
    return basic_rules().knowledge


# Genes with one copy: their single-allele rows are checked in test_phenotype.
ONE_COPY_ONLY = {"MT-RNR1"}


def test_every_table_has_an_independent_rule(knowledge: Knowledge) -> None:
    """No phenotype table escapes this check."""
    assert set(knowledge.gene_phenotypes) == (
        set(FUNCTION_RULES) | set(SCORE_RULES) | ONE_COPY_ONLY
    )


@pytest.mark.parametrize("gene", sorted(FUNCTION_RULES))
def test_function_tables_agree_with_cpic(knowledge: Knowledge, gene: str) -> None:
    """Every pair of named alleles gets the phenotype CPIC's function-pair rule gives."""
    table = knowledge.gene_phenotypes[gene]
    rule = FUNCTION_RULES[gene]
    wrong = []
    for a1, a2 in itertools.combinations_with_replacement(sorted(table.alleles), 2):
        got = call_phenotype(gene, GeneResult(diplotype=f"{a1}/{a2}"), knowledge).phenotype
        want = rule(table.alleles[a1].function, table.alleles[a2].function)
        if got != want:
            wrong.append(f"{a1}/{a2}: table {got}, CPIC {want}")
    assert not wrong, wrong[:10]


@pytest.mark.parametrize("gene", sorted(SCORE_RULES))
def test_activity_tables_agree_with_cpic(knowledge: Knowledge, gene: str) -> None:
    """Every pair of single-copy alleles gets CPIC's bin of the summed activity score."""
    table = knowledge.gene_phenotypes[gene]
    wrong = []
    for a1, a2 in itertools.combinations_with_replacement(sorted(table.alleles), 2):
        v1, v2 = table.alleles[a1].activity_value, table.alleles[a2].activity_value
        got = call_phenotype(gene, GeneResult(diplotype=f"{a1}/{a2}"), knowledge)
        if v1 is None or v2 is None:
            want, score = IND, None
        else:
            score = round(v1 + v2, 4)
            want = SCORE_RULES[gene](score)
        if (got.phenotype, got.activity_score) != (want, score):
            wrong.append(f"{a1}/{a2}: table {got.phenotype} {got.activity_score}, CPIC {want}")
    assert not wrong, wrong[:10]

"""A condition in words, the profile path each leaf reads, and a condition's leaves.

Pure functions of the condition tree: reports, ``pgx explain``, lint and the rule catalogue
all describe rules the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pgx.model import condition as rs

__all__ = ["describe", "describe_leaf", "did_you_mean", "leaf_path", "leaves_of"]


def _one_of(values: Iterable[str]) -> str:
    items = list(values)
    return items[0] if len(items) == 1 else "one of " + ", ".join(items)


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``" (did you mean CYP2C9?)"`` for a near miss among ``choices``, else ``""``.

    Case is ignored when comparing (``cyp2c91`` suggests ``CYP2C9``); the suggestion is
    spelled as in ``choices``.
    """
    by_folded: dict[str, str] = {}
    for choice in choices:
        by_folded.setdefault(choice.casefold(), choice)
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.75)
    return f" (did you mean {by_folded[close[0]]}?)" if close else ""


def _range(low: float | None, high: float | None) -> str:
    if low is not None and low == high:
        return f"{low:g}"
    if low is not None and high is not None:
        return f"between {low:g} and {high:g}"
    return f"at least {low:g}" if low is not None else f"at most {high:g}"


def describe(cond: rs.Condition) -> str:
    """A condition in words, e.g. ``CYP2C19 phenotype is Poor Metabolizer``."""
    if isinstance(cond, rs.AllOf):
        return "(" + " and ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, rs.AnyOf):
        return "(" + " or ".join(describe(p) for p in cond.parts) + ")"
    if isinstance(cond, rs.Not):
        return f"not {describe(cond.part)}"
    return describe_leaf(cond)


def describe_leaf(leaf: rs.Leaf) -> str:
    """One leaf in words, e.g. ``CYP2C19 phenotype is Poor Metabolizer``."""
    match leaf:
        case rs.PhenotypeLeaf(gene, in_):
            return f"{gene} phenotype is {_one_of(in_)}"
        case rs.DiplotypeLeaf(gene, in_):
            return f"{gene} diplotype is {_one_of(in_)}"
        case rs.AlleleLeaf(gene, carries):
            return f"carries {gene}{carries}"
        case rs.ActivityScoreLeaf(gene, low, high):
            return f"{gene} activity score is {_range(low, high)}"
        case rs.VariantLeaf(gene, rsid, genotype):
            return f"{gene} {rsid} genotype is {_one_of(genotype)}"
        case rs.GermlineVariantLeaf(gene, classification):
            return f"a germline {gene} variant classified {' or '.join(classification)}"
        case rs.SomaticLeaf():
            return _describe_somatic(leaf)
        case rs.CopyNumberLeaf(gene, status):
            return f"{gene} {_one_of(status)}"
        case rs.FusionLeaf(gene, partner):
            return f"{gene} fusion" + (f" with {_one_of(partner)}" if partner else "")
        case rs.ExpressionLeaf(gene, at_least, at_most, in_):
            if at_least is not None:
                return f"{gene} expression is at least {at_least}"
            if at_most is not None:
                return f"{gene} expression is at most {at_most}"
            return f"{gene} expression is {_one_of(in_ or ())}"
        case rs.BiomarkerLeaf(name, in_, low, high):
            return f"{name} is {_one_of(in_) if in_ else _range(low, high)}"
        case rs.CancerTypeLeaf(in_):
            return f"cancer type is {_one_of(in_)} (OncoTree, or a subtype)"
        case rs.DiagnosisLeaf(code, system):
            return f"diagnosis {_one_of(code)} ({system})"
        case rs.MedicationLeaf(drug, class_):
            return f"currently takes {_drugs_words(drug, class_)}"
        case rs.TherapyLeaf(drug, class_, outcome):
            return f"prior therapy with {_drugs_words(drug, class_)}" + (
                f" ending in {' or '.join(outcome)}" if outcome else ""
            )
        case rs.LabLeaf(name, unit, low, high):
            return f"{name} is {_range(low, high)} {unit}"
    raise TypeError(leaf)  # pragma: no cover - every leaf kind is matched above


def _drugs_words(drugs: tuple[str, ...] | None, classes: tuple[str, ...] | None) -> str:
    if drugs:
        return " or ".join(drugs)
    return "a drug of class " + " or ".join(classes or ())


def _describe_somatic(leaf: rs.SomaticLeaf) -> str:
    bits = []
    if leaf.class_:
        bits.append(f"{_one_of(leaf.class_)}")
    if leaf.type:
        bits.append(_one_of(leaf.type))
    text = f"{leaf.gene} {' '.join(bits)} somatic variant".replace("  ", " ")
    if leaf.protein:
        text += f" {_one_of(leaf.protein)}"
    if leaf.codon:
        text += f" at codon {_one_of(leaf.codon)}"
    if leaf.exon is not None:
        text += f" in exon {leaf.exon}"
    return text


def leaf_path(leaf: rs.Leaf) -> str:
    """The profile path a leaf reads."""
    match leaf:
        case (
            rs.PhenotypeLeaf()
            | rs.DiplotypeLeaf()
            | rs.AlleleLeaf()
            | rs.ActivityScoreLeaf()
            | rs.GermlineVariantLeaf()
        ):
            return f"germline.{leaf.gene}"
        case rs.VariantLeaf(gene, rsid):
            return f"germline.{gene}.variants.{rsid}"
        case rs.SomaticLeaf():
            return "tumor.variants"
        case rs.CopyNumberLeaf():
            return "tumor.copy_number"
        case rs.FusionLeaf():
            return "tumor.fusions"
        case rs.ExpressionLeaf(gene):
            return f"tumor.expression.{gene}"
        case rs.BiomarkerLeaf(name):
            return f"tumor.biomarkers.{name}"
        case rs.CancerTypeLeaf():
            return "tumor.cancer_type"
        case rs.DiagnosisLeaf():
            return "clinical.diagnoses"
        case rs.MedicationLeaf():
            return "clinical.medications"
        case rs.TherapyLeaf():
            return "clinical.therapies"
        case rs.LabLeaf(name):
            return f"clinical.labs.{name}"
    raise TypeError(leaf)  # pragma: no cover - every leaf kind is matched above


def leaves_of(cond: rs.Condition) -> list[rs.Leaf]:
    """Distinct leaves of a condition, in reading order."""
    out: list[rs.Leaf] = []

    def walk(c: rs.Condition) -> None:
        if isinstance(c, rs.AllOf | rs.AnyOf):
            for part in c.parts:
                walk(part)
        elif isinstance(c, rs.Not):
            walk(c.part)
        elif c not in out:
            out.append(c)

    walk(cond)
    return out

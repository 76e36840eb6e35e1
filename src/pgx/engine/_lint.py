"""Curation checks beyond loading (``pgx lint``) and the ruleset's coverage."""

from __future__ import annotations

import itertools

from attrs import frozen

from pgx.engine._phenotype import bin_score
from pgx.errors import Problem
from pgx.model import ruleset as rs
from pgx.model._words import leaves_of
from pgx.model.knowledge import GenePhenotypes
from pgx.model.ruleset import RuleSet

__all__ = ["MAX_SUMMARY", "Coverage", "coverage", "lint", "phenotype_gaps"]

#: Longest summary a finding may carry (it is the headline of a card).
MAX_SUMMARY = 140
_OUTCOMES = ("fires", "does_not_fire", "indeterminate")


def lint(ruleset: RuleSet) -> list[Problem]:
    """Everything a curator must fix before a rule ships."""
    problems = []
    for rule in ruleset.rules:
        src = ruleset.sources[rule.id]
        path = f"$.rules[{src.index}]"
        if len(rule.then.summary) > MAX_SUMMARY:
            problems.append(
                Problem(
                    f"{path}.then.summary",
                    f"summary is {len(rule.then.summary)} characters; at most {MAX_SUMMARY}",
                    src.file,
                    src.line,
                )
            )
        expected = {t.expect for t in rule.tests}
        missing = [o for o in _OUTCOMES if o not in expected]
        if missing:
            problems.append(
                Problem(
                    f"{path}.tests",
                    f"rule '{rule.id}' needs an inline test expecting {', '.join(missing)}",
                    src.file,
                    src.line,
                )
            )
    return problems + phenotype_gaps(ruleset)


def _achievable(table: GenePhenotypes) -> list[tuple[str, float | None]]:
    """Every (phenotype, score) a diplotype of two single-copy alleles can produce."""
    if table.method == "function":
        return [(row.phenotype, None) for row in table.phenotypes]
    values = sorted(
        {fn.activity_value for fn in table.alleles.values() if fn.activity_value is not None}
    )
    out: list[tuple[str, float | None]] = []
    for a, b in itertools.combinations_with_replacement(values, 2):
        score = round(a + b, 4)
        term = bin_score(table, score)
        if term is not None:
            out.append((term, score))
    return out


def phenotype_gaps(ruleset: RuleSet) -> list[Problem]:
    """Phenotypes a drug's rules read but never decide: such patients would get no finding.

    For every drug and every gene its rules read by phenotype or activity score, each
    phenotype (and each achievable activity score) of the gene's table must appear in some
    rule about the drug. A deliberate "no recommendation" is written as an explicit
    ``informative`` rule, so that silence never stands for "nothing to say".
    """
    reads: dict[tuple[str, str], list[rs.Leaf]] = {}
    first: dict[str, rs.Rule] = {}
    for rule in ruleset.rules:
        if rule.status != "active":
            continue
        for leaf in leaves_of(rule.when):
            if isinstance(leaf, rs.PhenotypeLeaf | rs.ActivityScoreLeaf):
                for drug in rule.drugs:
                    reads.setdefault((drug, leaf.gene), []).append(leaf)
                    first.setdefault(drug, rule)
    problems = []
    for (drug, gene), leaves in sorted(reads.items()):
        table = ruleset.knowledge.gene_phenotypes.get(gene)
        if table is None:
            continue
        terms = {t for leaf in leaves if isinstance(leaf, rs.PhenotypeLeaf) for t in leaf.in_}
        ranges = [
            (leaf.at_least, leaf.at_most)
            for leaf in leaves
            if isinstance(leaf, rs.ActivityScoreLeaf)
        ]
        missing = set()
        for term, score in _achievable(table):
            if term in terms:
                continue
            if score is not None and any(
                (lo is None or score >= lo) and (hi is None or score <= hi) for lo, hi in ranges
            ):
                continue
            missing.add(term if score is None else f"{term} (activity score {score:g})")
        if missing:
            src = ruleset.sources[first[drug].id]
            problems.append(
                Problem(
                    f"$.rules[{src.index}]",
                    f"no {drug} rule decides {gene} {', '.join(sorted(missing))}: such patients "
                    "would get no finding; add a rule (informative if there is no recommendation)",
                    src.file,
                    src.line,
                )
            )
    return problems


@frozen
class Coverage:
    """What a ruleset covers: genes read, drugs named, and gene–drug pairs."""

    rules: int
    genes: tuple[str, ...]
    drugs: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    without_rxnorm: tuple[str, ...] = ()
    by_source: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(gene, source, drugs): which guideline body's rules cover a gene, for which drugs.

    The source is the rules' ``source`` (``CPIC``, ``DPWG``), or ``-`` for rules naming none.
    """
    data_versions: tuple[tuple[str, str], ...] = ()
    """(gene, source of its phenotype table): the data each gene's phenotypes come from."""

    def by_gene(self) -> list[str]:
        """Coverage by gene and source, one line per gene (``pgx lint -v``)."""
        lines = []
        for gene in self.genes:
            parts = [
                f"{source} {len(drugs)} ({', '.join(drugs)})"
                for g, source, drugs in self.by_source
                if g == gene
            ]
            lines.append(f"  {gene}: " + "; ".join(parts))
        return lines

    def summary(self) -> str:
        """One line for the terminal."""
        line = (
            f"{self.rules} rules; {len(self.genes)} genes; {len(self.drugs)} drugs; "
            f"{len(self.pairs)} gene-drug pairs"
        )
        if self.without_rxnorm:
            line += f"; {len(self.without_rxnorm)} drugs without an RxNorm code: " + ", ".join(
                self.without_rxnorm
            )
        return line


def coverage(ruleset: RuleSet) -> Coverage:
    """Genes, drugs and gene–drug pairs the active rules cover."""
    genes: set[str] = set()
    drugs: set[str] = set()
    pairs: set[tuple[str, str]] = set()
    sourced: dict[tuple[str, str], set[str]] = {}
    active = [r for r in ruleset.rules if r.status == "active"]
    for rule in active:
        rule_genes = {g for leaf in leaves_of(rule.when) if (g := getattr(leaf, "gene", None))}
        genes |= rule_genes
        drugs |= set(rule.drugs)
        pairs |= {(g, d) for g in rule_genes for d in rule.drugs}
        for gene in rule_genes:
            sourced.setdefault((gene, rule.source or "-"), set()).update(rule.drugs)
    named = drugs | {
        d
        for rule in active
        if rule.then.regimen is not None
        for d in (rule.then.regimen.all_of or rule.then.regimen.any_of or ())
    }
    no_code = tuple(sorted(d for d in named if ruleset.knowledge.drugs[d].rxnorm is None))
    tables = ruleset.knowledge.gene_phenotypes
    return Coverage(
        len(active),
        tuple(sorted(genes)),
        tuple(sorted(drugs)),
        tuple(sorted(pairs)),
        no_code,
        tuple((g, s, tuple(sorted(d))) for (g, s), d in sorted(sourced.items())),
        tuple((g, tables[g].source) for g in sorted(genes) if g in tables and tables[g].source),
    )

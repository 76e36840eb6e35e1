"""Merging knowledge tables from several files, and checking them against each other."""

from __future__ import annotations

from typing import Any

from pgx.errors import Problem
from pgx.io._yaml import Document, PathKey
from pgx.model.knowledge import (
    UNDETERMINED_FUNCTIONS,
    Cutpoint,
    Knowledge,
    KnowledgeFile,
    ScopeNote,
    SomaticClass,
    allowed_bases,
)

__all__ = ["KnowledgeMerger", "check_knowledge"]

_SECTIONS = (
    "genes",
    "drug_classes",
    "drugs",
    "gene_phenotypes",
    "cancer_types",
    "exons",
    "labs",
    "biomarkers",
    "allele_definitions",
)


class KnowledgeMerger:
    """Knowledge files merged table by table; a key defined differently twice is a problem."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, tuple[object, str]]] = {s: {} for s in _SECTIONS}
        self.cutpoints: dict[tuple[str, str], tuple[Cutpoint, str]] = {}
        self.somatic: list[SomaticClass] = []
        self.scope: list[ScopeNote] = []
        self.files: list[tuple[KnowledgeFile, Document]] = []
        self.problems: list[Problem] = []

    def add(self, kf: KnowledgeFile, doc: Document) -> None:
        self.files.append((kf, doc))
        for section in _SECTIONS:
            table = self.tables[section]
            for key, value in getattr(kf, section).items():
                if key in table and table[key][0] != value:
                    self.problems.append(
                        doc.problem(
                            (section, key),
                            f"'{key}' is already defined differently in {table[key][1]}",
                        )
                    )
                table.setdefault(key, (value, doc.source))
        for index, cut in enumerate(kf.expression_cutpoints):
            key = (cut.gene, cut.assay)
            if key in self.cutpoints and self.cutpoints[key][0] != cut:
                self.problems.append(
                    doc.problem(
                        ("expression_cutpoints", index),
                        f"{cut.gene} {cut.assay} cut-point already defined in "
                        f"{self.cutpoints[key][1]}",
                    )
                )
            self.cutpoints.setdefault(key, (cut, doc.source))
        self.somatic.extend(c for c in kf.somatic_classes if c not in self.somatic)
        self.scope.extend(n for n in kf.out_of_scope if n not in self.scope)

    def build(self) -> Knowledge:
        def table(section: str) -> dict[str, Any]:
            return {k: v for k, (v, _) in sorted(self.tables[section].items())}

        return Knowledge(
            genes=table("genes"),
            drug_classes=table("drug_classes"),
            drugs=table("drugs"),
            gene_phenotypes=table("gene_phenotypes"),
            cutpoints={k: v for k, (v, _) in sorted(self.cutpoints.items())},
            cancer_types=table("cancer_types"),
            exons=table("exons"),
            somatic_classes=tuple(self.somatic),
            labs=table("labs"),
            biomarkers=table("biomarkers"),
            allele_definitions=table("allele_definitions"),
            out_of_scope=tuple(self.scope),
        )


def check_knowledge(
    knowledge: Knowledge, files: list[tuple[KnowledgeFile, Document]]
) -> list[Problem]:
    """Problems between tables: unknown genes, drug classes, OncoTree parents, positions, values."""
    out: list[Problem] = []
    for kf, doc in files:
        for name, drug in kf.drugs.items():
            if name != name.lower():
                out.append(doc.problem(("drugs", name), "drug names are lower-case"))
            for i, cls in enumerate(drug.classes):
                if cls not in knowledge.drug_classes:
                    out.append(
                        doc.problem(("drugs", name, "classes", i), f"unknown drug class '{cls}'")
                    )
        for name, dc in kf.drug_classes.items():
            for i, parent in enumerate(dc.parents):
                if parent not in knowledge.drug_classes:
                    out.append(
                        doc.problem(
                            ("drug_classes", name, "parents", i), f"unknown drug class '{parent}'"
                        )
                    )
        for gene, table in kf.gene_phenotypes.items():
            if gene not in knowledge.genes:
                out.append(doc.problem(("gene_phenotypes", gene), f"unknown gene '{gene}'"))
            for allele, fn in table.alleles.items():
                if (
                    table.method == "activity_score"
                    and fn.activity_value is None
                    and fn.function not in UNDETERMINED_FUNCTIONS
                ):
                    out.append(
                        doc.problem(
                            ("gene_phenotypes", gene, "alleles", allele),
                            "activity_value required (only uncertain/unknown function may omit it)",
                        )
                    )
            functions = {fn.function for fn in table.alleles.values()}
            for i, row in enumerate(table.phenotypes):
                where: PathKey = ("gene_phenotypes", gene, "phenotypes", i)
                if (row.functions is None) != (table.method == "activity_score"):
                    need = "at_least/at_most" if table.method == "activity_score" else "functions"
                    out.append(doc.problem(where, f"method {table.method} rows need {need}"))
                elif row.functions is not None and len(row.functions) not in (1, 2):
                    out.append(doc.problem(where, "functions: one (one copy) or two (a pair)"))
                elif row.functions is not None and not set(row.functions) <= functions:
                    odd = ", ".join(sorted(set(row.functions) - functions))
                    out.append(doc.problem(where, f"no allele of {gene} has function {odd}"))
            for alias, allele in table.aliases.items():
                where = ("gene_phenotypes", gene, "aliases", alias)
                if allele not in table.alleles:
                    out.append(doc.problem(where, f"'{allele}' is not an allele of the table"))
                elif alias in table.alleles:
                    out.append(doc.problem(where, "an alias cannot be another allele's name"))
        for i, cut in enumerate(kf.expression_cutpoints):
            if cut.gene not in knowledge.genes:
                out.append(
                    doc.problem(("expression_cutpoints", i, "gene"), f"unknown gene '{cut.gene}'")
                )
            if (cut.categories is None) == (cut.bins is None):
                out.append(
                    doc.problem(("expression_cutpoints", i), "give exactly one of categories, bins")
                )
        for code, entry in kf.cancer_types.items():
            if entry.parent is not None and entry.parent not in knowledge.cancer_types:
                out.append(
                    doc.problem(
                        ("cancer_types", code, "parent"), f"unknown OncoTree code '{entry.parent}'"
                    )
                )
        for i, sc in enumerate(kf.somatic_classes):
            if sc.gene not in knowledge.genes:
                out.append(doc.problem(("somatic_classes", i, "gene"), f"unknown gene '{sc.gene}'"))
        for gene in kf.exons:
            if gene not in knowledge.genes:
                out.append(doc.problem(("exons", gene), f"unknown gene '{gene}'"))
        for gene, defs in kf.allele_definitions.items():
            if gene not in knowledge.genes:
                out.append(doc.problem(("allele_definitions", gene), f"unknown gene '{gene}'"))
            for allele, bases in defs.alleles.items():
                for pos_id, base in bases.items():
                    where = ("allele_definitions", gene, "alleles", allele, pos_id)
                    pos = defs.positions.get(pos_id)
                    if pos is None:
                        out.append(doc.problem(where, f"unknown position '{pos_id}'"))
                    elif not allowed_bases(base) <= {pos.ref, *pos.alts}:
                        out.append(doc.problem(where, f"'{base}' is neither ref nor an alt"))
    return out

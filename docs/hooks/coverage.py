"""MkDocs hook: generate the knowledge-base coverage page from the bundled rules at build time.

Like the rule catalogue, ``coverage.md`` is never committed, so the figures (rules, genes,
drugs, gene–drug pairs, phenotype and allele tables, drugs without an RxNorm code) always
describe the rules that ship. ``pgx lint -v`` prints the same summary.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from mkdocs.structure.files import File, Files

import pgx
from pgx.engine import coverage, oncology_coverage
from pgx.model._words import leaves_of

PAGE = "coverage.md"


def render() -> str:
    """The coverage page as Markdown."""
    pgx.default_ruleset.cache_clear()  # `mkdocs serve` rebuilds in one process
    ruleset = pgx.default_ruleset()
    cov = coverage(ruleset)
    active = [r for r in ruleset.rules if r.status == "active"]
    actions = Counter(r.then.action for r in active)
    levels = Counter(r.then.evidence.level for r in active)
    drugs_by_gene: dict[str, set[str]] = {}
    for rule in active:
        for leaf in leaves_of(rule.when):
            gene = getattr(leaf, "gene", None)
            if gene is not None:
                drugs_by_gene.setdefault(gene, set()).update(rule.drugs)
    k = ruleset.knowledge
    out = [
        "# Coverage of the bundled knowledge base",
        "",
        f"What the rules shipped with pgx cover: ruleset **{ruleset.name} {ruleset.version}** "
        f"(sha256 `{ruleset.sha256[:12]}…`). This page is generated from "
        "`pgx.default_ruleset()` at every documentation build (`docs/hooks/coverage.py`); "
        "`pgx lint -v` prints the same summary. The [rule catalogue](rule-catalogue.md) lists "
        "every rule.",
        "",
        "A gene or drug **not** listed here produces no finding at all. That is not evidence "
        "that the drug is safe for the patient; see [safety](safety.md).",
        "",
        "## Summary",
        "",
        f"- {cov.summary()}",
        "- Actions: " + ", ".join(f"`{a}` × {n}" for a, n in sorted(actions.items())),
        "- Evidence levels: "
        + ", ".join(f"`{lv}` × {n}" for lv, n in sorted(levels.items()))
        + " (see [evidence levels](evidence-levels.md))",
        "",
        "## Genes and the drugs their rules are about",
        "",
        "A gene is listed with a drug when a rule about that drug reads the gene, including "
        "as an exclusion (the IGF1R co-targeting rules read KRAS and NRAS to exclude "
        "RAS-mutant colorectal tumours).",
        "",
        "| gene | drugs |",
        "| --- | --- |",
        *[f"| {g} | {', '.join(sorted(d))} |" for g, d in sorted(drugs_by_gene.items())],
        "",
        "## Germline coverage by guideline source",
        "",
        "Which guideline body's rules cover each gene (the rules' `source`), with the drugs. "
        "Where CPIC and DPWG both speak about a drug, the report shows both findings, each "
        "labelled with its source; see [CPIC conformance](cpic-conformance.md) for how the "
        "CPIC rules are checked against CPIC's data.",
        "",
        "| gene | source | drugs |",
        "| --- | --- | --- |",
        *[f"| {g} | {s} | {', '.join(d)} |" for g, s, d in cov.by_source if s != "-"],
        "",
        "## Phenotype tables",
        "",
        "Genes whose diplotypes pgx turns into a phenotype. HLA-A and HLA-B are read by allele "
        "carriage, VKORC1 and CYP4F2 by genotype, INSR by classified variants.",
        "",
        "| gene | method | alleles | source | citations |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {g} | {t.method} | {len(t.alleles)} | {t.source} | {', '.join(t.citations)} |"
            for g, t in sorted(k.gene_phenotypes.items())
        ],
        "",
        "## Allele definitions (calling from a GRCh38 VCF)",
        "",
        "| gene | positions | alleles | source |",
        "| --- | --- | --- | --- |",
        *[
            f"| {g} | {len(d.positions)} | {len(d.alleles)} | {d.source} |"
            for g, d in sorted(k.allele_definitions.items())
        ],
        "",
        "## Drugs without an RxNorm code",
        "",
        "Investigational agents have no RxNorm concept; for the others a code could not yet be "
        "verified and is left out rather than guessed: "
        + (", ".join(cov.without_rxnorm) or "none")
        + ".",
        *_oncology_section(ruleset),
    ]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _oncology_section(ruleset: Any) -> list[str]:
    onc = oncology_coverage(ruleset)
    return [
        "",
        "## Oncology: cancer type × biomarker × drug × level",
        "",
        "Every active rule that reads a tumour biomarker (or a germline variant), with its "
        'OncoTree scope ("any" = any cancer type; exclusions after "except"), the biomarker '
        "condition, the drugs (`+` a combination, `/` alternatives) and the "
        "[evidence level](evidence-levels.md). `pgx lint -v` prints the same table.",
        "",
        "| cancer type | biomarker | drugs | level | rule |",
        "| --- | --- | --- | --- | --- |",
        *[
            f"| {_cell(r.cancer_type)} | {_cell(r.biomarker)} | {_cell(r.drugs)} | {r.level} "
            f"| `{r.rule_id}` |"
            for r in onc.rows
        ],
        "",
        "### Deliberately out of scope",
        "",
        "FDA-recognised pairs in the covered cancers that the rules do not encode, and why "
        "(`out_of_scope` in `rules/knowledge/oncology-scope.yaml`). No finding for these is "
        "not evidence of no implication.",
        "",
        "| cancer type | biomarker | drugs | reason |",
        "| --- | --- | --- | --- |",
        *[
            f"| {_cell(n.cancer_type)} | {_cell(n.biomarker)} | {', '.join(n.drugs)} "
            f"| {_cell(n.reason)} |"
            for n in onc.out_of_scope
        ],
    ]


def on_files(files: Files, config: Any) -> Files:
    """Add the generated coverage page to the site's files."""
    files.append(File.generated(config, PAGE, content=render()))
    return files

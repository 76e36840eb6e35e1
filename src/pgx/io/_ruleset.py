"""Loading profiles, rule files and knowledge tables, with every problem located."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from attrs import evolve

from pgx import ruleset as rs
from pgx._convert import structure
from pgx._yaml import Document, PathKey, format_path, limit_problems, read
from pgx.errors import Problem, ProfileError, RuleFileError
from pgx.knowledge import UNDETERMINED_FUNCTIONS, Cutpoint, Knowledge, KnowledgeFile, SomaticClass
from pgx.phenotype import parse_diplotype
from pgx.profile import HLA_ALLELE, Profile

__all__ = ["bundled_rules_path", "default_ruleset", "load_profile", "load_ruleset"]

T = TypeVar("T")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_CITATION = re.compile(
    r"^(PMID:\d+|DOI:10\.\S+/\S+|NCT:NCT\d{8}|PMCID:PMC\d+|FDA:.+\d{4}.*|GUIDELINE:.+\d{4}.*)$"
)
_NO_CALLS = frozenset({".", "./.", "NA", "n/a", "no call", "No call", "No Call"})


def bundled_rules_path() -> Path:
    """The directory of the rules shipped with pgx."""
    return Path(str(importlib.resources.files("pgx").joinpath("rules")))


# ------------------------------------------------------------------ profiles
def _profile_checks(profile: Profile) -> Iterator[tuple[PathKey, str]]:
    for gene, result in profile.germline.items():
        dip = result.diplotype
        if dip is not None and dip.strip() not in _NO_CALLS and parse_diplotype(dip) is None:
            yield (
                ("germline", gene, "diplotype"),
                f"expected a diplotype such as '*1/*2', found {dip!r}",
            )
        for rsid, genotype in (result.variants or {}).items():
            parts = genotype.replace("|", "/").split("/")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                yield (
                    ("germline", gene, "variants", rsid),
                    f"expected a genotype such as 'C/T', found {genotype!r}",
                )
        if result == type(result)():
            yield ("germline", gene), "empty gene entry: give a diplotype, phenotype or result"
        if result.alleles is not None:
            yield from _allele_checks(gene, result.alleles)
        if gene.startswith("HLA-") and result.phenotype is not None:
            yield (
                ("germline", gene, "phenotype"),
                "HLA results are two typed alleles (alleles) or carriage such as "
                f"{{'*57:01': true}} (carriers), not a phenotype: found {result.phenotype!r}",
            )
        for allele in result.carriers or {}:
            if not HLA_ALLELE.match(allele):
                yield (
                    ("germline", gene, "carriers", allele),
                    f"expected an allele such as '*57:01', found {allele!r}",
                )


def _allele_checks(gene: str, alleles: tuple[str, ...]) -> Iterator[tuple[PathKey, str]]:
    if len(alleles) != 2:  # a diploid locus; one allele could hide the second
        yield (
            ("germline", gene, "alleles"),
            f"expected the two alleles typed at {gene} (write a homozygous typing twice), "
            f"found {len(alleles)}",
        )
    short = gene.removeprefix("HLA-")
    for i, allele in enumerate(alleles):
        match = HLA_ALLELE.match(allele)
        prefix = allele.split("*", 1)[0]
        if match is None:
            yield (
                ("germline", gene, "alleles", i),
                f"expected an allele such as '*57:01' or '{gene}*57:01', found {allele!r}",
            )
        elif prefix not in ("", gene, short):
            yield (("germline", gene, "alleles", i), f"allele {allele!r} is not of {gene}")


def _structure_profile(data: object, doc: Document | None, source: str) -> Profile:
    profile, errors = structure(data, Profile)
    if profile is not None:
        errors = list(_profile_checks(profile))
    if errors or profile is None:
        raise ProfileError(_problems(errors, doc, source))
    return profile


def _problems(
    errors: list[tuple[PathKey, str]], doc: Document | None, source: str, prefix: PathKey = ()
) -> list[Problem]:
    out = []
    for path, message in errors:
        full = (*prefix, *path)
        if doc is not None:
            out.append(doc.problem(full, message))
        else:
            out.append(Problem(format_path(full), message, source))
    return out


def load_profile(
    profile: str | os.PathLike[str] | Mapping[str, Any] | Profile | None = None,
    *,
    vcf: str | os.PathLike[str] | None = None,
    sample: str | None = None,
    outside_calls: str | os.PathLike[str] | None = None,
    somatic: str | os.PathLike[str] | None = None,
    tumor_sample: str | None = None,
    panel: str | os.PathLike[str] | Iterable[str] | None = None,
    expression: str | os.PathLike[str] | None = None,
    expression_assay: str | None = None,
    assume_reference: bool = False,
    ruleset: rs.RuleSet | None = None,
) -> Profile:
    """Load a patient profile, merged with pipeline inputs when given.

    Args:
        profile: A ``.yaml``/``.yml``/``.json`` file, a mapping, or a `Profile`.
        vcf: A germline VCF on GRCh38 (plain or bgzipped): genes with allele definitions
            are called from it. A position missing from it is a no-call, never reference.
        sample: The VCF sample to read, when the VCF holds several (CLI ``--sample``).
        outside_calls: A PharmCAT-style outside-call TSV (gene, diplotype, phenotype,
            activity score); an outside call replaces the VCF call for its gene.
        somatic: A MAF of somatic variants (``tumor.variants``). Without ``panel`` (or
            the profile's ``tumor.sequenced_genes``) a gene absent from it is unknown.
        tumor_sample: The MAF's ``Tumor_Sample_Barcode`` to read, when the MAF holds
            several tumors (CLI ``--tumor-sample``).
        panel: The genes the tumor was sequenced for: HGNC symbols, or the path of a text
            file of them (one per line or comma-separated). A panel gene absent from the
            MAF is wild type; a gene off the panel is unknown (CLI ``--panel``).
        expression: An expression table (``gene, value`` or ``gene, assay, value``).
        expression_assay: The assay of a two-column expression table without one in its
            header (``ihc``, ``h_score``, ``z_score``, ``fold_change``, ``tpm``, ``level``).
        assume_reference: Take VCF positions that are absent as reference (off by default;
            the report records its use).
        ruleset: Whose knowledge (gene table, allele definitions, phenotype tables) reads
            the inputs; the bundled rules by default.

    Raises:
        ProfileError: listing every problem (unknown keys, wrong types, bad values, bad
            input files, facts that two sources give differently), each with its file,
            line and field path.
    """
    inputs = (vcf, outside_calls, somatic, expression, panel)
    base = None if profile is None else _load_one(profile)
    if all(i is None for i in inputs):
        if base is None:
            raise ProfileError([Problem("$", "give a profile or at least one input file")])
        return base
    from pgx import adapters  # noqa: PLC0415 - adapters load only when pipeline inputs are given

    source = "<profile>" if profile is None else _source_name(profile)
    rules = ruleset if ruleset is not None else default_ruleset()
    genes = rules.knowledge.genes
    warnings: list[str] = []
    called = None
    sample_id = None
    if vcf is not None:
        sample_id, called_genes = adapters.call_vcf(
            vcf, rules, sample=sample, assume_reference=assume_reference
        )
        called = (str(vcf), called_genes)
    outside = None
    if outside_calls is not None:
        results, found = adapters.read_outside_calls_checked(outside_calls, rules.knowledge)
        outside = (str(outside_calls), results)
        warnings.extend(found)
    maf = None
    if somatic is not None:
        maf = adapters.read_maf_tumor(somatic, tumor_sample, genes)
        warnings.extend(maf.warnings)
    panel_genes = None
    if panel is not None:
        panel_source, symbols, found = adapters.read_panel(panel, genes)
        panel_genes = (panel_source, symbols)
        warnings.extend(found)
    table = None
    if expression is not None:
        entries, found = adapters.read_expression_checked(expression, expression_assay, genes)
        table = (str(expression), entries)
        warnings.extend(found)
    merged = adapters.merge_inputs(
        base,
        source,
        vcf=called,
        outside=outside,
        somatic=None if maf is None else (str(somatic), maf.variants),
        somatic_genes=None if maf is None else maf.genes,
        panel=panel_genes,
        expression=table,
        profile_id=sample_id,
        warnings=warnings,
    )
    errors = list(_profile_checks(merged))
    if errors:
        raise ProfileError(_problems(errors, None, source))
    return merged


def _source_name(profile: str | os.PathLike[str] | Mapping[str, Any] | Profile) -> str:
    if isinstance(profile, Profile):
        return "<profile>"
    if isinstance(profile, Mapping):
        return "<mapping>"
    return str(profile)


def _load_one(source: str | os.PathLike[str] | Mapping[str, Any] | Profile) -> Profile:
    if isinstance(source, Profile):
        return source
    if isinstance(source, Mapping):
        too_big = limit_problems(source, "<mapping>")
        if too_big:
            raise ProfileError(too_big)
        return _structure_profile(dict(source), None, "<mapping>")
    if not isinstance(source, str | os.PathLike):
        raise ProfileError(
            [
                Problem(
                    "$", f"expected a Profile, a mapping or a path, found {type(source).__name__}"
                )
            ]
        )
    path = Path(source)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ProfileError([Problem("$", "expected a .yaml, .yml or .json file", str(path))])
    doc, problems = read(path)
    if doc is None:
        raise ProfileError(problems)
    return _structure_profile(doc.data, doc, str(path))


# ------------------------------------------------------------------ knowledge
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


class _Merger:
    def __init__(self) -> None:
        self.tables: dict[str, dict[str, tuple[object, str]]] = {s: {} for s in _SECTIONS}
        self.cutpoints: dict[tuple[str, str], tuple[Cutpoint, str]] = {}
        self.somatic: list[SomaticClass] = []
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
        )


def _check_knowledge(
    knowledge: Knowledge, files: list[tuple[KnowledgeFile, Document]]
) -> list[Problem]:
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
            for i, row in enumerate(table.phenotypes):
                if (row.functions is None) != (table.method == "activity_score"):
                    need = "at_least/at_most" if table.method == "activity_score" else "functions"
                    out.append(
                        doc.problem(
                            ("gene_phenotypes", gene, "phenotypes", i),
                            f"method {table.method} rows need {need}",
                        )
                    )
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
                    elif base != pos.ref and base not in pos.alts:
                        out.append(doc.problem(where, f"'{base}' is neither ref nor an alt"))
    return out


# ------------------------------------------------------------------ rules
class _RuleChecker:
    """Checks every term a rule names against the knowledge tables."""

    def __init__(self, knowledge: Knowledge, doc: Document) -> None:
        self.k = knowledge
        self.doc = doc
        self.problems: list[Problem] = []

    def bad(self, path: PathKey, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def gene(self, gene: str, path: PathKey) -> bool:
        if gene not in self.k.genes:
            self.bad(path, f"unknown gene '{gene}'")
            return False
        return True

    def drug(self, drug: str, path: PathKey) -> None:
        if drug not in self.k.drugs:
            self.bad(path, f"unknown drug '{drug}'")

    def drug_class(self, name: str, path: PathKey) -> None:
        if name not in self.k.drug_classes:
            self.bad(path, f"unknown drug class '{name}'")

    def rule(self, rule: rs.Rule, path: PathKey) -> None:
        if not _RULE_ID.match(rule.id):
            self.bad((*path, "id"), f"rule ids are lower-case kebab-case, found '{rule.id}'")
        for i, drug in enumerate(rule.drugs):
            self.drug(drug, (*path, "drugs", i))
        if not rule.drugs:
            self.bad((*path, "drugs"), "name at least one drug")
        regimen = rule.then.regimen
        if regimen is not None:
            key = "all_of" if regimen.all_of is not None else "any_of"
            for i, drug in enumerate(regimen.all_of or regimen.any_of or ()):
                self.drug(drug, (*path, "then", "regimen", key, i))
        if not rule.then.citations:
            self.bad((*path, "then", "citations"), "at least one citation is required")
        for i, citation in enumerate(rule.then.citations):
            self.citation(citation, (*path, "then", "citations", i))
        for j, against in enumerate(rule.then.against):
            for i, citation in enumerate(against.citations):
                self.citation(citation, (*path, "then", "against", j, "citations", i))
        self.condition(rule.when, (*path, "when"))

    def citation(self, citation: str, path: PathKey) -> None:
        if not _CITATION.match(citation):
            self.bad(
                path,
                f"expected PMID:<n>, DOI:10.x/y, NCT:NCT<8 digits>, PMCID:PMC<n>, "
                f"FDA:<label and year> or GUIDELINE:<name and year>, found '{citation}'",
            )

    def condition(self, cond: rs.Condition, path: PathKey) -> None:
        if isinstance(cond, rs.AllOf | rs.AnyOf):
            key = "all" if isinstance(cond, rs.AllOf) else "any"
            for i, part in enumerate(cond.parts):
                self.condition(part, (*path, key, i))
            return
        if isinstance(cond, rs.Not):
            self.condition(cond.part, (*path, "not"))
            return
        self.leaf(cond, (*path, rs.KEY_OF_LEAF[type(cond)]))

    def leaf(self, leaf: rs.Leaf, path: PathKey) -> None:
        gene = getattr(leaf, "gene", None)
        if gene is not None and not self.gene(gene, (*path, "gene")):
            return
        match leaf:
            case rs.PhenotypeLeaf(gene, in_):
                terms = self.k.phenotype_terms(gene)
                if not terms:
                    self.bad((*path, "gene"), f"pgx has no phenotype table for {gene}")
                for i, term in enumerate(in_):
                    if terms and term not in terms:
                        self.bad(
                            (*path, "in", i),
                            f"unknown {gene} phenotype '{term}' "
                            f"(known: {', '.join(sorted(terms))})",
                        )
                    if term == "Indeterminate":
                        self.bad(
                            (*path, "in", i), "Indeterminate is never a phenotype a rule can match"
                        )
            case rs.ActivityScoreLeaf(gene):
                table = self.k.gene_phenotypes.get(gene)
                if table is None or table.method != "activity_score":
                    self.bad((*path, "gene"), f"{gene} is not phenotyped by activity score")
            case rs.SomaticLeaf(gene, exon=exon):
                if exon is not None and str(exon) not in self.k.exons.get(gene, {}):
                    self.bad((*path, "exon"), f"no exon {exon} of {gene} in the exon table")
            case rs.FusionLeaf(_, partner):
                for i, p in enumerate(partner or ()):
                    self.gene(p, (*path, "partner", i))
            case rs.BiomarkerLeaf(name, in_):
                marker = self.k.biomarkers.get(name)
                if marker is None:
                    self.bad((*path, "name"), f"unknown biomarker '{name}'")
                elif in_ is not None:
                    for i, value in enumerate(in_):
                        if marker.values is None or value not in marker.values:
                            self.bad((*path, "in", i), f"'{value}' is not a value of {name}")
            case rs.CancerTypeLeaf(in_):
                for i, code in enumerate(in_):
                    if code not in self.k.cancer_types:
                        self.bad((*path, "in", i), f"unknown OncoTree code '{code}'")
            case rs.MedicationLeaf(drug, class_) | rs.TherapyLeaf(drug, class_):
                for i, d in enumerate(drug or ()):
                    self.drug(d, (*path, "drug", i))
                for i, c in enumerate(class_ or ()):
                    self.drug_class(c, (*path, "class", i))
            case rs.LabLeaf(name, unit):
                lab = self.k.labs.get(name)
                if lab is None:
                    self.bad((*path, "name"), f"unknown lab '{name}'")
                elif unit not in lab.units:
                    self.bad((*path, "unit"), f"unit '{unit}' is not one of {', '.join(lab.units)}")
            case _:
                pass


def _read_all(root: Path) -> tuple[list[tuple[Path, Document]], list[Problem]]:
    if root.is_dir():
        paths = sorted(
            p for p in root.rglob("*") if p.suffix.lower() in (".yaml", ".yml") and p.is_file()
        )
        if not paths:
            return [], [Problem("$", "no .yaml rule files here", str(root))]
    else:
        paths = [root]
    docs: list[tuple[Path, Document]] = []
    problems: list[Problem] = []
    for path in paths:
        doc, found = read(path)
        problems.extend(found)
        if doc is not None:
            docs.append((path, doc))
    return docs, problems


def _kind(doc: Document) -> str | None:
    data = doc.data
    if isinstance(data, dict):
        for key in ("pgx_rules", "pgx_knowledge", "pgx_ruleset"):
            if key in data:
                return key
    return None


def _hash(entries: list[tuple[str, bytes]]) -> str:
    """SHA-256 over (relative path, content) pairs; identical pairs count once.

    The bundled knowledge merged under a user's rules is hashed under the same relative
    names, so a byte-identical copy of the bundled rules hashes like the bundled rules.
    """
    digest = hashlib.sha256()
    for name, content in sorted({(n, hashlib.sha256(c).digest()) for n, c in entries}):
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


@functools.cache
def _bundled_knowledge_docs() -> tuple[
    tuple[tuple[str, bytes], ...], tuple[tuple[KnowledgeFile, Document], ...]
]:
    root = bundled_rules_path()
    entries = []
    files = []
    docs, problems = _read_all(root / "knowledge")
    for path, doc in docs:
        kf, errors = structure(doc.data, KnowledgeFile)
        problems.extend(_problems(errors, doc, doc.source))
        if kf is not None:
            files.append((kf, doc))
        entries.append((path.relative_to(root).as_posix(), path.read_bytes()))
    if problems:
        raise RuleFileError(problems)
    return tuple(entries), tuple(files)


def _structure_rule_file(
    doc: Document,
) -> tuple[rs.RuleFile | None, tuple[int, ...], list[tuple[PathKey, str]]]:
    """Structure a rule file rule by rule, so one malformed rule hides no other problem.

    Returns the file holding the rules that structured, their positions in the file, and
    every structural problem.
    """
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        rf, whole = structure(data, rs.RuleFile)
        return rf, tuple(range(len(rf.rules))) if rf is not None else (), whole
    errors: list[tuple[PathKey, str]] = []
    good: list[rs.Rule] = []
    indices: list[int] = []
    for index, raw in enumerate(data["rules"]):
        rule, found = structure(raw, rs.Rule)
        errors += [(("rules", index, *path), message) for path, message in found]
        if rule is not None:
            good.append(rule)
            indices.append(index)
    header, found = structure({**data, "rules": []}, rs.RuleFile)
    errors += found
    if header is None:
        return None, (), errors
    return evolve(header, rules=tuple(good)), tuple(indices), errors


_VERSION = re.compile(r"^\d+(\.\d+){0,2}([-+.][0-9A-Za-z.]+)?$")


def _check_rules(
    rule_files: list[tuple[rs.RuleFile, Document, tuple[int, ...]]],
    knowledge: Knowledge,
    problems: list[Problem],
) -> tuple[list[rs.Rule], dict[str, rs.RuleSource]]:
    """Check every rule against the knowledge; appends what is wrong to ``problems``."""
    rules: list[rs.Rule] = []
    sources: dict[str, rs.RuleSource] = {}
    for rf, doc, indices in rule_files:
        checker = _RuleChecker(knowledge, doc)
        for index, rule in zip(indices, rf.rules, strict=True):
            rpath: PathKey = ("rules", index)
            if rule.id in sources:
                first = sources[rule.id]
                checker.bad(
                    (*rpath, "id"),
                    f"duplicate rule id '{rule.id}' (first in {first.file}:{first.line})",
                )
                continue
            checker.rule(rule, rpath)
            if not _VERSION.match(rule.version):
                checker.bad(
                    (*rpath, "version"), f"expected a version such as 1.0.0, found {rule.version!r}"
                )
            if not rule.then.summary.strip():
                checker.bad((*rpath, "then", "summary"), "the summary is empty")
            for t, test in enumerate(rule.tests):
                profile, errors = structure(test.profile, Profile)
                if profile is not None:
                    errors = list(_profile_checks(profile))
                problems.extend(_problems(errors, doc, doc.source, (*rpath, "tests", t, "profile")))
            sources[rule.id] = rs.RuleSource(doc.source, doc.line_of(rpath), index)
            rules.append(rule)
        problems.extend(checker.problems)
    problems.extend(_supersedes_problems(rules, sources))
    return rules, sources


def _supersedes_problems(
    rules: list[rs.Rule], sources: Mapping[str, rs.RuleSource]
) -> Iterator[Problem]:
    """Supersedes must name a real rule about the same drug, and never loop.

    A rule superseding itself, or two rules superseding each other, would hide both
    findings; a rule hiding a rule about another drug makes the report depend on which
    drugs were asked about.
    """
    by_id = {rule.id: rule for rule in rules}

    def problem(rule: rs.Rule, i: int, message: str) -> Problem:
        src = sources[rule.id]
        path = format_path(("rules", src.index, "supersedes", i))
        return Problem(path, message, src.file, src.line)

    for rule in rules:
        for i, sid in enumerate(rule.supersedes):
            target = by_id.get(sid)
            if target is None:
                yield problem(rule, i, f"unknown rule id '{sid}'")
            elif sid == rule.id:
                yield problem(rule, i, "a rule cannot supersede itself")
            elif not set(target.drugs) & set(rule.drugs):
                yield problem(
                    rule, i, f"'{sid}' is about other drugs; supersede only rules on the same drug"
                )
    # cycles: follow supersedes edges from every rule
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(rule_id: str, trail: list[str]) -> Iterator[Problem]:
        state[rule_id] = 1
        for i, sid in enumerate(by_id[rule_id].supersedes):
            if sid not in by_id or sid == rule_id:
                continue
            if state.get(sid) == 1:
                loop = " -> ".join([*trail[trail.index(sid) :], rule_id, sid])
                yield problem(
                    by_id[rule_id], i, f"supersedes loop {loop}: both findings would hide"
                )
            elif sid not in state:
                yield from visit(sid, [*trail, rule_id])
        state[rule_id] = 2

    for rule in rules:
        if rule.id not in state:
            yield from visit(rule.id, [])


def load_ruleset(path: str | os.PathLike[str]) -> rs.RuleSet:
    """Load, validate and hash a rule file or a directory of rule and knowledge files.

    Knowledge tables found under ``path`` are merged over pgx's bundled tables, so a user's
    rules can name every bundled gene, drug and term. Unknown keys, wrong types and unknown
    terms are errors; all of them are reported together.

    Raises:
        RuleFileError: listing every problem with its file, line and field path.
    """
    root = Path(path)
    if not root.exists():
        raise RuleFileError([Problem("$", "no such file or directory", str(root))])
    bundled = bundled_rules_path().resolve()
    own_is_bundled = root.resolve() == bundled
    docs, problems = _read_all(root)
    merger = _Merger()
    entries: list[tuple[str, bytes]] = []
    if not own_is_bundled:
        base_entries, base_files = _bundled_knowledge_docs()
        entries.extend(base_entries)
        for kf, doc in base_files:
            merger.add(kf, doc)
    rule_files: list[tuple[rs.RuleFile, Document, tuple[int, ...]]] = []
    meta: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    for file_path, doc in docs:
        entries.append((file_path.relative_to(base).as_posix(), file_path.read_bytes()))
        kind = _kind(doc)
        if kind == "pgx_knowledge":
            kfile, errors = structure(doc.data, KnowledgeFile)
            problems.extend(_problems(errors, doc, doc.source))
            if kfile is not None:
                merger.add(kfile, doc)
        elif kind == "pgx_rules":
            rf, indices, errors = _structure_rule_file(doc)
            problems.extend(_problems(errors, doc, doc.source))
            if rf is not None:
                rule_files.append((rf, doc, indices))
                for key in ("name", "version"):
                    value = getattr(rf, key)
                    if value is not None:
                        meta.setdefault(key, value)
        elif kind == "pgx_ruleset":
            problems.extend(_ruleset_meta(doc, meta))
        else:
            problems.append(
                doc.problem(
                    (),
                    "not a pgx file: expected a top-level pgx_rules, pgx_knowledge "
                    "or pgx_ruleset key",
                )
            )
    problems.extend(merger.problems)
    knowledge = merger.build()
    problems.extend(_check_knowledge(knowledge, [(kf, d) for kf, d in merger.files]))
    rules, sources = _check_rules(rule_files, knowledge, problems)
    if problems:
        raise RuleFileError(problems)
    name = meta.get("name") or (root.stem if root.is_file() else root.name)
    return rs.RuleSet(
        name=name,
        version=meta.get("version", "0"),
        sha256=_hash(entries),
        rules=tuple(rules),
        knowledge=knowledge,
        sources=sources,
    )


def _ruleset_meta(doc: Document, meta: dict[str, str]) -> list[Problem]:
    data = doc.data
    problems = []
    allowed = {"pgx_ruleset", "name", "version", "description"}
    for key in data:
        if key not in allowed:
            problems.append(doc.problem((key,), f"unknown key '{key}'"))
    if data.get("pgx_ruleset") != 1:
        problems.append(doc.problem(("pgx_ruleset",), "expected 1"))
    for key in ("name", "version"):
        if key in data:
            if not isinstance(data[key], str):
                problems.append(doc.problem((key,), "expected a string"))
            else:
                meta[key] = data[key]
    return problems


@functools.cache
def default_ruleset() -> rs.RuleSet:
    """The rules bundled with pgx (loaded once, then shared)."""
    return load_ruleset(bundled_rules_path())

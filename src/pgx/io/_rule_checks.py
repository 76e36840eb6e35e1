"""Checking loaded rules: terms they name, ids, versions, citations, inline tests, supersedes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping

from pgx.errors import Problem
from pgx.io._convert import structure
from pgx.io._profile import located, profile_checks
from pgx.io._yaml import Document, PathKey, format_path
from pgx.model import ruleset as rs
from pgx.model.diplotype import one_copy_possible, parse_diplotype
from pgx.model.knowledge import Knowledge
from pgx.model.profile import Profile

__all__ = ["check_rules"]

_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*$")
_CITATION = re.compile(
    r"^(PMID:\d+|DOI:10\.\S+/\S+|NCT:NCT\d{8}|PMCID:PMC\d+|FDA:.+\d{4}.*|GUIDELINE:.+\d{4}.*)$"
)


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

    def allele_name(self, gene: str, name: str, path: PathKey) -> None:
        """An allele of a gene with an allele table must be one the table knows.

        The engine compares canonical names, so a name no table resolves would make a rule
        that never fires (or, under ``not``, always does).
        """
        if not self.k.knows_alleles(gene) or self.k.canonical_allele(gene, name.strip()):
            return
        close = self.k.closest_alleles(gene, name.strip())
        hint = f" (closest known: {', '.join(close)})" if close else ""
        self.bad(path, f"unknown {gene} allele '{name}'{hint}")

    def diplotype(self, gene: str, text: str, path: PathKey) -> None:
        if not self.k.knows_alleles(gene):
            return
        halves = text.split("/")
        if len(halves) != 2 and not one_copy_possible(gene):
            self.bad(path, f"expected a diplotype such as *1/*2, found '{text}'")
            return
        whole = self.k.allele_spellings(gene)
        for half in halves:
            name = half.strip()
            if name in whole:
                continue
            parsed = parse_diplotype(f"{name}/{name}", whole)
            parts = [n for n, _ in parsed[0].parts] if parsed is not None else [name]
            for part in parts:
                self.allele_name(gene, part, path)

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
            case rs.AlleleLeaf(gene, carries):
                self.allele_name(gene, carries, (*path, "carries"))
            case rs.DiplotypeLeaf(gene, in_):
                for i, diplotype in enumerate(in_):
                    self.diplotype(gene, diplotype, (*path, "in", i))
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


_VERSION = re.compile(r"^\d+(\.\d+){0,2}([-+.][0-9A-Za-z.]+)?$")


def check_rules(
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
                    errors = list(profile_checks(profile))
                problems.extend(located(errors, doc, doc.source, (*rpath, "tests", t, "profile")))
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
    yield from _supersedes_loops(by_id, problem)


def _supersedes_loops(
    by_id: Mapping[str, rs.Rule], problem: Callable[[rs.Rule, int, str], Problem]
) -> Iterator[Problem]:
    """Each supersedes loop once, with the ids around it (``a -> b -> c -> a``).

    A depth-first walk with its own stack, not recursion: a long chain of rules each
    superseding the next must load, however long it is.
    """
    done: set[str] = set()
    for root in by_id:
        if root in done:
            continue
        # the current path: (rule id, index of the next supersedes entry to follow)
        path: list[tuple[str, int]] = [(root, 0)]
        on_path = {root: 0}
        while path:
            rule_id, i = path[-1]
            targets = by_id[rule_id].supersedes
            if i == len(targets):
                path.pop()
                del on_path[rule_id]
                done.add(rule_id)
                continue
            path[-1] = (rule_id, i + 1)
            sid = targets[i]
            if sid not in by_id or sid == rule_id or sid in done:
                continue
            if sid in on_path:
                ids = [step for step, _ in path[on_path[sid] :]]
                loop = " -> ".join([*ids, sid])
                yield problem(
                    by_id[rule_id], i, f"supersedes loop {loop}: its findings would hide each other"
                )
                continue
            on_path[sid] = len(path)
            path.append((sid, 0))

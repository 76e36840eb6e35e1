"""Genomic Observations (Genomics Reporting IG STU3) to germline and tumor facts.

Genotype (LOINC 84413-4), haplotype (84414-2), variant (69548-6) and therapeutic-implication
Observations. Only results with status final, amended or corrected are read; one haplotype is
never a homozygous diplotype; one absent somatic variant never a wild-type gene; two results
that disagree are both left out, with a warning naming them.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from attrs import define, field

from pgx.inputs._fhir_json import (
    Json,
    codings,
    components,
    drug_lookups,
    gene_lookups,
    has_code,
    listed,
    ref_of,
    texts,
    value_texts,
)
from pgx.inputs._fhir_tumor import TumorReader, interpretation_says, is_structural
from pgx.model import _fhir_codes as c
from pgx.model.diplotype import parse_diplotype
from pgx.model.knowledge import Knowledge
from pgx.model.profile import HLA_ALLELE

__all__ = ["GenomicsReader"]


@functools.cache
def _gene_patterns(gene: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The gene's name before a star allele (``CYP2C19*2``), and as a leading word."""
    short = re.escape(gene.removeprefix("HLA-"))
    return (
        re.compile(rf"(?i)\b(?:HLA-)?{short}\s*(?=\*)"),
        re.compile(rf"(?i)^{re.escape(gene)}\s+"),
    )


_RSID = re.compile(r"\b(rs\d+)\b")
_CARRIAGE = re.compile(
    r"(?i)^(\S+)\s+(positive|negative|detected|not detected|present|absent|carrier|non-carrier)$"
)
_CARRIES = frozenset({"positive", "detected", "present", "carrier"})
_GENOTYPE = re.compile(r"^([ACGTN-]+)\s*[/|]\s*([ACGTN-]+)$", re.IGNORECASE)


@define(slots=False)
class GenomicsReader(TumorReader):
    """Reads genomic Observations; `pgx.inputs._fhir` adds the clinical resources."""

    knowledge: Knowledge
    resources: list[tuple[str, Json]]
    warnings: list[str] = field(factory=list)
    genotypes: dict[str, dict[str, Any]] = field(factory=dict)
    haplotypes: dict[str, list[tuple[str, str]]] = field(factory=dict)
    phenotypes: dict[str, dict[str, list[str]]] = field(factory=dict)
    variants: dict[str, dict[str, str]] = field(factory=dict)
    somatic: list[dict[str, Any]] = field(factory=list)
    sequenced: set[str] = field(factory=set)
    copy_number: list[dict[str, Any]] = field(factory=list)
    fusions: list[dict[str, Any]] = field(factory=list)
    expression: dict[str, dict[str, Any]] = field(factory=dict)
    biomarkers: dict[str, Any] = field(factory=dict)
    medications: list[str] | None = None
    diagnoses: list[dict[str, str]] | None = None
    cancer_type: dict[str, str] | None = None
    by_ref: dict[str, Json] = field(factory=dict)

    def __attrs_post_init__(self) -> None:
        self._hgnc, self._genes_lower = gene_lookups(self.knowledge)
        self._rxnorm, self._drug_words = drug_lookups(self.knowledge)
        for _, resource in self.resources:
            if "id" in resource:
                self.by_ref[ref_of(resource)] = resource

    def warn(self, resource: Json, message: str) -> None:
        self.warnings.append(f"{ref_of(resource)}: {message}")

    def observation(self, obs: Json) -> None:
        code = obs.get("code")
        kinds = [
            (c.GENOTYPE, self.genotype),
            (c.HAPLOTYPE, self.haplotype),
            (c.VARIANT, self.variant),
            (c.THERAPEUTIC_IMPLICATION, self.implication),
            (c.DRUG_METABOLISM, self.implication),
            (c.DRUG_EFFICACY, self.implication),
            (c.TMB, self.tmb),
            (c.MSI, self.msi),
        ]
        handler = next((h for k, h in kinds if has_code(code, k)), None)
        if handler is None and self.is_expression(obs):
            handler = self.expression_result
        if handler is None:
            names = texts(code) or [x.get("code", "?") for x in codings(code)]
            shown = names[0] if names else "no code"
            self.warn(obs, f"observation kind {shown!r} is not one pgx reads; not used")
            return
        status = obs.get("status")
        if status not in c.RESULT_STATUSES:
            self.warn(obs, f"status {status!r} is not a final result; not used as a fact")
            return
        handler(obs)

    # ---------------------------------------------------------------- genes
    def gene_of(self, obs: Json, text: str | None = None) -> str | None:
        for comp in components(obs, c.GENE_STUDIED):
            concept = comp.get("valueCodeableConcept")
            for coding in codings(concept):
                if coding.get("system") in c.HGNC_SYSTEMS and coding.get("code") in self._hgnc:
                    return self._hgnc[str(coding["code"])]
            for name in texts(concept) + [str(x.get("code", "")) for x in codings(concept)]:
                if name.lower() in self._genes_lower:
                    return self._genes_lower[name.lower()]
        if text is not None:  # "CYP2C19 *1/*2", "CYP2C19*2", "HLA-B*57:01"
            head = re.split(r"[\s*]", text.strip(), maxsplit=1)[0]
            if head.lower() in self._genes_lower:
                return self._genes_lower[head.lower()]
        return None

    def _strip_gene(self, gene: str, text: str) -> str:
        before_allele, leading = _gene_patterns(gene)
        return leading.sub("", before_allele.sub("", text)).strip()

    def genotype(self, obs: Json) -> None:
        values = value_texts(obs)
        gene = self.gene_of(obs, values[0] if values else None)
        if gene is None:
            self.warn(obs, "genotype names no gene pgx knows (component 48018-6); not used")
            return
        if not values:
            self.warn(obs, f"{gene} genotype has no value; not used")
            return
        for value in values:
            if self._genotype_value(obs, gene, value):
                return
        self.warn(obs, f"{gene} genotype {values[0]!r} is not a diplotype pgx can read; not used")

    def _genotype_value(self, obs: Json, gene: str, value: str) -> bool:
        rsid = _RSID.search(value) or next(
            (
                _RSID.search(t)
                for comp in components(obs, c.VARIATION_CODE)
                for t in value_texts(comp)
                if _RSID.search(t)
            ),
            None,
        )
        genotype = _GENOTYPE.match(_RSID.sub("", self._strip_gene(gene, value)).strip())
        if rsid is not None and genotype is not None:
            pair = f"{genotype.group(1).upper()}/{genotype.group(2).upper()}"
            return self._set_variant(obs, gene, rsid.group(1), pair)
        body = self._strip_gene(gene, value)
        if gene.startswith("HLA-"):
            return self._hla(obs, gene, body)
        if parse_diplotype(body) is None or any(" " in h.strip() for h in body.split("/")):
            return False
        return self._set(obs, gene, "diplotype", body)

    def _hla(self, obs: Json, gene: str, body: str) -> bool:
        if "/" in body or "|" in body:
            self.warn(obs, f"{gene} typing {body!r} is ambiguous (GL string '/'); not used")
            return True
        said = interpretation_says(obs)
        worded = _CARRIAGE.match(body)
        if worded is not None:
            body = self._strip_gene(gene, worded.group(1))
            carries = worded.group(2).lower() in _CARRIES
            if said is not None and said != carries:
                self.warn(obs, f"{gene} {body} is {worded.group(2)} but its interpretation "
                               "says otherwise; not used")  # fmt: skip
                return True
            said = carries
        alleles = [a.strip() for a in body.split("+")]
        if not all(HLA_ALLELE.match(a) for a in alleles) or len(alleles) > 2:
            return False
        if len(alleles) == 2 and worded is None:
            return self._set(obs, gene, "alleles", alleles)
        if len(alleles) == 2:
            return False
        # one allele reported: carriage of it (as the IG's HLA-B*15:02 example files it)
        # unless it is reported negative; the second allele unknown
        return self._carriage(obs, gene, alleles[0], said is not False)

    def _carriage(self, obs: Json, gene: str, allele: str, carries: bool) -> bool:
        known = self.genotypes.setdefault(gene, {}).setdefault("carriers", {})
        if allele in known and known[allele] != carries:
            self.warn(obs, f"{gene}{allele} carriage disagrees with another result; not used")
            known[allele] = None
        else:
            known.setdefault(allele, carries)
        return True

    def _set(self, obs: Json, gene: str, key: str, value: Any) -> bool:
        entry = self.genotypes.setdefault(gene, {})
        if key in entry and entry[key] != value:
            self.warn(
                obs,
                f"{gene} {key} {value!r} disagrees with another result "
                f"{entry[key]!r}; neither is used",
            )
            entry[key] = None
            return True
        entry.setdefault(key, value)
        return True

    def _set_variant(self, obs: Json, gene: str, rsid: str, genotype: str) -> bool:
        known = self.variants.setdefault(gene, {})
        if rsid in known and known[rsid] != genotype:
            self.warn(obs, f"{gene} {rsid} {genotype} disagrees with {known[rsid]}; not used")
            known[rsid] = ""
            return True
        known.setdefault(rsid, genotype)
        return True

    def haplotype(self, obs: Json) -> None:
        values = value_texts(obs)
        gene = self.gene_of(obs, values[0] if values else None)
        if gene is None or not values:
            self.warn(obs, "haplotype names no gene pgx knows or has no value; not used")
            return
        name = self._strip_gene(gene, values[0])
        self.haplotypes.setdefault(gene, []).append((ref_of(obs), name))

    # ---------------------------------------------------------------- phenotypes
    def implication(self, obs: Json) -> None:
        comps = components(obs, c.THERAPEUTIC_IMPLICATION)
        if has_code(obs.get("code"), c.DRUG_METABOLISM) or has_code(
            obs.get("code"), c.DRUG_EFFICACY
        ):
            comps = [obs]
        values = [t for comp in comps for t in value_texts(comp)]
        rules = [
            str(i.get("value"))
            for i in listed(obs, "identifier")
            if isinstance(i, dict) and i.get("system") == c.RULE_SYSTEM
        ]
        if rules and not values:
            self.warn(
                obs,
                f"a pgx finding ({rules[0]}); findings are derived again from the "
                "genotypes, not read back; not used",
            )
            return
        gene = self.gene_of(obs) or self._derived_gene(obs)
        term = self._phenotype_term(gene, values)
        if gene is None or term is None:
            shown = values[0] if values else "no value"
            self.warn(
                obs,
                f"therapeutic implication {shown!r} is not a gene phenotype pgx can read "
                "(pgx derives its own implications from the genotype); not used",
            )
            return
        self.phenotypes.setdefault(gene, {}).setdefault(term, []).append(ref_of(obs))

    def _derived_gene(self, obs: Json) -> str | None:
        refs = obs.get("derivedFrom", [])
        for ref in refs if isinstance(refs, list) else []:
            target = (
                self.by_ref.get(str(ref.get("reference", ""))) if isinstance(ref, dict) else None
            )
            if target is not None:
                values = value_texts(target)
                gene = self.gene_of(target, values[0] if values else None)
                if gene is not None:
                    return gene
        return None

    def _phenotype_term(self, gene: str | None, values: list[str]) -> str | None:
        if gene is None:
            return None
        terms = {t.lower(): t for t in self.knowledge.phenotype_terms(gene)}
        for value in values:
            named = c.PHENOTYPE_ANSWERS.get(value, value)
            if named.lower() in terms:
                return terms[named.lower()]
        return None

    # ---------------------------------------------------------------- variants
    def variant(self, obs: Json) -> None:
        gene = self.gene_of(obs)
        value = obs.get("valueCodeableConcept")
        present = has_code(value, c.PRESENT)
        absent = has_code(value, c.ABSENT)
        sources = [
            comp.get("valueCodeableConcept") for comp in components(obs, c.GENOMIC_SOURCE_CLASS)
        ]
        somatic = any(has_code(s, c.SOMATIC) for s in sources)
        germline = any(has_code(s, c.GERMLINE) for s in sources)
        structural = somatic and not germline and is_structural(obs)
        if gene is None and not structural:  # a fusion may name its genes in 95123-6 only
            self.warn(obs, "variant names no gene pgx knows (component 48018-6); not used")
        elif not present and not absent:
            self.warn(obs, f"{gene or 'the'} variant is neither present nor absent "
                           "(LA9633-4/LA9634-2); not used")  # fmt: skip
        elif somatic == germline:
            self.warn(obs, f"{gene} variant does not say germline or somatic (48002-0); not used")
        elif structural:
            self.structural(obs, present)
        elif somatic and gene is not None:
            self._somatic_variant(obs, gene, present)
        elif gene is not None:
            self._germline_variant(obs, gene, present)

    def _one(self, obs: Json, code: str) -> str | None:
        for comp in components(obs, code):
            texts = value_texts(comp)
            if texts:
                return texts[0]
        return None

    def _somatic_variant(self, obs: Json, gene: str, present: bool) -> None:
        if not present:
            self.warn(
                obs, f"absence of one {gene} variant does not make {gene} wild type; not used"
            )
            return
        protein = self._one(obs, c.PROTEIN_HGVS)
        hgvsc = self._one(obs, c.CODING_HGVS)
        if protein is None and hgvsc is None:
            self.warn(obs, f"{gene} somatic variant has no HGVS (48005-3/48004-6); not used")
            return
        entry: dict[str, Any] = {"gene": gene}
        if protein is not None:
            entry["protein"] = protein.split(":")[-1]
        if hgvsc is not None:
            entry["hgvsc"] = hgvsc.split(":")[-1]
        for comp in components(obs, c.ALLELIC_FREQUENCY):
            qty = comp.get("valueQuantity")
            if isinstance(qty, dict) and isinstance(qty.get("value"), int | float):
                entry["vaf"] = float(qty["value"])
        self.somatic.append(entry)
        self.sequenced.add(gene)

    def _germline_variant(self, obs: Json, gene: str, present: bool) -> None:
        rsid = next(
            (
                m.group(1)
                for comp in components(obs, c.VARIATION_CODE)
                for t in value_texts(comp)
                if (m := _RSID.search(t))
            ),
            None,
        )
        ref, alt = self._one(obs, c.REF_ALLELE), self._one(obs, c.ALT_ALLELE)
        if rsid is None or ref is None or (present and alt is None):
            self.warn(obs, f"{gene} germline variant lacks a dbSNP id or its alleles; not used")
            return
        states = [comp.get("valueCodeableConcept") for comp in components(obs, c.ALLELIC_STATE)]
        if not present:  # tested at this position and not found: reference on both strands
            genotype = f"{ref}/{ref}"
        elif any(has_code(s, c.HETEROZYGOUS) for s in states):
            genotype = f"{ref}/{alt}"
        elif any(has_code(s, c.HOMOZYGOUS) for s in states):
            genotype = f"{alt}/{alt}"
        else:
            self.warn(
                obs, f"{gene} {rsid} has no allelic state (53034-5); zygosity unknown, not used"
            )
            return
        self._set_variant(obs, gene, rsid, genotype.upper())

    # ---------------------------------------------------------------- assemble
    def germline(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for gene, entry in self.genotypes.items():
            carriers = {a: v for a, v in (entry.get("carriers") or {}).items() if v is not None}
            usable = {k: v for k, v in entry.items() if v is not None and k != "carriers"}
            if carriers:
                usable["carriers"] = carriers
            if usable:
                out[gene] = usable
        for gene, haps in sorted(self.haplotypes.items()):
            if "diplotype" in out.get(gene, {}) or gene.startswith("HLA-"):
                continue
            refs = ", ".join(r for r, _ in haps)
            names = [n for _, n in haps]
            if len(haps) == 2 and parse_diplotype("/".join(names)) is not None:
                out.setdefault(gene, {})["diplotype"] = "/".join(names)
            else:
                self.warnings.append(
                    f"{refs}: {len(haps)} {gene} haplotype(s) and no genotype; a diplotype needs "
                    "exactly two (one is never taken as homozygous); not used"
                )
        for gene, terms in sorted(self.phenotypes.items()):
            if len(terms) > 1:
                refs = ", ".join(r for rs in terms.values() for r in rs)
                self.warnings.append(
                    f"{refs}: {gene} phenotypes disagree ({', '.join(sorted(terms))}); none is used"
                )
                continue
            out.setdefault(gene, {})["phenotype"] = next(iter(terms))
        for gene, variants in sorted(self.variants.items()):
            usable_variants = {k: v for k, v in variants.items() if v}
            if usable_variants:
                out.setdefault(gene, {})["variants"] = usable_variants
        return out

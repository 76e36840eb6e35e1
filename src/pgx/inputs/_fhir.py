"""FHIR R4 in: a Bundle of genomic Observations, medications and conditions to a Profile.

Reads the Genomics Reporting IG (STU3) genotype, haplotype, variant and therapeutic-implication
Observations, and MedicationStatement, MedicationRequest, Medication and Condition resources.

Safety rules this module keeps:

- only results whose status is final, amended or corrected are facts; a preliminary,
  cancelled or entered-in-error result is named in a warning and not used;
- whatever cannot be mapped becomes a warning that names the resource (``Observation/g1``);
  nothing is dropped silently;
- nothing is inferred from absence: one haplotype does not make a homozygous diplotype, the
  absence of one somatic variant does not make a gene wild type, and a section with no
  resources stays unknown (``None``), not empty.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from attrs import define, field

from pgx.errors import Problem, ProfileError
from pgx.io import read_profile
from pgx.model import _fhir_codes as c
from pgx.model.diplotype import parse_diplotype
from pgx.model.knowledge import Knowledge
from pgx.model.profile import HLA_ALLELE, Profile

__all__ = [
    "MAX_BUNDLE_BYTES",
    "bundle_resources",
    "drug_lookups",
    "drugs_of",
    "profile_from_file",
    "profile_from_resources",
    "read_bundle",
]

_RSID = re.compile(r"\b(rs\d+)\b")
_GENOTYPE = re.compile(r"^([ACGTN-]+)\s*[/|]\s*([ACGTN-]+)$", re.IGNORECASE)
_MEDICATION_ACTIVE = frozenset({"active"})
_CONDITION_ACTIVE = frozenset({"active", "recurrence", "relapse"})
_CONDITION_UNCONFIRMED = frozenset({"refuted", "entered-in-error", "provisional", "differential"})

Json = Mapping[str, Any]

MAX_BUNDLE_BYTES = 20_000_000
"""The largest FHIR JSON file `read_bundle` reads (a genomic report bundle is far smaller)."""


def read_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a FHIR JSON file.

    Raises:
        ProfileError: the file is too large, not UTF-8 JSON, or not a JSON object.
    """
    source = str(path)
    file = Path(path)
    if file.stat().st_size > MAX_BUNDLE_BYTES:
        raise ProfileError([Problem("$", f"file larger than {MAX_BUNDLE_BYTES} bytes", source)])
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ProfileError([Problem("$", f"not valid JSON: {exc}", source, line)]) from None
    if not isinstance(data, dict):
        raise ProfileError([Problem("$", "expected a FHIR Bundle (a JSON object)", source)])
    return data


def bundle_resources(bundle: object, source: str) -> list[tuple[str, Json]]:
    """``(JSON path, resource)`` for every resource of a Bundle (or of a lone resource).

    Raises:
        ProfileError: the input is not a FHIR Bundle or resource, or an entry is malformed.
    """
    if not isinstance(bundle, Mapping):
        raise ProfileError([Problem("$", _found("a FHIR Bundle (a JSON object)", bundle), source)])
    kind = bundle.get("resourceType")
    if not isinstance(kind, str):
        raise ProfileError([Problem("$.resourceType", _found("a resource type", kind), source)])
    if kind != "Bundle":
        return [("$", bundle)]
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ProfileError([Problem("$.entry", _found("a list of entries", entries), source)])
    out: list[tuple[str, Json]] = []
    problems = []
    for i, entry in enumerate(entries):
        path = f"$.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if resource is None and isinstance(entry, Mapping) and "resource" not in entry:
            continue  # e.g. a search-result outcome entry without a resource
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            problems.append(
                Problem(f"{path}.resource", _found("a resource with a resourceType", resource))
            )
            continue
        if resource["resourceType"] == "Bundle":  # e.g. a prefetch bundle inside a collection
            out.extend(
                (f"{path}.resource{p[1:]}", r) for p, r in bundle_resources(resource, source)
            )
        else:
            out.append((f"{path}.resource", resource))
    if problems:
        raise ProfileError(Problem(p.path, p.message, source) for p in problems)
    return out


def _found(expected: str, value: object) -> str:
    shown = type(value).__name__ if isinstance(value, Mapping | list) else repr(value)
    return f"expected {expected}, found {shown[:80]}"


# ------------------------------------------------------------------ small JSON readers
def _codings(concept: object) -> list[Json]:
    if not isinstance(concept, Mapping):
        return []
    codings = concept.get("coding", [])
    return [x for x in codings if isinstance(x, Mapping)] if isinstance(codings, list) else []


def _has_code(concept: object, code: str, systems: Iterable[str] | None = None) -> bool:
    allowed = None if systems is None else set(systems)
    return any(
        x.get("code") == code and (allowed is None or x.get("system") in allowed)
        for x in _codings(concept)
    )


def _texts(concept: object) -> list[str]:
    """The human-readable names in a CodeableConcept: text first, then codings' displays."""
    out: list[str] = []
    if isinstance(concept, Mapping) and isinstance(concept.get("text"), str):
        out.append(concept["text"])
    out += [x["display"] for x in _codings(concept) if isinstance(x.get("display"), str)]
    return [t.strip() for t in out if t.strip()]


def _components(resource: Json, code: str) -> list[Json]:
    found = resource.get("component", [])
    if not isinstance(found, list):
        return []
    return [x for x in found if isinstance(x, Mapping) and _has_code(x.get("code"), code)]


def _value_texts(element: Json) -> list[str]:
    """Every readable form of an element's value: a string, or a concept's text/display/code."""
    if isinstance(element.get("valueString"), str):
        return [element["valueString"].strip()]
    concept = element.get("valueCodeableConcept")
    out = _texts(concept)
    out += [x["code"] for x in _codings(concept) if isinstance(x.get("code"), str)]
    return out


def _list(resource: Json, key: str) -> list[Any]:
    value = resource.get(key)
    return value if isinstance(value, list) else []


def _ref(resource: Json) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', '?')}"


def _subject(resource: Json) -> str | None:
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, Mapping) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


@define(slots=False)
class _Reader:
    knowledge: Knowledge
    resources: list[tuple[str, Json]]
    warnings: list[str] = field(factory=list)
    genotypes: dict[str, dict[str, Any]] = field(factory=dict)
    haplotypes: dict[str, list[tuple[str, str]]] = field(factory=dict)
    phenotypes: dict[str, dict[str, list[str]]] = field(factory=dict)
    variants: dict[str, dict[str, str]] = field(factory=dict)
    somatic: list[dict[str, Any]] = field(factory=list)
    sequenced: set[str] = field(factory=set)
    medications: list[str] | None = None
    diagnoses: list[dict[str, str]] | None = None
    cancer_type: dict[str, str] | None = None
    by_ref: dict[str, Json] = field(factory=dict)

    def __attrs_post_init__(self) -> None:
        self._hgnc, self._genes_lower = _gene_lookups(self.knowledge)
        self._rxnorm, self._drug_words = drug_lookups(self.knowledge)
        for _, resource in self.resources:
            if "id" in resource:
                self.by_ref[_ref(resource)] = resource

    def warn(self, resource: Json, message: str) -> None:
        self.warnings.append(f"{_ref(resource)}: {message}")

    # ---------------------------------------------------------------- dispatch
    def read(self) -> None:
        for _, resource in self.resources:
            kind = resource["resourceType"]
            if kind == "Observation":
                self.observation(resource)
            elif kind in ("MedicationStatement", "MedicationRequest"):
                self.medication(resource)
            elif kind == "Condition":
                self.condition(resource)
            elif kind not in (
                "Patient",
                "Medication",
                "DiagnosticReport",
                "Specimen",
                "Organization",
                "Practitioner",
                "ServiceRequest",
                "Provenance",
                "Device",
                "OperationOutcome",
                "MolecularSequence",
            ):
                self.warn(resource, f"resource type {kind} is not read by pgx; not used")

    def observation(self, obs: Json) -> None:
        code = obs.get("code")
        kinds = [
            (c.GENOTYPE, self.genotype),
            (c.HAPLOTYPE, self.haplotype),
            (c.VARIANT, self.variant),
            (c.THERAPEUTIC_IMPLICATION, self.implication),
            (c.DRUG_METABOLISM, self.implication),
            (c.DRUG_EFFICACY, self.implication),
        ]
        handler = next((h for k, h in kinds if _has_code(code, k)), None)
        if handler is None:
            names = _texts(code) or [x.get("code", "?") for x in _codings(code)]
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
        for comp in _components(obs, c.GENE_STUDIED):
            concept = comp.get("valueCodeableConcept")
            for coding in _codings(concept):
                if coding.get("system") in c.HGNC_SYSTEMS and coding.get("code") in self._hgnc:
                    return self._hgnc[str(coding["code"])]
            for name in _texts(concept) + [str(x.get("code", "")) for x in _codings(concept)]:
                if name.lower() in self._genes_lower:
                    return self._genes_lower[name.lower()]
        if text is not None:  # "CYP2C19 *1/*2", "CYP2C19*2", "HLA-B*57:01"
            head = re.split(r"[\s*]", text.strip(), maxsplit=1)[0]
            if head.lower() in self._genes_lower:
                return self._genes_lower[head.lower()]
        return None

    def _strip_gene(self, gene: str, text: str) -> str:
        short = gene.removeprefix("HLA-")
        out = re.sub(rf"(?i)\b(?:HLA-)?{re.escape(short)}\s*(?=\*)", "", text)
        return re.sub(rf"(?i)^{re.escape(gene)}\s+", "", out).strip()

    def genotype(self, obs: Json) -> None:
        values = _value_texts(obs)
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
                for comp in _components(obs, c.VARIATION_CODE)
                for t in _value_texts(comp)
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
        alleles = [a.strip() for a in body.split("+")]
        if not all(HLA_ALLELE.match(a) for a in alleles) or len(alleles) > 2:
            return False
        if len(alleles) == 2:
            return self._set(obs, gene, "alleles", alleles)
        # one allele reported: carriage of it, the second allele unknown
        return self._set(obs, gene, "carriers", {alleles[0]: True})

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
        values = _value_texts(obs)
        gene = self.gene_of(obs, values[0] if values else None)
        if gene is None or not values:
            self.warn(obs, "haplotype names no gene pgx knows or has no value; not used")
            return
        name = self._strip_gene(gene, values[0])
        self.haplotypes.setdefault(gene, []).append((_ref(obs), name))

    # ---------------------------------------------------------------- phenotypes
    def implication(self, obs: Json) -> None:
        comps = _components(obs, c.THERAPEUTIC_IMPLICATION)
        if _has_code(obs.get("code"), c.DRUG_METABOLISM) or _has_code(
            obs.get("code"), c.DRUG_EFFICACY
        ):
            comps = [obs]
        values = [t for comp in comps for t in _value_texts(comp)]
        rules = [
            str(i.get("value"))
            for i in _list(obs, "identifier")
            if isinstance(i, Mapping) and i.get("system") == c.RULE_SYSTEM
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
        self.phenotypes.setdefault(gene, {}).setdefault(term, []).append(_ref(obs))

    def _derived_gene(self, obs: Json) -> str | None:
        refs = obs.get("derivedFrom", [])
        for ref in refs if isinstance(refs, list) else []:
            target = (
                self.by_ref.get(str(ref.get("reference", ""))) if isinstance(ref, Mapping) else None
            )
            if target is not None:
                values = _value_texts(target)
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
        present = _has_code(value, c.PRESENT)
        absent = _has_code(value, c.ABSENT)
        sources = [
            comp.get("valueCodeableConcept") for comp in _components(obs, c.GENOMIC_SOURCE_CLASS)
        ]
        somatic = any(_has_code(s, c.SOMATIC) for s in sources)
        germline = any(_has_code(s, c.GERMLINE) for s in sources)
        if gene is None:
            self.warn(obs, "variant names no gene pgx knows (component 48018-6); not used")
        elif not present and not absent:
            self.warn(
                obs, f"{gene} variant is neither present nor absent (LA9633-4/LA9634-2); not used"
            )
        elif somatic == germline:
            self.warn(obs, f"{gene} variant does not say germline or somatic (48002-0); not used")
        elif somatic:
            self._somatic_variant(obs, gene, present)
        else:
            self._germline_variant(obs, gene, present)

    def _one(self, obs: Json, code: str) -> str | None:
        for comp in _components(obs, code):
            texts = _value_texts(comp)
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
        for comp in _components(obs, c.ALLELIC_FREQUENCY):
            qty = comp.get("valueQuantity")
            if isinstance(qty, Mapping) and isinstance(qty.get("value"), int | float):
                entry["vaf"] = float(qty["value"])
        self.somatic.append(entry)
        self.sequenced.add(gene)

    def _germline_variant(self, obs: Json, gene: str, present: bool) -> None:
        rsid = next(
            (
                m.group(1)
                for comp in _components(obs, c.VARIATION_CODE)
                for t in _value_texts(comp)
                if (m := _RSID.search(t))
            ),
            None,
        )
        ref, alt = self._one(obs, c.REF_ALLELE), self._one(obs, c.ALT_ALLELE)
        if rsid is None or ref is None or (present and alt is None):
            self.warn(obs, f"{gene} germline variant lacks a dbSNP id or its alleles; not used")
            return
        states = [comp.get("valueCodeableConcept") for comp in _components(obs, c.ALLELIC_STATE)]
        if not present:  # tested at this position and not found: reference on both strands
            genotype = f"{ref}/{ref}"
        elif any(_has_code(s, c.HETEROZYGOUS) for s in states):
            genotype = f"{ref}/{alt}"
        elif any(_has_code(s, c.HOMOZYGOUS) for s in states):
            genotype = f"{alt}/{alt}"
        else:
            self.warn(
                obs, f"{gene} {rsid} has no allelic state (53034-5); zygosity unknown, not used"
            )
            return
        self._set_variant(obs, gene, rsid, genotype.upper())

    # ---------------------------------------------------------------- clinical context
    def _drugs(self, resource: Json) -> list[str]:
        concept = resource.get("medicationCodeableConcept")
        ref = resource.get("medicationReference")
        if concept is None and isinstance(ref, Mapping):
            target = self.by_ref.get(str(ref.get("reference", "")))
            if target is None and str(ref.get("reference", "")).startswith("#"):
                contained = _list(resource, "contained")
                target = next(
                    (
                        x
                        for x in contained
                        if isinstance(x, Mapping) and f"#{x.get('id')}" == ref["reference"]
                    ),
                    None,
                )
            concept = target.get("code") if target is not None else None
        return drugs_of(concept, self._rxnorm, self._drug_words)

    def medication(self, resource: Json) -> None:
        status = resource.get("status")
        if status not in _MEDICATION_ACTIVE:
            self.warn(resource, f"status {status!r}: not a current medication; not used")
            return
        drugs = self._drugs(resource)
        if not drugs:
            self.warn(resource, "names no drug pgx knows (by RxNorm code or name); not used")
            return
        if self.medications is None:
            self.medications = []
        self.medications.extend(d for d in drugs if d not in self.medications)

    def condition(self, resource: Json) -> None:
        clinical = [x.get("code") for x in _codings(resource.get("clinicalStatus"))]
        verification = [x.get("code") for x in _codings(resource.get("verificationStatus"))]
        if clinical and not set(clinical) & _CONDITION_ACTIVE:
            self.warn(
                resource, f"clinical status {clinical[0]!r}: not an active condition; not used"
            )
            return
        if set(verification) & _CONDITION_UNCONFIRMED:
            self.warn(resource, f"verification status {verification[0]!r}: not used as a fact")
            return
        code = resource.get("code")
        used = False
        for coding in _codings(code):
            system, value = coding.get("system"), coding.get("code")
            if not isinstance(value, str):
                continue
            label = coding.get("display") if isinstance(coding.get("display"), str) else None
            if system in c.ONCOTREE_SYSTEMS and value in self.knowledge.cancer_types:
                self.cancer_type = {"code": value, "system": "oncotree"}
                used = True
                continue
            kind = (
                "icd10" if system in c.ICD10_SYSTEMS else "snomed" if system == c.SNOMED else None
            )
            if kind is None:
                continue
            entry = {"code": value, "system": kind} | ({"label": label} if label else {})
            if self.diagnoses is None:
                self.diagnoses = []
            if entry not in self.diagnoses:
                self.diagnoses.append(entry)
            used = True
        if not used:
            self.warn(resource, "no ICD-10, SNOMED CT or OncoTree code; not used")

    # ---------------------------------------------------------------- assemble
    def germline(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for gene, entry in self.genotypes.items():
            usable = {k: v for k, v in entry.items() if v is not None}
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


_LOOKUPS: dict[tuple[int, str], tuple[Knowledge, Any]] = {}


def _cached(knowledge: Knowledge, kind: str, build: Any) -> Any:
    # knowledge tables are immutable and live as long as their ruleset: build lookups once
    hit = _LOOKUPS.get((id(knowledge), kind))
    if hit is None or hit[0] is not knowledge:  # a new object may reuse a freed id
        if len(_LOOKUPS) > 64:
            _LOOKUPS.clear()
        hit = (knowledge, build(knowledge))
        _LOOKUPS[(id(knowledge), kind)] = hit
    return hit[1]


def _build_genes(knowledge: Knowledge) -> tuple[dict[str, str], dict[str, str]]:
    return (
        {g.hgnc_id: name for name, g in knowledge.genes.items()},
        {name.lower(): name for name in knowledge.genes},
    )


def _build_drugs(knowledge: Knowledge) -> tuple[dict[str, str], re.Pattern[str]]:
    names = sorted(knowledge.drugs, key=len, reverse=True)
    words = re.compile(r"(?<![a-z])(" + "|".join(re.escape(n) for n in names) + r")(?![a-z])")
    return {d.rxnorm: name for name, d in knowledge.drugs.items() if d.rxnorm}, words


def _gene_lookups(knowledge: Knowledge) -> tuple[dict[str, str], dict[str, str]]:
    found: tuple[dict[str, str], dict[str, str]] = _cached(knowledge, "genes", _build_genes)
    return found


def drug_lookups(knowledge: Knowledge) -> tuple[dict[str, str], re.Pattern[str]]:
    """``(RxNorm code -> drug, name pattern)`` for reading medication concepts (cached)."""
    found: tuple[dict[str, str], re.Pattern[str]] = _cached(knowledge, "drugs", _build_drugs)
    return found


def drugs_of(concept: object, by_rxnorm: Mapping[str, str], words: re.Pattern[str]) -> list[str]:
    """The pgx drug names a medication concept names: RxNorm ingredient codes, else names."""
    found: list[str] = []
    for coding in _codings(concept):
        if coding.get("system") == c.RXNORM and str(coding.get("code")) in by_rxnorm:
            found.append(by_rxnorm[str(coding["code"])])
    if found:
        return sorted(set(found))
    for text in _texts(concept):
        found += words.findall(text.lower())
    return sorted(set(found))


def _check_subjects(
    resources: Sequence[tuple[str, Json]], patient: str | None, source: str
) -> str | None:
    subjects: dict[str, str] = {}
    for path, resource in resources:
        subject = _subject(resource)
        if subject is not None and resource["resourceType"] != "Patient":
            subjects.setdefault(subject, path)
    if patient is not None:
        wanted = {patient, f"Patient/{patient}"}
        wrong = [
            (s, p)
            for s, p in subjects.items()
            if s not in wanted and not s.endswith(f"/Patient/{patient}")
        ]
        if wrong:
            raise ProfileError(
                Problem(f"{p}.subject", f"expected Patient/{patient}, found {s!r}", source)
                for s, p in wrong
            )
        return patient
    if len(subjects) > 1:
        raise ProfileError(
            [
                Problem(
                    "$",
                    f"the bundle is about several patients: {', '.join(sorted(subjects))}",
                    source,
                )
            ]
        )
    if subjects:
        return next(iter(subjects)).rsplit("/", 1)[-1]
    return None


def _iter_patients(resources: Iterable[tuple[str, Json]]) -> Iterator[str]:
    for _, resource in resources:
        if resource["resourceType"] == "Patient" and isinstance(resource.get("id"), str):
            yield resource["id"]


def profile_from_resources(
    resources: Sequence[tuple[str, Json]],
    knowledge: Knowledge,
    *,
    source: str,
    patient: str | None = None,
    medications_known: bool = False,
) -> Profile:
    """Build a Profile from FHIR resources (see `pgx.fhir.profile_from_bundle`).

    ``medications_known`` says the resources are the patient's complete current medication
    list (e.g. a CDS Hooks prefetch search), so no medication resource means "none".
    """
    patients = sorted(set(_iter_patients(resources)))
    subject = _check_subjects(resources, patient, source)
    reader = _Reader(knowledge, list(resources))
    reader.read()
    data: dict[str, Any] = {"pgx_profile": 1}
    pid = subject or (patients[0] if len(patients) == 1 else None)
    if pid is not None:
        data["id"] = pid
    germline = reader.germline()
    if germline:
        data["germline"] = germline
    tumor: dict[str, Any] = {}
    if reader.somatic:
        tumor["variants"] = reader.somatic
        tumor["sequenced_genes"] = sorted(reader.sequenced)
    if reader.cancer_type is not None:
        tumor["cancer_type"] = reader.cancer_type
    if tumor:
        data["tumor"] = tumor
    clinical: dict[str, Any] = {}
    medications = reader.medications
    if medications is None and medications_known:
        medications = []
    if medications is not None:
        clinical["medications"] = medications
    if reader.diagnoses is not None:
        clinical["diagnoses"] = reader.diagnoses
    if clinical:
        data["clinical"] = clinical
    if reader.warnings:
        data["warnings"] = reader.warnings
    try:
        return read_profile(data)
    except ProfileError as exc:  # say which input it came from
        raise ProfileError(
            Problem(p.path, p.message + " (read from FHIR)", source) for p in exc.problems
        ) from None


def profile_from_file(path: str | os.PathLike[str], knowledge: Knowledge) -> Profile:
    """A profile from a FHIR JSON file (``load_profile(fhir=...)``, ``pgx evaluate --fhir``)."""
    return profile_from_resources(
        bundle_resources(read_bundle(path), str(path)), knowledge, source=str(path)
    )

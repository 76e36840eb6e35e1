"""FHIR R4 out: a report as a Genomics Reporting IG (STU3) Bundle.

The Bundle (type ``collection``) holds a genomic-report DiagnosticReport, a genotype
Observation per gene with a diplotype or typed alleles, a therapeutic-implication Observation per
gene phenotype and per finding, and a Provenance naming the pgx version, the ruleset and the
input digest. Every id is a UUID derived from the report's content and every time stamp is the
report's ``generated_at``, so the same report always gives the same bundle, byte for byte.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Mapping
from typing import Any

from pgx.model import _fhir_codes as c
from pgx.model.knowledge import Knowledge
from pgx.model.profile import Profile
from pgx.model.report import Finding, GenePhenotype, Report
from pgx.render._fhir_facts import profile_facts
from pgx.render._markdown import render as markdown

__all__ = ["citation_url", "report_bundle"]

_NAMESPACE = uuid.UUID("0b7d6c1e-5a43-4f0e-8d2b-3c9e1f6a7b52")
_FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
_GENE_PATH = re.compile(r"^germline\.([A-Za-z0-9-]+)")
RULE_SYSTEM = c.RULE_SYSTEM


def citation_url(citation: str) -> str | None:
    """A web address for a citation written as pgx writes them (``PMID:``, ``DOI:``, ``NCT:``)."""
    kind, _, ident = citation.partition(":")
    if kind == "PMID":
        return f"https://pubmed.ncbi.nlm.nih.gov/{ident}/"
    if kind == "DOI":
        return f"https://doi.org/{ident}"
    if kind == "NCT":
        return f"https://clinicaltrials.gov/study/{ident}"
    if kind == "PMCID":
        return f"https://www.ncbi.nlm.nih.gov/pmc/articles/{ident}/"
    return None


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    return {"coding": [coding]}


_CATEGORIES = [
    _concept(c.OBSERVATION_CATEGORY, "laboratory", "Laboratory"),
    _concept(c.DIAGNOSTIC_SERVICE, "GE", "Genetics"),
]


class _Builder:
    def __init__(self, report: Report, knowledge: Knowledge) -> None:
        self.report = report
        self.knowledge = knowledge
        self.when = report.generated_at
        self.entries: list[dict[str, Any]] = []
        pid = report.profile_id
        if pid is None:
            self.subject: dict[str, Any] | None = None
        elif _FHIR_ID.match(pid):
            self.subject = {"reference": f"Patient/{pid}"}
        else:
            self.subject = {"identifier": {"system": "urn:pgx:profile-id", "value": pid}}

    def uid(self, key: str) -> str:
        r = self.report
        return str(uuid.uuid5(_NAMESPACE, f"{r.input_sha256}:{r.ruleset.sha256}:{self.when}:{key}"))

    def add(self, key: str, resource: dict[str, Any]) -> str:
        rid = self.uid(key)
        full = {"resourceType": resource.pop("resourceType"), "id": rid, **resource}
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": full})
        return f"urn:uuid:{rid}"

    def observation(
        self, profile: str | None, code: dict[str, Any], **fields: Any
    ) -> dict[str, Any]:
        obs: dict[str, Any] = {"resourceType": "Observation"}
        if profile is not None:  # None: no IG profile fits (tumour expression)
            obs["meta"] = {"profile": [profile]}
        obs |= {"status": "final", "category": _CATEGORIES, "code": code}
        if self.subject is not None:
            obs["subject"] = self.subject
        obs["effectiveDateTime"] = self.when
        obs["issued"] = self.when
        obs.update(fields)
        return obs

    def gene_studied(self, gene: str) -> dict[str, Any]:
        entry = self.knowledge.genes.get(gene)
        value = (
            {"coding": [{"system": c.HGNC, "code": entry.hgnc_id, "display": gene}]}
            if entry is not None
            else {"text": gene}
        )
        return {
            "code": _concept(c.LOINC, c.GENE_STUDIED, "Gene studied [ID]"),
            "valueCodeableConcept": value,
        }

    def genotype(self, gene: str, result: GenePhenotype) -> str | None:
        if result.diplotype is None:
            return None
        text = result.diplotype
        if gene.startswith("HLA-") and result.status == "typed":
            text = "+".join(a if a.startswith(gene) else f"{gene}{a}" for a in text.split("/"))
        else:
            text = f"{gene} {text}"
        obs = self.observation(
            c.PROFILE_GENOTYPE,
            _concept(c.LOINC, c.GENOTYPE, "Genotype display name"),
            valueCodeableConcept={"text": text},
            component=[self.gene_studied(gene)],
        )
        return self.add(f"genotype:{gene}", obs)

    def phenotype(self, gene: str, result: GenePhenotype, genotype: str | None) -> str | None:
        if result.phenotype is None:
            return None
        code = c.PHENOTYPE_CODES.get(result.phenotype.lower())
        value: dict[str, Any] = {"text": result.phenotype}
        if code is not None:
            value = _concept(c.LOINC, code, c.PHENOTYPE_ANSWERS[code]) | {"text": result.phenotype}
        components = [
            self.gene_studied(gene),
            {
                "code": _concept(c.TBD_CODES, c.THERAPEUTIC_IMPLICATION),
                "valueCodeableConcept": value,
            },
        ]
        fields: dict[str, Any] = {"component": components}
        if genotype is not None:
            fields["derivedFrom"] = [{"reference": genotype}]
        note = f"{gene} phenotype {result.phenotype} ({result.source})"
        if result.activity_score is not None:
            note += f", activity score {result.activity_score:g}"
        fields["note"] = [{"text": note}]
        obs = self.observation(
            c.PROFILE_THERAPEUTIC_IMPLICATION,
            _concept(c.TBD_CODES, c.THERAPEUTIC_IMPLICATION, "Therapeutic Implication"),
            **fields,
        )
        return self.add(f"phenotype:{gene}", obs)

    def finding(self, finding: Finding, genotypes: Mapping[str, str]) -> str:
        components: list[dict[str, Any]] = []
        for drug in finding.drugs:
            entry = self.knowledge.drugs.get(drug)
            concept: dict[str, Any] = {"text": drug}
            if entry is not None and entry.rxnorm:
                concept = _concept(c.RXNORM, entry.rxnorm, drug) | {"text": drug}
            components.append(
                {
                    "code": _concept(c.LOINC, c.MEDICATION_ASSESSED, "Medication assessed [ID]"),
                    "valueCodeableConcept": concept,
                }
            )
        strength = f" ({finding.evidence.strength})" if finding.evidence.strength else ""
        components.append(
            {
                "code": _concept(c.LOINC, c.EVIDENCE_LEVEL, "Level of evidence"),
                "valueCodeableConcept": {
                    "text": f"pgx evidence level {finding.evidence.level}{strength}"
                },
            }
        )
        components.append(
            {
                "code": _concept(c.TBD_CODES, c.CONCLUSION_STRING),
                "valueString": f"{finding.action}: {finding.summary}",
            }
        )
        derived = sorted(
            {
                genotypes[m.group(1)]
                for t in finding.because
                if (m := _GENE_PATH.match(t.path)) and m.group(1) in genotypes
            }
        )
        fields: dict[str, Any] = {
            "extension": [
                {"url": c.RELATED_ARTIFACT, "valueRelatedArtifact": _artifact(cite)}
                for cite in finding.citations
            ],
            "identifier": [
                {"system": RULE_SYSTEM, "value": f"{finding.rule_id}|{finding.rule_version}"}
            ],
            "component": components,
            "note": [{"text": _because(finding)}],
        }
        if derived:
            fields["derivedFrom"] = [{"reference": r} for r in derived]
        obs = self.observation(
            c.PROFILE_THERAPEUTIC_IMPLICATION,
            _concept(c.TBD_CODES, c.THERAPEUTIC_IMPLICATION, "Therapeutic Implication"),
            **fields,
        )
        return self.add(f"finding:{finding.rule_id}", obs)


def _artifact(citation: str) -> dict[str, Any]:
    url = citation_url(citation)
    return {"type": "citation", "label": citation, "citation": citation} | (
        {"url": url} if url else {}
    )


def _because(finding: Finding) -> str:
    facts = "; ".join(f"{t.path} = {t.observed}" for t in finding.because if t.truth == "true")
    return (
        f"Rule {finding.rule_id} v{finding.rule_version}, action {finding.action}, "
        f"evidence level {finding.evidence.level}. Facts: {facts or 'none recorded'}."
    )


def _conclusion(report: Report) -> str:
    parts = [f"{len(report.findings)} finding(s)"]
    if report.indeterminate:
        parts.append(f"{len(report.indeterminate)} rule(s) undecided for missing data")
    if report.conflicts:
        parts.append(f"{len(report.conflicts)} conflict(s)")
    lines = ["; ".join(parts) + "."]
    lines += [f"{f.action}: {f.summary}" for f in report.findings]
    return "\n".join(lines)


def report_bundle(
    report: Report, knowledge: Knowledge, profile: Profile | None = None
) -> dict[str, Any]:
    """The report as a FHIR R4 Bundle (see `pgx.fhir.to_fhir`).

    With the profile the report was evaluated from, its facts a report does not carry (HLA
    carriage, somatic variants, copy number, fusions, expression, TMB, MSI) are written too.
    """
    b = _Builder(report, knowledge)
    results: list[str] = []
    genotypes: dict[str, str] = {}
    for gene, result in sorted(report.phenotypes.items()):
        ref = b.genotype(gene, result)
        if ref is not None:
            genotypes[gene] = ref
            results.append(ref)
        pheno = b.phenotype(gene, result, ref)
        if pheno is not None:
            results.append(pheno)
    if profile is not None:
        results += profile_facts(b, profile)
    results += [b.finding(f, genotypes) for f in report.findings]
    text = markdown(report).encode()
    diagnostic: dict[str, Any] = {
        "resourceType": "DiagnosticReport",
        "meta": {"profile": [c.PROFILE_GENOMIC_REPORT]},
        "status": "final",
        "category": [_concept(c.DIAGNOSTIC_SERVICE, "GE", "Genetics")],
        "code": _concept(c.LOINC, c.GENETIC_REPORT, "Genetic analysis report"),
    }
    if b.subject is not None:
        diagnostic["subject"] = b.subject
    diagnostic |= {
        "effectiveDateTime": b.when,
        "issued": b.when,
        "result": [{"reference": r} for r in results],
        "conclusion": _conclusion(report),
        "presentedForm": [
            {
                "contentType": "text/markdown",
                "data": base64.b64encode(text).decode(),
                "title": "pgx report",
            }
        ],
    }
    report_ref = b.add("report", diagnostic)
    targets = [{"reference": report_ref}] + [{"reference": r} for r in results]
    rs = report.ruleset
    b.add(
        "provenance",
        {
            "resourceType": "Provenance",
            "target": targets,
            "recorded": b.when,
            "agent": [
                {
                    "type": _concept(
                        "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                        "assembler",
                        "Assembler",
                    ),
                    "who": {"display": f"pgx {report.pgx_version}"},
                }
            ],
            "entity": [
                {
                    "role": "source",
                    "what": {
                        "identifier": {
                            "system": "urn:pgx:ruleset",
                            "value": f"{rs.name}|{rs.version}|sha256:{rs.sha256}",
                        },
                        "display": f"ruleset {rs.name} {rs.version}",
                    },
                },
                {
                    "role": "source",
                    "what": {
                        "identifier": {
                            "system": "urn:pgx:input-sha256",
                            "value": report.input_sha256,
                        },
                        "display": "patient profile (SHA-256 of its canonical JSON)",
                    },
                },
            ],
        },
    )
    bundle_id = b.uid("bundle")
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"lastUpdated": b.when},
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{bundle_id}"},
        "type": "collection",
        "timestamp": b.when,
        "entry": b.entries,
    }

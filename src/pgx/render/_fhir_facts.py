"""FHIR out: the profile's facts a report does not carry, as Genomics Reporting Observations.

A report holds what pgx concluded (phenotypes, findings), not every input fact: HLA allele
carriage, somatic variants, copy-number changes, fusions, expression, TMB and MSI live only in
the profile. Given the profile (``to_fhir(report, profile=...)``), they are written as the
Observations `pgx.inputs._fhir_tumor` and `pgx.inputs._fhir_genomics` read, so a bundle read
back gives the same facts. Other biomarkers (ER, PR, MMR, a HER2 status) have no IG profile
and are not written.
"""

from __future__ import annotations

from typing import Any, Protocol

from pgx.model import _fhir_codes as c
from pgx.model.profile import Profile, Tumor


class _Builder(Protocol):
    """What `pgx.render._fhir` builds Observations with (ids, subject, times, genes)."""

    def observation(
        self, profile: str | None, code: dict[str, Any], **fields: Any
    ) -> dict[str, Any]: ...

    def gene_studied(self, gene: str) -> dict[str, Any]: ...

    def add(self, key: str, resource: dict[str, Any]) -> str: ...


__all__ = ["profile_facts"]

_UCUM = "http://unitsofmeasure.org"
_HGVS = "http://varnomen.hgvs.org"
_UNITS = {"tpm": "TPM", "z_score": "z-score", "fold_change": "fold change", "h_score": "H-score"}


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    coding = {"system": system, "code": code} | ({"display": display} if display else {})
    return {"coding": [coding]}


def _somatic(b: _Builder, gene: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        b.gene_studied(gene),
        {
            "code": _concept(c.LOINC, c.GENOMIC_SOURCE_CLASS, "Genomic source class [Type]"),
            "valueCodeableConcept": _concept(c.LOINC, c.SOMATIC, "Somatic"),
        },
        *extra,
    ]


def _variant(b: _Builder, key: str, components: list[dict[str, Any]]) -> str:
    obs = b.observation(
        c.PROFILE_VARIANT,
        _concept(c.LOINC, c.VARIANT, "Genetic variant assessment"),
        valueCodeableConcept=_concept(c.LOINC, c.PRESENT, "Present"),
        component=components,
    )
    return b.add(key, obs)


def _hgvs(code: str, value: str) -> dict[str, Any]:
    return {
        "code": _concept(c.LOINC, code),
        "valueCodeableConcept": {"coding": [{"system": _HGVS, "code": value}], "text": value},
    }


def _carriage(b: _Builder, profile: Profile) -> list[str]:
    out = []
    for gene, result in sorted(profile.germline.items()):
        for allele, carries in sorted((result.carriers or {}).items()):
            word, code = ("positive", "POS") if carries else ("negative", "NEG")
            name = allele if allele.startswith(gene) else f"{gene}{allele}"
            obs = b.observation(
                c.PROFILE_GENOTYPE,
                _concept(c.LOINC, c.GENOTYPE, "Genotype display name"),
                valueCodeableConcept={"text": f"{name} {word}"},
                interpretation=[_concept(c.INTERPRETATION, code, word.capitalize())],
                component=[b.gene_studied(gene)],
            )
            out.append(b.add(f"carriage:{gene}:{allele}", obs))
    return out


def _variants(b: _Builder, tumor: Tumor) -> list[str]:
    out = []
    for i, v in enumerate(tumor.variants or ()):
        extra = []
        if v.hgvsc is not None:
            extra.append(_hgvs(c.CODING_HGVS, v.hgvsc))
        if v.protein is not None:
            extra.append(_hgvs(c.PROTEIN_HGVS, v.protein))
        if v.vaf is not None:
            extra.append(
                {
                    "code": _concept(c.LOINC, c.ALLELIC_FREQUENCY),
                    "valueQuantity": {"value": v.vaf, "system": _UCUM, "code": "1"},
                }
            )
        out.append(_variant(b, f"somatic:{i}:{v.gene}", _somatic(b, v.gene, *extra)))
    return out


def _copy_numbers(b: _Builder, tumor: Tumor) -> list[str]:
    out = []
    for i, cnv in enumerate(tumor.copy_number or ()):
        gain = cnv.status in ("amplification", "gain")
        so, name = (
            (c.SO_COPY_NUMBER_GAIN, "copy_number_gain")
            if gain
            else (c.SO_COPY_NUMBER_LOSS, "copy_number_loss")
        )
        extra = [
            {
                "code": _concept(c.LOINC, c.DNA_CHANGE_TYPE, "DNA change type"),
                "valueCodeableConcept": _concept(c.SO, so, name) | {"text": cnv.status},
            }
        ]
        if cnv.copies is not None:
            extra.append(
                {
                    "code": _concept(c.LOINC, c.COPY_NUMBER),
                    "valueQuantity": {"value": cnv.copies, "system": _UCUM, "code": "1"},
                }
            )
        out.append(_variant(b, f"cnv:{i}:{cnv.gene}", _somatic(b, cnv.gene, *extra)))
    return out


def _fusions(b: _Builder, tumor: Tumor) -> list[str]:
    out = []
    for i, fusion in enumerate(tumor.fusions or ()):
        extra = [
            {
                "code": _concept(c.LOINC, c.DNA_CHANGE_TYPE, "DNA change type"),
                "valueCodeableConcept": _concept(c.SO, c.SO_GENE_FUSION, "gene_fusion"),
            }
        ]
        if fusion.partner is not None:
            extra.insert(0, b.gene_studied(fusion.partner))
            extra.append(
                {
                    "code": _concept(c.LOINC, c.FUSION_DETAILS),
                    "valueCodeableConcept": {"text": f"{fusion.gene}::{fusion.partner}"},
                }
            )
        out.append(_variant(b, f"fusion:{i}:{fusion.gene}", _somatic(b, fusion.gene, *extra)))
    return out


def _expression(b: _Builder, tumor: Tumor) -> list[str]:
    out = []
    for gene, assays in sorted((tumor.expression or {}).items()):
        if assays.ihc is not None:
            obs = b.observation(
                None,
                {"text": f"{gene} by immunohistochemistry (immune stain)"},
                valueString=assays.ihc,
                component=[b.gene_studied(gene)],
            )
            out.append(b.add(f"expression:{gene}:ihc", obs))
        for assay, unit in _UNITS.items():
            value = getattr(assays, assay)
            if value is None:
                continue
            obs = b.observation(
                None,
                {"text": f"{gene} expression ({unit})"},
                valueQuantity={"value": value, "unit": unit},
                component=[b.gene_studied(gene)],
            )
            out.append(b.add(f"expression:{gene}:{assay}", obs))
        if assays.level is not None:
            obs = b.observation(
                None,
                {"text": f"{gene} expression level"},
                valueCodeableConcept={"text": assays.level},
                component=[b.gene_studied(gene)],
            )
            out.append(b.add(f"expression:{gene}:level", obs))
    return out


def _biomarkers(b: _Builder, tumor: Tumor) -> list[str]:
    out = []
    markers = tumor.biomarkers or {}
    tmb = markers.get("TMB")
    if isinstance(tmb, int | float):
        obs = b.observation(
            c.PROFILE_TMB,
            _concept(c.LOINC, c.TMB, "Mutations/Megabase [# Ratio] in Tumor"),
            valueQuantity={
                "value": tmb,
                "unit": "mutations/megabase",
                "system": _UCUM,
                "code": "1/1000000{Base}",
            },
        )
        out.append(b.add("tmb", obs))
    msi = markers.get("MSI")
    if isinstance(msi, str):
        obs = b.observation(
            c.PROFILE_MSI,
            _concept(c.LOINC, c.MSI, "Microsatellite instability"),
            valueCodeableConcept={"text": msi},
        )
        out.append(b.add("msi", obs))
    return out


def profile_facts(b: _Builder, profile: Profile) -> list[str]:
    """Add the profile's carriage and tumour Observations; their references, in order."""
    out = _carriage(b, profile)
    tumor = profile.tumor
    if tumor is not None:
        for write in (_variants, _copy_numbers, _fusions, _expression, _biomarkers):
            out += write(b, tumor)
    return out

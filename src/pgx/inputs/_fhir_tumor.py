"""Tumour results from FHIR Observations: copy number, fusions, expression, TMB and MSI.

The Genomics Reporting IG (STU3) files a copy-number change or a fusion as a somatic variant
Observation whose DNA change type (48019-4) is a Sequence Ontology term: copy_number_gain,
copy_number_loss or copy_number_variation (with the copy number, 82155-3), or gene_fusion (the
genes studied, or the fusion details 95123-6 ``EML4::ALK``). TMB (94076-7, mutations per
megabase) and MSI (81695-9) have profiles of their own. The IG has no expression profile: pgx
reads an immunohistochemistry score (an Observation whose code names an immune stain, with a
gene studied and a score 0, 1+, 2+ or 3+) and RNA expression given with the units TPM,
z-score, fold change or H-score.

A FHIR bundle says what was found, not what was tested: a reported copy-number change or
fusion never makes another gene "not amplified" or "not fused" (see `TumorReader.tumor`).
"""

from __future__ import annotations

import math
import re
from typing import Any

from pgx.inputs._fhir_json import Json, codings, components, has_code, texts, value_texts
from pgx.model import _fhir_codes as c

__all__ = ["TumorReader", "is_structural"]

_IHC_WORDS = re.compile(r"(?i)immune stain|immunohistochem|\bIHC\b")
_IHC_SCORE = re.compile(r"(?<![\d.])([1-3]\+|0)(?![\d.+])")
#: Units of RNA expression (lowercase, without spaces) to the profile's assay names.
_EXPRESSION_UNITS = {
    "tpm": "tpm",
    "{tpm}": "tpm",
    "z-score": "z_score",
    "{z-score}": "z_score",
    "zscore": "z_score",
    "foldchange": "fold_change",
    "{foldchange}": "fold_change",
    "h-score": "h_score",
    "{h-score}": "h_score",
    "hscore": "h_score",
}
_LEVELS = frozenset({"absent", "low", "normal", "high"})
_TMB_UNITS = frozenset({"1/1000000{base}", "mutations/megabase", "mut/mb", "{mutations}/mb"})
_MSI_TERMS = {
    "msi-h": "MSI-H",
    "msi-high": "MSI-H",
    "high": "MSI-H",
    "msi-l": "MSI-L",
    "msi-low": "MSI-L",
    "low": "MSI-L",
    "mss": "MSS",
    "stable": "MSS",
    "microsatellite stable": "MSS",
}
_CNV_CODES = (c.SO_COPY_NUMBER_GAIN, c.SO_COPY_NUMBER_LOSS, c.SO_COPY_NUMBER_VARIATION)


def _change_types(obs: Json) -> list[Any]:
    return [comp.get("valueCodeableConcept") for comp in components(obs, c.DNA_CHANGE_TYPE)]


def is_structural(obs: Json) -> bool:
    """A variant Observation about a copy-number change or a fusion (not a sequence variant)."""
    kinds = _change_types(obs)
    codes = (*_CNV_CODES, c.SO_GENE_FUSION)
    return bool(components(obs, c.COPY_NUMBER)) or any(
        has_code(k, code, c.SEQUENCE_ONTOLOGY) for k in kinds for code in codes
    )


def _quantity(element: Json) -> tuple[float | None, str]:
    qty = element.get("valueQuantity")
    if not isinstance(qty, dict):
        return None, ""
    value = qty.get("value")
    # JSON true is no number; NaN and infinity are no measurement
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None, ""
    if isinstance(value, float) and not math.isfinite(value):
        return None, ""
    unit = qty.get("code") if isinstance(qty.get("code"), str) else qty.get("unit")
    return float(value), str(unit or "").replace(" ", "").lower()


class TumorReader:
    """Copy number, fusions, expression, TMB and MSI; mixed into the genomics reader."""

    copy_number: list[dict[str, Any]]
    fusions: list[dict[str, Any]]
    expression: dict[str, dict[str, Any]]
    biomarkers: dict[str, Any]

    def warn(self, resource: Json, message: str) -> None:  # pragma: no cover - the reader's
        raise NotImplementedError

    def gene_of(self, obs: Json, text: str | None = None) -> str | None:  # pragma: no cover
        raise NotImplementedError

    def _genes_studied(self, obs: Json) -> list[str]:
        out = []
        for comp in components(obs, c.GENE_STUDIED):
            gene = self.gene_of({"component": [comp]})
            if gene is not None and gene not in out:
                out.append(gene)
        return out

    # ---------------------------------------------------------------- structural variants
    def structural(self, obs: Json, present: bool) -> None:
        """A somatic copy-number or fusion Observation (`is_structural`)."""
        kinds = _change_types(obs)
        fusion = any(has_code(k, c.SO_GENE_FUSION, c.SEQUENCE_ONTOLOGY) for k in kinds)
        what = "fusion" if fusion else "copy-number change"
        if not present:
            self.warn(obs, f"absence of a {what} is not read as a negative result; not used")
            return
        if fusion:
            self._fusion(obs)
        else:
            self._copy_number(obs, kinds)

    def _fusion(self, obs: Json) -> None:
        genes = self._genes_studied(obs)
        for comp in components(obs, c.FUSION_DETAILS):
            for text in value_texts(comp):
                named = [self.gene_of({}, part.strip()) for part in re.split(r"::|-|/", text)]
                genes += [g for g in named if g is not None and g not in genes]
        if not genes:
            self.warn(obs, "fusion names no gene pgx knows (48018-6 or 95123-6); not used")
            return
        entry = {"gene": genes[0]} | ({"partner": genes[1]} if len(genes) > 1 else {})
        if entry not in self.fusions:
            self.fusions.append(entry)

    def _copy_number(self, obs: Json, kinds: list[Any]) -> None:
        genes = self._genes_studied(obs)
        if len(genes) != 1:
            self.warn(obs, f"copy-number change names {len(genes)} genes pgx knows, not one; "
                           "not used")  # fmt: skip
            return
        copies = next(
            (q for comp in components(obs, c.COPY_NUMBER) if (q := _quantity(comp)[0]) is not None),
            None,
        )
        words = " ".join(t.lower() for k in kinds for t in texts(k))
        if any(has_code(k, c.SO_COPY_NUMBER_GAIN, c.SEQUENCE_ONTOLOGY) for k in kinds):
            status = "amplification" if "amplif" in words else "gain"
        elif any(has_code(k, c.SO_COPY_NUMBER_LOSS, c.SEQUENCE_ONTOLOGY) for k in kinds):
            status = "deletion" if "deletion" in words or copies == 0 else "loss"
        else:  # copy_number_variation, or a copy number alone: the number decides the direction
            if copies is None or copies == 2:
                self.warn(obs, f"{genes[0]} copy-number change has no direction (gain or loss) "
                               "and no copy number other than 2; not used")  # fmt: skip
                return
            status = "gain" if copies > 2 else "deletion" if copies == 0 else "loss"
        entry: dict[str, Any] = {"gene": genes[0], "status": status}
        if copies is not None:
            entry["copies"] = copies
        self.copy_number.append(entry)

    # ---------------------------------------------------------------- expression
    def is_expression(self, obs: Json) -> bool:
        """An Observation pgx reads as tumour expression (see the module docstring)."""
        if not components(obs, c.GENE_STUDIED):
            return False
        names = " ".join(texts(obs.get("code")))
        return (
            bool(_IHC_WORDS.search(names))
            or "expression level" in names.lower()
            or _quantity(obs)[1] in _EXPRESSION_UNITS
        )

    def expression_result(self, obs: Json) -> None:
        """Read an expression Observation (`is_expression`) into ``expression[gene]``."""
        genes = self._genes_studied(obs)
        if len(genes) != 1:
            self.warn(obs, "expression result names no single gene pgx knows; not used")
            return
        gene = genes[0]
        value, unit = _quantity(obs)
        found: float | str
        named = [t.lower() for t in value_texts(obs)]
        if unit in _EXPRESSION_UNITS and value is not None:
            assay, found = _EXPRESSION_UNITS[unit], value
        elif "expression level" in " ".join(texts(obs.get("code"))).lower():
            levels = [t for t in named if t in _LEVELS]
            if not levels:
                shown = named[0] if named else "no value"
                self.warn(obs, f"{gene} expression level {shown!r} is not absent, low, normal "
                               "or high; not used")  # fmt: skip
                return
            assay, found = "level", levels[0]
        else:
            scores = [m.group(1) for t in value_texts(obs) if (m := _IHC_SCORE.search(t))]
            if not scores:
                shown = next(iter(value_texts(obs)), "no value")
                self.warn(obs, f"{gene} immunohistochemistry {shown!r} is not a score "
                               "0, 1+, 2+ or 3+; not used")  # fmt: skip
                return
            assay, found = "ihc", scores[0]
        known = self.expression.setdefault(gene, {})
        if assay in known and known[assay] != found:
            self.warn(obs, f"{gene} {assay} {found} disagrees with {known[assay]}; neither is used")
            known[assay] = None
            return
        known.setdefault(assay, found)

    # ---------------------------------------------------------------- TMB and MSI
    def tmb(self, obs: Json) -> None:
        """Tumour mutational burden, in mutations per megabase."""
        value, unit = _quantity(obs)
        if value is None or unit not in _TMB_UNITS:
            self.warn(obs, f"TMB without a value in mutations per megabase (found unit "
                           f"{unit or 'none'!r}); not used")  # fmt: skip
            return
        self._biomarker(obs, "TMB", value)

    def msi(self, obs: Json) -> None:
        """Microsatellite instability: MSI-H, MSI-L or MSS."""
        terms = [_MSI_TERMS.get(t.strip().lower()) for t in value_texts(obs)]
        found = next((t for t in terms if t is not None), None)
        if found is None:
            shown = next(iter(value_texts(obs)), "no value")
            self.warn(obs, f"MSI result {shown!r} is not MSI-H, MSI-L or stable; not used")
            return
        self._biomarker(obs, "MSI", found)

    def _biomarker(self, obs: Json, name: str, value: Any) -> None:
        if name in self.biomarkers and self.biomarkers[name] != value:
            self.warn(
                obs, f"{name} {value} disagrees with {self.biomarkers[name]}; neither is used"
            )
            self.biomarkers[name] = None
            return
        self.biomarkers.setdefault(name, value)

    # ---------------------------------------------------------------- assemble
    def tumor(self, variants: list[dict[str, Any]], sequenced: set[str]) -> dict[str, Any]:
        """The profile's ``tumor`` section (without the cancer type).

        With only sequence variants, their genes count as sequenced (another variant in the
        same gene is absent). With copy-number or fusion results too, no gene counts as
        sequenced: the profile has one list of sequenced genes for every kind of result, and
        a FHIR bundle does not say which kinds of test covered a gene, so a condition is
        true when its result is reported and unknown otherwise.
        """
        out: dict[str, Any] = {}
        structural = bool(self.copy_number or self.fusions)
        if variants:
            out["variants"] = variants
        if variants or structural:
            out["sequenced_genes"] = [] if structural else sorted(sequenced)
        if self.copy_number:
            out["copy_number"] = self.copy_number
        if self.fusions:
            out["fusions"] = self.fusions
        expression = {
            gene: {k: v for k, v in assays.items() if v is not None}
            for gene, assays in sorted(self.expression.items())
        }
        expression = {gene: assays for gene, assays in expression.items() if assays}
        if expression:
            out["expression"] = expression
        biomarkers = {k: v for k, v in sorted(self.biomarkers.items()) if v is not None}
        if biomarkers:
            out["biomarkers"] = biomarkers
        return out


def interpretation_says(obs: Json) -> bool | None:
    """POS/NEG (or detected/not detected) in ``Observation.interpretation``, if any."""
    found: set[bool] = set()
    for concept in (
        obs.get("interpretation", []) if isinstance(obs.get("interpretation"), list) else []
    ):
        for coding in codings(concept):
            if coding.get("system") == c.INTERPRETATION and coding.get("code") in ("POS", "DET"):
                found.add(True)
            if coding.get("system") == c.INTERPRETATION and coding.get("code") in ("NEG", "ND"):
                found.add(False)
    return found.pop() if len(found) == 1 else None

"""One predicate per clinical leaf kind: diagnoses, medications, prior therapies, labs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pgx.engine._facts import Facts, Observed, bounds
from pgx.model import ruleset as rs
from pgx.model.logic import Truth, all_of, any_of

__all__ = ["CLINICAL"]


def _diagnosis(facts: Facts, leaf: rs.DiagnosisLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.diagnoses is None:
        return Truth.UNKNOWN, "diagnoses not given"
    codes = [d.code.strip() for d in clinical.diagnoses if d.system == leaf.system]
    hit = any(c.upper().startswith(w.upper()) for c in codes for w in leaf.code)
    if hit:
        return Truth.TRUE, ", ".join(codes)
    others = [f"{d.code} ({d.system})" for d in clinical.diagnoses if d.system != leaf.system]
    if others:
        # a diagnosis coded in another system may be the one asked about
        facts.warnings.add(
            f"diagnoses coded in another system than {leaf.system} ({', '.join(others)}) "
            "cannot be matched: rules on them are undecided"
        )
        return Truth.UNKNOWN, ", ".join(codes + others)
    return Truth.FALSE, ", ".join(codes) or f"no {leaf.system} diagnoses"


def _drug_matches(
    facts: Facts, name: str, drugs: tuple[str, ...] | None, classes: tuple[str, ...] | None
) -> Truth:
    key = name.strip().lower()
    if drugs is not None and key in drugs:
        return Truth.TRUE
    if key not in facts.knowledge.drugs:
        # a brand name or salt pgx does not know may be exactly the drug or class asked about
        return Truth.UNKNOWN
    if drugs is not None:
        return Truth.FALSE
    return Truth.of(not facts.compiled.drug_classes[key].isdisjoint(classes or ()))


def _medication(facts: Facts, leaf: rs.MedicationLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.medications is None:
        return Truth.UNKNOWN, "medications not given"
    meds = clinical.medications
    truth = any_of(_drug_matches(facts, m, leaf.drug, leaf.class_) for m in meds)
    return truth, ", ".join(meds) or "no current medications"


def _therapy(facts: Facts, leaf: rs.TherapyLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.therapies is None:
        return Truth.UNKNOWN, "prior therapies not given"
    truths = []
    for therapy in clinical.therapies:
        drug_truth = _drug_matches(facts, therapy.drug, leaf.drug, leaf.class_)
        if leaf.outcome is None:
            truths.append(drug_truth)
        elif therapy.outcome is None:
            truths.append(all_of([drug_truth, Truth.UNKNOWN]))
        else:
            truths.append(all_of([drug_truth, Truth.of(therapy.outcome in leaf.outcome)]))
    shown = ", ".join(f"{t.drug} ({t.outcome or 'outcome unknown'})" for t in clinical.therapies)
    return any_of(truths), shown or "no prior therapies"


def _lab(facts: Facts, leaf: rs.LabLeaf) -> Observed:
    clinical = facts.profile.clinical
    if clinical is None or clinical.labs is None or leaf.name not in clinical.labs:
        return Truth.UNKNOWN, "not measured"
    lab = clinical.labs[leaf.name]
    entry = facts.knowledge.labs[leaf.name]
    unit = entry.unit(lab.unit)
    if unit is None:
        facts.warnings.add(f"lab {leaf.name} unit '{lab.unit}' is not one pgx can convert")
        return Truth.UNKNOWN, f"{lab.value:g} {lab.unit} (unknown unit)"
    # compare in the canonical unit: conversions may be affine (HbA1c mmol/mol -> %)
    value = entry.to_canonical(lab.value, unit)
    if entry.plausible is not None and not entry.plausible[0] <= value <= entry.plausible[1]:
        canonical = next(iter(entry.units))
        lowest, highest = entry.plausible
        facts.warnings.add(
            f"lab {leaf.name} {lab.value:g} {lab.unit} is not a plausible value ({value:.3g} "
            f"{canonical}; plausible {lowest:g}-{highest:g} {canonical}): is the unit right? "
            "Read as unknown"
        )
        return Truth.UNKNOWN, f"{lab.value:g} {lab.unit} (implausible for its unit)"
    low = None if leaf.at_least is None else entry.to_canonical(leaf.at_least, leaf.unit)
    high = None if leaf.at_most is None else entry.to_canonical(leaf.at_most, leaf.unit)
    return Truth.of(bounds(value, low, high)), f"{lab.value:g} {lab.unit}"


CLINICAL: Mapping[type[object], Callable[[Facts, object], Observed]] = {
    rs.DiagnosisLeaf: _diagnosis,  # type: ignore[dict-item]
    rs.MedicationLeaf: _medication,  # type: ignore[dict-item]
    rs.TherapyLeaf: _therapy,  # type: ignore[dict-item]
    rs.LabLeaf: _lab,  # type: ignore[dict-item]
}

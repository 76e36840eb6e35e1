"""CDS Hooks cards from a report (for ``order-select`` / ``order-sign`` services).

A finding becomes a card with the CDS Hooks indicator, a summary of at most 140 characters,
and Markdown detail that carries the evidence level, the facts that fired the rule, the
evidence against, and the citations. Undecided rules are not dropped: each group of rules
waiting on the same missing facts becomes one ``info`` card saying which test would decide
them. Card ids are UUIDs derived from the input and the rule, so the same report always
gives the same cards (and feedback can name the card it is about).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pgx.model.report import Finding, Indeterminate, Report, UndecidedMode
from pgx.render._relevance import group_line, summarise_undecided, undecided_sentence

__all__ = ["RULE_EXTENSION", "cards", "service_cards"]

_NAMESPACE = uuid.UUID("6f1d7f5e-2b7a-4c1e-9a55-70f3b1c2d4e8")
_MAX_SUMMARY = 140


def _short(text: str) -> str:
    return text if len(text) <= _MAX_SUMMARY else text[: _MAX_SUMMARY - 1] + "…"


def _card_id(report: Report, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{report.input_sha256}:{report.ruleset.sha256}:{key}"))


def _source(report: Report, finding: Finding | None = None) -> dict[str, Any]:
    label = f"pgx {report.pgx_version}, {report.ruleset.name} {report.ruleset.version}"
    if finding is not None:
        label += f", rule {finding.rule_id} v{finding.rule_version}"
        if finding.source:
            label += f" ({finding.source})"
    return {"label": label}


def _finding_detail(finding: Finding) -> str:
    strength = f" ({finding.evidence.strength})" if finding.evidence.strength else ""
    lines = [f"**Evidence level {finding.evidence.level}{strength}.**", ""]
    if finding.detail:
        lines += [finding.detail.strip(), ""]
    lines += ["Facts:", ""]
    lines += [f"- {t.condition}: {t.observed} ({t.truth})" for t in finding.because]
    if finding.against:
        lines += ["", "Evidence against:", ""]
        lines += [f"- {a.summary} ({', '.join(a.citations)})" for a in finding.against]
    lines += ["", "Citations: " + ", ".join(finding.citations)]
    return "\n".join(lines)


def _undecided_card(
    report: Report, missing: tuple[str, ...], group: list[Indeterminate]
) -> dict[str, Any]:
    drugs = sorted({d for i in group for d in i.drugs})
    facts = ", ".join(missing) or "facts pgx could not read"
    detail = "\n".join(
        [
            f"These rules need {facts}; missing data is never assumed normal.",
            "",
            *[f"- `{i.rule_id}` would fire if {i.would_fire_if}" for i in group],
        ]
    )
    return {
        "uuid": _card_id(report, "undecided:" + "|".join(missing)),
        "summary": _short(f"Not decidable without {facts}: {', '.join(drugs)}"),
        "indicator": "info",
        "detail": detail,
        "source": _source(report),
    }


def _uncovered_card(report: Report, drug: str) -> dict[str, Any]:
    return {
        "uuid": _card_id(report, f"uncovered:{drug}"),
        "summary": _short(f"No pgx rule covers {drug}"),
        "indicator": "info",
        "detail": (
            f"pgx has no pharmacogenomic rule about {drug}: no card is not a clean result. "
            "Check other sources (drug label, CPIC, DPWG) before relying on it."
        ),
        "source": _source(report),
    }


def _warnings_card(report: Report, warnings: tuple[str, ...]) -> dict[str, Any]:
    """The report's warnings as the first card.

    Problems with the data may change every other card (a VCF on another build, a gene or
    drug pgx does not know); a card list without them would read as a checked, clean result.
    """
    count = len(warnings)
    first = warnings[0]
    summary = (
        f"Check the patient's data: {first}"
        if count == 1
        else (f"Check the patient's data ({count} warnings): {first}")
    )
    return {
        "uuid": _card_id(report, "warnings"),
        "summary": _short(summary),
        "indicator": "warning",
        "detail": "\n".join(
            [
                "pgx found problems with the patient's data that may change these cards:",
                "",
                *(f"- {w}" for w in warnings),
            ]
        ),
        "source": _source(report),
    }


def _undecided_summary_card(report: Report) -> dict[str, Any]:
    groups = summarise_undecided(report)
    detail = "\n".join(
        [
            f"{undecided_sentence(report, groups)} Missing data is never assumed normal.",
            "",
            *[f"- {group_line(g)}" for g in groups],
        ]
    )
    return {
        "uuid": _card_id(report, "undecided"),
        "summary": _short(f"Undecided: {undecided_sentence(report, groups)}"),
        "indicator": "info",
        "detail": detail,
        "source": _source(report),
    }


def cards(report: Report, *, undecided: UndecidedMode = "summary") -> dict[str, Any]:
    """A CDS Hooks service response (``{"cards": [...]}``) for the report.

    The report's warnings come first (one ``warning`` card), then the findings, in the
    report's order (current drugs, then severity, then evidence), then a card for each
    ordered drug no rule covers, then the undecided rules:
    one card saying what would decide them (``undecided="summary"``, the default) or one
    card per group of rules that wait on the same missing facts (``"full"``).
    """
    # an ordered drug no rule covers has its own card below; the rest lead
    uncovered = {f"no pgx rule covers {drug}" for drug in report.uncovered_drugs}
    warnings = tuple(w for w in report.warnings if w not in uncovered)
    out: list[dict[str, Any]] = [_warnings_card(report, warnings)] if warnings else []
    out += [
        {
            "uuid": _card_id(report, f.rule_id),
            "summary": _short(f.summary),
            "indicator": f.indicator,
            "detail": _finding_detail(f),
            "source": _source(report, f),
        }
        for f in report.findings
    ]
    out += [_uncovered_card(report, drug) for drug in report.uncovered_drugs]
    if not report.indeterminate:
        return {"cards": out}
    if undecided == "summary":
        out.append(_undecided_summary_card(report))
        return {"cards": out}
    groups: dict[tuple[str, ...], list[Indeterminate]] = {}
    for item in report.indeterminate:
        groups.setdefault(item.missing, []).append(item)
    out += [_undecided_card(report, missing, group) for missing, group in sorted(groups.items())]
    return {"cards": out}


# ------------------------------------------------------------------ CDS Service responses
#: Card extension key carrying the rule behind a card (CDS Hooks extensions are named objects).
RULE_EXTENSION = "pgx.rule"
_OVERRIDE_SYSTEM = "urn:pgx:override-reason"
_OVERRIDE_REASONS = (
    ("not-applicable", "Genomic result not applicable to this patient"),
    ("benefit-outweighs-risk", "Benefit outweighs the risk"),
    ("already-addressed", "Already addressed (dose or drug adjusted)"),
)


def _source_kind(citations: tuple[str, ...]) -> tuple[str, str | None]:
    from pgx.render._fhir import citation_url  # noqa: PLC0415 - one place knows citation URLs

    urls = [u for c in citations if (u := citation_url(c)) is not None]
    for cite in citations:
        kind, _, text = cite.partition(":")
        if kind == "GUIDELINE":
            return text, urls[0] if urls else None
        if kind == "FDA":
            return f"FDA label: {text}", urls[0] if urls else None
    trial = next((c for c in citations if c.startswith("NCT:")), None)
    if trial is not None:
        return f"clinical trial {trial[4:]}", citation_url(trial)
    return "published evidence", urls[0] if urls else None


#: Rule-id prefixes that name the guideline a rule encodes (the bundled rules' convention).
_GUIDELINE_PREFIXES = {"cpic-": "CPIC guideline", "dpwg-": "DPWG guideline"}


def _service_source(report: Report, finding: Finding) -> dict[str, Any]:
    kind, url = _source_kind(finding.citations)
    if kind == "published evidence":
        kind = next(
            (
                name
                for prefix, name in _GUIDELINE_PREFIXES.items()
                if finding.rule_id.startswith(prefix)
            ),
            kind,
        )
    source = {"label": f"{kind}; pgx rule {finding.rule_id} v{finding.rule_version}"}
    if url is not None:
        source["url"] = url
    return source


def _links(finding: Finding) -> list[dict[str, str]]:
    from pgx.render._fhir import citation_url  # noqa: PLC0415

    return [
        {"label": cite, "url": url, "type": "absolute"}
        for cite in finding.citations
        if (url := citation_url(cite)) is not None
    ]


def _suggestions(
    report: Report,
    finding: Finding,
    orders: Mapping[str, str],
    patient: str | None,
    rxnorm: Mapping[str, str],
) -> list[dict[str, Any]]:
    named = finding.regimen.any_of or finding.regimen.all_of if finding.regimen else None
    alternatives = [d for d in named or () if d not in finding.drugs]
    if finding.action not in ("use_alternative", "avoid") or not alternatives:
        return []
    out = []
    for drug in alternatives:
        concept: dict[str, Any] = {"text": drug}
        if drug in rxnorm:
            concept = {
                "coding": [
                    {
                        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                        "code": rxnorm[drug],
                        "display": drug,
                    }
                ],
                "text": drug,
            }
        resource: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "status": "draft",
            "intent": "proposal",
            "medicationCodeableConcept": concept,
        }
        if patient is not None:
            resource["subject"] = {"reference": f"Patient/{patient}"}
        actions: list[dict[str, Any]] = [
            {"type": "create", "description": f"Order {drug}", "resource": resource}
        ]
        replaced_drugs = [d for d in finding.drugs if d in orders]
        replaced = [orders[d] for d in replaced_drugs]
        if replaced:
            actions.insert(
                0,
                {
                    "type": "delete",
                    "description": f"Cancel the {', '.join(replaced_drugs)} order",
                    "resourceId": replaced,
                },
            )
        out.append(
            {
                "label": f"Use {drug} instead",
                "uuid": _card_id(report, f"{finding.rule_id}:suggest:{drug}"),
                "actions": actions,
            }
        )
    return out


def _one_undecided_card(report: Report, warnings: tuple[str, ...] = ()) -> dict[str, Any]:
    missing = sorted({m for i in report.indeterminate for m in i.missing})
    drugs = sorted({d for i in report.indeterminate for d in i.drugs})
    facts = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4 else "")
    lines = [
        f"{len(report.indeterminate)} rule(s) about {', '.join(drugs)} cannot be decided: "
        f"pgx needs {facts or 'facts it could not read'}. Missing results are never assumed "
        "normal.",
        "",
        *[
            f"- `{i.rule_id}` v{i.rule_version} would fire if {i.would_fire_if}"
            for i in report.indeterminate[:10]
        ],
    ]
    if len(report.indeterminate) > 10:
        lines.append(f"- and {len(report.indeterminate) - 10} more")
    if warnings:
        # a result the record holds but pgx could not use (preliminary, unreadable) is why
        # a rule is undecided more often than a test never done: say which
        lines += ["", "Not used from the patient's record:", *(f"- {w}" for w in warnings[:5])]
        if len(warnings) > 5:
            lines.append(f"- and {len(warnings) - 5} more")
    return {
        "uuid": _card_id(report, "undecided"),
        "summary": _short(f"Genomic result needed to decide {', '.join(drugs)}: {facts}"),
        "indicator": "info",
        "detail": "\n".join(lines),
        "source": _source(report),
        "extension": {
            RULE_EXTENSION: [
                {"id": i.rule_id, "version": i.rule_version} for i in report.indeterminate
            ]
        },
    }


def service_cards(
    report: Report,
    *,
    orders: Mapping[str, str] | None = None,
    patient: str | None = None,
    rxnorm: Mapping[str, str] | None = None,
    normal: bool = False,
) -> dict[str, Any]:
    """A CDS Service response: one card per actionable finding, at most one for undecided rules.

    Unlike [`cards`][pgx.cds_hooks.cards], which can keep every group of undecided rules for a
    full review (``undecided="full"``), this is what a clinician sees while ordering: each
    finding's card has the indicator from its action, a ``source`` naming the guideline, label
    or trial with a link, ``links`` to every citation, ``suggestions`` to order the alternative
    drug its regimen names (replacing the order when ``orders`` maps the drug to its
    ``MedicationRequest/id``), the rule id and version in the card's ``pgx.rule`` extension, and
    override reasons. An ordered drug no rule covers gets an ``info`` card saying so. Undecided
    rules share one short ``info`` card saying which results would decide them and, when the
    report has warnings (a preliminary or unreadable result left out), what was not used; the
    warnings get no card of their own, since at the point of ordering they matter only where
    a rule is left undecided. A finding whose
    action is ``standard_dosing`` gets no card unless ``normal`` is set: at the point of ordering,
    a card that says "no change" is noise, and silence for a covered drug already means its
    genotype was read and gave no reason to act (a drug no rule covers, or undecided rules,
    still get their ``info`` card).

    Args:
        report: The report, usually evaluated for the ordered drugs only.
        orders: Drug name to the draft order (``MedicationRequest/id``) it came from.
        patient: The patient id, for the subject of suggested orders.
        rxnorm: Drug name to RxNorm code, for suggested orders.
        normal: Also give a card for each ``standard_dosing`` finding.
    """
    out: list[dict[str, Any]] = []
    for f in report.findings:
        if f.action == "standard_dosing" and not normal:
            continue
        card: dict[str, Any] = {
            "uuid": _card_id(report, f.rule_id),
            "summary": _short(f.summary),
            "indicator": f.indicator,
            "detail": _finding_detail(f),
            "source": _service_source(report, f),
            "extension": {
                RULE_EXTENSION: {
                    "id": f.rule_id,
                    "version": f.rule_version,
                    "action": f.action,
                    "evidence": f.evidence.level,
                    "ruleset": f"{report.ruleset.name} {report.ruleset.version}",
                    "ruleset_sha256": report.ruleset.sha256,
                    "pgx": report.pgx_version,
                }
            },
            "overrideReasons": [
                {"system": _OVERRIDE_SYSTEM, "code": code, "display": display}
                for code, display in _OVERRIDE_REASONS
            ],
        }
        suggestions = _suggestions(report, f, orders or {}, patient, rxnorm or {})
        if suggestions:
            card["suggestions"] = suggestions
            card["selectionBehavior"] = "at-most-one"
        links = _links(f)
        if links:
            card["links"] = links
        out.append(card)
    # an ordered drug pgx has no rule about: no card would read as "checked, nothing found"
    out += [_uncovered_card(report, drug) for drug in report.uncovered_drugs]
    if report.indeterminate:
        uncovered = {f"no pgx rule covers {drug}" for drug in report.uncovered_drugs}
        warnings = tuple(w for w in report.warnings if w not in uncovered)
        out.append(_one_undecided_card(report, warnings))
    return {"cards": out}

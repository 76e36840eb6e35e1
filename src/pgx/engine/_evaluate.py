"""Evaluating a profile against a compiled ruleset, and building its report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter, itemgetter

from pgx.engine._compile import CompiledRuleSet, compiled
from pgx.engine._facts import Facts
from pgx.engine._store import Store
from pgx.errors import InputError, Problem
from pgx.model import ruleset as rs
from pgx.model._words import did_you_mean
from pgx.model.logic import Truth
from pgx.model.profile import Profile
from pgx.model.report import (
    Conflict,
    Finding,
    Indeterminate,
    Report,
    RulesetInfo,
    Superseded,
    TraceEntry,
    order_findings,
)

__all__ = ["DEFAULT_INDICATOR", "contradicts", "evaluate_profile"]

DEFAULT_INDICATOR = {
    "avoid": "critical",
    "use_alternative": "warning",
    "reduce_dose": "warning",
    "increase_dose": "warning",
    "caution": "warning",
    "monitor": "info",
    "consider": "info",
    "standard_dosing": "info",
    "informative": "info",
}
_AGAINST_USE = frozenset({"avoid", "use_alternative"})
_FOR_USE = frozenset({"standard_dosing", "increase_dose", "reduce_dose", "consider"})
_DOSE = frozenset({"standard_dosing", "reduce_dose", "increase_dose"})
_RULE_ID = attrgetter("rule_id")
_POSITION = itemgetter(0)


def contradicts(a: str, b: str) -> bool:
    """Whether two actions on one drug contradict each other (a report's ``conflicts``).

    Advice against use (``avoid``, ``use_alternative``) contradicts advice for use (a dose
    or ``consider``), and two different dose actions contradict each other. No action
    contradicts itself.
    """
    if (a in _AGAINST_USE and b in _FOR_USE) or (b in _AGAINST_USE and a in _FOR_USE):
        return True
    return a != b and a in _DOSE and b in _DOSE


def _finding(rule: rs.Rule, trace: tuple[TraceEntry, ...], current: frozenset[str]) -> Finding:
    then = rule.then
    return Finding(
        rule_id=rule.id,
        rule_version=rule.version,
        action=then.action,
        indicator=then.indicator or DEFAULT_INDICATOR[then.action],  # type: ignore[arg-type]
        drugs=rule.drugs,
        summary=then.summary,
        evidence=then.evidence,
        citations=then.citations,
        because=trace,
        title=rule.title,
        regimen=then.regimen,
        detail=then.detail,
        against=then.against,
        source=rule.source,
        current=not current.isdisjoint(rule.drugs),
    )


def _timestamp(now: datetime | str | None) -> str:
    """ISO-8601 with an offset; a time given without one is taken as UTC."""
    if now is None:
        when = datetime.now(UTC).replace(microsecond=0)
    elif isinstance(now, datetime):
        when = now
    elif isinstance(now, str):
        try:
            when = datetime.fromisoformat(now)
        except ValueError:
            raise InputError(
                [Problem("now", f"expected an ISO-8601 date-time, found {now!r}")]
            ) from None
    else:
        raise InputError(
            [Problem("now", f"expected a datetime or an ISO-8601 string, found {now!r}")]
        )
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.isoformat()


def evaluate_profile(
    profile: Profile,
    ruleset: rs.RuleSet,
    *,
    drugs: Iterable[str] | None = None,
    now: datetime | str | None = None,
    version: str,
    input_sha256: str,
) -> Report:
    """Evaluate every active rule (or those about ``drugs``) and build the report.

    ``input_sha256`` is the hash of the profile as loaded (``pgx.io.profile_sha256``): it is
    provenance of the input, computed where the input is read.
    """
    rules = compiled(ruleset)
    generated_at = _timestamp(now)
    requested: tuple[str, ...] | None = None
    uncovered: tuple[str, ...] = ()
    if drugs is not None:
        requested = tuple(sorted({d.strip().lower() for d in drugs}))
        known = ruleset.knowledge.drugs
        unknown = [d for d in requested if d not in known]
        if unknown:
            raise InputError(
                Problem(
                    f"drugs[{i}]",
                    f"unknown drug '{d}' (not in the drug table){did_you_mean(d, known)}",
                )
                for i, d in enumerate(unknown)
            )
        # a drug pgx knows but no rule is about: "nothing fired" would read as a clean result
        uncovered = tuple(d for d in requested if not rules.by_drug.get(d))
        positions: Sequence[int] = sorted({i for d in requested for i in rules.by_drug.get(d, ())})
        leaves: Sequence[int] = sorted({n for i in positions for n in rules.active_leaves[i]})
    else:
        positions = range(len(rules.active))
        leaves = rules.every_active_leaf
    current = _current_drugs(profile, requested)

    facts = rules.facts(profile)
    # each leaf once, then each rule by its leaves' observations: a pattern seen before (in
    # this or any earlier profile) is a look-up, and only a new one walks the condition
    store = rules.current_store()
    codes = rules.observe(facts, leaves, store)
    fired, undecided = _judge(rules, facts, codes, store, None if requested is None else positions)
    hidden = {sid: rule.id for rule, _ in fired for sid in rule.supersedes}
    findings = [_finding(rule, trace, current) for rule, trace in fired if rule.id not in hidden]
    indeterminate = [i for i in undecided if i.rule_id not in hidden]
    shown = {r.id for r, _ in fired} | {i.rule_id for i in undecided}  # once, not per rule
    superseded = sorted(
        (Superseded(rid, by) for rid, by in hidden.items() if rid in shown),
        key=lambda s: (s.rule_id, s.superseded_by),
    )
    return Report(
        profile_id=profile.id,
        generated_at=generated_at,
        pgx_version=version,
        ruleset=RulesetInfo(
            ruleset.name, ruleset.version, ruleset.sha256, ruleset.knowledge.data_versions()
        ),
        input_sha256=input_sha256,
        phenotypes=dict(sorted(facts.phenotypes.items())),
        findings=order_findings(findings),
        indeterminate=tuple(sorted(indeterminate, key=_RULE_ID)),
        conflicts=_conflicts(findings),
        superseded=tuple(superseded),
        warnings=_warnings(facts.warnings, profile, uncovered),
        drugs=requested,
        has_tumor=profile.tumor is not None,
        uncovered_drugs=uncovered,
    )


def _judge(
    rules: CompiledRuleSet,
    facts: Facts,
    codes: list[int],
    store: Store,
    positions: Sequence[int] | None,
) -> tuple[list[tuple[rs.Rule, tuple[TraceEntry, ...]]], list[Indeterminate]]:
    """The firing rules (ruleset order) with their traces, and the undecided rules' entries.

    ``positions``: the candidate rules (active positions), or ``None`` for every active rule.
    """
    fired: list[tuple[rs.Rule, tuple[TraceEntry, ...]]] = []
    undecided: list[Indeterminate] = []
    if positions is None:
        # every active rule: one look-up per group of rules reading the same leaves
        found: list[tuple[int, rs.Rule, tuple[TraceEntry, ...]]] = []
        groups = store.groups
        for g, key_of_group in enumerate(rules.group_key_of):
            key = key_of_group(codes)
            entry = groups[g].get(key)
            if entry is None:
                entry = rules.decide_group(g, key, facts, store)
            if entry[0]:
                found.extend(entry[0])
            if entry[1]:
                undecided.extend(entry[1])
        found.sort(key=_POSITION)  # ruleset order: the later of two supersedes wins
        fired = [(rule, trace) for _, rule, trace in found]
    else:
        active, key_of, tables = rules.active, rules.key_of, store.rules
        for i in positions:
            key = key_of[i](codes)
            rule_entry = tables[i].get(key)
            if rule_entry is None:
                rule_entry = rules.decide(i, key, facts, store)
            truth, payload = rule_entry
            if truth is Truth.TRUE:
                fired.append((active[i][0], payload))
            elif truth is Truth.UNKNOWN:
                undecided.append(payload)

    return fired, undecided


def _current_drugs(profile: Profile, requested: tuple[str, ...] | None) -> frozenset[str]:
    """The drugs the patient takes and the drugs being ordered."""
    taking = profile.clinical.medications if profile.clinical is not None else None
    return frozenset(d.strip().lower() for d in (*(taking or ()), *(requested or ())))


def _warnings(found: set[str], profile: Profile, uncovered: tuple[str, ...]) -> tuple[str, ...]:
    """The report's warnings, the most important first.

    Drugs no rule covers, then problems with the input files (a VCF with no pharmacogene
    position) in the order found, then the rest in a stable order.
    """
    first = [f"no pgx rule covers {drug}" for drug in uncovered]
    first += [w for w in profile.warnings if w in found]
    rest = sorted(found - set(first))
    return tuple(dict.fromkeys([*first, *rest]))


def _conflicts(findings: list[Finding]) -> tuple[Conflict, ...]:
    by_drug: dict[str, list[Finding]] = {}
    for finding in findings:
        for drug in finding.drugs:
            by_drug.setdefault(drug, []).append(finding)
    out = []
    for drug, group in sorted(by_drug.items()):
        # against the few distinct (source, action) pairs, not every other finding: pairs
        # were quadratic (8 000 findings on one drug took seconds); no action contradicts
        # itself, and two guideline bodies disagreeing is information, not an error
        kinds = {(f.source, f.action) for f in group}
        against = {
            (src, act): any(contradicts(act, b) for other, b in kinds if other == src)
            for src, act in kinds
        }
        clashing = {f.rule_id: f.action for f in group if against[(f.source, f.action)]}
        if clashing:
            ids = tuple(sorted(clashing))
            out.append(Conflict(drug, ids, tuple(clashing[i] for i in ids)))
    return tuple(out)

"""Rules for one drug from CPIC's genotype table: activity scores and two-gene combinations.

Used by ``scripts/cpic_drug_rules.py`` for the guidelines its wording file marks
``table: true`` (tricyclic antidepressants, the 2023 antidepressant guideline, opioids,
antiemetics, NSAIDs, proton pump inhibitors). Such a guideline keys rows by activity score
(CYP2D6, CYP2C9) and may cross two genes (CYP2D6 x CYP2C19 for the tertiary tricyclics).

Every row of a drug falls in one cell: both genes known, or one known and the other "No Result"
(not tested). The rules are one per (wording entry, CPIC grade, cell kind):

- *both*: rows where every gene is known; they cover the drug's whole known table, so one of
  them fires whenever both genes are known, and each supersedes every single-gene rule.
- *single-gene*: rows where the other gene was not tested. An actionable result in the known
  gene still fires; a usual-dose row is not encoded, because pgx never reads an untested gene
  as normal (a principle departure in tests/data/cpic/departures.yaml).

A score set that fills a phenotype's band (``rules/knowledge/phenotypes/<GENE>.yaml``, the scores
the drug's table lists in it) becomes that phenotype, so a reported phenotype decides the rule;
part of a band becomes an activity-score range. "Indeterminate" and "n/a" rows are not encoded
(pgx reads an indeterminate result as unknown), nor are ungraded rows (CPIC makes no
recommendation).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

GRADE = {"Strong": "strong", "Moderate": "moderate", "Optional": "optional"}
#: CPIC's classification of a row that explains why no recommendation is made (kept as a rule
#: without strength, so every phenotype gets a finding); a bare "No recommendation" is dropped.
UNGRADED = "No Recommendation"
_BARE_NO_RECOMMENDATION = re.compile(r"No recommendation\.?$")
SKIPPED = {"Indeterminate", "n/a"}
UNTESTED = "No Result"
_NUMBER = re.compile(r"≥?(\d+(?:\.\d+)?)")

Cell = tuple[str | None, ...]  # one value per gene; None: not tested


class TableError(Exception):
    """The export's table is not what the wording file expects."""


def bands(rules_dir: Path, gene: str) -> list[tuple[float, float | None, str]]:
    """(at_least, at_most, phenotype) of the gene's activity-score phenotypes."""
    path = rules_dir / "knowledge" / "phenotypes" / f"{gene}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    table = data["gene_phenotypes"][gene]
    return [(b["at_least"], b.get("at_most"), b["phenotype"]) for b in table["phenotypes"]]


def _score(value: str) -> float:
    match = _NUMBER.fullmatch(value)
    if match is None:
        raise TableError(f"{value!r} is not an activity score")
    return float(match.group(1))


def _band(value: str, gene_bands: Sequence[tuple[float, float | None, str]]) -> str:
    score = _score(value)
    for low, high, phenotype in gene_bands:
        if score >= low and (high is None or score <= high):
            return phenotype
    raise TableError(f"activity score {value} is in no phenotype band")


def _number(value: float) -> float | int:
    return int(value) if value == int(value) else value


def gene_condition(
    gene: str,
    values: set[str],
    listed: set[str],
    gene_bands: Sequence[tuple[float, float | None, str]] | None,
) -> dict[str, Any]:
    """The condition that one gene has one of ``values`` (``listed``: every value of the table)."""
    if gene_bands is None:
        return {"phenotype": {"gene": gene, "in": sorted(values)}}
    phenotypes: list[str] = []
    ranges: list[dict[str, Any]] = []
    for _, _, phenotype in gene_bands:
        band = {v for v in listed if _band(v, gene_bands) == phenotype}
        part = values & band
        if not part:
            continue
        if part == band:
            phenotypes.append(phenotype)
            continue
        low, high = min(map(_score, part)), max(map(_score, part))
        if any(low <= _score(v) <= high for v in band - part) or any("≥" in v for v in part):
            raise TableError(f"{gene} scores {sorted(part)} are not one range of {phenotype}")
        ranges.append(
            {"activity_score": {"gene": gene, "at_least": _number(low), "at_most": _number(high)}}
        )
    parts = ([{"phenotype": {"gene": gene, "in": phenotypes}}] if phenotypes else []) + ranges
    return parts[0] if len(parts) == 1 else {"any": parts}


def cells_condition(
    genes: Sequence[str],
    cells: set[Cell],
    listed: Mapping[str, set[str]],
    score_bands: Mapping[str, Sequence[tuple[float, float | None, str]]],
) -> dict[str, Any]:
    """A condition true exactly for the given cells (genes not tested in a cell are not read)."""
    known = [i for i, v in enumerate(next(iter(cells))) if v is not None]
    if len(known) == 1:
        (i,) = known
        gene = genes[i]
        return gene_condition(
            gene, {c[i] for c in cells if c[i]}, listed[gene], score_bands.get(gene)
        )
    first, second = genes
    by_second: dict[str, set[str]] = {}
    for a, b in cells:
        if a is None or b is None:
            raise TableError("a two-gene condition needs both genes in every cell")
        by_second.setdefault(b, set()).add(a)
    grouped: dict[frozenset[str], set[str]] = {}
    for b, firsts in by_second.items():
        grouped.setdefault(frozenset(firsts), set()).add(b)
    parts = [
        {
            "all": [
                gene_condition(first, set(firsts), listed[first], score_bands.get(first)),
                gene_condition(second, seconds, listed[second], score_bands.get(second)),
            ]
        }
        for firsts, seconds in grouped.items()
    ]
    parts.sort(key=repr)
    return parts[0] if len(parts) == 1 else {"any": parts}


def example_profile(
    genes: Sequence[str], cell: Cell, score_genes: Mapping[str, Any]
) -> dict[str, Any]:
    """A profile a lab would send for one cell (a reported score or phenotype per gene)."""
    germline: dict[str, Any] = {}
    for gene, value in zip(genes, cell, strict=True):
        if value is None:
            continue
        if gene in score_genes:
            germline[gene] = {"activity_score": _number(_score(value))}
        else:
            germline[gene] = {"phenotype": value}
    return {"germline": germline}


def cells_of(
    genes: Sequence[str], rows: Sequence[tuple[Mapping[str, str], str, str]]
) -> list[tuple[Cell, str, str]]:
    """(cell, classification, text) of the rows pgx can encode."""
    out: list[tuple[Cell, str, str]] = []
    for lookup, classification, text in rows:
        values = [lookup.get(g, UNTESTED) for g in genes]
        if set(lookup) - set(genes):
            raise TableError(f"row for {sorted(lookup)} names a gene the guideline does not list")
        if any(v in SKIPPED for v in values) or all(v == UNTESTED for v in values):
            continue
        if classification not in GRADE and (
            classification != UNGRADED or _BARE_NO_RECOMMENDATION.match(text)
        ):
            if len(genes) > 1 and UNTESTED not in values:
                # no combined rule would fire there, so the single-gene advice would show
                raise TableError(f"{lookup}: both genes known but no recommendation to encode")
            continue  # CPIC makes no recommendation and says nothing more: no rule
        out.append((tuple(None if v == UNTESTED else v for v in values), classification, text))
    return out


def _describe(genes: Sequence[str], cells: set[Cell], score_genes: Mapping[str, Any]) -> str:
    """CPIC's genotype groups of a rule, as text for its detail."""
    by_rest: dict[tuple[str | None, ...], set[str]] = {}
    for cell in cells:
        first, *rest = cell
        by_rest.setdefault(tuple(rest), set()).add(first or UNTESTED)
    lines = []
    for rest, firsts in sorted(by_rest.items(), key=repr):
        if firsts == {UNTESTED}:
            what = f"{genes[0]} not tested"
        else:
            scored = genes[0] in score_genes
            order = sorted(firsts, key=lambda v: (_score(v) if scored else 0.0, v))
            what = f"{genes[0]} {'activity score ' if scored else ''}{', '.join(order)}"
        for gene, value in zip(genes[1:], rest, strict=True):
            scored = gene in score_genes and value is not None
            what += f" with {gene} {'activity score ' if scored else ''}{value or 'not tested'}"
        lines.append(what)
    return "; ".join(lines)


def rule_specs(
    genes: Sequence[str],
    rows: Sequence[tuple[Mapping[str, str], str, str]],
    words_for: Any,
    score_bands: Mapping[str, Sequence[tuple[float, float | None, str]]],
) -> list[dict[str, Any]]:
    """One spec per rule: key, kind, strength, when, tests, supersedes, words, groups text.

    ``words_for(text)`` returns the wording entry (with ``key`` and ``action``) for a CPIC text.
    """
    cells = cells_of(genes, rows)
    listed = {
        g: {v for c, _, _ in cells for gene, v in zip(genes, c, strict=True) if gene == g and v}
        for g in genes
    }
    specs: dict[tuple[str, str, str], dict[str, Any]] = {}
    for cell, classification, text in cells:
        words = words_for(text)
        known = [g for g, v in zip(genes, cell, strict=True) if v is not None]
        kind = "both" if len(known) == len(genes) else known[0]
        if kind != "both" and words["action"] == "standard_dosing":
            continue  # a usual dose needs every gene known (pgx's missing-data principle)
        spec = specs.setdefault(
            (words["key"], kind, classification),
            {"words": words, "kind": kind, "strength": GRADE.get(classification), "cells": set()},
        )
        spec["cells"].add(cell)
    grades: dict[tuple[str, str], int] = {}
    for key, kind, _ in specs:
        grades[(key, kind)] = grades.get((key, kind), 0) + 1
    for (key, kind, _), spec in specs.items():
        suffix = "" if kind == "both" or len(genes) == 1 else f"-{kind.lower()}-only"
        if grades[(key, kind)] > 1:
            suffix += f"-{spec['strength'] or 'ungraded'}"
        spec["key"] = key + suffix
    single = sorted(s["key"] for s in specs.values() if s["kind"] != "both")
    out = []
    for spec in sorted(specs.values(), key=lambda s: s["key"]):
        own: set[Cell] = spec["cells"]
        spec["when"] = cells_condition(genes, own, listed, score_bands)
        spec["groups"] = _describe(genes, own, score_bands)
        spec["supersedes"] = single if spec["kind"] == "both" and len(genes) > 1 else []
        spec["tests"] = _tests(genes, spec, cells, listed, score_bands)
        out.append(spec)
    return out


def _tests(
    genes: Sequence[str],
    spec: Mapping[str, Any],
    cells: Sequence[tuple[Cell, str, str]],
    listed: Mapping[str, set[str]],
    score_bands: Mapping[str, Any],
) -> list[dict[str, Any]]:
    own: set[Cell] = spec["cells"]
    same_kind = sorted(
        {c for c, _, _ in cells if (None in c) == (spec["kind"] != "both")} - own,
        key=repr,
    )
    if spec["kind"] != "both":
        i = genes.index(spec["kind"])
        values = {c[i] for c in own}
        other_values = sorted(listed[spec["kind"]] - values, key=repr)
        others: list[Cell] = [
            tuple(v if j == i else None for j in range(len(genes))) for v in other_values
        ]
    else:
        others = same_kind
    tests: list[dict[str, Any]] = []
    for cell in sorted(own, key=repr)[:3]:
        tests.append(
            {
                "name": f"fires for {_cell_text(genes, cell)}",
                "profile": example_profile(genes, cell, score_bands),
                "expect": "fires",
            }
        )
    for cell in others[:2]:
        tests.append(
            {
                "name": f"does not fire for {_cell_text(genes, cell)}",
                "profile": example_profile(genes, cell, score_bands),
                "expect": "does_not_fire",
            }
        )
    if spec["kind"] == "both":
        cell = sorted(own, key=repr)[0]
        for missing in genes:
            partial = tuple(None if g == missing else v for g, v in zip(genes, cell, strict=True))
            tests.append(
                {
                    "name": f"indeterminate when {missing} was not tested",
                    "profile": example_profile(genes, partial, score_bands),
                    "expect": "indeterminate",
                }
            )
    else:
        tests.append(
            {
                "name": f"indeterminate when {spec['kind']} was not tested",
                "profile": {"germline": {}},
                "expect": "indeterminate",
            }
        )
    return tests


def _cell_text(genes: Sequence[str], cell: Cell) -> str:
    return ", ".join(f"{g} {v}" for g, v in zip(genes, cell, strict=True) if v is not None)


def label(when: Mapping[str, Any]) -> str | None:
    """A condition as text ("CYP2D6 Poor Metabolizer"); None when it would not read as one."""
    if "phenotype" in when:
        leaf = when["phenotype"]
        return f"{leaf['gene']} {' or '.join(leaf['in'])}"
    if "activity_score" in when:
        leaf = when["activity_score"]
        low, high = leaf["at_least"], leaf["at_most"]
        return f"{leaf['gene']} activity score {low if low == high else f'{low}-{high}'}"
    if "any" in when:
        parts = [label(p) for p in when["any"]]
        genes = {p.split(" ", 1)[0] for p in parts if p}
        if None in parts or len(genes) != 1 or any(" with " in p for p in parts if p):
            return None
        (gene,) = genes
        return f"{gene} " + " or ".join(p.split(" ", 1)[1] for p in parts if p)
    if "all" in when:
        labels = [label(p) for p in when["all"]]
        return None if None in labels else " with ".join(p for p in labels if p)
    return None

"""PharmCAT-style outside-call files: a lab's calls for genes pgx does not call itself.

Tab-separated, ``#`` comments, up to four columns: gene, diplotype (or a single allele for a
mitochondrial gene), phenotype (or ``*57:01 positive``/``negative`` for HLA), activity score.
A bad line is an error for its gene only: the gene gets no result and a warning naming the
line, and every other gene still loads.
"""

from __future__ import annotations

import math
import os
import re

from attrs import evolve

from pgx.errors import Problem, ProfileError
from pgx.inputs._symbols import unknown_gene
from pgx.inputs._text import bad, lines
from pgx.model.diplotype import hla_allele, one_copy_possible, parse_diplotype
from pgx.model.knowledge import Knowledge
from pgx.model.profile import GeneCall, GeneResult

__all__ = ["NO_CALL", "read_outside_calls", "read_outside_calls_checked"]

#: Values that say "this gene was not called" (case-insensitive).
NO_CALL = frozenset({".", "./.", "na", "n/a", "no call", "nocall", "not called", "-"})
_CARRIAGE = re.compile(r"^(?P<allele>\*\S+)\s+(?P<status>positive|negative)$", re.IGNORECASE)
# PharmCAT accepts these abbreviations; CPIC renamed "extensive" to "normal" metabolizer.
_ABBREVIATIONS = {
    "PM": "Poor Metabolizer",
    "IM": "Intermediate Metabolizer",
    "NM": "Normal Metabolizer",
    "EM": "Normal Metabolizer",
    "RM": "Rapid Metabolizer",
    "UM": "Ultrarapid Metabolizer",
}


class _BadLine(ValueError):
    """A line that cannot be read; its gene gets no result."""


def _strip_prefix(text: str, gene: str) -> str:
    # "CYP2D6*1/CYP2D6*4" and "HLA-B*57:01" name the gene before every allele
    return re.sub(re.escape(gene) + r"(?=\*)", "", text)


def _term(gene: str, term: str, knowledge: Knowledge | None) -> str:
    """The phenotype term as the gene's table spells it.

    A term the table cannot produce is a bad line: kept, it could never match a rule, and
    next to a diplotype it would read as a conflict rather than as an unreadable call.
    """
    terms = knowledge.phenotype_terms(gene) if knowledge is not None else frozenset()
    if not terms or term in terms:
        return term
    match = next((t for t in terms if t.casefold() == term.casefold()), None)
    if match is not None:
        return match
    known = ", ".join(sorted(t for t in terms if t != "Indeterminate"))
    raise _BadLine(f"unknown {gene} phenotype {term!r} (known: {known})")


def _parse(gene: str, cols: list[str], knowledge: Knowledge | None = None) -> GeneResult | None:
    """The line's result; ``None`` for an explicit no-call."""
    diplotype, phenotype, score = (c.strip() for c in [*cols, "", "", ""][:3])
    given = [c for c in (diplotype, phenotype, score) if c]
    if not given:
        raise _BadLine("no diplotype, phenotype or activity score")
    if all(c.lower() in NO_CALL for c in given):
        return None
    alleles: tuple[str, ...] | None = None
    dip: str | None = None
    if diplotype and diplotype.lower() not in NO_CALL:
        text = _strip_prefix(diplotype, gene)
        if gene.startswith("HLA-"):
            halves = [h.strip() for h in text.split("/")]
            if len(halves) != 2 or not all(halves):
                raise _BadLine(f"expected two HLA alleles such as '*57:01/*08:01', found {text!r}")
            alleles = (halves[0], halves[1])
            for allele in alleles:
                if hla_allele(gene, allele) is None:
                    # old nomenclature or another gene's allele: never a typing without *57:01
                    raise _BadLine(
                        f"expected an HLA allele of {gene} such as '*57:01', found {allele!r}"
                    )
        elif parse_diplotype(text) is None and not (one_copy_possible(gene) and "/" not in text):
            raise _BadLine(f"expected a diplotype such as '*1/*4', found {diplotype!r}")
        else:
            dip = text
    carriers: dict[str, bool] | None = None
    term: str | None = None
    if phenotype and phenotype.lower() not in NO_CALL:
        parts = [p.strip() for p in re.split(r"[;,]", phenotype) if p.strip()]
        matches = [_CARRIAGE.match(_strip_prefix(p, gene)) for p in parts]
        if all(matches):
            carriers = {
                m["allele"]: m["status"].lower() == "positive" for m in matches if m is not None
            }
            for allele in carriers:
                if hla_allele(gene, allele) is None:
                    raise _BadLine(
                        f"expected an allele of {gene} such as '*57:01', found {allele!r}"
                    )
        elif any(matches):
            raise _BadLine(f"mixes allele carriage with a phenotype: {phenotype!r}")
        elif gene.startswith("HLA-"):
            raise _BadLine(f"expected HLA carriage such as '*57:01 positive', found {phenotype!r}")
        else:
            term = _term(gene, _ABBREVIATIONS.get(phenotype.upper(), phenotype), knowledge)
    activity: float | None = None
    if score and score.lower() not in NO_CALL:
        try:
            activity = float(score)
        except ValueError:
            raise _BadLine(f"activity score is not a number: {score!r}") from None
        if not math.isfinite(activity):
            raise _BadLine(f"activity score is not a finite number: {score!r}")
        if not 0 <= activity < 100:
            raise _BadLine(f"activity score out of range: {score!r}")
    return GeneResult(
        diplotype=dip, alleles=alleles, phenotype=term, activity_score=activity, carriers=carriers
    )


def read_outside_calls(path: str | os.PathLike[str]) -> dict[str, GeneResult]:
    """Read an outside-call TSV into gene results (each with its `GeneCall`).

    Raises:
        ProfileError: for a file that cannot be read, or a line naming no gene. A line
            that names a gene but cannot be read is not raised: that gene gets no result
            and a warning with the line number.
    """
    return read_outside_calls_checked(path)[0]


def read_outside_calls_checked(
    path: str | os.PathLike[str], knowledge: Knowledge | None = None, *, strict: bool = False
) -> tuple[dict[str, GeneResult], tuple[str, ...]]:
    """`read_outside_calls`, checking genes and phenotype terms against ``knowledge``.

    A line whose gene is not in the gene table (``cyp2d6``, ``CYP2C91``) is left out with a
    warning; a phenotype the gene's table does not have is a bad line for its gene. A file
    without calls is a warning. With ``strict`` every such line is an error instead (a
    pipeline that would rather stop than report without a call it was given).

    Returns:
        The gene results, and the warnings that concern no known gene (file and line).

    Raises:
        ProfileError: as `read_outside_calls`; with ``strict``, also every line that would
            have been a warning, each with its file and line.
    """
    source = str(path)
    strict_problems: list[Problem] = []
    warnings: list[str] = []
    out: dict[str, GeneResult] = {}
    first_line: dict[str, int] = {}
    for number, text in lines(path):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        cols = text.split("\t")
        gene = cols[0].strip()
        if not gene or " " in gene:
            raise bad(source, number, f"expected a gene symbol in the first column, found {gene!r}")
        where = f"{source}:{number}"
        problem = unknown_gene(gene, None if knowledge is None else knowledge.genes)
        if problem is not None:
            # not taken for the gene it may mean: a lab's call must name its gene exactly
            warnings.append(f"{where}: outside call not used: {problem}")
            strict_problems.append(
                Problem("$", f"outside call not used: {problem}", source, number)
            )
            continue
        call = GeneCall(source="outside_call", file=source)
        try:
            if gene in first_line:
                raise _BadLine(f"{gene} given twice (lines {first_line[gene]} and {number})")
            first_line[gene] = number
            if len(cols) > 4 and any(c.strip() for c in cols[4:]):
                raise _BadLine(f"{len(cols)} columns; expected at most 4")
            parsed = _parse(gene, cols[1:], knowledge)
        except _BadLine as exc:
            strict_problems.append(
                Problem("$", f"outside call for {gene} not used: {exc}", source, number)
            )
            out[gene] = GeneResult(
                call=GeneCall(
                    source="outside_call",
                    file=source,
                    warnings=(f"{where}: outside call for {gene} not used: {exc}",),
                )
            )
            continue
        if parsed is None:
            out[gene] = GeneResult(
                call=GeneCall(
                    source="outside_call",
                    file=source,
                    notes=(f"{gene} reported as not called ({where})",),
                )
            )
        else:
            out[gene] = evolve(parsed, call=call)
    if not first_line and not warnings:
        warnings.append(
            f"{source}: no calls in file (only comments or blank lines): no outside call was used"
        )
    if strict and strict_problems:
        raise ProfileError(strict_problems)
    return out, tuple(warnings)

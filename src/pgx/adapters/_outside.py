"""PharmCAT-style outside-call files: a lab's calls for genes pgx does not call itself.

Tab-separated, ``#`` comments, up to four columns: gene, diplotype (or a single allele for a
mitochondrial gene), phenotype (or ``*57:01 positive``/``negative`` for HLA), activity score.
A bad line is an error for its gene only: the gene gets no result and a warning naming the
line, and every other gene still loads.
"""

from __future__ import annotations

import os
import re

from attrs import evolve

from pgx.adapters._text import bad, lines
from pgx.phenotype import parse_diplotype
from pgx.profile import GeneCall, GeneResult

__all__ = ["NO_CALL", "read_outside_calls"]

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


def _parse(gene: str, cols: list[str]) -> GeneResult | None:
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
        if "/" not in text and gene.startswith("MT-"):  # mitochondrial: one allele
            alleles = (text,)
        elif gene.startswith("HLA-"):
            halves = [h.strip() for h in text.split("/")]
            if len(halves) != 2 or not all(halves):
                raise _BadLine(f"expected two HLA alleles such as '*57:01/*08:01', found {text!r}")
            alleles = (halves[0], halves[1])
        elif parse_diplotype(text) is None:
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
        elif any(matches):
            raise _BadLine(f"mixes allele carriage with a phenotype: {phenotype!r}")
        else:
            term = _ABBREVIATIONS.get(phenotype.upper(), phenotype)
    activity: float | None = None
    if score and score.lower() not in NO_CALL:
        try:
            activity = float(score)
        except ValueError:
            raise _BadLine(f"activity score is not a number: {score!r}") from None
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
    source = str(path)
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
        call = GeneCall(source="outside_call", file=source)
        try:
            if gene in first_line:
                raise _BadLine(f"{gene} given twice (lines {first_line[gene]} and {number})")
            first_line[gene] = number
            if len(cols) > 4 and any(c.strip() for c in cols[4:]):
                raise _BadLine(f"{len(cols)} columns; expected at most 4")
            parsed = _parse(gene, cols[1:])
        except _BadLine as exc:
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
    return out

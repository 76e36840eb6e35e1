"""Diplotype notation (``*36+*10/*4x2``): a pure parser shared by loading, inputs and engine."""

from __future__ import annotations

import re
from collections.abc import Collection

from attrs import frozen

from pgx.model.profile import HLA_ALLELE

__all__ = [
    "AT_LEAST_3",
    "MAX_COPIES",
    "UNKNOWN_COPIES",
    "Haplotype",
    "allele_names",
    "one_copy_possible",
    "parse_diplotype",
]

_TANDEM = re.compile(r"\+(?=\*)")
_COPIES = re.compile(r"^(?P<name>.+?)x(?P<n>\d+|N|≥3|>=3)$")
#: Most copies of one allele a diplotype may state: more is no result of a real test, and
#: an integer of hundreds of digits cannot become an activity score.
MAX_COPIES = 20
#: Copy number of ``xN`` (unknown) and of ``x≥3`` (three or more, as CPIC bins it).
UNKNOWN_COPIES, AT_LEAST_3 = -1, -3


@frozen
class Haplotype:
    """One chromosome's alleles: tandem parts with copy numbers (-1: ``xN``, -3: ``x≥3``)."""

    parts: tuple[tuple[str, int], ...]


def parse_diplotype(text: str, known: Collection[str] = ()) -> tuple[Haplotype, Haplotype] | None:
    """Split ``*36+*10/*4x2`` into two haplotypes; ``None`` if it is not a diplotype.

    A haplotype whose whole text is a ``known`` allele name (CPIC names some, such as
    UGT1A1 ``*80+*28``) is kept whole rather than split into tandem parts.
    """
    halves = text.strip().split("/")
    if len(halves) != 2 or not all(h.strip() for h in halves):
        return None
    out: list[Haplotype] = []
    for half in halves:
        if half.strip() in known:
            out.append(Haplotype(((half.strip(), 1),)))
            continue
        parts: list[tuple[str, int]] = []
        for part in _TANDEM.split(half.strip()):
            match = _COPIES.match(part)
            if match and match["name"].startswith("*"):
                n = match["n"]
                copies = {"N": UNKNOWN_COPIES, "≥3": AT_LEAST_3, ">=3": AT_LEAST_3}.get(n)
                if copies is None and not (
                    n.isascii() and len(n) <= 3 and 0 < int(n) <= MAX_COPIES
                ):
                    # "x0" is no notation of CPIC's (a deletion is *5); past MAX_COPIES, or in
                    # another script's digits, it is no copy number
                    return None
                parts.append((match["name"], int(n) if copies is None else copies))
            else:
                parts.append((part, 1))
        out.append(Haplotype(tuple(parts)))
    return out[0], out[1]


def allele_names(text: str) -> tuple[str, ...] | None:
    """Every allele named in a diplotype (tandem parts included, copies dropped)."""
    parsed = parse_diplotype(text)
    if parsed is None:
        return None
    return tuple(name for hap in parsed for name, _ in hap.parts)


def hla_allele(gene: str, allele: str) -> str | None:
    """``allele`` of HLA ``gene`` without its gene prefix; ``None`` if it is not one.

    ``HLA-B*57:01``, ``B*57:01`` and ``*57:01`` are ``*57:01`` of HLA-B; ``HLA-A*57:01``,
    ``*5701`` (old nomenclature) and ``*57`` (a serological group) are not alleles of HLA-B.
    """
    text = allele.strip()
    if not HLA_ALLELE.match(text):
        return None
    prefix, _, rest = text.partition("*")
    canonical = gene.strip().upper()
    if prefix not in ("", canonical, canonical.removeprefix("HLA-")):
        return None
    return "*" + rest


def hla_typing(gene: str, text: str) -> tuple[str, str] | None:
    """The two alleles of an HLA typing written as a diplotype (``HLA-B*57:01/*08:01``).

    ``None`` unless both halves are alleles of ``gene`` (see `hla_allele`): an unreadable
    typing must stay unknown, never read as carrying no allele of interest.
    """
    halves = text.split("/")
    if len(halves) != 2:
        return None
    first, second = (hla_allele(gene, half) for half in halves)
    if first is None or second is None:
        return None
    return first, second


def is_hla(gene: str) -> bool:
    """Whether ``gene`` names an HLA gene, in any case (``HLA-B``, ``hla-b``)."""
    return gene.strip().upper().startswith("HLA-")


# X-linked genes pgx phenotypes: one allele in people with one X chromosome (hemizygous).
_X_LINKED = frozenset({"G6PD"})


def one_copy_possible(gene: str) -> bool:
    """Whether a gene's result may be one allele rather than a pair.

    Mitochondrial genes (``MT-RNR1``) have one sequence per cell as far as CPIC calls them,
    and X-linked genes (G6PD) one allele in people with one X chromosome.
    """
    return gene.startswith("MT-") or gene in _X_LINKED

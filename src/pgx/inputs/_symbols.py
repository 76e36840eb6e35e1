"""Gene symbols in input files, checked against pgx's gene table."""

from __future__ import annotations

from collections.abc import Collection, Sequence

__all__ = ["symbol_warnings", "unknown_gene"]


def unknown_gene(symbol: str, genes: Collection[str] | None) -> str | None:
    """Why ``symbol`` is not a gene pgx knows, or ``None`` when it is (or nothing to check).

    A different capitalization of a known symbol is suggested; nothing else is guessed, since
    the knowledge tables carry no alias list (``HER2`` is ``ERBB2`` only to a reader who knows).
    """
    if genes is None or symbol in genes:
        return None
    folded = symbol.casefold()
    match = next((g for g in sorted(genes) if g.casefold() == folded), None)
    hint = f"; did you mean {match}?" if match else " (HGNC symbols are expected)"
    return f"{symbol!r} is not a gene pgx knows{hint}"


#: Unknown symbols listed by name in one warning; the rest are counted.
_SHOWN = 12


def symbol_warnings(
    source: str, what: str, found: Sequence[tuple[str, int]], genes: Collection[str] | None
) -> list[str]:
    """Warnings for the gene symbols of a file (``(symbol, line)``, first line of each).

    A symbol that differs from a known gene only in case is one warning with its line and
    the suggestion. The others are one warning for the file, with their lines: a MAF lists
    hundreds of genes no rule reads (TP53, APC), and one warning each would bury the one
    that matters (HER2 written for ERBB2, which then no rule matches).
    """
    if genes is None:
        return []
    out: list[str] = []
    unknown: list[str] = []
    for symbol, line in found:
        problem = unknown_gene(symbol, genes)
        if problem is None:
            continue
        if "did you mean" in problem:
            out.append(f"{source}:{line}: {what} {problem}")
        else:
            unknown.append(f"{symbol} (line {line})")
    if unknown:
        shown = ", ".join(unknown[:_SHOWN])
        more = f" and {len(unknown) - _SHOWN} more" if len(unknown) > _SHOWN else ""
        out.append(
            f"{source}: {len(unknown)} {what} symbol(s) not in pgx's gene table, read by no "
            f"rule (rules use HGNC symbols): {shown}{more}"
        )
    return out

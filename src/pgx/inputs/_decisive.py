"""When a VCF covers a gene well enough for its absent positions to be taken as reference.

``assume_reference`` exists for VCFs that leave out reference calls. It must never turn a
file that says little about a gene (header only, variants only, another build, another
panel) into a confident normal call: a gene is assumed reference only where every decisive
position is genotyped and at least half of all its positions are.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from pgx.model.knowledge import (
    UNDETERMINED_FUNCTIONS,
    AlleleDefinitions,
    GenePhenotypes,
    allowed_bases,
)

__all__ = ["decisive_positions", "why_not_assumed"]

#: `decisive_positions` remembered per (definitions, table) object: knowledge is immutable.
_DECISIVE: dict[tuple[int, int], tuple[object, object, Mapping[str, tuple[str, ...]]]] = {}
_SHOWN = 8  # decisive positions a warning names before "and N more"


def decisive_positions(
    defs: AlleleDefinitions, table: GenePhenotypes | None
) -> Mapping[str, tuple[str, ...]]:
    """The positions that tell an allele of another function from the reference allele.

    Each maps to those alleles: no, decreased, increased or otherwise different function
    than the reference allele's (CYP2C19 ``*2``, ``*3``, ``*17``; the G6PD deficient
    classes). Taking such a position as reference when the VCF lacks it could call a
    carrier normal. Alleles of uncertain or unknown function do not count; without a
    phenotype table (no function known) every allele does.
    """
    key = (id(defs), id(table))
    found = _DECISIVE.get(key)
    if found is not None and found[0] is defs and found[1] is table:
        return found[2]
    reference_function: str | None = None
    if table is not None and table.reference_allele is not None:
        name = table.canonical(table.reference_allele)
        reference_function = None if name is None else table.alleles[name].function
    decisive: dict[str, list[str]] = {}
    for allele, bases in defs.alleles.items():
        if table is not None:
            name = table.canonical(allele)
            function = None if name is None else table.alleles[name].function
            if function is None or function == reference_function:
                continue
            if function in UNDETERMINED_FUNCTIONS:
                continue
        for pid, base in bases.items():
            if defs.positions[pid].ref not in allowed_bases(base):
                decisive.setdefault(pid, []).append(allele)
    # in the definitions' order of positions (along the chromosome), as warnings list them
    result = {pid: tuple(decisive[pid]) for pid in defs.positions if pid in decisive}
    _DECISIVE[key] = (defs, table, result)
    return result


def why_not_assumed(
    defs: AlleleDefinitions,
    table: GenePhenotypes | None,
    observed: Collection[str],
    warnings: Sequence[str],
) -> str | None:
    """Why a gene's absent positions must not be taken as reference; ``None`` if they may.

    Args:
        defs: The gene's allele definitions.
        table: Its phenotype table (the allele functions), if it has one.
        observed: The positions the VCF genotyped (a no-call is not genotyped).
        warnings: The warnings reading the gene's positions gave (a reference base that
            disagrees with the definitions means another build).
    """
    if any("another build?" in w for w in warnings):
        return (
            "a reference base in the VCF disagrees with the definitions (another build?); "
            "left uncalled"
        )
    total = len(defs.positions)
    if not observed:
        return f"none of its {total} position(s) is in the VCF; left uncalled"
    decisive = decisive_positions(defs, table)
    absent = [(pid, alleles) for pid, alleles in decisive.items() if pid not in observed]
    if absent:
        shown = ", ".join(
            f"{pid} ({', '.join(alleles[:3])}{', …' if len(alleles) > 3 else ''})"
            for pid, alleles in absent[:_SHOWN]
        )
        more = f" and {len(absent) - _SHOWN} more" if len(absent) > _SHOWN else ""
        return (
            f"{len(absent)} of the {len(decisive)} positions that tell an allele of another "
            f"function from the reference are not genotyped: {shown}{more}; absent positions "
            "stay unknown"
        )
    if 2 * len(observed) < total:
        return (
            f"only {len(observed)} of its {total} positions are genotyped (at least half are "
            "needed); absent positions stay unknown"
        )
    return None

"""Diplotype → allele function / activity score → phenotype, from the knowledge tables.

Three results are kept apart and none of them is ever "normal": CPIC's ``Indeterminate``
(an allele of uncertain function), an allele pgx does not know, and a gene pgx does not
phenotype.

Longer than 400 lines because two-copy, one-copy (G6PD, MT-RNR1) and alias-resolving
phenotyping share the same allele-function lookups; splitting them would pass those tables
between modules for no gain in clarity.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator

from attrs import evolve

from pgx.model.diplotype import AT_LEAST_3, UNKNOWN_COPIES, Haplotype, parse_diplotype
from pgx.model.knowledge import UNDETERMINED_FUNCTIONS, GenePhenotypes, Knowledge
from pgx.model.profile import GeneCall, GeneResult
from pgx.model.report import GenePhenotype, PhenotypeStatus

__all__ = ["bin_score", "call_phenotype"]

_NO_CALL = frozenset({".", "./.", "NA", "n/a", "no call", "No call", "No Call"})


class _Spellings(Collection[str]):
    """Every name a table knows an allele by (for keeping a whole known name unsplit)."""

    def __init__(self, table: GenePhenotypes) -> None:
        self.table = table

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.table.canonical(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter((*self.table.alleles, *self.table.aliases))

    def __len__(self) -> int:
        return len(self.table.alleles) + len(self.table.aliases)


def _unknown_reason(gene: str, unknown: list[str], table: GenePhenotypes) -> str:
    hints = []
    for name in unknown:
        close = table.closest(name)
        hints.append(f"{name} (did you mean {' or '.join(close)}?)" if close else name)
    return f"{gene} allele(s) not in pgx's table: {', '.join(hints)}"


def _derive(gene: str, diplotype: str, table: GenePhenotypes) -> GenePhenotype:
    text = diplotype.strip()
    if "/" not in text and table.haploid:
        return _one_copy(gene, text, table)
    parsed = parse_diplotype(text, _Spellings(table))
    if parsed is None:
        return GenePhenotype(
            "no_call", "diplotype", diplotype, reason=f"'{diplotype}' is not a diplotype (a/b)"
        )
    names = {name: table.canonical(name) for hap in parsed for name, _ in hap.parts}
    unknown = sorted(name for name, found in names.items() if found is None)
    if unknown:
        return GenePhenotype(
            "unknown_allele", "diplotype", diplotype, reason=_unknown_reason(gene, unknown, table)
        )
    parsed = (
        Haplotype(tuple((names[n] or n, c) for n, c in parsed[0].parts)),
        Haplotype(tuple((names[n] or n, c) for n, c in parsed[1].parts)),
    )
    shown = _shown(text, parsed)
    if not table.diploid:
        return GenePhenotype(
            "indeterminate",
            "diplotype",
            shown,
            "Indeterminate",
            reason=f"{gene} has one copy: give its one allele, not a pair ({shown})",
        )
    if table.method == "function":
        return _by_function(gene, shown, parsed, table)
    return _by_activity(gene, shown, parsed, table)


def _shown(text: str, parsed: tuple[Haplotype, Haplotype]) -> str:
    """The diplotype in the table's allele names (as written when copies or tandems)."""
    if all(len(h.parts) == 1 and h.parts[0][1] == 1 for h in parsed):
        return f"{parsed[0].parts[0][0]}/{parsed[1].parts[0][0]}"
    return text


def _one_copy(gene: str, text: str, table: GenePhenotypes) -> GenePhenotype:
    """A gene with one copy (MT-RNR1; G6PD on one X chromosome): one allele, one function."""
    name = table.canonical(text)
    if name is None:
        return GenePhenotype(
            "unknown_allele", "diplotype", text, reason=_unknown_reason(gene, [text], table)
        )
    function = table.alleles[name].function
    for row in table.phenotypes:
        if row.functions == (function,):
            return GenePhenotype("called", "diplotype", name, row.phenotype)
    return GenePhenotype(
        "indeterminate",
        "diplotype",
        name,
        "Indeterminate",
        reason=f"{gene} {name}: {function}",
    )


def _by_function(
    gene: str, diplotype: str, parsed: tuple[Haplotype, Haplotype], table: GenePhenotypes
) -> GenePhenotype:
    if any(len(h.parts) != 1 or h.parts[0][1] != 1 for h in parsed):
        return GenePhenotype(
            "indeterminate",
            "diplotype",
            diplotype,
            "Indeterminate",
            reason=f"{gene} has no CPIC phenotype for copy-number or tandem alleles",
        )
    functions = sorted(table.alleles[h.parts[0][0]].function for h in parsed)
    for row in table.phenotypes:
        if row.functions is not None and sorted(row.functions) == functions:
            return GenePhenotype("called", "diplotype", diplotype, row.phenotype)
    if UNDETERMINED_FUNCTIONS.intersection(functions):
        return GenePhenotype(
            "indeterminate",
            "diplotype",
            diplotype,
            "Indeterminate",
            reason=f"{gene} {diplotype} includes an allele of uncertain or unknown function",
        )
    return GenePhenotype(
        "indeterminate",
        "diplotype",
        diplotype,
        "Indeterminate",
        reason=f"{gene} table has no phenotype for functions {' + '.join(functions)}",
    )


def _by_activity(
    gene: str, diplotype: str, parsed: tuple[Haplotype, Haplotype], table: GenePhenotypes
) -> GenePhenotype:
    total = 0.0
    open_ended = False  # some functional allele has "three or more" copies
    for hap in parsed:
        for name, copies in hap.parts:
            value = table.alleles[name].activity_value
            if value is None:
                return GenePhenotype(
                    "indeterminate",
                    "diplotype",
                    diplotype,
                    "Indeterminate",
                    reason=f"{gene} {name} has no activity value (uncertain or unknown function)",
                )
            if copies == UNKNOWN_COPIES and value != 0:
                return GenePhenotype(
                    "indeterminate",
                    "diplotype",
                    diplotype,
                    "Indeterminate",
                    reason=f"{gene} {name}xN: unknown copy number of a functional allele",
                )
            if copies == AT_LEAST_3:
                open_ended = open_ended or value > 0
            if copies == UNKNOWN_COPIES:
                continue  # xN of a no-function allele adds nothing whatever N is
            total += value * (3 if copies == AT_LEAST_3 else copies)
    score = round(total, 4)
    if open_ended:
        # the exact score is unknown; the phenotype is known only when every score from
        # this lower bound up falls in the same, open-ended range
        top = next((r for r in table.phenotypes if r.functions is None and r.at_most is None), None)
        if top is not None and top.at_least is not None and score >= top.at_least:
            return GenePhenotype(
                "called",
                "diplotype",
                diplotype,
                top.phenotype,
                None,
                reason=f"activity score at least {score:g} (three or more copies)",
            )
        return GenePhenotype(
            "indeterminate",
            "diplotype",
            diplotype,
            "Indeterminate",
            reason=f"{gene} activity score is at least {score:g}; the copy number decides",
        )
    return (
        GenePhenotype("called", "diplotype", diplotype, _bin(table, score), score, None)
        if _bin(table, score) is not None
        else GenePhenotype(
            "indeterminate",
            "diplotype",
            diplotype,
            "Indeterminate",
            score,
            reason=f"{gene} activity score {score} falls in no phenotype range of the table",
        )
    )


def bin_score(table: GenePhenotypes, score: float) -> str | None:
    """The phenotype whose activity-score range holds ``score``, if any."""
    return _bin(table, score)


def _bin(table: GenePhenotypes, score: float) -> str | None:
    for row in table.phenotypes:
        low = row.at_least if row.at_least is not None else float("-inf")
        high = row.at_most if row.at_most is not None else float("inf")
        if row.functions is None and low <= score <= high:
            return row.phenotype
    return None


# The abbreviations labs and PharmCAT outside calls use (EM is the old name of NM).
_ABBREVIATIONS = {
    "pm": "Poor Metabolizer",
    "im": "Intermediate Metabolizer",
    "nm": "Normal Metabolizer",
    "em": "Normal Metabolizer",
    "rm": "Rapid Metabolizer",
    "um": "Ultrarapid Metabolizer",
}


def _match_term(term: str, table: GenePhenotypes | None) -> str | None:
    if table is None:
        return term
    wanted = " ".join(term.split()).casefold()
    wanted = _ABBREVIATIONS.get(wanted, wanted).casefold()
    for row in table.phenotypes:
        if row.phenotype.casefold() == wanted:
            return row.phenotype
    if wanted == "indeterminate":
        return "Indeterminate"
    return None


def _score_step(table: GenePhenotypes) -> float:
    """The grid every activity score of the gene lies on (0.25 for CYP2D6, 0.5 for DPYD)."""
    values = [fn.activity_value for fn in table.alleles.values() if fn.activity_value]
    for step in (1.0, 0.5, 0.25, 0.125):
        if all(abs(v / step - round(v / step)) < 1e-9 for v in values):
            return step
    return 0.125


def _score_problem(table: GenePhenotypes, score: float) -> str | None:
    step = _score_step(table)
    if score < 0 or abs(score / step - round(score / step)) > 1e-9:
        return f"activity score {score:g} is not on the gene's scale (multiples of {step:g} from 0)"
    return None


def call_phenotype(gene: str, result: GeneResult, knowledge: Knowledge) -> GenePhenotype:
    """The phenotype of one gene from what the profile reports, through the gene's table.

    A reported phenotype or activity score is used as given, unless it disagrees with the
    one derived from the diplotype: then the result is a ``conflict`` with no phenotype, since
    pgx cannot know which is right. When a VCF call left several candidate diplotypes, each
    is phenotyped and the phenotype is stated only if they all agree.
    """
    call = result.call
    if call is None:
        return _call_one(gene, result, knowledge)
    if result.diplotype is None and (len(call.candidates) > 1 or call.truncated):
        found = _from_candidates(gene, call, knowledge)
    elif result.is_bare():
        # a gene the inputs mention without a result (not callable, unreadable line)
        reason = "; ".join((*call.warnings, *call.notes)) or f"{gene} was not called"
        found = GenePhenotype("no_call", call.source, reason=reason)
    else:
        found = _call_one(gene, result, knowledge)
    return evolve(found, call=call)


def _from_candidates(gene: str, call: GeneCall, knowledge: Knowledge) -> GenePhenotype:
    shown = " or ".join(call.candidates) + (" or others" if call.truncated else "")
    hiding = f" (not called: {', '.join(call.missing_positions)})" if call.missing_positions else ""
    if call.truncated:
        return GenePhenotype(
            "indeterminate",
            "diplotype",
            shown,
            reason=f"too many {gene} diplotypes fit the genotypes{hiding}",
        )
    each = [_call_one(gene, GeneResult(diplotype=d), knowledge) for d in call.candidates]
    phenotypes = {p.phenotype for p in each}
    usable = all(p.status == "called" for p in each)
    if usable and len(phenotypes) == 1:
        scores = {p.activity_score for p in each}
        (phenotype,) = phenotypes
        return GenePhenotype(
            "called",
            "diplotype",
            shown,
            phenotype,
            scores.pop() if len(scores) == 1 else None,
            reason=f"{len(each)} {gene} diplotypes fit the genotypes; all give {phenotype}",
        )
    parts = sorted({p.phenotype or p.status for p in each})
    phasing = (
        f"; phased genotypes at {', '.join(call.unphased_positions)} would decide it"
        if call.unphased_positions
        else ""
    )
    return GenePhenotype(
        "indeterminate",
        "diplotype",
        shown,
        reason=(
            f"{len(each)} {gene} diplotypes fit the genotypes{hiding} ({shown}) and their "
            f"phenotypes differ ({', '.join(parts)}){phasing}"
        ),
    )


def _call_one(gene: str, result: GeneResult, knowledge: Knowledge) -> GenePhenotype:
    table = knowledge.gene_phenotypes.get(gene)
    diplotype = result.diplotype
    if diplotype is not None and diplotype.strip() in _NO_CALL:
        return GenePhenotype("no_call", "reported", diplotype, reason=f"{gene} was not called")
    derived = _derive(gene, diplotype, table) if (diplotype and table) else None
    if derived is not None:
        diplotype = derived.diplotype  # shown in the table's names from here on

    reported_term: str | None = None
    if result.phenotype is not None:
        reported_term = _match_term(result.phenotype, table)
        if reported_term is None:
            return GenePhenotype(
                "invalid",
                "reported",
                diplotype,
                reason=f"'{result.phenotype}' is not a {gene} phenotype term of pgx's table",
            )
    reported_score = result.activity_score
    if reported_score is not None and table is not None:
        problem = (
            f"{gene} is not phenotyped by activity score"
            if table.method != "activity_score"
            else _score_problem(table, reported_score)
        )
        if problem is not None:
            return GenePhenotype("invalid", "reported", diplotype, reason=problem)
        binned = _bin(table, reported_score)
        if reported_term is not None and binned != reported_term:
            return GenePhenotype(
                "conflict",
                "reported",
                diplotype,
                reason=(
                    f"reported {gene} phenotype {reported_term} disagrees with the reported "
                    f"activity score {reported_score:g} ({binned})"
                ),
            )
        reported_term = binned

    if (
        derived is not None
        and derived.status == "called"
        and (
            (result.phenotype is not None and reported_term != derived.phenotype)
            or (reported_score is not None and reported_score != derived.activity_score)
        )
    ):
        return GenePhenotype(
            "conflict",
            "reported",
            diplotype,
            reason=(
                f"reported {gene} result ({result.phenotype or reported_score}) disagrees with "
                f"{derived.phenotype}"
                + (
                    f" (activity score {derived.activity_score:g})"
                    if derived.activity_score is not None
                    else ""
                )
                + f" derived from {diplotype}"
            ),
        )
    if reported_term is not None or reported_score is not None:
        status: PhenotypeStatus = (
            "indeterminate" if reported_term == "Indeterminate" else "reported"
        )
        return GenePhenotype(
            status,
            "reported",
            diplotype,
            reported_term,
            reported_score
            if reported_score is not None
            else (derived.activity_score if derived else None),
        )
    if derived is not None:
        return derived
    if result.alleles is not None:
        return GenePhenotype("typed", "reported", "/".join(result.alleles), reason=None)
    if result.carriers:
        shown = ", ".join(
            f"{allele} {'positive' if carried else 'negative'}"
            for allele, carried in sorted(result.carriers.items())
        )
        return GenePhenotype("typed", "reported", shown, reason=None)
    if diplotype is not None:
        return GenePhenotype(
            "not_phenotyped",
            "reported",
            diplotype,
            reason=f"pgx has no phenotype table for {gene}",
        )
    if result.variants:
        shown = ", ".join(f"{rsid} {gt}" for rsid, gt in sorted(result.variants.items()))
        return GenePhenotype(
            "not_phenotyped", "reported", shown, reason=f"{gene} is read by genotype"
        )
    if result.findings is not None:
        # tested for classified variants: that answers variant rules, not phenotype rules
        found = len(result.findings)
        what = f"{found} classified variant(s)" if found else "no classified variant"
        return GenePhenotype(
            "not_phenotyped", "reported", None, reason=f"{what} reported; phenotype not tested"
        )
    return GenePhenotype("not_phenotyped", "reported", None, reason="not tested")

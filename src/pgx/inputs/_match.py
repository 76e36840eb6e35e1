"""Calling one gene from VCF genotypes with its allele-definition table.

Three ways, chosen by what the knowledge says about the gene:

- **named alleles** (a phenotype table exists): every pair of defined alleles that fits the
  genotypes is found; when phasing is unknown the pairs are scored like PharmCAT's matcher
  (an allele scores the positions it defines; the reference allele defines them all) and only
  the best-scoring phasings are kept, with every pair that differs only at uncalled positions;
- **lowest function** (DPYD): CPIC scores the two lowest-function variants found, so the
  diplotype is built from the variants seen (two heterozygous variants assumed in trans unless
  phased in cis);
- **genotypes** (no phenotype table, e.g. VKORC1, CYP4F2): the genotype at each position,
  ``{rsid: "C/T"}``, in plus-strand letters as the VCF gives them.

A position the VCF does not have, or calls ``./.``, is a no-call: the alleles defined there
stay possible, so the call lists them. Only ``assume_reference`` fills absent positions in.

Longer than 400 lines on purpose: the three methods share the reading of VCF records into
sites (normalization, overlaps, symbolic alleles), and splitting them would export that
machinery between modules for no reader's benefit.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

from attrs import evolve, frozen

from pgx.inputs._decisive import why_not_assumed
from pgx.inputs._vcf import Genotype, VcfGenotypes, norm_chrom, record_at
from pgx.model.knowledge import (
    IUPAC,
    AlleleDefinitions,
    DefinedPosition,
    GenePhenotypes,
    allowed_bases,
)
from pgx.model.profile import GeneCall, GeneResult

__all__ = [
    "LOWEST_FUNCTION_GENES",
    "MAX_CANDIDATES",
    "call_gene",
    "natural_key",
    "window",
]

#: Genes CPIC phenotypes from the lowest-function variants found rather than star alleles.
LOWEST_FUNCTION_GENES = frozenset({"DPYD"})
#: Candidate diplotypes listed at most; past it the call is marked truncated.
MAX_CANDIDATES = 32
_NUMBER = re.compile(r"(\d+)")
_Value = Callable[[str], float]


def window(dp: DefinedPosition) -> range:
    """The VCF positions whose records may describe a defining position's alleles.

    The position itself, every base of its REF, and one base before it, where a VCF that
    anchors an insertion or deletion on the preceding base writes it.
    """
    return range(dp.position - 1, dp.position + len(dp.ref))


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """``*2`` before ``*17``; text compared as text."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _NUMBER.split(name) if part
    )


@frozen
class _Site:
    """One defining position as the sample has it, in the definition's own letters."""

    pid: str
    bases: tuple[str | None, str | None]
    phase: str | None  # phase set of a phased heterozygous call
    undocumented: tuple[str, ...] = ()
    haploid: bool = False  # one allele called (chrX of an XY sample, chrM)

    @property
    def observed(self) -> bool:
        return self.bases != (None, None)

    @property
    def full(self) -> bool:
        return None not in self.bases


#: An event in minimal form: ``(position, deleted bases, inserted bases)``; ``None`` for the
#: reference (no change).
_Event = tuple[int, str, str] | None
_BASES = frozenset("ACGTN")


def _normalize(pos: int, ref: str, alt: str, context: Mapping[int, str]) -> _Event:
    """The minimal form of ``ref``>``alt`` at ``pos``: shared suffix, then shared prefix, trimmed.

    An insertion or deletion is then shifted left as far as ``context`` (reference bases by
    position, from the definition and the VCF record) allows, so that ``C>CAT`` anchored one
    base earlier and ``CAT>CATAT`` describe the same event in a repeat.
    """
    ref, alt = ref.upper(), alt.upper()
    while ref and alt and ref[-1] == alt[-1]:
        ref, alt = ref[:-1], alt[:-1]
    while ref and alt and ref[0] == alt[0]:
        ref, alt, pos = ref[1:], alt[1:], pos + 1
    if not ref and not alt:
        return None
    if not ref or not alt:  # an indel: left-align within the known reference bases
        moved = ref or alt
        while context.get(pos - 1) == moved[-1]:
            moved, pos = moved[-1] + moved[:-1], pos - 1
        ref, alt = (moved, "") if ref else ("", moved)
    return pos, ref, alt


def _overlaps(event: tuple[int, str, str], start: int, end: int) -> bool:
    """Whether an event touches the span ``start..end`` of a defining position."""
    pos, ref, _ = event
    if not ref:  # an insertion before ``pos``
        return start <= pos <= end + 1
    return pos <= end and pos + len(ref) - 1 >= start


@frozen
class _Reading:
    """What one VCF record says at one defining position, in the definition's spelling."""

    tokens: tuple[str | None, str | None]
    record: Genotype
    alts: frozenset[str] = frozenset()  # the record's ALT alleles, as the definition spells them
    haploid: bool = False  # one allele called (chrX of an XY sample, chrM)


def _symbolic(allele: str) -> bool:
    # "*" (a deletion overlapping the site), <DEL> and breakends are not sequences
    return not set(allele.upper()) <= _BASES


def _read_record(
    pid: str, dp: DefinedPosition, pos: int, rec: Genotype
) -> tuple[_Reading | None, str | None]:
    """A record's alleles in the definition's spelling, or a warning.

    ``(None, None)`` when the record is not about this position (a neighbouring variant),
    ``(None, warning)`` when it cannot be used: a genotype that failed its sample's filter
    (FORMAT/FT) is one, so the position is a no-call.
    """
    reading, warning = _read_alleles(pid, dp, pos, rec)
    if reading is not None and rec.filtered is not None:
        return None, (
            f"{pid}: genotype filtered (FT={rec.filtered}, {record_at(rec)}): position not used"
        )
    return reading, warning


def _read_alleles(
    pid: str, dp: DefinedPosition, pos: int, rec: Genotype
) -> tuple[_Reading | None, str | None]:
    """`_read_record` without the sample's genotype filter."""
    end = dp.position + len(dp.ref) - 1
    if rec.block_end is not None:  # inside a gVCF reference block
        if pos != dp.position or rec.block_end < end:
            return None, None  # a block must span every base of the position
        block = [dp.ref if allele == "" else None for allele in rec.alleles]
        if len(block) > 2:
            return None, f"{pid}: genotype with {len(block)} alleles ({record_at(rec)}): not used"
        return _Reading((block[0], block[1] if len(block) == 2 else None), rec), None
    context: dict[int, str] = {}
    for start, bases in ((dp.position, dp.ref), (pos, rec.ref)):
        for offset, base in enumerate(bases.upper()):
            if context.setdefault(start + offset, base) != base:
                return None, (
                    f"{pid}: the VCF's REF {rec.ref} at {pos} ({record_at(rec)}) is not the "
                    f"reference {dp.ref} at {dp.position} of the definitions (another build?): "
                    "position not used"
                )
    # the definition's alleles, normalized with the same reference bases as the record's, so
    # both shift left equally far
    alt_events = {_normalize(dp.position, dp.ref, alt, context): alt for alt in dp.alts}
    events: dict[str, _Event | str] = {}  # a str: a symbolic allele
    for text in {a for a in (*rec.alts, *rec.alleles) if a is not None}:
        if text == rec.ref:
            events[text] = None
        elif _symbolic(text):
            events[text] = text
        else:
            events[text] = _normalize(pos, rec.ref, text, context)
    if pos != dp.position and not any(
        isinstance(e, tuple) and _overlaps(e, dp.position, end) for e in events.values()
    ):
        return None, None  # a neighbouring variant that does not touch this position

    def token(allele: str) -> str:
        event = events[allele]
        if event is None:
            return dp.ref
        if isinstance(event, str):
            return f"{event} ({record_at(rec)})"
        if event in alt_events:
            return alt_events[event]
        if pos != dp.position and not _overlaps(event, dp.position, end):
            # this allele of a neighbouring record leaves the defining bases as they are
            return dp.ref
        return _spell(dp, event, rec, pos, allele)

    tokens: list[str | None] = [None if a is None else token(a) for a in rec.alleles]
    if len(tokens) > 2:
        return None, f"{pid}: genotype with {len(tokens)} alleles ({record_at(rec)}): not used"
    haploid = len(tokens) == 1
    if haploid:  # a haploid call says nothing about a second chromosome, if there is one
        tokens.append(None)
    alts = frozenset(token(a) for a in rec.alts)
    return _Reading((tokens[0], tokens[1]), rec, alts, haploid), None


def _unordered(tokens: tuple[str | None, ...]) -> tuple[tuple[bool, str], ...]:
    return tuple(sorted((t is None, t or "") for t in tokens))


def _contradict(calls: Sequence[_Reading]) -> bool:
    """Whether records about the same alleles give different genotypes.

    Records with the same ALT alleles are the same question, so ``0/0`` and ``1/1`` (or
    ``0/1`` and ``1/1``) cannot both be right, and record order must not choose. A record
    without ALT (a reference call) contradicts any record that calls another genotype.
    Records with different ALTs may be one multi-allelic site split in two, where ``0``
    means "not this ALT": those are read together by `_site`.
    """
    by_alts: dict[frozenset[str], tuple[tuple[bool, str], ...]] = {}
    for call in calls:
        if by_alts.setdefault(call.alts, _unordered(call.tokens)) != _unordered(call.tokens):
            return True
    reference = by_alts.get(frozenset())
    return reference is not None and any(gt != reference for gt in by_alts.values())


def _spell(
    dp: DefinedPosition, event: tuple[int, str, str], rec: Genotype, pos: int, allele: str
) -> str:
    """An unmatched allele in the definition's frame when it fits there, else as the VCF has it."""
    at, ref, alt = event
    offset = at - dp.position
    if offset >= 0 and offset + len(ref) <= len(dp.ref) and (ref or offset > 0):
        return dp.ref[:offset] + alt + dp.ref[offset + len(ref) :]
    return f"{rec.ref}>{allele} at {pos} ({record_at(rec)})"


def _site(
    pid: str,
    dp: DefinedPosition,
    records: Sequence[tuple[int, Genotype]],
    assume_reference: bool,
) -> tuple[_Site, str | None, bool]:
    """The site, a warning (if any), and whether the reference was assumed.

    ``records`` are the VCF records at or next to the position, each with its POS. Every
    allele is compared with the definition's alleles as a normalized event, so the same
    insertion or deletion matches however the VCF anchors it; the definition's REF and ALT
    are authoritative, and an allele matching none of them is an unmatched variant.
    """
    calls: list[_Reading] = []
    for pos, rec in records:
        reading, warning = _read_record(pid, dp, pos, rec)
        if warning is not None:
            return _Site(pid, (None, None), None), warning, False
        if reading is not None:
            calls.append(reading)
    if not calls:
        if assume_reference:
            return _Site(pid, (dp.ref, dp.ref), None), None, True
        return _Site(pid, (None, None), None), None, False
    if len(calls) > 1 and _contradict(calls):
        return _conflict(pid, calls)
    varying = [c for c in calls if any(x is not None and x != dp.ref for x in c.tokens)]
    # the same genotype written twice (e.g. anchored two ways, or 0/1 and 1/0) is one
    # observation; written in two orders its phase is unknown
    groups: dict[tuple[frozenset[str], tuple[tuple[bool, str], ...]], list[_Reading]] = {}
    for call in varying:
        groups.setdefault((call.alts, _unordered(call.tokens)), []).append(call)
    distinct = [
        group[0]
        if len({c.tokens for c in group}) == 1
        else evolve(group[0], record=evolve(group[0].record, phased=False))
        for group in groups.values()
    ]
    haploid = all(c.haploid for c in calls)
    if len(calls) == 1 or not varying:
        tokens, rec = calls[0].tokens, calls[0].record
    elif len(distinct) == 1:
        tokens, rec = distinct[0].tokens, distinct[0].record
    elif (
        len(distinct) == 2
        and distinct[0].alts != distinct[1].alts
        and all(sorted(c.tokens, key=str)[0] == dp.ref for c in distinct)
    ):
        # a multi-allelic site split over two records, each heterozygous with the reference
        alts = [next(x for x in c.tokens if x != dp.ref) for c in distinct]
        tokens = (alts[0], alts[1])
        first = distinct[0].record
        rec = Genotype(first.ref, (alts[0], alts[1]), False, None, first.line)
    else:
        return _conflict(pid, calls)
    bases = tokens
    undocumented = tuple(
        sorted({t for t in bases if t is not None and t != dp.ref and t not in dp.alts})
    )
    phase = None
    if rec.phased and None not in bases and bases[0] != bases[1]:
        phase = rec.phase_set or "*"
    return _Site(pid, bases, phase, undocumented, haploid), None, False


#: `_site` remembered: samples of a joint-called file share records, so a position reads the
#: same for every sample whose genotypes there are the same (its result is immutable).
_site_of = functools.lru_cache(maxsize=1 << 16)(_site)


def _conflict(pid: str, calls: Sequence[_Reading]) -> tuple[_Site, str, bool]:
    """The position as a no-call, with a warning naming the records (the first ten)."""
    lines = ", ".join(record_at(c.record) for c in calls[:10])
    more = f" and {len(calls) - 10} more" if len(calls) > 10 else ""
    return (
        _Site(pid, (None, None), None),
        f"{pid}: conflicting records ({lines}{more}): position not used",
        False,
    )


def _sites(
    gene: str, defs: AlleleDefinitions, vcf: VcfGenotypes, *, assume: bool
) -> tuple[list[_Site], list[str], list[str]]:
    """Every defining position as the sample has it; warnings; positions assumed reference."""
    chrom = norm_chrom(defs.chromosome)
    defining = {dp.position for dp in defs.positions.values()}
    sites: list[_Site] = []
    warnings: list[str] = []
    assumed: list[str] = []
    for pid, dp in defs.positions.items():
        records = [
            (pos, rec)
            for pos in window(dp)
            # a record at another defining position is read there, not here
            if pos == dp.position or pos not in defining
            for rec in vcf.records.get((chrom, pos), ())
        ]
        site, warning, was_assumed = _site_of(pid, dp, tuple(records), assume)
        sites.append(site)
        if warning:
            warnings.append(f"{gene} {warning}")
        if was_assumed:
            assumed.append(pid)
    return sites, warnings, assumed


def _genotype_text(site: _Site) -> str:
    sep = "|" if site.phase is not None else "/"
    return sep.join("." if b is None else b for b in site.bases)


def call_gene(
    gene: str,
    defs: AlleleDefinitions,
    vcf: VcfGenotypes,
    table: GenePhenotypes | None,
    *,
    assume_reference: bool = False,
) -> GeneResult:
    """Call one gene from one sample's VCF genotypes.

    Args:
        gene: The gene symbol.
        defs: The gene's allele definitions (GRCh38).
        vcf: The sample's genotypes at the defining positions.
        table: The gene's phenotype table; without one the genotypes are reported as
            ``variants`` rather than as a diplotype.
        assume_reference: Take positions absent from the VCF as homozygous reference.

    Returns:
        The gene's result with its `GeneCall`: positions used and missing, unmatched
        variants, and every candidate diplotype.
    """
    sites, warnings, assumed = _sites(gene, defs, vcf, assume=False)
    notes = []
    if assume_reference:
        genotyped = {s.pid for s in sites if s.observed}
        why = why_not_assumed(defs, table, genotyped, warnings)
        if why is None:
            sites, warnings, assumed = _sites(gene, defs, vcf, assume=True)
        else:
            notes.append(f"reference not assumed for {gene}: {why}")
            warnings.append(f"{gene}: reference not assumed (assume_reference): {why}")
    unmatched = [
        f"{s.pid} {defs.positions[s.pid].ref}>{alt}" for s in sites for alt in s.undocumented
    ]
    if assumed:
        notes.append(
            f"assumed reference at {len(assumed)} position(s) absent from the VCF: "
            + ", ".join(assumed)
        )
        warnings.append(
            f"{gene}: {len(assumed)} position(s) absent from the VCF were assumed reference "
            "(assume_reference)"
        )
    base = GeneCall(
        source="vcf",
        file=vcf.source,
        positions_used=tuple(s.pid for s in sites if s.observed),
        missing_positions=tuple(s.pid for s in sites if not s.observed),
        unmatched_variants=tuple(unmatched),
        assume_reference=assume_reference,
        assumed_positions=tuple(assumed),
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
    if table is None:
        variants = {s.pid: _genotype_text(s) for s in sites}
        return GeneResult(variants=variants, call=base)
    if gene in LOWEST_FUNCTION_GENES:
        return _lowest_function(gene, defs, sites, table, base)
    if unmatched:
        return GeneResult(
            call=_with(
                base,
                warnings=(
                    *base.warnings,
                    f"{gene}: variant(s) matching no defined allele ({', '.join(unmatched)}): "
                    "not called",
                ),
            )
        )
    observed = [s for s in sites if s.observed]
    if table.haploid and observed and all(s.haploid for s in observed):
        return _hemizygous(gene, defs, sites, base)
    pairs, unresolved = _best_pairs(defs, sites)
    if not pairs:
        seen = [
            f"{s.pid} {_genotype_text(s)}"
            for s in sites
            if any(b is not None and b != defs.positions[s.pid].ref for b in s.bases)
        ]
        return GeneResult(
            call=_with(
                base,
                unmatched_variants=tuple(seen),
                warnings=(
                    *base.warnings,
                    f"{gene}: no pair of defined alleles fits the genotypes "
                    f"({', '.join(seen) or 'all reference'}): not called",
                ),
            )
        )
    candidates = tuple(pairs[:MAX_CANDIDATES])
    call = _with(base, candidates=candidates, truncated=len(pairs) > MAX_CANDIDATES)
    if unresolved:
        named = tuple(sites[i].pid for i in unresolved)
        shown = " or ".join(candidates) + (" or others" if call.truncated else "")
        call = _with(
            call,
            unphased_positions=named,
            notes=(
                *call.notes,
                f"{gene}: {', '.join(named)} are heterozygous without phase, and which "
                f"chromosome carries each variant changes the diplotype ({shown}); "
                "phased genotypes (GT with | and one PS) would decide it",
            ),
        )
    if len(pairs) == 1:
        return GeneResult(diplotype=candidates[0], call=call)
    return GeneResult(call=call)


def _hemizygous(
    gene: str, defs: AlleleDefinitions, sites: Sequence[_Site], base: GeneCall
) -> GeneResult:
    """One allele from haploid genotypes: G6PD in a sample with one X chromosome."""
    alleles = _best_single(defs, sites)
    note = f"{gene}: every genotype is haploid, so one allele is called (one X chromosome)"
    if not alleles:
        seen = [f"{s.pid} {_genotype_text(s)}" for s in sites if s.observed]
        return GeneResult(
            call=_with(
                base,
                notes=(*base.notes, note),
                warnings=(
                    *base.warnings,
                    f"{gene}: no defined allele fits the haploid genotypes "
                    f"({', '.join(seen)}): not called",
                ),
            )
        )
    call = _with(
        base,
        candidates=tuple(alleles[:MAX_CANDIDATES]),
        truncated=len(alleles) > MAX_CANDIDATES,
        notes=(*base.notes, note),
    )
    if len(alleles) == 1:
        return GeneResult(diplotype=alleles[0], call=call)
    return GeneResult(call=call)


def _with(call: GeneCall, **changes: object) -> GeneCall:
    return evolve(call, **changes)  # type: ignore[arg-type]


def _diplotype(a: str, b: str) -> str:
    x, y = sorted((a, b), key=natural_key)
    return f"{x}/{y}"


#: Concrete spellings kept per allele; IUPAC codes multiply them (CYP2C19 *2: two).
_MAX_SPELLINGS = 64


def _spellings(
    bases: Mapping[str, str], pids: Sequence[str], refs: Sequence[str]
) -> list[tuple[str, ...]]:
    """An allele's bases at every position, one tuple per way its IUPAC codes can be read."""
    vec = [bases.get(pid, ref) for pid, ref in zip(pids, refs, strict=True)]
    codes = [i for i, base in enumerate(vec) if base in IUPAC]
    if not codes:
        return [tuple(vec)]
    out = []
    for combo in itertools.islice(
        itertools.product(*(sorted(IUPAC[vec[i]]) for i in codes)), _MAX_SPELLINGS
    ):
        for i, base in zip(codes, combo, strict=True):
            vec[i] = base
        out.append(tuple(vec))
    return out


def _entries(
    defs: AlleleDefinitions, sites: Sequence[_Site]
) -> tuple[list[tuple[str, tuple[str, ...]]], list[str], list[int], list[int]]:
    """Every (allele, concrete bases) that fits the fully called positions, and the indices."""
    pids = tuple(s.pid for s in sites)
    refs = [defs.positions[p].ref for p in pids]
    observed = [i for i, s in enumerate(sites) if s.observed]
    full = [i for i in observed if sites[i].full]
    called = frozenset(full)
    # fully called positions without the reference base: an allele must vary at each
    without_ref = {i for i in full if refs[i] not in sites[i].bases}
    # an allele is possible only if, wherever both bases are called, it has one of them
    entries = [
        (name, vec)
        for name, vec, varies in _all_spellings(defs, pids)
        if without_ref <= varies and all(vec[i] in sites[i].bases for i in varies if i in called)
    ]
    return entries, refs, observed, full


#: Per allele table (held, so its id is not reused): the spellings of `_all_spellings`.
_SPELLED: dict[
    tuple[int, tuple[str, ...]],
    tuple[AlleleDefinitions, list[tuple[str, tuple[str, ...], frozenset[int]]]],
] = {}


def _all_spellings(
    defs: AlleleDefinitions, pids: tuple[str, ...]
) -> list[tuple[str, tuple[str, ...], frozenset[int]]]:
    """Every allele's concrete spellings, in call order, with the positions where they vary.

    They depend on the table alone, so they are worked out once per table rather than
    once per sample and gene.
    """
    key = (id(defs), pids)
    found = _SPELLED.get(key)
    if found is not None and found[0] is defs:
        return found[1]
    refs = [defs.positions[p].ref for p in pids]
    spelled = [
        (name, vec, frozenset(i for i, (b, r) in enumerate(zip(vec, refs, strict=True)) if b != r))
        for name, bases in defs.alleles.items()
        for vec in _spellings(bases, pids, refs)
    ]
    spelled.sort(key=lambda e: (natural_key(e[0]), e[1]))
    if len(_SPELLED) > 256:  # tables of rule sets no longer in use
        _SPELLED.clear()
    _SPELLED[key] = (defs, spelled)
    return spelled


def _best_pairs(defs: AlleleDefinitions, sites: Sequence[_Site]) -> tuple[list[str], list[int]]:
    """Every diplotype that fits, best-scoring first, and the positions phasing would decide.

    Each way of arranging the heterozygous positions on the two chromosomes that defined
    alleles explain is kept (see the module docstring): the second list holds the
    heterozygous positions (indices into ``sites``) whose arrangement is unknown, and is
    empty when the genotypes allow one arrangement only.
    """
    entries, refs, observed, full = _entries(defs, sites)

    # scores and arrangements count only fully called positions: the unknown side of a
    # partial call (./1) can hide an allele just as a missing position can. A position an
    # IUPAC code leaves open scores only when the sample has the variant base there.
    def score(name: str, vec: tuple[str, ...]) -> int:
        if not defs.alleles[name]:
            return len(full)
        return sum(1 for i in full if vec[i] != refs[i])

    scores = [score(name, vec) for name, vec in entries]
    groups: dict[tuple[tuple[str, ...], ...], list[tuple[int, str]]] = {}
    for x, (a, va) in enumerate(entries):
        for y in range(x, len(entries)):
            b, vb = entries[y]
            if not _fits(va, vb, sites, observed):
                continue
            pa = tuple(va[i] for i in full)
            pb = tuple(vb[i] for i in full)
            key = (pa, pb) if pa <= pb else (pb, pa)
            groups.setdefault(key, []).append((scores[x] + scores[y], _diplotype(a, b)))
    if not groups:
        return [], []
    # one group per arrangement of the fully called positions; the highest-scoring one (the
    # arrangement PharmCAT's matcher would report alone) is listed first
    tops = [(max(s for s, _ in g), g) for g in groups.values()]
    chosen = [(top, s, d) for top, g in tops for s, d in g]
    chosen.sort(key=lambda item: (-item[0], -item[1], natural_key(item[2])))
    diplotypes = list(dict.fromkeys(d for _, _, d in chosen))
    if len(groups) == 1:
        return diplotypes, []
    return diplotypes, _unresolved(sites, full)


def _unresolved(sites: Sequence[_Site], full: Sequence[int]) -> list[int]:
    """The heterozygous positions whose arrangement on the chromosomes is unknown.

    Unphased ones, and phased ones too when they lie in more than one phase set (the sets'
    orientation to each other is unknown).
    """
    het = [i for i in full if sites[i].bases[0] != sites[i].bases[1]]
    unphased = [i for i in het if sites[i].phase is None]
    if len({sites[i].phase for i in het if sites[i].phase is not None}) > 1:
        return het
    return unphased


def _best_single(defs: AlleleDefinitions, sites: Sequence[_Site]) -> list[str]:
    """Every single allele that fits haploid genotypes (one X chromosome), best-scoring first.

    One chromosome has no arrangement to choose, so every fitting allele is kept: those that
    differ only at uncalled positions stay possible (scoring them away would read a missing
    position as reference and call a deficient allele normal).
    """
    entries, refs, observed, _ = _entries(defs, sites)
    fitting: dict[str, int] = {}
    for name, vec in entries:
        if all(vec[i] == sites[i].bases[0] for i in observed):
            called = [i for i in observed if sites[i].bases[0] is not None]
            value = (
                len(called)
                if not defs.alleles[name]
                else sum(1 for i in called if vec[i] != refs[i])
            )
            fitting[name] = max(fitting.get(name, 0), value)
    return sorted(fitting, key=lambda n: (-fitting[n], natural_key(n)))


def _fits(
    va: tuple[str, ...], vb: tuple[str, ...], sites: Sequence[_Site], observed: Iterable[int]
) -> bool:
    """Whether two concrete alleles explain every observed genotype (phase sets honoured)."""
    orientation: dict[str, set[int]] = {}
    for i in observed:
        site = sites[i]
        g1, g2 = site.bases
        a, b = va[i], vb[i]
        if site.phase is not None:
            ok = set()
            if a == g1 and b == g2:
                ok.add(0)
            if a == g2 and b == g1:
                ok.add(1)
            allowed = orientation.setdefault(site.phase, {0, 1})
            allowed &= ok
            if not allowed:
                return False
        elif g1 is None or g2 is None:
            known = g1 if g1 is not None else g2
            if known not in (a, b):
                return False
        elif not ((a == g1 and b == g2) or (a == g2 and b == g1)):
            return False
    return True


# ------------------------------------------------------------------ lowest function (DPYD)
def _lowest_function(
    gene: str,
    defs: AlleleDefinitions,
    sites: Sequence[_Site],
    table: GenePhenotypes,
    base: GeneCall,
) -> GeneResult:
    by_pid = {s.pid: s for s in sites}
    reference = table.reference_allele or next(
        (name for name, bases in defs.alleles.items() if not bases), "Reference"
    )

    def value(name: str) -> float:
        fn = table.alleles.get(table.canonical(name) or name)
        # an allele without a value sorts lowest, so it is never hidden behind a known one
        return -1.0 if fn is None or fn.activity_value is None else fn.activity_value

    present: dict[str, int] = {}
    possible: dict[str, int] = {}
    variant_alleles = sorted(
        ((n, b) for n, b in defs.alleles.items() if b), key=lambda item: -len(item[1])
    )
    for name, bases in variant_alleles:
        counts = []
        for pid, want in bases.items():
            site = by_pid[pid]
            known = sum(1 for b in site.bases if b is not None and b in allowed_bases(want))
            unknown = sum(1 for b in site.bases if b is None)
            counts.append((known, known + unknown))
        present[name] = min(c for c, _ in counts)
        possible[name] = min(c for _, c in counts) - present[name]
    # a haplotype defined by more variants (HapB3) takes the copies of its subsets
    for name, bases in variant_alleles:
        items = set(bases.items())
        for other, other_bases in variant_alleles:
            if other != name and set(other_bases.items()) < items:
                present[other] = max(0, present[other] - present[name])

    found = [name for name, _ in variant_alleles for _ in range(present[name])]
    first = _phased_lowest(found, defs, by_pid, value, reference)
    if first is None:
        first = _two_lowest(found, value, reference)
    results = [first]
    extra = sorted((n for n, c in possible.items() if c > 0), key=natural_key)
    for x, h in enumerate(extra):
        results.append(_two_lowest([*found, h], value, reference))
        for h2 in extra[x:]:
            if h2 != h or possible[h] >= 2:
                results.append(_two_lowest([*found, h, h2], value, reference))
    candidates = list(dict.fromkeys(results))
    if base.unmatched_variants:
        base = _with(
            base,
            warnings=(
                *base.warnings,
                f"{gene}: variant(s) matching no defined allele "
                f"({', '.join(base.unmatched_variants)}) were not scored (function unknown)",
            ),
        )
    call = _with(
        base,
        candidates=tuple(candidates[:MAX_CANDIDATES]),
        truncated=len(candidates) > MAX_CANDIDATES,
        notes=(
            *base.notes,
            f"{gene} is called from the lowest-function variants found (CPIC); "
            "heterozygous variants are assumed to be in trans unless phased",
        ),
    )
    if len(candidates) == 1:
        return GeneResult(diplotype=candidates[0], call=call)
    return GeneResult(call=call)


def _two_lowest(found: Sequence[str], value: _Value, reference: str) -> str:
    ordered = sorted(found, key=lambda n: (value(n), natural_key(n)))[:2]
    ordered += [reference] * (2 - len(ordered))
    return _variant_diplotype(ordered[0], ordered[1], value, reference)


def _variant_diplotype(a: str, b: str, value: _Value, reference: str) -> str:
    x, y = sorted((a, b), key=lambda n: (n == reference, value(n), natural_key(n)))
    return f"{x}/{y}"


def _phased_lowest(
    found: Sequence[str],
    defs: AlleleDefinitions,
    by_pid: Mapping[str, _Site],
    value: _Value,
    reference: str,
) -> str | None:
    """The lowest variant on each chromosome, if all heterozygous ones share a phase set.

    ``None`` otherwise: then two heterozygous variants count as in trans.
    """
    haps: list[list[str]] = [[], []]
    phase_sets = set()
    for name in dict.fromkeys(found):
        copies = found.count(name)
        if copies == 2:
            haps[0].append(name)
            haps[1].append(name)
            continue
        sides = set()
        for pid, want in defs.alleles[name].items():
            site = by_pid[pid]
            if site.phase is None:
                return None
            phase_sets.add(site.phase)
            sides.add(0 if site.bases[0] in allowed_bases(want) else 1)
        if len(sides) != 1:
            return None
        haps[sides.pop()].append(name)
    if len(phase_sets) != 1:
        return None
    lowest = [min(h, key=lambda n: (value(n), natural_key(n))) if h else reference for h in haps]
    return _variant_diplotype(lowest[0], lowest[1], value, reference)

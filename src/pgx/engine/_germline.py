"""One predicate per germline leaf kind: phenotype, diplotype, allele, activity score, variants."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from pgx.engine._facts import Facts, Observed, bounds, germline_result
from pgx.model import ruleset as rs
from pgx.model.diplotype import (
    allele_names,
    hla_typing,
    is_hla,
    one_copy_possible,
    parse_diplotype,
)
from pgx.model.knowledge import Knowledge
from pgx.model.logic import Truth
from pgx.model.profile import GeneResult

__all__ = ["GERMLINE", "genotype_key"]


def _phenotype(facts: Facts, leaf: rs.PhenotypeLeaf) -> Observed:
    called = facts.phenotypes.get(leaf.gene)
    if called is None:
        return Truth.UNKNOWN, "not tested"
    if called.phenotype is None or called.phenotype == "Indeterminate":
        return Truth.UNKNOWN, f"no phenotype: {called.reason or called.status}"
    seen = called.phenotype + (f" (from {called.diplotype})" if called.diplotype else "")
    return Truth.of(called.phenotype in leaf.in_), seen


def _diplotype_key(text: str) -> tuple[str, ...]:
    return tuple(sorted(part.strip() for part in text.split("/")))


_Key = tuple[tuple[tuple[str, int], ...], ...]


def _canonical_key(knowledge: Knowledge, gene: str, text: str, unknown: list[str]) -> _Key | None:
    """A diplotype's two haplotypes in canonical allele names, in a comparable order.

    ``None`` if ``text`` is no diplotype; names no table knows are appended to ``unknown``
    (and kept as written).
    """
    if "/" not in text and one_copy_possible(gene):
        # one allele: a gene with one copy (MT-RNR1), or G6PD on one X chromosome
        name = text.strip()
        found = knowledge.canonical_allele(gene, name)
        if found is None:
            unknown.append(name)
        return (((found or name, 1),),)
    parsed = parse_diplotype(text, knowledge.allele_spellings(gene))
    if parsed is None:
        return None
    haplotypes = []
    for hap in parsed:
        parts = []
        for name, copies in hap.parts:
            found = knowledge.canonical_allele(gene, name.strip())
            if found is None:
                unknown.append(name.strip())
            parts.append((found or name.strip(), copies))
        haplotypes.append(tuple(parts))
    return tuple(sorted(haplotypes))


def _diplotype(facts: Facts, leaf: rs.DiplotypeLeaf) -> Observed:
    result = germline_result(facts, leaf.gene)
    knowledge = facts.knowledge
    if knowledge.knows_alleles(leaf.gene) and result is not None:
        return _named_diplotype(knowledge, leaf, result)
    if result is None or result.diplotype is None:
        return Truth.UNKNOWN, "no diplotype"
    if (
        _diplotype_key(result.diplotype) == _diplotype_key("./.")
        or parse_diplotype(result.diplotype) is None
    ):
        # "no call" and the like: not a diplotype, so neither equal nor unequal to one
        return Truth.UNKNOWN, f"{result.diplotype} (no call)"
    # HLA and genes without an allele table: compared as written
    wanted = {_diplotype_key(d) for d in leaf.in_}
    return Truth.of(_diplotype_key(result.diplotype) in wanted), result.diplotype


def _named_diplotype(knowledge: Knowledge, leaf: rs.DiplotypeLeaf, result: GeneResult) -> Observed:
    """A diplotype of a gene with an allele table, compared by canonical allele names.

    A rule naming ``*2A/*1`` means the profile's ``c.1905+1G>A (*2A)/Reference`` too, and
    the other way round; an allele no table knows may be any allele, so it leaves the leaf
    undecided.
    """
    ignored: list[str] = []  # a rule's names are checked when the rules are loaded
    wanted = {_canonical_key(knowledge, leaf.gene, d, ignored) for d in leaf.in_}

    def truth_of(text: str) -> Truth:
        unknown: list[str] = []
        key = _canonical_key(knowledge, leaf.gene, text, unknown)
        if key is None or unknown or _diplotype_key(text) == _diplotype_key("./."):
            return Truth.UNKNOWN
        return Truth.of(key in wanted)

    if result.diplotype is not None:
        return truth_of(result.diplotype), result.diplotype
    if result.call is not None and len(result.call.candidates) > 1:
        # an ambiguous VCF call: decided only when every candidate diplotype agrees
        truths = [truth_of(d) for d in result.call.candidates]
        if result.call.truncated:
            truths.append(Truth.UNKNOWN)
        return _all_agree(truths), " or ".join(result.call.candidates)
    return Truth.UNKNOWN, "no diplotype"


def _typed_diplotype(gene: str, diplotype: str) -> tuple[str, ...] | None:
    """The alleles of a diplotype; an HLA gene's are HLA alleles, gene prefix dropped."""
    if is_hla(gene):
        return hla_typing(gene, diplotype)
    return allele_names(diplotype)


def _strip_gene(allele: str, gene: str) -> str:
    """``HLA-B*57:01`` and ``B*57:01`` are ``*57:01`` of gene HLA-B."""
    for prefix in (gene, gene.removeprefix("HLA-")):
        if allele.startswith(prefix + "*"):
            return allele[len(prefix) :]
    return allele


def _allele(facts: Facts, leaf: rs.AlleleLeaf) -> Observed:
    result = germline_result(facts, leaf.gene)
    if result is None:
        return Truth.UNKNOWN, "not tested"
    if facts.knowledge.knows_alleles(leaf.gene):
        return _named_allele(facts.knowledge, leaf, result)
    want = _strip_gene(leaf.carries, leaf.gene)
    if result.alleles is not None:
        typed: tuple[str, ...] | None = tuple(_strip_gene(a, leaf.gene) for a in result.alleles)
    elif result.diplotype is not None:
        # an unreadable typing (``*5701/*0801``) is None: unknown, never "carries none of it"
        typed = _typed_diplotype(leaf.gene, result.diplotype)
    elif result.call is not None and len(result.call.candidates) > 1:
        # an ambiguous VCF call: a carrier only if every candidate diplotype carries it
        truths = [_carries(allele_names(d) or (), want) for d in result.call.candidates]
        if result.call.truncated:
            truths.append(Truth.UNKNOWN)
        return _all_agree(truths), " or ".join(result.call.candidates)
    else:
        typed = None
    if typed is not None:
        truth, seen = _carries(typed, want), "/".join(typed)
        if result.carriers:
            reported, said = _carrier_status(result.carriers, leaf.gene, want)
            if Truth.UNKNOWN not in (truth, reported) and truth is not reported:
                # typed alleles and a positive/negative report disagree: pgx cannot know
                # which is right, so the allele is undecided (as for a phenotype conflict)
                facts.warnings.add(
                    f"{leaf.gene}: typed alleles {seen} disagree with the report '{said}'"
                )
                return Truth.UNKNOWN, f"{seen}; {said} (conflict)"
        return truth, seen
    if result.carriers:
        return _carrier_status(result.carriers, leaf.gene, want)
    return Truth.UNKNOWN, "no alleles typed"


def _all_agree(truths: list[Truth]) -> Truth:
    if all(t is Truth.TRUE for t in truths):
        return Truth.TRUE
    if all(t is Truth.FALSE for t in truths):
        return Truth.FALSE
    return Truth.UNKNOWN


def _named_carries(knowledge: Knowledge, gene: str, text: str, want: str) -> Truth:
    """Whether a diplotype (in any spelling) carries canonical allele ``want``."""
    unknown: list[str] = []
    key = _canonical_key(knowledge, gene, text, unknown)
    if key is None:
        return Truth.UNKNOWN
    if any(name == want for hap in key for name, copies in hap if copies != 0):
        return Truth.TRUE
    # an allele pgx cannot name may be the one asked about
    return Truth.UNKNOWN if unknown else Truth.FALSE


def _named_carrier_status(
    knowledge: Knowledge, gene: str, carriers: Mapping[str, bool], want: str
) -> Observed:
    """Carriage reported as "positive/negative" for alleles in any spelling."""
    truths: set[Truth] = set()
    said = []
    for raw, carried in sorted(carriers.items()):
        said.append(f"{raw} {'positive' if carried else 'negative'}")
        if knowledge.canonical_allele(gene, raw.strip()) == want:
            truths.add(Truth.of(carried))
    if len(truths) == 1:
        return truths.pop(), ", ".join(said)
    # carriage of other alleles says nothing about this one (nor do contradictions)
    return Truth.UNKNOWN, ", ".join(said) + f" (nothing reported about {want})"


def _named_allele(knowledge: Knowledge, leaf: rs.AlleleLeaf, result: GeneResult) -> Observed:
    """Carriage of an allele of a gene with an allele table, compared by canonical name.

    Every spelling the tables know (CPIC's, legacy, sub-allele) is the same allele on both
    sides; a name no table knows leaves the leaf undecided unless the allele is found.
    """
    gene = leaf.gene
    want = knowledge.canonical_allele(gene, leaf.carries.strip()) or leaf.carries.strip()
    if result.alleles is not None:
        names = [knowledge.canonical_allele(gene, a.strip()) for a in result.alleles]
        shown = "/".join(result.alleles)
        if want in names:
            return Truth.TRUE, shown
        return (Truth.UNKNOWN if None in names else Truth.FALSE), shown
    if result.diplotype is not None:
        truth = _named_carries(knowledge, gene, result.diplotype, want)
        if result.carriers:
            reported, said = _named_carrier_status(knowledge, gene, result.carriers, want)
            if Truth.UNKNOWN not in (truth, reported) and truth is not reported:
                # the diplotype and a positive/negative report disagree: undecided
                return Truth.UNKNOWN, f"{result.diplotype}; {said} (conflict)"
        return truth, result.diplotype
    if result.call is not None and len(result.call.candidates) > 1:
        # an ambiguous VCF call: a carrier only if every candidate diplotype carries it
        truths = [_named_carries(knowledge, gene, d, want) for d in result.call.candidates]
        if result.call.truncated:
            truths.append(Truth.UNKNOWN)
        return _all_agree(truths), " or ".join(result.call.candidates)
    if result.carriers:
        return _named_carrier_status(knowledge, gene, result.carriers, want)
    return Truth.UNKNOWN, "no alleles typed"


def _carries(typed: tuple[str, ...], want: str) -> Truth:
    ambiguous = False
    for allele in typed:
        if allele == want or allele.startswith(want + ":"):
            return Truth.TRUE
        if want.startswith(allele + ":"):
            ambiguous = True  # typed at lower resolution than the rule asks
    return Truth.UNKNOWN if ambiguous else Truth.FALSE


def _carrier_status(carriers: Mapping[str, bool], gene: str, want: str) -> Observed:
    """Carriage reported as "*57:01 positive/negative" without the alleles typed."""
    truths = []
    for raw, carried in sorted(carriers.items()):
        allele = _strip_gene(raw, gene)
        seen = f"{allele} {'positive' if carried else 'negative'}"
        if allele == want:
            return Truth.of(carried), seen
        if carried and allele.startswith(want + ":"):
            return Truth.TRUE, seen  # positive for a higher-resolution *57:01:01
        if not carried and want.startswith(allele + ":"):
            return Truth.FALSE, seen  # negative for the whole *57 group
        truths.append(seen)
    # carriage of other alleles says nothing about this one
    return Truth.UNKNOWN, ", ".join(truths) + f" (nothing reported about {want})"


def _activity(facts: Facts, leaf: rs.ActivityScoreLeaf) -> Observed:
    called = facts.phenotypes.get(leaf.gene)
    if called is None:
        return Truth.UNKNOWN, "not tested"
    if called.activity_score is None:
        span = _phenotype_span(facts.knowledge, leaf.gene, called.phenotype)
        if span is None:
            return Truth.UNKNOWN, f"no activity score: {called.reason or called.status}"
        # a reported phenotype pins the score to its range: decide the leaf when the whole
        # range lies inside the bounds (TRUE) or outside them (FALSE)
        low, high = span
        inside = bounds(low, leaf.at_least, leaf.at_most) and bounds(
            high, leaf.at_least, leaf.at_most
        )
        outside = (leaf.at_least is not None and high < leaf.at_least) or (
            leaf.at_most is not None and low > leaf.at_most
        )
        seen = f"{called.phenotype} (activity score {low:g} to {high:g})"
        if inside:
            return Truth.TRUE, seen
        return (Truth.FALSE if outside else Truth.UNKNOWN), seen
    score = called.activity_score
    return Truth.of(bounds(score, leaf.at_least, leaf.at_most)), f"activity score {score:g}"


def _phenotype_span(
    knowledge: Knowledge, gene: str, phenotype: str | None
) -> tuple[float, float] | None:
    """The activity-score range of a phenotype in the gene's table, if bounded."""
    table = knowledge.gene_phenotypes.get(gene)
    if table is None or table.method != "activity_score" or phenotype is None:
        return None
    rows = [r for r in table.phenotypes if r.phenotype == phenotype and r.functions is None]
    if len(rows) != 1 or rows[0].at_least is None:
        return None
    high = rows[0].at_most if rows[0].at_most is not None else float("inf")
    return rows[0].at_least, high


def genotype_key(text: str) -> tuple[str, ...] | None:
    """A genotype's alleles in a comparable order (``C/T`` = ``T|C``); ``None`` if malformed."""
    parts = text.replace("|", "/").split("/")
    if len(parts) != 2 or any(p.strip() in ("", ".") for p in parts):
        return None
    return tuple(sorted(p.strip().upper() for p in parts))


def _variant(facts: Facts, leaf: rs.VariantLeaf) -> Observed:
    result = germline_result(facts, leaf.gene)
    if result is None or result.variants is None or leaf.rsid not in result.variants:
        return Truth.UNKNOWN, f"{leaf.rsid} not genotyped"
    seen = result.variants[leaf.rsid]
    key = genotype_key(seen)
    if key is None:
        return Truth.UNKNOWN, f"{leaf.rsid} {seen} (no call)"
    letters = facts.compiled.rsid_letters.get(leaf.rsid, frozenset())
    if not set(key) <= letters:
        # e.g. VKORC1 written on the gene's strand (G/A) where pgx reads the plus strand
        # (C/T): an allele pgx cannot place is unknown, never "not the risk genotype"
        expected = "/".join(sorted(letters))
        facts.warnings.add(
            f"{leaf.gene} {leaf.rsid} genotype '{seen}' uses alleles other than {expected} "
            "(GRCh38 plus strand, as pgx's rules write them): rules on it are undecided"
        )
        return Truth.UNKNOWN, f"{leaf.rsid} {seen} (expected alleles {expected})"
    wanted = {genotype_key(g) for g in leaf.genotype}
    return Truth.of(key in wanted), f"{leaf.rsid} {seen}"


def _germline_variant(facts: Facts, leaf: rs.GermlineVariantLeaf) -> Observed:
    result = germline_result(facts, leaf.gene)
    if result is None or result.findings is None:
        return Truth.UNKNOWN, "not tested"
    hits = [f for f in result.findings if f.classification in leaf.classification]
    if hits:
        return Truth.TRUE, ", ".join(f"{f.variant} ({f.classification})" for f in hits)
    shown = ", ".join(f"{f.variant} ({f.classification})" for f in result.findings)
    return Truth.FALSE, shown or "tested, no variants reported"


GERMLINE: Mapping[type[object], Callable[[Facts, object], Observed]] = {
    rs.PhenotypeLeaf: _phenotype,  # type: ignore[dict-item]
    rs.DiplotypeLeaf: _diplotype,  # type: ignore[dict-item]
    rs.AlleleLeaf: _allele,  # type: ignore[dict-item]
    rs.ActivityScoreLeaf: _activity,  # type: ignore[dict-item]
    rs.VariantLeaf: _variant,  # type: ignore[dict-item]
    rs.GermlineVariantLeaf: _germline_variant,  # type: ignore[dict-item]
}

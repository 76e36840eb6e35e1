"""Knowledge tables: the vocabulary and facts rules are written against.

Genes, drugs and drug classes, allele functions and phenotype mappings, expression
cut-points, cancer types, somatic variant classes, labs and biomarkers all live as YAML under
``rules/knowledge/`` (see the knowledge-table docs), never as Python literals.

Longer than 400 lines because every table's data class and the lookups across tables (allele
spellings through phenotype and definition tables, drug-class closure) belong to one model
that loading, inputs and the engine all read.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator, Mapping
from typing import Literal

from attrs import field, frozen

__all__ = [
    "AlleleDefinitions",
    "AlleleFunction",
    "Biomarker",
    "CancerTypeEntry",
    "Cutpoint",
    "CutpointBin",
    "DefinedPosition",
    "Drug",
    "DrugClass",
    "ExonType",
    "Gene",
    "GenePhenotypes",
    "Knowledge",
    "KnowledgeFile",
    "LabEntry",
    "PhenotypeRow",
    "ScopeNote",
    "SomaticClass",
]

#: An allele function in CPIC's words: ``No function``, ``Malignant Hyperthermia associated``,
#: ``IV/Normal`` (G6PD WHO class / function) ... whatever CPIC's table for the gene uses.
Function = str
UNDETERMINED_FUNCTIONS = frozenset({"Uncertain function", "Unknown function"})
#: IUPAC nucleotide codes an allele definition may use for "either of these bases".
IUPAC: Mapping[str, frozenset[str]] = {
    "R": frozenset("AG"),
    "Y": frozenset("CT"),
    "S": frozenset("CG"),
    "W": frozenset("AT"),
    "K": frozenset("GT"),
    "M": frozenset("AC"),
    "B": frozenset("CGT"),
    "D": frozenset("AGT"),
    "H": frozenset("ACT"),
    "V": frozenset("ACG"),
}


def allowed_bases(base: str) -> frozenset[str]:
    """The VCF alleles a definition's base allows: itself, or each base of an IUPAC code."""
    return IUPAC.get(base, frozenset((base,)))


LevelTerm = Literal["absent", "low", "normal", "high", "equivocal"]
VariantClass = Literal["activating", "sensitizing", "resistance", "loss_of_function"]
VariantType = Literal[
    "missense",
    "nonsense",
    "frameshift",
    "deletion",
    "insertion",
    "delins",
    "duplication",
    "splice",
    "other",
]


@frozen
class Gene:
    """A gene of the vocabulary, by HGNC symbol (the key) and id."""

    hgnc_id: str


@frozen
class DrugClass:
    """A drug class; membership is inherited by ``parents``."""

    description: str
    parents: tuple[str, ...] = ()


@frozen
class Drug:
    """A drug by lower-case INN (the key), its RxNorm ingredient code and classes."""

    rxnorm: str | None = None
    classes: tuple[str, ...] = ()


@frozen
class AlleleFunction:
    """The function, and activity value where defined, of one allele."""

    function: Function
    activity_value: float | None = None


@frozen
class PhenotypeRow:
    """One row of a phenotype mapping: functions, or an activity-score range.

    ``functions`` is a pair for a diploid genotype, or one function for a gene with one copy
    (MT-RNR1; G6PD on a single X chromosome).
    """

    phenotype: str
    functions: tuple[Function, ...] | None = None
    at_least: float | None = None
    at_most: float | None = None


@frozen
class GenePhenotypes:
    """How diplotypes of one gene become phenotypes (CPIC method).

    ``aliases`` maps other spellings of an allele (legacy names such as DPYD ``*2A``,
    sub-alleles such as SLCO1B1 ``*45.002``) to its name in ``alleles``; ``data_version`` is
    the version of the source data the table was generated from.
    """

    method: Literal["function", "activity_score"]
    source: str
    alleles: dict[str, AlleleFunction]
    phenotypes: tuple[PhenotypeRow, ...]
    citations: tuple[str, ...] = ()
    reference_allele: str | None = None
    data_version: str | None = None
    aliases: dict[str, str] = field(factory=dict)
    # case- and space-folded spellings, filled on first use (not part of the data)
    _folded: dict[str, str] = field(init=False, factory=dict, eq=False, repr=False)

    def canonical(self, name: str) -> str | None:
        """The table's name for an allele written ``name``; ``None`` if it is none of them.

        The exact name, then an alias, then either with different case or spacing.
        """
        if name in self.alleles:
            return name
        if name in self.aliases:
            return self.aliases[name]
        if not self._folded:
            for alias, allele in self.aliases.items():
                self._folded[_fold(alias)] = allele
            self._folded.update({_fold(a): a for a in self.alleles})
        return self._folded.get(_fold(name))

    def closest(self, name: str, n: int = 3) -> tuple[str, ...]:
        """Known spellings closest to an unknown allele name (for "did you mean")."""
        names = [*self.alleles, *self.aliases]
        return tuple(difflib.get_close_matches(name, names, n=n, cutoff=0.6))

    @property
    def haploid(self) -> bool:
        """Whether the table phenotypes a single allele (a gene with one copy)."""
        return any(row.functions is not None and len(row.functions) == 1 for row in self.phenotypes)

    @property
    def diploid(self) -> bool:
        """Whether the table phenotypes pairs of alleles."""
        return any(row.functions is None or len(row.functions) == 2 for row in self.phenotypes)


class _Spellings(Collection[str]):
    """Every name the knowledge tables give one gene's alleles (membership only)."""

    def __init__(self, knowledge: Knowledge, gene: str) -> None:
        self.knowledge, self.gene = knowledge, gene

    def __contains__(self, name: object) -> bool:
        return (
            isinstance(name, str) and self.knowledge.canonical_allele(self.gene, name) is not None
        )

    def __iter__(self) -> Iterator[str]:  # pragma: no cover - only membership is asked
        return iter(())

    def __len__(self) -> int:  # pragma: no cover - only membership is asked
        return 0


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


@frozen
class CutpointBin:
    """A numeric bin: values ``below`` the bound (or any, if none) have ``level``."""

    level: LevelTerm
    below: float | None = None


@frozen
class Cutpoint:
    """How a raw expression value of one gene and assay becomes an ordinal level."""

    gene: str
    assay: Literal["ihc", "h_score", "z_score", "fold_change", "tpm"]
    source: str
    categories: dict[str, LevelTerm] | None = None
    bins: tuple[CutpointBin, ...] | None = None
    reference: str | None = None
    citations: tuple[str, ...] = ()


@frozen
class CancerTypeEntry:
    """An OncoTree code (the key) with its name and parent."""

    name: str
    parent: str | None = None


@frozen
class ExonType:
    """A variant type within an exon, e.g. exon 19 deletions."""

    exon: int
    type: VariantType


@frozen
class SomaticClass:
    """Which somatic variants of a gene belong to a functional class."""

    gene: str
    class_: VariantClass
    source: str
    codons: tuple[str, ...] = ()
    proteins: tuple[str, ...] = ()
    exon_types: tuple[ExonType, ...] = ()
    citations: tuple[str, ...] = ()


@frozen
class LabEntry:
    """A lab test: accepted units, converted to the first (canonical) unit.

    ``canonical = value * units[unit] + offsets.get(unit, 0)``: a factor alone for
    glucose, a factor and an offset for HbA1c IFCC mmol/mol to NGSP %.

    ``plausible`` is ``[low, high]`` in the canonical unit: a value outside it is not a
    measurement but almost always a unit mix-up (HbA1c 7.4 given as mmol/mol is 2.8 %), so
    it is read as unknown, with a warning, rather than compared.
    """

    units: dict[str, float]
    offsets: dict[str, float] = field(factory=dict)
    plausible: tuple[float, float] | None = None

    def unit(self, given: str) -> str | None:
        """The table's spelling of a unit given in any case (``mg/dl`` is ``mg/dL``)."""
        if given in self.units:
            return given
        folded = given.strip().casefold()
        return next((u for u in self.units if u.casefold() == folded), None)

    def to_canonical(self, value: float, unit: str) -> float:
        """``value`` in ``unit`` expressed in the canonical unit."""
        return value * self.units[unit] + self.offsets.get(unit, 0.0)


@frozen
class Biomarker:
    """A tumor biomarker: categorical ``values`` or a numeric ``unit``."""

    values: tuple[str, ...] | None = None
    unit: str | None = None


@frozen
class DefinedPosition:
    """A variant position that defines star alleles, VCF-style (anchor base for indels)."""

    position: int
    ref: str
    alts: tuple[str, ...]


@frozen
class AlleleDefinitions:
    """Which bases at which positions make each named allele of one gene.

    ``alleles`` maps an allele name to ``{position id: base}``; positions an allele does not
    list carry the reference base.
    """

    build: Literal["GRCh38"]
    chromosome: str
    source: str
    positions: dict[str, DefinedPosition]
    alleles: dict[str, dict[str, str]]
    citations: tuple[str, ...] = ()
    data_version: str | None = None


@frozen
class ScopeNote:
    """A biomarker–drug pair the knowledge base deliberately does not encode, and why.

    Free text on purpose: the drugs need not be in the drug table.
    """

    cancer_type: str
    biomarker: str
    drugs: tuple[str, ...]
    reason: str


@frozen
class KnowledgeFile:
    """The contents of one knowledge YAML file."""

    pgx_knowledge: Literal[1]
    genes: dict[str, Gene] = field(factory=dict)
    drug_classes: dict[str, DrugClass] = field(factory=dict)
    drugs: dict[str, Drug] = field(factory=dict)
    gene_phenotypes: dict[str, GenePhenotypes] = field(factory=dict)
    expression_cutpoints: tuple[Cutpoint, ...] = ()
    cancer_types: dict[str, CancerTypeEntry] = field(factory=dict)
    exons: dict[str, dict[str, tuple[int, int]]] = field(factory=dict)
    somatic_classes: tuple[SomaticClass, ...] = ()
    labs: dict[str, LabEntry] = field(factory=dict)
    biomarkers: dict[str, Biomarker] = field(factory=dict)
    allele_definitions: dict[str, AlleleDefinitions] = field(factory=dict)
    out_of_scope: tuple[ScopeNote, ...] = ()


def _closure(start: str, parents: Mapping[str, tuple[str, ...]]) -> frozenset[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        item = todo.pop()
        if item in seen:
            continue
        seen.add(item)
        todo.extend(parents.get(item, ()))
    return frozenset(seen)


@frozen
class Knowledge:
    """All knowledge tables merged, with the derived lookups rules need."""

    genes: Mapping[str, Gene]
    drug_classes: Mapping[str, DrugClass]
    drugs: Mapping[str, Drug]
    gene_phenotypes: Mapping[str, GenePhenotypes]
    cutpoints: Mapping[tuple[str, str], Cutpoint]
    cancer_types: Mapping[str, CancerTypeEntry]
    exons: Mapping[str, Mapping[str, tuple[int, int]]]
    somatic_classes: tuple[SomaticClass, ...]
    labs: Mapping[str, LabEntry]
    biomarkers: Mapping[str, Biomarker]
    allele_definitions: Mapping[str, AlleleDefinitions] = field(factory=dict)
    out_of_scope: tuple[ScopeNote, ...] = ()
    _versions: dict[str, str] = field(init=False, factory=dict, eq=False, repr=False)
    # gene -> folded spelling -> allele name, filled on first use (not part of the data)
    _spellings: dict[str, dict[str, str]] = field(init=False, factory=dict, eq=False, repr=False)

    def knows_alleles(self, gene: str) -> bool:
        """Whether pgx has a table naming the alleles of ``gene`` (phenotypes or definitions).

        HLA genes and genes without a table have none: their allele names are compared as
        written.
        """
        return gene in self.gene_phenotypes or gene in self.allele_definitions

    def canonical_allele(self, gene: str, name: str) -> str | None:
        """The one name pgx gives allele ``name`` of ``gene``; ``None`` if no table knows it.

        The phenotype table's name when it has one (legacy names such as DPYD ``*2A`` and
        sub-alleles such as SLCO1B1 ``*45.002`` are aliases of it), else the allele
        definition's name; exact spellings first, then with different case or spacing.
        """
        table = self.gene_phenotypes.get(gene)
        if table is not None:
            found = table.canonical(name)
            if found is not None:
                return found
        defs = self.allele_definitions.get(gene)
        if defs is None:
            return None
        if name in defs.alleles:
            return name
        spellings = self._spellings.get(gene)
        if spellings is None:
            spellings = {_fold(a): a for a in reversed(tuple(defs.alleles))}
            self._spellings[gene] = spellings
        found = spellings.get(_fold(name))
        if found is not None and table is not None:
            return table.canonical(found) or found
        return found

    def allele_spellings(self, gene: str) -> Collection[str]:
        """Membership in every spelling pgx knows for ``gene``'s alleles.

        Lets a diplotype parser keep a known name with a ``+`` (UGT1A1 ``*80+*28``) whole.
        """
        return _Spellings(self, gene)

    def closest_alleles(self, gene: str, name: str, n: int = 3) -> tuple[str, ...]:
        """Known spellings of ``gene``'s alleles closest to ``name`` (for "did you mean")."""
        table = self.gene_phenotypes.get(gene)
        defs = self.allele_definitions.get(gene)
        names = dict.fromkeys(
            [
                *(table.alleles if table else ()),
                *(table.aliases if table else ()),
                *(defs.alleles if defs else ()),
            ]
        )
        return tuple(difflib.get_close_matches(name, list(names), n=n, cutoff=0.6))

    def classes_of(self, drug: str) -> frozenset[str]:
        """Every class a drug belongs to, ancestors included; empty for unknown drugs."""
        entry = self.drugs.get(drug)
        if entry is None:
            return frozenset()
        parents = {name: dc.parents for name, dc in self.drug_classes.items()}
        out: set[str] = set()
        for cls in entry.classes:
            out |= _closure(cls, parents)
        return frozenset(out)

    def cancer_lineage(self, code: str) -> tuple[str, ...] | None:
        """The code and its ancestors, nearest first; ``None`` for an unknown code."""
        if code not in self.cancer_types:
            return None
        out = [code]
        parent = self.cancer_types[code].parent
        while parent is not None and parent not in out:
            out.append(parent)
            entry = self.cancer_types.get(parent)
            parent = entry.parent if entry is not None else None
        return tuple(out)

    def data_versions(self) -> dict[str, str]:
        """Gene → version of the source data its allele or phenotype table came from."""
        if self._versions:
            return dict(self._versions)
        out: dict[str, str] = {}
        for gene, defs in sorted(self.allele_definitions.items()):
            if defs.data_version is not None:
                out[gene] = defs.data_version
        for gene, table in sorted(self.gene_phenotypes.items()):
            if table.data_version is not None:
                out[gene] = table.data_version  # the phenotype table's version decides
        self._versions.update(sorted(out.items()))
        return dict(self._versions)

    def phenotype_terms(self, gene: str) -> frozenset[str]:
        """Phenotype terms a gene's table can produce (plus CPIC's ``Indeterminate``)."""
        table = self.gene_phenotypes.get(gene)
        if table is None:
            return frozenset()
        return frozenset({row.phenotype for row in table.phenotypes} | {"Indeterminate"})

"""Somatic variants from a MAF (Mutation Annotation Format) file.

Rows that cannot change the protein (Silent, Intron, UTR, flank, intergenic, RNA) are left
out: kept, a synonymous ``p.G12=`` would read as a change at codon G12 and could match a
codon- or class-based rule (KRAS G12 is "activating"). Leaving them out is harmless, since a
variant that leaves the protein unchanged is no finding for any rule pgx has. A synonymous
protein change in a row kept for another reason (Splice_Region) is dropped from the variant,
so protein-based conditions about it stay unknown rather than matching.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection

from attrs import frozen

from pgx.inputs._symbols import symbol_warnings
from pgx.inputs._text import bad, lines
from pgx.model.profile import SomaticVariant

__all__ = ["MafTumor", "read_maf", "read_maf_tumor"]

#: How a caller names the MAF's tumor: the keyword and the command-line flag.
_CHOOSE = "tumor_sample= (--tumor-sample)"


@frozen
class MafTumor:
    """One tumor's rows of a MAF.

    Attributes:
        variants: The protein-altering variants.
        genes: Every gene with a row for the tumor, protein-altering or not: the genes the
            MAF shows were covered. A gene absent from the MAF may simply be off the panel.
        barcode: The tumor's ``Tumor_Sample_Barcode`` (empty when the column is absent).
        warnings: Problems that do not stop the file being read (with file and line).
    """

    variants: tuple[SomaticVariant, ...]
    genes: tuple[str, ...]
    barcode: str
    warnings: tuple[str, ...] = ()


_NOT_PROTEIN_ALTERING = frozenset(
    {"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA", "lincRNA"}
)
_KEPT = frozenset(
    {
        "Frame_Shift_Del",
        "Frame_Shift_Ins",
        "In_Frame_Del",
        "In_Frame_Ins",
        "Missense_Mutation",
        "Nonsense_Mutation",
        "Nonstop_Mutation",
        "Splice_Site",
        "Splice_Region",
        "Translation_Start_Site",
        "Start_Codon_SNP",
        "Start_Codon_Del",
        "Start_Codon_Ins",
        "Stop_Codon_Del",
        "Stop_Codon_Ins",
        "De_novo_Start_InFrame",
        "De_novo_Start_OutOfFrame",
        "Targeted_Region",
    }
)
_REQUIRED = ("Hugo_Symbol", "Variant_Classification")
_EMPTY = frozenset({"", ".", "NA", "N/A", "-"})
# ASCII digits only (``\d`` matches any script's), and few: an exon number is small
_EXON = re.compile(r"^([0-9]{1,9})(/[0-9]{1,9})?$", re.ASCII)


def _count(source: str, number: int, column: str, text: str) -> int | None:
    clean = text.strip()
    if clean in _EMPTY:
        return None
    digits = clean.removeprefix("-").removeprefix("+")
    # ASCII digits only, and few: "nan", "inf", "1e3", "٣" and 5000 digits are no count
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise bad(source, number, f"{column} is not a whole number: {text[:40]!r}")
    if clean.startswith("-") and int(digits) != 0:
        raise bad(source, number, f"{column} is negative: {text!r}")
    return int(digits)


def _variant(source: str, number: int, row: dict[str, str]) -> SomaticVariant | None:
    """One MAF row as a somatic variant; ``None`` for a row that cannot alter the protein."""
    gene = row["Hugo_Symbol"].strip()
    if not gene or gene in _EMPTY:
        raise bad(source, number, "empty Hugo_Symbol")
    kind = row["Variant_Classification"].strip()
    if kind not in _KEPT and kind not in _NOT_PROTEIN_ALTERING:
        raise bad(source, number, f"unknown Variant_Classification {kind!r}")
    if kind in _NOT_PROTEIN_ALTERING:
        return None
    protein: str | None = row.get("HGVSp_Short", "").strip()
    protein = None if protein in _EMPTY or "=" in (protein or "") else protein
    hgvsc: str | None = row.get("HGVSc", "").strip()
    hgvsc = None if hgvsc in _EMPTY else (hgvsc or "").split(":")[-1]
    alt = _count(source, number, "t_alt_count", row.get("t_alt_count", ""))
    depth = _count(source, number, "t_depth", row.get("t_depth", ""))
    vaf = None
    if alt is not None and depth:
        if alt > depth:
            raise bad(source, number, f"t_alt_count {alt} exceeds t_depth {depth}")
        vaf = round(alt / depth, 4)
    match = _EXON.match(row.get("Exon_Number", "").strip())
    exon = int(match.group(1)) if match else None
    return SomaticVariant(gene, protein, hgvsc, vaf, exon)


def read_maf(path: str | os.PathLike[str], sample: str | None = None) -> tuple[SomaticVariant, ...]:
    """Read the somatic variants of one tumor from a MAF.

    Args:
        path: The MAF (tab-separated; ``#`` comment lines before the header).
        sample: The ``Tumor_Sample_Barcode`` to keep; required when the file holds several
            tumors.

    Raises:
        ProfileError: as `read_maf_tumor`.
    """
    return read_maf_tumor(path, sample).variants


def read_maf_tumor(
    path: str | os.PathLike[str],
    tumor_sample: str | None = None,
    genes: Collection[str] | None = None,
) -> MafTumor:
    """Read one tumor's rows of a MAF: its variants and the genes the MAF lists for it.

    Args:
        path: The MAF (tab-separated; ``#`` comment lines before the header).
        tumor_sample: The ``Tumor_Sample_Barcode`` to keep; required when the file holds
            several tumors, and then it must be one of them.
        genes: pgx's gene symbols; a row naming another symbol gets a warning.

    Raises:
        ProfileError: with file and line, for missing columns, truncated rows, unknown
            Variant_Classification values, bad counts (``nan`` included), several tumors
            without ``tumor_sample``, or a ``tumor_sample`` the MAF does not have.
    """
    source = str(path)
    header: list[str] | None = None
    # a dict as an ordered set: membership is constant time (a list made reading quadratic)
    rows: dict[str, dict[SomaticVariant, None]] = {}
    seen: dict[str, dict[str, int]] = {}  # barcode -> gene -> its first line
    for number, text in lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        cols = text.split("\t")
        if header is None:
            missing = [c for c in _REQUIRED if c not in cols]
            if missing:
                raise bad(source, number, f"not a MAF header: no column {', '.join(missing)}")
            header = cols
            continue
        if len(cols) != len(header):
            raise bad(
                source,
                number,
                f"{len(cols)} columns where the header has {len(header)} "
                "(truncated or malformed row)",
            )
        row = dict(zip(header, cols, strict=True))
        barcode = row.get("Tumor_Sample_Barcode", "").strip()
        kept = rows.setdefault(barcode, {})
        variant = _variant(source, number, row)
        seen.setdefault(barcode, {}).setdefault(row["Hugo_Symbol"].strip(), number)
        if variant is not None:
            kept.setdefault(variant, None)
    if header is None:
        raise bad(source, None, "no MAF header line (Hugo_Symbol, Variant_Classification, ...)")
    shown = ", ".join(sorted(rows)[:10]) + (", ..." if len(rows) > 10 else "")
    if tumor_sample is not None:
        if tumor_sample not in rows:
            # never "no variants": a mistyped barcode must not read as a tumor with none
            raise bad(
                source,
                None,
                f"no Tumor_Sample_Barcode {tumor_sample!r} in the MAF (tumors: "
                f"{shown or 'none'}); choose one with {_CHOOSE}",
            )
        barcode = tumor_sample
    elif len(rows) > 1:
        raise bad(
            source, None, f"{len(rows)} tumors in the MAF ({shown}): choose one with {_CHOOSE}"
        )
    else:
        barcode = next(iter(rows), "")
    listed = seen.get(barcode, {})
    return MafTumor(
        tuple(rows.get(barcode, ())),
        tuple(listed),
        barcode,
        tuple(symbol_warnings(source, "MAF gene", list(listed.items()), genes)),
    )

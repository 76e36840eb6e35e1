"""Tumor expression from a table: ``gene, value`` with one assay, or ``gene, assay, value``.

The assay of a two-column table comes from its header (``gene<TAB>tpm``) or is given by the
caller (``--expression-assay``); a table whose assay is unknown is refused rather than
guessed, since the same number means different things as a TPM and as a z-score.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection
from typing import Any

from pgx.inputs._symbols import symbol_warnings
from pgx.inputs._text import bad, lines
from pgx.model.profile import Expression

__all__ = ["ASSAYS", "read_expression", "read_expression_checked"]

ASSAYS = ("ihc", "h_score", "z_score", "fold_change", "tpm", "level")
_LEVELS = ("absent", "low", "normal", "high")
_GENE_HEADERS = frozenset({"gene", "hugo_symbol", "symbol", "gene_symbol"})


def _value(source: str, number: int, assay: str, text: str) -> str | float:
    text = text.strip()
    if not text:
        raise bad(source, number, f"empty {assay} value")
    if assay == "ihc":
        return text
    if assay == "level":
        if text.lower() not in _LEVELS:
            raise bad(source, number, f"level must be one of {', '.join(_LEVELS)}, found {text!r}")
        return text.lower()
    try:
        value = float(text)
    except ValueError:
        raise bad(source, number, f"{assay} value is not a number: {text!r}") from None
    if not math.isfinite(value):
        # float() reads "nan" and "inf"; neither is a measurement, and NaN compares false
        # with every cut-point, which would read as "not high" rather than unknown
        raise bad(source, number, f"{assay} value is not a finite number: {text!r}")
    return value


def read_expression(
    path: str | os.PathLike[str], assay: str | None = None
) -> dict[str, Expression]:
    """Read an expression table into per-gene `Expression` entries.

    Args:
        path: A TSV: ``gene, value`` (assay from the header or ``assay``) or
            ``gene, assay, value``.
        assay: The assay of a two-column table: one of ``ihc``, ``h_score``, ``z_score``,
            ``fold_change``, ``tpm``, ``level``.

    Raises:
        ProfileError: with file and line, for an unknown or missing assay, a bad value
            (including ``nan`` and ``inf``), a gene and assay given twice, or a row with the
            wrong number of columns.
    """
    return read_expression_checked(path, assay)[0]


def read_expression_checked(
    path: str | os.PathLike[str],
    assay: str | None = None,
    genes: Collection[str] | None = None,
) -> tuple[dict[str, Expression], tuple[str, ...]]:
    """`read_expression`, with warnings for gene symbols that are not in ``genes``.

    Returns:
        The entries, and the warnings (each with file and line).

    Raises:
        ProfileError: as `read_expression`.
    """
    source = str(path)
    symbols: dict[str, int] = {}
    if assay is not None and assay not in ASSAYS:
        raise bad(source, None, f"unknown assay {assay!r}; expected one of {', '.join(ASSAYS)}")
    width: int | None = None
    values: dict[str, dict[str, Any]] = {}
    seen: dict[tuple[str, str], int] = {}
    fixed = assay
    for number, text in lines(path):
        if not text.strip() or text.startswith("#"):
            continue
        cols = [c.strip() for c in text.split("\t")]
        if width is None:
            width = len(cols)
            if width not in (2, 3):
                raise bad(
                    source,
                    number,
                    f"expected 2 columns (gene, value) or 3 (gene, assay, value), found {width}",
                )
            if cols[0].lower() in _GENE_HEADERS:
                fixed = _header(source, number, cols, assay)
                continue
        if len(cols) != width:
            raise bad(source, number, f"{len(cols)} columns where the table has {width}")
        gene = cols[0]
        if not gene:
            raise bad(source, number, "empty gene")
        # an unknown symbol is kept (it harms no rule) but said: a rule about the gene it
        # may mean stays unknown
        symbols.setdefault(gene, number)
        if width == 3:
            row_assay = cols[1].lower()
            if row_assay not in ASSAYS:
                raise bad(
                    source,
                    number,
                    f"unknown assay {cols[1]!r}; expected one of {', '.join(ASSAYS)}",
                )
        elif fixed is None:
            raise bad(
                source,
                number,
                "the assay of this two-column table is not given: name it "
                "in the header (gene<TAB>tpm) or with --expression-assay",
            )
        else:
            row_assay = fixed
        key = (gene, row_assay)
        if key in seen:
            raise bad(
                source, number, f"{gene} {row_assay} given twice (lines {seen[key]} and {number})"
            )
        seen[key] = number
        values.setdefault(gene, {})[row_assay] = _value(source, number, row_assay, cols[-1])
    if width is None:
        raise bad(source, None, "empty expression table")
    warnings = symbol_warnings(source, "expression gene", list(symbols.items()), genes)
    return {gene: Expression(**fields) for gene, fields in values.items()}, tuple(warnings)


def _header(source: str, number: int, cols: list[str], assay: str | None) -> str | None:
    names = [c.lower() for c in cols]
    if len(cols) == 3:
        if names[1:] != ["assay", "value"]:
            raise bad(source, number, f"expected the header gene, assay, value; found {cols}")
        return None
    named = names[1]
    if named in ASSAYS:
        if assay is not None and assay != named:
            raise bad(source, number, f"the header says {named} but the assay given is {assay}")
        return named
    if named != "value":
        raise bad(
            source,
            number,
            f"unknown assay column {cols[1]!r}; expected one of "
            f"{', '.join(ASSAYS)} (or 'value' with the assay given separately)",
        )
    return assay

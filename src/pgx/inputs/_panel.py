"""The gene panel a tumor was sequenced with: which genes a MAF's silence is about."""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable

from pgx.inputs._symbols import symbol_warnings
from pgx.inputs._text import bad, lines

__all__ = ["read_panel"]

_SPLIT = re.compile(r"[,\s]+")

Panel = str | os.PathLike[str] | Iterable[str]


def read_panel(
    panel: Panel, genes: Collection[str] | None = None
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The panel's genes, from HGNC symbols or a text file of them.

    Args:
        panel: An iterable of symbols, or the path of a text file with one symbol per line
            or comma-separated (``#`` starts a comment).
        genes: pgx's gene symbols; a panel gene not among them gets a warning.

    Returns:
        The panel's source (the file, or ``panel=``), its genes in order without repeats,
        and warnings.

    Raises:
        ProfileError: an unreadable or empty file, or a symbol that is not a word.
    """
    found: dict[str, int] = {}  # symbol -> line (or position in the list)
    if isinstance(panel, str | os.PathLike):
        source = str(panel)
        for number, text in lines(panel):
            for symbol in _SPLIT.split(text.split("#", 1)[0].strip()):
                if symbol:
                    found.setdefault(symbol, number)
    else:
        source = "panel="
        for index, item in enumerate(panel):
            value: object = item  # callers are not type-checked: a number is refused here
            if not isinstance(value, str) or not value.strip() or _SPLIT.search(value.strip()):
                raise bad(source, None, f"panel gene {index + 1} is not a gene symbol: {item!r}")
            found.setdefault(value.strip(), index + 1)
    if not found:
        # an empty panel would make every gene unknown while looking like an answer
        raise bad(source, None, "the panel lists no genes")
    warnings = symbol_warnings(source, "panel gene", list(found.items()), genes)
    return source, tuple(found), tuple(warnings)

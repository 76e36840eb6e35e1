"""Reading protein changes: codon, position, variant type, and one-letter normal form."""

from __future__ import annotations

import re

__all__ = ["normalize_protein", "parse_protein"]

_THREE_TO_ONE = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
    "Sec": "U", "Xaa": "X",
}  # fmt: skip
_THREE = re.compile("|".join(_THREE_TO_ONE))
_FIRST = re.compile(r"^([A-Z*])(\d+)")


def normalize_protein(text: str) -> str:
    """``p.Gly12Asp`` and ``G12D`` both become ``G12D`` (no prefix, one-letter codes)."""
    body = text.strip()
    if body.startswith("p."):
        body = body[2:]
    body = body.strip("()")
    return _THREE.sub(lambda m: _THREE_TO_ONE[m.group(0)], body)


def parse_protein(text: str) -> tuple[str, int, str] | None:
    """``(ref_aa, position, type)`` of a protein change, or ``None`` if unreadable."""
    body = normalize_protein(text)
    match = _FIRST.match(body)
    if match is None:
        return None
    ref, pos = match.group(1), int(match.group(2))
    rest = body[match.end() :]
    if "fs" in rest:
        kind = "frameshift"
    elif "delins" in rest:
        kind = "delins"
    elif "del" in rest:
        kind = "deletion"
    elif "dup" in rest:
        kind = "duplication"
    elif "ins" in rest:
        kind = "insertion"
    elif rest in ("*", "X") or (rest.endswith("*") and len(rest) == 1):
        kind = "nonsense"
    elif rest == "=":
        kind = "other"
    elif len(rest) == 1 and rest.isalpha():
        kind = "missense"
    else:
        return None
    return ref, pos, kind

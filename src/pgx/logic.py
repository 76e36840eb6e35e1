"""Three-valued (Kleene) logic; it lives in `pgx.model.logic`.

This module is the documented import path ``pgx.logic``; it re-exports the same objects.
"""

from pgx.model.logic import (
    Truth,
    all_of,
    any_of,
    not_,
)

__all__ = [
    "Truth",
    "all_of",
    "any_of",
    "not_",
]

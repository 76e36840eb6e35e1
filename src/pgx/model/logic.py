"""Three-valued (Kleene) logic: the truth of a condition when facts may be missing."""

from __future__ import annotations

import enum
from collections.abc import Iterable

__all__ = ["Truth", "all_of", "any_of", "not_"]


class Truth(enum.Enum):
    """The value of a condition: TRUE, FALSE, or UNKNOWN when a fact it needs is absent.

    UNKNOWN is never coerced to FALSE: `bool(Truth.UNKNOWN)` raises, so no caller can
    silently treat missing data as "normal".
    """

    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    def __bool__(self) -> bool:
        raise TypeError("Truth is three-valued; compare with Truth.TRUE explicitly")

    def __invert__(self) -> Truth:
        return not_(self)

    @classmethod
    def of(cls, value: bool | None) -> Truth:
        """Map ``True``/``False``/``None`` to TRUE/FALSE/UNKNOWN."""
        if value is None:
            return cls.UNKNOWN
        return cls.TRUE if value else cls.FALSE


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene conjunction: FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE."""
    result = Truth.TRUE
    for value in values:
        if value is Truth.FALSE:
            return Truth.FALSE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene disjunction: TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE."""
    result = Truth.FALSE
    for value in values:
        if value is Truth.TRUE:
            return Truth.TRUE
        if value is Truth.UNKNOWN:
            result = Truth.UNKNOWN
    return result


def not_(value: Truth) -> Truth:
    """Kleene negation: swaps TRUE and FALSE, keeps UNKNOWN."""
    if value is Truth.TRUE:
        return Truth.FALSE
    if value is Truth.FALSE:
        return Truth.TRUE
    return Truth.UNKNOWN

"""Read-only containers for the profile model: `FrozenDict`, and converters to it and to tuples.

A profile is shared between evaluations, threads and caches (its germline results key the
phenotype cache), so nothing reachable from it may change once it is built: its lists are
tuples and its mappings are `FrozenDict`s. The attrs converters below make that hold for a
profile built by hand as much as for one loaded from a file.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any, NoReturn, TypeVar

__all__ = ["FrozenDict", "freeze", "freeze_optional", "to_tuple", "to_tuple_optional"]

K = TypeVar("K")
V = TypeVar("V")


class FrozenDict(dict[K, V]):
    """A `dict` that refuses every change once built, and hashes by its items.

    A `dict` subclass, so reading one costs what reading a dict costs (the engine reads the
    profile in its innermost loop) and JSON, cattrs and ``isinstance(x, dict)`` see a plain
    mapping. Every method that would change it raises `TypeError`; ``copy()`` and ``|``
    return a new, ordinary ``dict`` to change. Equal frozen dicts hash equal whatever their
    order (as equality ignores order); hashing needs hashable values.
    """

    __slots__ = ("_hash",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if hasattr(self, "_hash"):  # dict.__init__ again would refill it in place
            self._refuse()
        super().__init__(*args, **kwargs)
        self._hash: int | None = None

    def _refuse(self, *_: object, **__: object) -> NoReturn:
        raise TypeError(
            f"{type(self).__name__} is read-only (a profile never changes): build a new one, "
            "e.g. with attrs.evolve and a new mapping"
        )

    __setitem__ = _refuse
    __delitem__ = _refuse
    __ior__ = _refuse
    clear = _refuse
    pop = _refuse
    popitem = _refuse
    setdefault = _refuse
    update = _refuse

    def __hash__(self) -> int:  # type: ignore[override]
        found = self._hash
        if found is None:
            found = self._hash = hash(frozenset(self.items()))
        return found

    def __reduce__(self) -> tuple[type[FrozenDict[K, V]], tuple[dict[K, V]]]:
        # dict's own pickling refills the new object item by item, which this type refuses
        return type(self), (dict(self),)

    def __copy__(self) -> FrozenDict[K, V]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FrozenDict[K, V]:
        return type(self)(copy.deepcopy(dict(self), memo))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({dict.__repr__(self)})"


def freeze(value: Mapping[Any, Any]) -> FrozenDict[Any, Any]:
    """``value`` as a `FrozenDict` (the same object when it already is one)."""
    if type(value) is FrozenDict:
        return value
    return FrozenDict(value)


def freeze_optional(value: Mapping[Any, Any] | None) -> FrozenDict[Any, Any] | None:
    """`freeze`, keeping ``None`` (absent: not tested)."""
    if value is None or type(value) is FrozenDict:
        return value
    return FrozenDict(value)


def to_tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    """``value`` as a tuple; a string is refused (it would become a tuple of characters)."""
    if type(value) is tuple:
        return value
    if isinstance(value, str | bytes | Mapping):
        raise TypeError(f"expected a list or tuple, found {type(value).__name__} {value!r}")
    return tuple(value)


def to_tuple_optional(value: Iterable[Any] | None) -> tuple[Any, ...] | None:
    """`to_tuple`, keeping ``None`` (absent: not tested)."""
    if value is None or type(value) is tuple:
        return value
    return to_tuple(value)

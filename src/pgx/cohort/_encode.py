"""Columns to integer codes and distinct values, with Arrow kernels for nested types.

Only the distinct values of a column ever become Python objects: a list column is encoded
by encoding its elements, joining each row's element codes into one string and encoding
those; a struct column by combining its children's codes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["encode_arrow", "encode_python", "freeze"]

Codes = npt.NDArray[np.int64]


def freeze(value: Any) -> Any:
    """A hashable key for a profile-format value; 1, 1.0 and True stay different."""
    if isinstance(value, dict):
        return ("d", tuple(sorted((k, freeze(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("l", tuple(freeze(v) for v in value))
    return (type(value).__name__, value)


def _is_flat(tp: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(tp)
        or pa.types.is_large_string(tp)
        or pa.types.is_integer(tp)
        or pa.types.is_floating(tp)
        or pa.types.is_boolean(tp)
        or pa.types.is_null(tp)
    )


Decode = Callable[[int], Any]


def encode_arrow(array: pa.Array | pa.ChunkedArray) -> tuple[Codes, list[Any]]:
    """Integer codes per row and the distinct values, in the profile format.

    Nested values (lists, structs, maps) are encoded bottom-up with Arrow kernels, never
    row by row in Python: only the distinct values are turned into Python objects.
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    codes, _, decode = _encode(array)
    used, inverse = np.unique(codes, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), [decode(int(u)) for u in used]


def _encode(array: pa.Array) -> tuple[Codes, int, Decode]:
    """Codes per element, how many codes there can be, and how to turn a code into a value."""
    tp = array.type
    if pa.types.is_dictionary(tp):
        array = array.cast(tp.value_type)
        tp = tp.value_type
    if pa.types.is_null(tp):
        return np.zeros(len(array), dtype=np.int64), 1, lambda _: None
    if _is_flat(tp):
        encoded = pc.dictionary_encode(array)
        values: list[Any] = encoded.dictionary.to_pylist()
        if pa.types.is_floating(tp):
            # NaN is what pandas writes for a missing number: absent, never a value
            values = [None if v is not None and math.isnan(v) else v for v in values]
        values.append(None)
        codes = encoded.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)
        return codes.astype(np.int64, copy=False), len(values), values.__getitem__
    if pa.types.is_struct(tp):
        return _encode_struct(array)
    if pa.types.is_map(tp):
        return _encode_list(array, as_map=True)
    if pa.types.is_list(tp) or pa.types.is_large_list(tp) or pa.types.is_fixed_size_list(tp):
        return _encode_list(array, as_map=False)
    raise ValueError(f"a column of type {tp} is not part of the profile format")


def _combine(parts: Sequence[Codes], sizes: Sequence[int]) -> tuple[Codes, npt.NDArray[np.int64]]:
    """Codes of the distinct combinations of several code arrays, and each combination."""
    n = len(parts[0])
    product = 1
    for size in sizes:
        product *= max(size, 1)
    if product < 2**62:
        combined = np.zeros(n, dtype=np.int64)
        for part, size in zip(parts, sizes, strict=True):
            combined = combined * max(size, 1) + part
        distinct, inverse = np.unique(combined, return_inverse=True)
        table = np.empty((len(distinct), len(parts)), dtype=np.int64)
        rest = distinct.copy()
        for j in range(len(parts) - 1, -1, -1):
            size = max(sizes[j], 1)
            table[:, j] = rest % size
            rest //= size
        return inverse.reshape(-1).astype(np.int64), table
    stacked = np.stack(parts, axis=1)
    table, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return inverse.reshape(-1).astype(np.int64), table.astype(np.int64)


def _encode_struct(array: pa.StructArray) -> tuple[Codes, int, Decode]:
    tp = array.type
    names = [tp.field(i).name for i in range(tp.num_fields)]
    nulls = array.is_null().to_numpy(zero_copy_only=False).astype(np.int64)
    children = [_encode(child) for child in array.flatten()]
    codes, table = _combine([nulls] + [c[0] for c in children], [2] + [c[1] for c in children])

    def decode(code: int) -> Any:
        row = table[code]
        if row[0]:
            return None
        out = {}
        for name, (_, _, child), value in zip(names, children, row[1:], strict=True):
            item = child(int(value))
            if item is not None:
                out[name] = item
        return out

    return codes, len(table), decode


def _encode_list(array: pa.ListArray, *, as_map: bool) -> tuple[Codes, int, Decode]:
    nulls = array.is_null().to_numpy(zero_copy_only=False)
    lengths = pc.list_value_length(array).fill_null(0).to_numpy(zero_copy_only=False)
    flat = array.flatten()
    element_codes, _, element = _encode(flat)
    offsets = np.zeros(len(array) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    # each row's element codes joined into one string: equal lists, equal strings
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(
            pa.array(offsets),
            pa.array(element_codes).cast(pa.string()),
            mask=pa.array(nulls),
        ),
        ",",
    )
    encoded = pc.dictionary_encode(joined)
    keys: list[str | None] = encoded.dictionary.to_pylist()
    keys.append(None)
    codes = encoded.indices.fill_null(len(keys) - 1).to_numpy(zero_copy_only=False)

    def decode(code: int) -> Any:
        key = keys[code]
        if key is None:
            return None
        items = [element(int(x)) for x in key.split(",")] if key else []
        if as_map:
            return {i["key"]: i["value"] for i in items if i.get("value") is not None}
        return items

    return codes.astype(np.int64, copy=False), len(keys), decode


def encode_python(values: Sequence[Any]) -> tuple[Codes, list[Any]]:
    """Integer codes per row and the distinct values of Python values (by `freeze` key)."""
    index: dict[Any, int] = {}
    distinct: list[Any] = []
    codes = np.empty(len(values), dtype=np.int64)
    for row, value in enumerate(values):
        key = freeze(value)
        code = index.get(key)
        if code is None:
            code = index[key] = len(distinct)
            distinct.append(value)
        codes[row] = code
    return codes, distinct

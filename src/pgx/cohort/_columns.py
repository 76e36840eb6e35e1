"""Profiles as columns: the flat profile schema, read from Arrow, pandas, Parquet or Python.

A flat profile table has one row per profile and one column per profile path: the column
``germline.CYP2C19.diplotype`` holds, in each row, the value at that path of the profile
format (a string here), ``tumor.variants`` a list of variant structs, ``clinical.labs.HbA1c``
a ``{value, unit}`` struct. A null cell is an absent key (not tested, unknown), exactly as
leaving the key out of a YAML profile; an empty list is "known to be none".

Every column is encoded once per batch into integer codes and its distinct values, so the
evaluator works on the few distinct values a column holds rather than on every row.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from pgx.cohort._encode import encode_arrow, encode_python
from pgx.engine import canonical_symbols
from pgx.errors import Problem, ProfileError
from pgx.io import read_profile
from pgx.io._convert import converter
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["Batch", "Column", "Reader", "strip_none", "to_table"]

Path_: Any = tuple[str, ...]
Codes = npt.NDArray[np.int64]

#: Top-level keys of the profile format; every column path starts with one of them.
TOP_LEVEL = ("id", "pgx_profile", "germline", "tumor", "clinical", "warnings")
#: Where a gene symbol sits in a path: the second key under ``germline`` and the third
#: under ``tumor.expression`` (read case-insensitively, as the engine reads them).
_GENE_KEYED = (("germline",), ("tumor", "expression"))
DEFAULT_BATCH_ROWS = 65_536


class Column:
    """One column of a batch: a profile path, integer codes per row, and distinct values.

    ``values[codes[i]]`` is row ``i``'s value in the profile format (``None`` when absent).
    """

    __slots__ = ("codes", "path", "values")

    def __init__(self, path: tuple[str, ...], codes: Codes, values: list[Any]) -> None:
        self.path = path
        self.codes = codes
        self.values = values


class Batch:
    """Rows ``offset .. offset + rows`` of the input, as encoded columns."""

    __slots__ = ("checked", "columns", "ids", "offset", "rows", "source")

    def __init__(
        self,
        columns: list[Column],
        ids: list[str | None],
        offset: int,
        source: str,
        *,
        checked: bool,
    ) -> None:
        self.columns = columns
        self.ids = ids
        self.rows = len(ids)
        self.offset = offset
        self.source = source
        self.checked = checked  # values came from loaded profiles (no need to check again)

    def where(self, row: int) -> str:
        """The input row, for error messages: ``cohort.parquet, row 17 (id P-17)``."""
        shown = f"{self.source}, row {self.offset + row}"
        found = self.ids[row]
        return shown if found is None else f"{shown} (id {found})"

    def mapping(self, row: int, columns: Iterable[Column] | None = None) -> dict[str, Any]:
        """Row ``row`` as a mapping in the profile format (only the given columns)."""
        out: dict[str, Any] = {}
        for column in self.columns if columns is None else columns:
            put(out, column.path, column.values[column.codes[row]])
        if self.ids[row] is not None and columns is None:
            out["id"] = self.ids[row]
        return out


def put(target: dict[str, Any], path: Sequence[str], value: Any) -> None:
    """Set ``value`` at ``path`` of a nested mapping (an absent value sets nothing)."""
    if value is None:
        return
    node = target
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def strip_none(value: Any) -> Any:
    """Drop null values from mappings, recursively: a null is an absent key."""
    if isinstance(value, dict):
        return {k: strip_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [strip_none(v) for v in value]
    return value


# ------------------------------------------------------------------ column names
def parse_path(name: str, genes: Mapping[str, str], known: frozenset[str]) -> tuple[str, ...]:
    """A column name as a profile path, gene symbols read as the engine reads them."""
    parts = name.split(".")
    if parts[0] not in TOP_LEVEL or any(p == "" for p in parts):
        raise ValueError(
            f"expected a profile path such as 'germline.CYP2C19.diplotype' starting with "
            f"one of {', '.join(TOP_LEVEL)}, found {name!r}"
        )
    for prefix in _GENE_KEYED:
        n = len(prefix)
        if tuple(parts[:n]) == prefix and len(parts) > n:
            parts[n] = canonical_gene(parts[n], genes, known)
    return tuple(parts)


def canonical_gene(symbol: str, genes: Mapping[str, str], known: frozenset[str]) -> str:
    """``kras`` is KRAS: a symbol that differs from a known one only by case or spaces."""
    clean = symbol.strip()
    if clean in known:
        return clean
    return genes.get(clean.upper(), symbol)


def check_paths(names: Sequence[str], paths: Sequence[tuple[str, ...]], source: str) -> None:
    """Two columns for one path, or one inside another, would make a row ambiguous."""
    problems = []
    seen: dict[tuple[str, ...], str] = {}
    for name, path in zip(names, paths, strict=True):
        if path in seen:
            problems.append(
                Problem(name, f"column names the same profile path as '{seen[path]}'", source)
            )
        seen.setdefault(path, name)
    for name, path in zip(names, paths, strict=True):
        for other, other_name in seen.items():
            if len(other) < len(path) and path[: len(other)] == other:
                problems.append(
                    Problem(name, f"column lies inside column '{other_name}' (give one)", source)
                )
    if problems:
        raise ProfileError(problems)


# ------------------------------------------------------------------ inputs
class Reader:
    """Turns any accepted input into batches of encoded columns."""

    def __init__(self, ruleset: RuleSet, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        self.ruleset = ruleset
        self.batch_rows = batch_rows
        knowledge = ruleset.knowledge
        self.known = frozenset(knowledge.genes)
        self.upper = {g.upper(): g for g in knowledge.genes}

    def batches(self, profiles: object) -> Iterator[Batch]:
        """Batches of ``profiles`` (a table, a Parquet path, or profiles), in input order."""
        if isinstance(profiles, str | os.PathLike):
            yield from self._parquet(Path(profiles))
            return
        if isinstance(profiles, pa.Table | pa.RecordBatch):
            yield from self._table(
                pa.Table.from_batches([profiles])
                if isinstance(profiles, pa.RecordBatch)
                else profiles,
                "<table>",
            )
            return
        if isinstance(profiles, pa.RecordBatchReader):
            offset = 0
            for batch in profiles:
                yield self._arrow(batch, offset, "<table>")
                offset += batch.num_rows
            return
        if isinstance(profiles, Iterator):
            first = next(profiles, None)
            if first is None:
                return
            rest = itertools.chain([first], profiles)
            if isinstance(first, pa.RecordBatch):
                # a stream of record batches (a Spark partition): one table in pieces
                offset = 0
                for piece in rest:
                    if piece.num_rows:
                        yield self._arrow(piece, offset, "<table>")
                    offset += piece.num_rows
                return
            profiles = rest
        if _is_pandas(profiles):
            table = pa.Table.from_pandas(profiles, preserve_index=False)
            yield from self._table(table, "<dataframe>")
            return
        if isinstance(profiles, Profile | Mapping) or not isinstance(profiles, Iterable):
            raise ProfileError(
                [
                    Problem(
                        "$",
                        "expected a table (Arrow, pandas), a Parquet path, or an iterable of "
                        f"profiles, found {type(profiles).__name__}",
                    )
                ]
            )
        yield from self._profiles(profiles)

    def _parquet(self, path: Path) -> Iterator[Batch]:
        import pyarrow.parquet as pq  # noqa: PLC0415 - only for Parquet input

        try:
            file = pq.ParquetFile(path)
        except (OSError, pa.ArrowInvalid) as exc:
            raise ProfileError([Problem("$", f"cannot read Parquet: {exc}", str(path))]) from None
        offset = 0
        for batch in file.iter_batches(batch_size=self.batch_rows):
            yield self._arrow(batch, offset, str(path))
            offset += batch.num_rows

    def _table(self, table: pa.Table, source: str) -> Iterator[Batch]:
        offset = 0
        for batch in table.to_batches(max_chunksize=self.batch_rows):
            yield self._arrow(batch, offset, source)
            offset += batch.num_rows

    def _arrow(self, batch: pa.RecordBatch, offset: int, source: str) -> Batch:
        names = list(batch.schema.names)
        paths: list[tuple[str, ...]] = []
        problems = []
        for name in names:
            try:
                paths.append(parse_path(name, self.upper, self.known))
            except ValueError as exc:
                problems.append(Problem(name, str(exc), source))
        if problems:
            raise ProfileError(problems)
        check_paths(names, paths, source)
        ids: list[str | None] = [None] * batch.num_rows
        columns = []
        for name, path in zip(names, paths, strict=True):
            array = batch.column(name)
            if path == ("id",):
                tp = array.type
                if not (
                    pa.types.is_string(tp) or pa.types.is_large_string(tp) or pa.types.is_null(tp)
                ):
                    raise ProfileError(
                        [Problem("id", f"expected a string column, found {tp}", source)]
                    )
                ids = array.to_pylist()
                continue
            codes, values = encode_arrow(array)
            columns.append(Column(path, codes, values))
        return Batch(columns, ids, offset, source, checked=False)

    def _profiles(self, items: Iterable[object]) -> Iterator[Batch]:
        offset = 0
        rows: list[dict[tuple[str, ...], Any]] = []
        ids: list[str | None] = []
        for index, item in enumerate(items):
            try:
                profile = read_profile(item)  # type: ignore[arg-type]
            except ProfileError as exc:
                raise ProfileError(
                    Problem(p.path, p.message, p.source or f"profiles[{index}]", p.line)
                    for p in exc.problems
                ) from None
            ids.append(profile.id)
            rows.append(self.units(profile))
            if len(rows) == self.batch_rows:
                yield self._python(rows, ids, offset)
                offset += len(rows)
                rows, ids = [], []
        if rows or offset == 0:
            yield self._python(rows, ids, offset)

    def units(self, profile: Profile) -> dict[tuple[str, ...], Any]:
        """A profile split into the units the evaluator reads (genes, tumor sections…)."""
        profile = canonical_symbols(profile, self.ruleset.knowledge, self.upper, set())
        data = strip_none(converter.unstructure(profile))
        out: dict[tuple[str, ...], Any] = {}
        for section in ("germline", "tumor", "clinical"):
            for key, value in data.get(section, {}).items():
                if (section, key) in (
                    ("tumor", "expression"),
                    ("tumor", "biomarkers"),
                    ("clinical", "labs"),
                ):
                    # one unit per gene or name: few distinct values each. An empty
                    # mapping reads like an absent one (every leaf under it is unknown)
                    for name, item in value.items():
                        out[(section, key, name)] = item
                else:
                    out[(section, key)] = value
        return out

    def _python(
        self, rows: list[dict[tuple[str, ...], Any]], ids: list[str | None], offset: int
    ) -> Batch:
        paths = sorted({path for row in rows for path in row})
        columns = []
        for path in paths:
            values = [row.get(path) for row in rows]
            codes, distinct = encode_python(values)
            columns.append(Column(path, codes, distinct))
        return Batch(columns, ids, offset, "<profiles>", checked=True)


def _is_pandas(value: object) -> bool:
    module = type(value).__module__
    return module.startswith("pandas") and hasattr(value, "columns")


def batches(
    profiles: object, ruleset: RuleSet, batch_rows: int = DEFAULT_BATCH_ROWS
) -> Iterator[Batch]:
    """Batches of encoded columns for any accepted input."""
    return Reader(ruleset, batch_rows).batches(profiles)


def to_table(profiles: Iterable[object], ruleset: RuleSet) -> pa.Table:
    """Profiles (or mappings) as a table in the flat profile schema, one column per unit."""
    reader = Reader(ruleset)
    rows: list[dict[tuple[str, ...], Any]] = []
    ids: list[str | None] = []
    for index, item in enumerate(profiles):
        try:
            profile = read_profile(item)  # type: ignore[arg-type]
        except ProfileError as exc:
            raise ProfileError(
                Problem(p.path, p.message, p.source or f"profiles[{index}]", p.line)
                for p in exc.problems
            ) from None
        ids.append(profile.id)
        rows.append(reader.units(profile))
    arrays: dict[str, pa.Array] = {"id": pa.array(ids, pa.string())}
    for path in sorted({path for row in rows for path in row}):
        name = ".".join(path)
        try:
            arrays[name] = pa.array([row.get(path) for row in rows])
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ProfileError(
                [Problem(name, f"values of this path differ in type across profiles: {exc}")]
            ) from None
    return pa.table(arrays)

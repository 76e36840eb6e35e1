"""Bounded YAML/JSON reading with a line for every field path.

PyYAML's ``safe_load`` silently keeps the last of two equal keys and expands aliases without
bound; both would lose or multiply data, so this module composes the node tree itself,
refuses anchors, aliases and duplicate keys, enforces size limits, and records the line of
every mapping key and list item for error messages.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml
from attrs import evolve, frozen
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from pgx.errors import Problem
from pgx.io._files import is_link, open_regular

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "MAX_ITEMS",
    "MAX_VALUES",
    "Document",
    "PathKey",
    "format_path",
    "parse",
]

#: Largest input file accepted, in bytes.
MAX_BYTES = 16 * 1024 * 1024
#: Deepest nesting of mappings and lists accepted.
MAX_DEPTH = 64
#: Most entries accepted in one mapping or list.
MAX_ITEMS = 100_000
#: Most values (scalars, lists and mappings, each counted once per path) in one input.
MAX_VALUES = 1_000_000
#: Most digits accepted in one number: no count or measurement pgx reads needs more, and
#: Python refuses to convert integers past 4300 digits.
MAX_DIGITS = 100
#: What an error message about a file reached through a symbolic link says instead of
#: quoting it: the link may point at a file the reader must not see echoed.
WITHHELD = "not a valid pgx file (details not shown: the file is a symbolic link)"

PathKey = tuple[str | int, ...]


def limit_problems(data: object, source: str) -> list[Problem]:
    """The documented size limits, for data that did not come through `parse` (a mapping)."""
    todo: list[tuple[object, PathKey]] = [(data, ())]
    seen = 0
    while todo:
        value, path = todo.pop()
        seen += 1
        if seen > MAX_VALUES:
            # shared references are walked once per path: the count bounds that walk too
            return [Problem(format_path(path), f"more than {MAX_VALUES} values in all", source)]
        if len(path) > MAX_DEPTH:
            return [Problem(format_path(path), f"nesting deeper than {MAX_DEPTH} levels", source)]
        if isinstance(value, dict | list | tuple):
            if len(value) > MAX_ITEMS:
                return [Problem(format_path(path), f"more than {MAX_ITEMS} items", source)]
            items = value.items() if isinstance(value, dict) else enumerate(value)
            todo.extend((v, (*path, k if isinstance(k, int) else str(k))) for k, v in items)
    return []


def format_path(path: PathKey) -> str:
    """Render a path tuple as ``$.a.b[2]``."""
    out = "$"
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else f".{step}"
    return out


@frozen
class Document:
    """Parsed data plus the line of each path, for pointing at bad fields."""

    data: Any
    source: str
    lines: dict[PathKey, int]
    sha256: bytes = b""
    withheld: bool = False

    def line_of(self, path: PathKey) -> int | None:
        """The line of ``path`` or of its nearest ancestor that has one."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return self.lines.get((), None)

    def problem(self, path: PathKey, message: str) -> Problem:
        """A `Problem` located at ``path`` in this document.

        For a document read through a symbolic link the message and path (both may quote
        the file) are replaced by `WITHHELD`; the file and line remain.
        """
        if self.withheld:
            return Problem("$", WITHHELD, self.source, self.line_of(path))
        return Problem(format_path(path), message, self.source, self.line_of(path))


class _InputTooLarge(Exception):
    pass


class _Refused(Exception):
    def __init__(self, message: str, line: int, path: PathKey = ()) -> None:
        super().__init__(message)
        self.line = line
        self.path = path


_PLAIN_TAGS = frozenset({"tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"})
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


def _shown(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "...")


def _scalar(loader: SafeConstructor, node: yaml.ScalarNode, path: PathKey) -> Any:
    """The scalar's value; an explicit tag whose text does not fit it is refused, not raised."""
    line = node.start_mark.line + 1
    if node.tag in _NUMBER_TAGS and sum(c.isdigit() for c in node.value) > MAX_DIGITS:
        raise _Refused(f"number with more than {MAX_DIGITS} digits", line, path)
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, yaml.YAMLError):
        # `!!int abc`, `!!bool maybe`, `!!timestamp x`: PyYAML's constructors raise anything
        tag = node.tag.replace("tag:yaml.org,2002:", "!!")
        raise _Refused(f"{_shown(node.value)} is not a valid {tag}", line, path) from None


def _build(
    loader: SafeConstructor, node: yaml.Node, path: PathKey, lines: dict[PathKey, int], depth: int
) -> Any:
    line = node.start_mark.line + 1
    if depth > MAX_DEPTH:
        raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", line, path)
    if isinstance(node, yaml.ScalarNode):
        value = _scalar(loader, node, path)
        if not isinstance(value, str | int | float | bool | type(None)):
            # timestamps, binary: keep the text so a string field still gets its value
            value = node.value
        return value
    if node.tag not in _PLAIN_TAGS:
        raise _Refused(f"YAML tag '{node.tag}' is not accepted", line, path)
    if isinstance(node, yaml.SequenceNode):
        if len(node.value) > MAX_ITEMS:
            raise _Refused(f"list longer than {MAX_ITEMS} items", line)
        out_list = []
        for index, child in enumerate(node.value):
            lines[(*path, index)] = child.start_mark.line + 1
            out_list.append(_build(loader, child, (*path, index), lines, depth + 1))
        return out_list
    if isinstance(node, yaml.MappingNode):
        if len(node.value) > MAX_ITEMS:
            raise _Refused(f"mapping with more than {MAX_ITEMS} keys", line)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise _Refused("mapping keys must be plain scalars", key_node.start_mark.line + 1)
            key = _scalar(loader, key_node, path)
            if isinstance(key, bool | type(None)) or not isinstance(key, str | int | float):
                key = key_node.value
            if not isinstance(key, str):
                # genes, drugs and rsids are names: YAML reading `1` or `3.0` as a number
                # would otherwise make the key unequal to what the author typed
                key = key_node.value
            if key in out:
                raise _Refused(f"duplicate key '{key}'", key_node.start_mark.line + 1, (*path, key))
            lines[(*path, key)] = key_node.start_mark.line + 1
            out[key] = _build(loader, value_node, (*path, key), lines, depth + 1)
        return out
    raise _Refused("unsupported YAML node", line)  # pragma: no cover - PyYAML has three kinds


class _Composing(Composer):
    """Composing that refuses anchors and aliases (no 'billion laughs').

    It also refuses nesting past `MAX_DEPTH` while composing, which is recursive: deeper
    input would otherwise end in Python's recursion limit rather than the documented one.
    """

    depth = 0
    values = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # from the parser mixed in
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.AliasEvent):
            raise _Refused("YAML aliases are not accepted", line)
        if getattr(event, "anchor", None) is not None:
            raise _Refused("YAML anchors are not accepted", line)
        if self.depth > MAX_DEPTH:
            raise _Refused(f"nesting deeper than {MAX_DEPTH} levels", line)
        self.values += 1
        if self.values > MAX_VALUES:  # counted while composing: refused before building more
            raise _Refused(f"more than {MAX_VALUES} values in all", line)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _PureLoader(_Composing, yaml.SafeLoader):
    """PyYAML's pure-Python scanner and parser under our composer."""


try:
    from yaml._yaml import CParser as _CParser  # libyaml, shipped in PyYAML's wheels
except ImportError:  # pragma: no cover - a PyYAML built without libyaml
    _LOADER: Any = _PureLoader
else:

    class _FastLoader(_Composing, _CParser, SafeConstructor, Resolver):
        """libyaml's scanner and parser (about 8 times faster) under our composer.

        Only the events come from C; composing (anchors, depth, counts) and constructing
        stay in Python, so both loaders accept and refuse the same documents.
        """

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)

    _LOADER = _FastLoader


def parse(
    text: str | bytes, source: str, *, withheld: bool = False
) -> tuple[Document | None, list[Problem]]:
    """Parse YAML (or JSON, a subset) text; returns the document or the problems found.

    With ``withheld`` (a file read through a symbolic link), problems name the file and
    line but quote nothing of it.
    """
    raw = text if isinstance(text, bytes) else text.encode()
    doc, problems = _parse(text, source)
    if doc is not None:
        return evolve(doc, sha256=hashlib.sha256(raw).digest(), withheld=withheld), []
    if withheld:
        problems = [Problem("$", WITHHELD, p.source, p.line) for p in problems]
    return None, problems


def _parse(text: str | bytes, source: str) -> tuple[Document | None, list[Problem]]:
    if len(text) > MAX_BYTES:
        return None, [Problem("$", f"input larger than {MAX_BYTES} bytes", source)]
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")  # a byte-order mark is not content
        except UnicodeDecodeError as exc:
            return None, [Problem("$", f"not UTF-8 text ({exc.reason})", source)]
    try:
        loader = _LOADER(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        return None, [Problem("$", f"invalid YAML: {exc}", source)]
    try:
        node = loader.get_single_node()
        lines: dict[PathKey, int] = {}
        data = None if node is None else _build(loader, node, (), lines, 0)
        if node is not None:
            lines[()] = node.start_mark.line + 1
    except _Refused as exc:
        return None, [Problem(format_path(exc.path), str(exc), source, exc.line)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "invalid YAML"
        if "nesting depth" in what:  # libyaml stops at its own depth, far past ours
            return None, [Problem("$", f"nesting deeper than {MAX_DEPTH} levels", source, line)]
        return None, [Problem("$", f"invalid YAML: {what}", source, line)]
    except (yaml.YAMLError, RecursionError) as exc:
        return None, [Problem("$", f"invalid YAML: {exc}", source)]
    finally:
        loader.dispose()
    return Document(data, source, lines), []


def read(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read and parse a file, turning I/O failures into problems."""
    source = str(path)
    try:
        with open_regular(path) as handle:
            # the read itself is bounded: a size from stat() can change before the read
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [Problem("$", f"cannot read file: {exc.strerror or exc}", source)]
    if len(raw) > MAX_BYTES:
        return None, [Problem("$", f"file larger than {MAX_BYTES} bytes", source)]
    return parse(raw, source, withheld=is_link(path))

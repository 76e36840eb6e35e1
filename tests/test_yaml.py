"""Bounded YAML reading: refuses what would lose or multiply data, and keeps lines."""

from __future__ import annotations

from pgx.io._yaml import MAX_DEPTH, parse


def test_lines_recorded() -> None:
    """Every key has its 1-based line."""
    doc, problems = parse("a: 1\nb:\n  - x\n  - y: 2\n", "f.yaml")
    assert problems == []
    assert doc is not None
    assert doc.data == {"a": 1, "b": ["x", {"y": 2}]}
    assert doc.line_of(("b", 1, "y")) == 4
    assert doc.line_of(("a",)) == 1


def test_duplicate_key_refused() -> None:
    """A repeated key is an error at its line, never 'last one wins'."""
    doc, problems = parse("a: 1\nb: 2\na: 3\n", "f.yaml")
    assert doc is None
    assert [(p.line, p.path, p.message) for p in problems] == [(3, "$.a", "duplicate key 'a'")]


def test_aliases_and_anchors_refused() -> None:
    """Anchors and aliases are refused (no billion laughs)."""
    doc, problems = parse("a: &x [1, 2]\nb: *x\n", "f.yaml")
    assert doc is None
    assert "anchors" in problems[0].message


def test_depth_limit() -> None:
    """Nesting past the documented limit is a clear error."""
    text = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    doc, problems = parse(text, "deep.yaml")
    assert doc is None
    assert "nesting deeper" in problems[0].message


def test_syntax_error_has_line() -> None:
    """Broken YAML reports the line of the problem."""
    doc, problems = parse("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    assert doc is None
    assert problems[0].line is not None
    assert problems[0].message.startswith("invalid YAML")


def test_numeric_keys_kept_as_text() -> None:
    """Keys are names: '1' stays '1' so it matches what the author typed."""
    doc, _ = parse("1: a\n3.0: b\n", "f.yaml")
    assert doc is not None
    assert doc.data == {"1": "a", "3.0": "b"}


def test_tags_on_collections_refused() -> None:
    """A tag on a list or mapping is refused, not silently read as plain data."""
    doc, problems = parse("a: !!python/object/apply:os.system [ls]\n", "f.yaml")
    assert doc is None
    assert "tag" in problems[0].message
    doc, problems = parse("a: !custom {b: 1}\n", "f.yaml")
    assert doc is None

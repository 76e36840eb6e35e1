"""Loading a ruleset: rule files and knowledge tables merged over the bundled ones, hashed."""

from __future__ import annotations

import functools
import hashlib
import importlib.resources
import os
from pathlib import Path

from attrs import evolve

from pgx.errors import Problem, RuleFileError
from pgx.io._cache import load_documents, store_documents
from pgx.io._convert import structure
from pgx.io._knowledge import KnowledgeMerger, check_knowledge
from pgx.io._profile import located
from pgx.io._rule_checks import check_rules
from pgx.io._yaml import Document, PathKey, read
from pgx.model import ruleset as rs
from pgx.model.knowledge import KnowledgeFile

__all__ = ["bundled_rules_path", "default_ruleset", "load_ruleset", "pgx_version"]


def bundled_rules_path() -> Path:
    """The directory of the rules shipped with pgx."""
    return Path(str(importlib.resources.files("pgx").joinpath("rules")))


def _read_all(
    root: Path, *, cached: bool = False
) -> tuple[list[tuple[Path, Document]], list[Problem]]:
    """Every rule and knowledge file under ``root``, parsed.

    ``cached`` (the bundled rules only) takes the parsed documents from the per-user cache
    when it holds exactly these files' bytes (`pgx.io._cache`), and fills it otherwise.
    """
    if root.is_dir():
        paths = sorted(
            # not only regular files: a .yaml FIFO or device is refused by name, not skipped
            p
            for p in root.rglob("*")
            if p.suffix.lower() in (".yaml", ".yml") and not p.is_dir()
        )
        if not paths:
            return [], [Problem("$", "no .yaml rule files here", str(root))]
    else:
        paths = [root]
    files: list[tuple[str, bytes]] = []
    if cached and root.is_dir():
        try:
            files = [(p.relative_to(root).as_posix(), p.read_bytes()) for p in paths]
        except OSError:
            files = []
        hit = load_documents(root, files, pgx_version()) if files else None
        if hit is not None:
            return [(root / name, hit[name]) for name, _ in files], []
    docs: list[tuple[Path, Document]] = []
    problems: list[Problem] = []
    for path in paths:
        doc, found = read(path)
        problems.extend(found)
        if doc is not None:
            docs.append((path, doc))
    if files and not problems:
        store_documents(files, pgx_version(), {p.relative_to(root).as_posix(): d for p, d in docs})
    return docs, problems


@functools.cache
def pgx_version() -> str:
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415 - lazy

    try:
        return version("pgx")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


def _kind(doc: Document) -> str | None:
    data = doc.data
    if isinstance(data, dict):
        for key in ("pgx_rules", "pgx_knowledge", "pgx_ruleset"):
            if key in data:
                return key
    return None


def _hash(entries: list[tuple[str, bytes]]) -> str:
    """SHA-256 over (relative path, SHA-256 of content) pairs; identical pairs count once.

    The bundled knowledge merged under a user's rules is hashed under the same relative
    names, so a byte-identical copy of the bundled rules hashes like the bundled rules.
    """
    digest = hashlib.sha256()
    # the content is hashed as read once by the loader: a second read could see other bytes
    for name, content in sorted(set(entries)):
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


@functools.cache
def _bundled_knowledge_docs() -> tuple[
    tuple[tuple[str, bytes], ...], tuple[tuple[KnowledgeFile, Document], ...]
]:
    root = bundled_rules_path()
    entries = []
    files = []
    docs, problems = _read_all(root / "knowledge", cached=True)
    for path, doc in docs:
        kf, errors = structure(doc.data, KnowledgeFile)
        problems.extend(located(errors, doc, doc.source))
        if kf is not None:
            files.append((kf, doc))
        entries.append((path.relative_to(root).as_posix(), doc.sha256))
    if problems:
        raise RuleFileError(problems)
    return tuple(entries), tuple(files)


def _structure_rule_file(
    doc: Document,
) -> tuple[rs.RuleFile | None, tuple[int, ...], list[tuple[PathKey, str]]]:
    """Structure a rule file rule by rule, so one malformed rule hides no other problem.

    Returns the file holding the rules that structured, their positions in the file, and
    every structural problem.
    """
    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        rf, whole = structure(data, rs.RuleFile)
        return rf, tuple(range(len(rf.rules))) if rf is not None else (), whole
    errors: list[tuple[PathKey, str]] = []
    good: list[rs.Rule] = []
    indices: list[int] = []
    for index, raw in enumerate(data["rules"]):
        rule, found = structure(raw, rs.Rule)
        errors += [(("rules", index, *path), message) for path, message in found]
        if rule is not None:
            good.append(rule)
            indices.append(index)
    header, found = structure({**data, "rules": []}, rs.RuleFile)
    errors += found
    if header is None:
        return None, (), errors
    return evolve(header, rules=tuple(good)), tuple(indices), errors


def load_ruleset(path: str | os.PathLike[str]) -> rs.RuleSet:
    """Load, validate and hash a rule file or a directory of rule and knowledge files.

    Knowledge tables found under ``path`` are merged over pgx's bundled tables, so a user's
    rules can name every bundled gene, drug and term. Unknown keys, wrong types and unknown
    terms are errors; all of them are reported together.

    Raises:
        RuleFileError: listing every problem with its file, line and field path.
    """
    root = Path(path)
    if not root.exists():
        raise RuleFileError([Problem("$", "no such file or directory", str(root))])
    bundled = bundled_rules_path().resolve()
    own_is_bundled = root.resolve() == bundled
    docs, problems = _read_all(root, cached=own_is_bundled)
    merger = KnowledgeMerger()
    entries: list[tuple[str, bytes]] = []
    if not own_is_bundled:
        base_entries, base_files = _bundled_knowledge_docs()
        entries.extend(base_entries)
        for kf, doc in base_files:
            merger.add(kf, doc)
    rule_files: list[tuple[rs.RuleFile, Document, tuple[int, ...]]] = []
    meta: dict[str, str] = {}
    base = root if root.is_dir() else root.parent
    for file_path, doc in docs:
        entries.append((file_path.relative_to(base).as_posix(), doc.sha256))
        kind = _kind(doc)
        if kind == "pgx_knowledge":
            kfile, errors = structure(doc.data, KnowledgeFile)
            problems.extend(located(errors, doc, doc.source))
            if kfile is not None:
                merger.add(kfile, doc)
        elif kind == "pgx_rules":
            rf, indices, errors = _structure_rule_file(doc)
            problems.extend(located(errors, doc, doc.source))
            if rf is not None:
                rule_files.append((rf, doc, indices))
                for key in ("name", "version"):
                    value = getattr(rf, key)
                    if value is not None:
                        meta.setdefault(key, value)
        elif kind == "pgx_ruleset":
            problems.extend(_ruleset_meta(doc, meta))
        else:
            problems.append(
                doc.problem(
                    (),
                    "not a pgx file: expected a top-level pgx_rules, pgx_knowledge "
                    "or pgx_ruleset key",
                )
            )
    problems.extend(merger.problems)
    knowledge = merger.build()
    problems.extend(check_knowledge(knowledge, [(kf, d) for kf, d in merger.files]))
    rules, sources = check_rules(rule_files, knowledge, problems)
    if problems:
        raise RuleFileError(problems)
    name = meta.get("name") or (root.stem if root.is_file() else root.name)
    return rs.RuleSet(
        name=name,
        version=meta.get("version", "0"),
        sha256=_hash(entries),
        rules=tuple(rules),
        knowledge=knowledge,
        sources=sources,
    )


def _ruleset_meta(doc: Document, meta: dict[str, str]) -> list[Problem]:
    data = doc.data
    problems = []
    allowed = {"pgx_ruleset", "name", "version", "description"}
    for key in data:
        if key not in allowed:
            problems.append(doc.problem((key,), f"unknown key '{key}'"))
    if data.get("pgx_ruleset") != 1:
        problems.append(doc.problem(("pgx_ruleset",), "expected 1"))
    for key in ("name", "version"):
        if key in data:
            if not isinstance(data[key], str):
                problems.append(doc.problem((key,), "expected a string"))
            else:
                meta[key] = data[key]
    return problems


@functools.cache
def default_ruleset() -> rs.RuleSet:
    """The rules bundled with pgx (loaded once, then shared)."""
    return load_ruleset(bundled_rules_path())

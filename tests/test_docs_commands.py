"""Every `pgx` command shown in the README and docs parses, and runs where its files exist.

Sybil runs the Python blocks; this covers the shell blocks, so a documented command that
stops working (a renamed flag, a moved example) fails CI.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from pgx.cli import _parser, main
from tests.helpers import ROOT

_BLOCK = re.compile(r"```(?:console|bash|shell|sh)\n(.*?)```", re.S)


def _commands() -> list[tuple[str, list[str]]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in _BLOCK.findall(path.read_text(encoding="utf-8")):
            joined = re.sub(r"\\\n\s*", " ", block)  # line continuations
            for line in joined.splitlines():
                text = line.strip().removeprefix("$ ")
                text = text.split("#", 1)[0]  # comments
                for part in re.split(r"&&|;|\|", text):  # chained commands and pipes
                    words = shlex.split(part.split(">", 1)[0])
                    if words and words[0].endswith("pgx") and len(words) > 1:
                        found.append((f"{path.name}: {' '.join(words)}", words[1:]))
    return found


COMMANDS = _commands()


def test_documented_commands_found() -> None:
    """The docs do show pgx commands (the scanner is not silently finding none)."""
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize(("where", "argv"), COMMANDS, ids=[c[0][:80] for c in COMMANDS])
def test_documented_command(where: str, argv: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """The command parses; when the repo files it names exist, it runs with exit code 0."""
    monkeypatch.chdir(ROOT)
    if argv == ["--version"]:
        return
    _parser().parse_args(argv)  # SystemExit on an unknown flag or subcommand
    paths = [a for a in argv if re.search(r"\.(ya?ml|json|vcf(\.gz)?|tsv|maf)$", a)]
    # only files of the repository: /tmp examples in the docs show deliberate errors
    if paths and all(not Path(p).is_absolute() and Path(p).exists() for p in paths):
        assert main(argv) == 0, where


def test_getting_started_sample_is_current(capsys: pytest.CaptureFixture[str]) -> None:
    """The report excerpt in the tutorial is what the command prints today (hashes aside)."""
    text = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    start = text.index("```text\n# pgx report") + len("```text\n")
    sample = text[start : text.index("…\n```", start)]
    argv = [
        "evaluate",
        str(ROOT / "examples/profiles/germline-clopidogrel-codeine.yaml"),
        "--drug",
        "clopidogrel",
        "--drug",
        "codeine",
        "--now",
        "2026-01-01T00:00:00Z",
    ]
    assert main(argv) == 0
    out = re.sub(r"`[0-9a-f]{12}…`", "`…`", capsys.readouterr().out)
    assert out.startswith(sample)


# ------------------------------------------------------------ the README's command table
_GENERATED = {"rule-catalogue.md", "coverage.md"}  # written by docs/hooks at build time
_ROW = re.compile(r"^\| `pgx (\w+)([^`]*)` \|", re.M)
_FLAG = re.compile(r"(?<![\w-])(--?[a-z][\w-]*)")


def _table() -> list[tuple[str, set[str]]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [(sub, set(_FLAG.findall(rest))) for sub, rest in _ROW.findall(text)]


def _subcommands() -> dict[str, set[str]]:
    """Each subcommand of the command line with its option strings."""
    import argparse

    parser = _parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {
        name: {s for action in child._actions for s in action.option_strings} - {"-h", "--help"}
        for name, child in sub.choices.items()
    }


def test_readme_command_table_is_accurate() -> None:
    """Every subcommand has a row; every flag a row names exists; `evaluate` names them all."""
    rows, actual = _table(), _subcommands()
    assert {sub for sub, _ in rows} == set(actual)
    for sub, flags in rows:
        assert flags <= actual[sub], (sub, flags - actual[sub])
    shown = set().union(*(flags for sub, flags in rows if sub == "evaluate"))
    assert shown == actual["evaluate"], actual["evaluate"] - shown


def test_documentation_links_resolve() -> None:
    """Relative links in the docs, README and changelog point at files that exist.

    The changelog is shown both on its own and inside the site (docs/changelog.md includes
    it), where a relative link cannot be right in both places: it names pages instead. The
    site build is quiet in CI, so a broken link would otherwise pass unseen.
    """
    link = re.compile(r"\]\(([^)\s]+)\)")
    assert not link.findall((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"))
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    broken = []
    for page in pages:
        for target in link.findall(page.read_text(encoding="utf-8")):
            path = target.split("#", 1)[0]
            if not path or re.match(r"^[a-z]+:", path):  # an anchor, or https:, mailto:
                continue
            generated = page.parent == ROOT / "docs" and path in _GENERATED
            if not generated and not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken

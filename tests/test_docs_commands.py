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

from __future__ import annotations

from pathlib import Path

from pgx import RuleSet, load_ruleset

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent
NOW = "2026-01-01T00:00:00+00:00"


def basic_rules() -> RuleSet:
    return load_ruleset(DATA / "rules" / "basic.yaml")


def write(tmp: Path, name: str, text: str) -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path

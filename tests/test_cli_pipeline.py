"""pgx in a pipeline: several profiles, ids, strict inputs, immutable profiles, fast start."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgx.cli import main
from tests.helpers import DATA, NOW, ROOT, write

RULES = str(DATA / "rules" / "basic.yaml")
PROFILES = ROOT / "examples" / "profiles"
A = str(PROFILES / "crc-igf1r.yaml")
B = str(PROFILES / "germline-clopidogrel-codeine.yaml")


def test_several_profiles_one_report_each(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", A, B, "--rules", RULES, "--now", NOW]) == 0
    out = capsys.readouterr().out
    assert out.count("# pgx report — ") == 2
    assert out.index("P-CRC-IGF1R") < out.index("# pgx report — ", 10)


def test_several_profiles_as_json_lines(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", A, B, "--rules", RULES, "--now", NOW, "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    reports = [json.loads(line) for line in lines]
    assert reports[0]["profile_id"] == "P-CRC-IGF1R"
    assert all(r["pgx_report"] == 1 for r in reports)


def test_several_profiles_refuse_one_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", A, B, "--rules", RULES, "--format", "json"]) == 2
    assert "--format jsonl" in capsys.readouterr().err


def test_id_for_a_profile_built_from_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = write(tmp_path, "calls.tsv", "CYP2C19\t*2/*2\n")
    args = ["evaluate", "--outside-calls", str(outside), "--rules", RULES, "--format", "json"]
    assert main([*args, "--id", "P-7"]) == 0
    assert json.loads(capsys.readouterr().out)["profile_id"] == "P-7"
    # a profile file names its own patient
    assert main(["evaluate", A, "--rules", RULES, "--id", "P-7"]) == 2
    assert "--id" in capsys.readouterr().err


def test_strict_makes_outside_call_line_errors_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = write(tmp_path, "calls.tsv", "CYP2C19\t*2/*2\nCYP2C9\t*1/*1\tnot a phenotype\n")
    args = ["evaluate", "--outside-calls", str(outside), "--rules", RULES]
    assert main(args) == 0  # lenient: the bad line is a warning, the other gene is used
    assert "not used" in capsys.readouterr().out
    assert main([*args, "--strict"]) == 2
    err = capsys.readouterr().err
    assert f"{outside}:2" in err


def test_html_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", A, "--rules", RULES, "--now", NOW, "--format", "html"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<!DOCTYPE html>")
    assert "P-CRC-IGF1R" in out


def test_undecided_flag(capsys: pytest.CaptureFixture[str]) -> None:
    main(["evaluate", A, "--now", NOW])
    short = capsys.readouterr().out
    main(["evaluate", A, "--now", NOW, "--undecided", "full"])
    full = capsys.readouterr().out
    assert len(full) > len(short)
    assert "would fire if" in full


def test_cds_hooks_after_plain_import() -> None:
    code = (
        "import pgx\n"
        f"report = pgx.evaluate(pgx.load_profile({A!r}))\n"
        "print(len(pgx.cds_hooks.cards(report)['cards']) > 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "True", done.stderr


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGX_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("PGX_NO_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "pgx.cli", *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=600,
    )


def _tamper(entry: Path) -> None:
    """Rewrite a cache entry with a changed rule and a matching checksum (a planted file)."""
    checksum, _, body = entry.read_bytes().partition(b"\n")
    assert hashlib.sha256(body).hexdigest().encode() == checksum
    data = json.loads(body)
    name = next(n for n in data if n.endswith("cyp2c19/clopidogrel.yaml"))
    rules = data[name]["data"]["rules"]
    for rule in rules:
        rule["then"]["summary"] = "PLANTED " + rule["then"]["summary"]
    body = json.dumps(data).encode()
    entry.write_bytes(hashlib.sha256(body).hexdigest().encode() + b"\n" + body)


def test_bundled_rules_cache_is_used_and_never_trusted_blindly(tmp_path: Path) -> None:
    args = ("evaluate", B, "--now", NOW, "--drug", "clopidogrel")
    first = _cli(tmp_path, *args)
    assert first.returncode == 0, first.stderr
    (entry,) = (tmp_path / "cache").glob("rules-*.json")
    assert entry.stat().st_mode & 0o077 == 0
    assert (tmp_path / "cache").stat().st_mode & 0o077 == 0
    assert _cli(tmp_path, *args).stdout == first.stdout
    # corrupt (checksum no longer matches): ignored, the rules are parsed again
    raw = entry.read_bytes()
    entry.write_bytes(raw.replace(b"clopidogrel", b"clopidogreI", 1))
    assert _cli(tmp_path, *args).stdout == first.stdout
    # a consistent entry is what is read: proof that the cache is used at all
    _tamper(entry)
    assert "PLANTED" in _cli(tmp_path, *args).stdout
    # ... but never when others could have written it
    entry.chmod(0o666)
    assert _cli(tmp_path, *args).stdout == first.stdout
    entry.chmod(0o600)
    (tmp_path / "cache").chmod(0o777)
    assert _cli(tmp_path, *args).stdout == first.stdout
    # and not at all with PGX_NO_CACHE
    (tmp_path / "cache").chmod(0o700)
    env_off = {**os.environ, "PGX_CACHE_DIR": str(tmp_path / "cache"), "PGX_NO_CACHE": "1"}
    off = subprocess.run(
        [sys.executable, "-m", "pgx.cli", *args],
        capture_output=True, text=True, check=False, env=env_off, timeout=600,
    )  # fmt: skip
    assert off.stdout == first.stdout

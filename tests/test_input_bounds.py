"""Hostile input ends in a PgxError naming the file and position: never a crash or a hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pgx import PgxError, ProfileError, RuleFileError, evaluate, load_profile, load_ruleset
from pgx.cli import main
from tests.adapters_support import tiny_definitions, tiny_ruleset, vcf_text, write_vcf
from tests.helpers import DATA, write

BAD_TAGS = ["!!timestamp x", "!!int abc", "!!float abc", "!!bool maybe", "!!int 0x"]
HUGE = "1" * 5000  # past Python's 4300-digit limit for int(str)


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_bad_tagged_scalar_in_profile(tmp_path: Path, tag: str) -> None:
    path = write(tmp_path, "p.yaml", f"pgx_profile: 1\nid: {tag}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    (problem,) = info.value.problems
    assert (problem.source, problem.line, problem.path) == (str(path), 2, "$.id")


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_bad_tagged_scalar_in_rule_and_knowledge_files(tmp_path: Path, tag: str) -> None:
    rules = write(tmp_path, "r.yaml", f"pgx_rules: 1\nname: {tag}\nrules: []\n")
    with pytest.raises(RuleFileError) as info:
        load_ruleset(rules)
    assert [(p.line, p.path) for p in info.value.problems] == [(2, "$.name")]
    kdir = tmp_path / "k"
    kdir.mkdir()
    write(kdir, "k.yaml", f"pgx_knowledge: 1\ngenes:\n  {tag}: {{}}\n")
    with pytest.raises(RuleFileError) as info:
        load_ruleset(kdir)
    assert [p.line for p in info.value.problems] == [3]


@pytest.mark.parametrize("tag", BAD_TAGS)
def test_bad_tagged_scalar_on_the_command_line(
    tmp_path: Path, tag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "p.yaml", f"id: {tag}\n")
    assert main(["evaluate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:1: $.id:" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "text",
    [
        f"id: x\nclinical: {{therapies: [{{drug: cetuximab, line: {HUGE}}}]}}\n",
        f"id: {HUGE}\n",
        f"germline:\n  ? {HUGE}\n  : {{diplotype: '*1/*1'}}\n",  # a key (explicit: it is long)
        f"id: !!float {HUGE}\n",
    ],
)
def test_integer_past_the_digit_limit_in_yaml(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, "p.yaml", text)
    with pytest.raises(ProfileError, match="digits"):
        load_profile(path)


def test_cyp2d6_copy_number_past_any_real_count() -> None:
    """``*1x<400 digits>`` is refused when loaded, not an OverflowError in evaluate."""
    profile = {"germline": {"CYP2D6": {"diplotype": "*1x" + "9" * 400 + "/*1"}}}
    with pytest.raises(ProfileError) as info:
        evaluate(profile, drugs=["codeine"])
    assert [p.path for p in info.value.problems] == ["$.germline.CYP2D6.diplotype"]


def _vcf(tmp_path: Path, edit: Any) -> Path:
    text = edit(vcf_text(tiny_definitions(), {"CYP2C9": ("*1", "*3")}))
    return write_vcf(tmp_path / "x.vcf", text)


@pytest.mark.parametrize(
    "edit",
    [
        lambda t: t.replace("\t0/1", "\t0/" + HUGE),
        lambda t: t.replace("\t0/1", "\t0/²"),
        lambda t: t.replace("\t0/1", "\t0/١"),  # ARABIC-INDIC DIGIT ONE
        lambda t: t.replace("94981296", "٩٤٩٨١٢٩٦"),
    ],
)
def test_vcf_numbers_that_are_not_ascii_digits(tmp_path: Path, edit: Any) -> None:
    path = _vcf(tmp_path, edit)
    with pytest.raises(ProfileError) as info:
        load_profile(vcf=path, ruleset=tiny_ruleset())
    assert all(p.source == str(path) and p.line for p in info.value.problems)


@pytest.mark.parametrize("length", [HUGE, "²"])
def test_vcf_contig_length_that_is_no_number(tmp_path: Path, length: str) -> None:
    """A header length that is no number tells nothing about the build: the file still reads."""
    path = _vcf(tmp_path, lambda t: t.replace("length=248956422", "length=" + length))
    assert load_profile(vcf=path, ruleset=tiny_ruleset()).germline["CYP2C9"].diplotype == "*1/*3"


@pytest.mark.parametrize("exon", [HUGE, "²", "١/٢"])
def test_maf_exon_number(tmp_path: Path, exon: str) -> None:
    """An Exon_Number that is no plain number is refused with its line (or left unknown)."""
    header = "Hugo_Symbol\tVariant_Classification\tHGVSp_Short\tExon_Number\tTumor_Sample_Barcode"
    row = f"EGFR\tMissense_Mutation\tp.L858R\t{exon}\tT1"
    maf = write(tmp_path, "t.maf", f"{header}\n{row}\n")
    try:
        profile = load_profile(somatic=maf)
    except ProfileError as exc:
        assert [(p.source, p.line) for p in exc.problems] == [(str(maf), 2)]
    else:
        assert profile.tumor is not None and profile.tumor.variants is not None
        assert profile.tumor.variants[0].exon is None


def test_json_nested_past_the_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '{"id": ' + "[" * 10_000 + "]" * 10_000 + "}")
    with pytest.raises(ProfileError, match="nesting deeper than 64 levels"):
        load_profile(path)


def test_mapping_with_shared_references_is_bounded() -> None:
    """A mapping whose lists share one object is walked per path: refused at the limit."""
    node: Any = "x"
    for _ in range(8):
        node = [node] * 10  # 10**8 paths through 8 shared lists
    with pytest.raises(ProfileError, match="values in all"):
        load_profile({"germline": {"CYP2C19": {"alleles": node}}})


_LOAD_ALL = """
import json, sys, pgx
out = []
for option, path in json.loads(sys.argv[1]):
    try:
        pgx.load_profile(**{option: path})
        out.append("loaded")
    except pgx.PgxError as exc:
        out.append(str(exc))
print(json.dumps(out))
"""


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
def test_not_a_regular_file(tmp_path: Path) -> None:
    """A symlink to /dev/zero and a FIFO are refused at once, by every reader.

    The loads run in a child process, so a read that blocks fails the test instead of
    hanging it.
    """
    readers = [
        ("p.yaml", "profile"),
        ("p.json", "profile"),
        ("x.vcf", "vcf"),
        ("t.maf", "somatic"),
        ("calls.tsv", "outside_calls"),
        ("e.tsv", "expression"),
    ]
    jobs = []
    for name, option in readers:
        zero = tmp_path / name
        zero.symlink_to("/dev/zero")
        fifo = tmp_path / ("fifo-" + name)
        os.mkfifo(fifo)
        jobs += [(option, str(zero)), (option, str(fifo))]
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL, json.dumps(jobs)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    for (_, path), message in zip(jobs, json.loads(done.stdout), strict=True):
        assert "not a regular file" in message
        assert path in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and /dev/zero")
def test_rule_directory_with_a_symlink_to_a_device(tmp_path: Path) -> None:
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(RuleFileError, match="not a regular file"):
        load_ruleset(tmp_path)


def test_file_of_exactly_the_limit_reads_and_one_byte_more_does_not(tmp_path: Path) -> None:
    from pgx.io._yaml import MAX_BYTES

    head = "id: x\n"
    ok = write(tmp_path, "ok.yaml", head + "#" * (MAX_BYTES - len(head)))
    assert load_profile(ok).id == "x"
    big = write(tmp_path, "big.yaml", head + "#" * (MAX_BYTES - len(head) + 1))
    with pytest.raises(ProfileError, match=f"larger than {MAX_BYTES} bytes"):
        load_profile(big)


SECRET = "root:x:0:0:root:/root:/bin/bash"


@pytest.mark.parametrize(
    ("name", "option"),
    [("p.yaml", "profile"), ("calls.tsv", "outside_calls"), ("e.tsv", "expression")],
)
def test_errors_about_a_symlink_do_not_echo_its_target(
    tmp_path: Path, name: str, option: str
) -> None:
    """A link to another file is named with its line, never quoted: errors and warnings."""
    secret = write(tmp_path, "secret.txt", f"{SECRET}\n{SECRET}\n")
    link = tmp_path / name
    link.symlink_to(secret)
    try:
        text = evaluate(load_profile(**{option: link})).to_json()  # type: ignore[arg-type]
    except PgxError as exc:
        text = str(exc)
    assert "root:x" not in text
    assert str(link) in text


def test_rule_file_symlink_does_not_echo_its_target(tmp_path: Path) -> None:
    secret = write(tmp_path, "secret.txt", f"{SECRET}\n")
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "x.yaml").symlink_to(secret)
    with pytest.raises(RuleFileError) as info:
        load_ruleset(rules)
    assert "root:x" not in str(info.value)


def test_bundled_example_still_loads() -> None:
    """The bounded reader still reads ordinary files (the bundled rules are a symlink)."""
    assert load_ruleset(DATA / "rules" / "basic.yaml").rules

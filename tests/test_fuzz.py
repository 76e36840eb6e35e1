"""Malformed profiles and rule files only ever raise PgxError subclasses with a path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import InputError, PgxError, ProfileError, RuleFileError, load_profile, load_ruleset

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
keys = st.sampled_from(["id", "germline", "tumor", "clinical", "pgx_profile", "extra"])
profiles = st.dictionaries(keys, values, max_size=4)


@given(profiles)
def test_profile_fuzz(data: dict[str, Any]) -> None:
    """Any mapping either loads or raises ProfileError whose problems carry paths."""
    try:
        load_profile(data)
    except ProfileError as exc:
        assert exc.problems
        assert all(p.path.startswith("$") for p in exc.problems)


@given(st.text(max_size=200))
def test_profile_text_fuzz(text: str) -> None:
    """Arbitrary file text either loads or raises ProfileError."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            load_profile(path)
        except ProfileError as exc:
            assert all(p.source == str(path) for p in exc.problems)


rule_keys = st.sampled_from(["id", "version", "drugs", "when", "then", "tests", "status", "x"])
rules = st.dictionaries(rule_keys, values, max_size=6)


@given(st.lists(rules, max_size=2))
def test_rule_file_fuzz(rule_list: list[dict[str, Any]]) -> None:
    """Any rule file either loads or raises RuleFileError with located problems."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.yaml"
        path.write_text(yaml.safe_dump({"pgx_rules": 1, "rules": rule_list}), encoding="utf-8")
        try:
            load_ruleset(path)
        except RuleFileError as exc:
            assert isinstance(exc, InputError)
            assert all(p.path.startswith("$") and p.source for p in exc.problems)


# ---------------------------------------------------------------- every reader, every file kind
def _budget(share: int) -> settings:
    """A fraction of the profile's example budget, for tests that evaluate many times."""
    default = settings.default.max_examples if settings.default is not None else 150
    return settings(max_examples=max(10, default // share))


lines_of = st.lists(
    st.lists(
        st.sampled_from(
            ["CYP2C19", "HLA-B", "KRAS", "IGF1R", "*1/*2", "*57:01", "p.G12D", "3+", "2/6",
             "Missense_Mutation", "Hugo_Symbol", "Variant_Classification", "t_depth", "nan",
             "1" * 30, "²", "-1", "", ".", "Normal Metabolizer", "*5701/*0801", "gene", "value"]
        )
        | st.text(max_size=6),
        max_size=6,
    ).map("\t".join),
    max_size=8,
).map("\n".join)  # fmt: skip

READERS = {
    "profile.yaml": "profile",
    "profile.json": "profile",
    "calls.tsv": "outside_calls",
    "tumor.maf": "somatic",
    "expression.tsv": "expression",
    "panel.txt": "panel",
    "germline.vcf": "vcf",
}


@pytest.mark.parametrize(("name", "option"), sorted(READERS.items()))
@given(text=lines_of | st.text(max_size=300))
def test_every_reader_succeeds_or_raises_a_located_error(
    tmp_path_factory: pytest.TempPathFactory, name: str, option: str, text: str
) -> None:
    """Any file text: a profile, or a PgxError whose problems carry a path and the file."""
    path = tmp_path_factory.mktemp("r") / name
    head = "##fileformat=VCFv4.2\n" if name.endswith(".vcf") else ""
    path.write_text(head + text, encoding="utf-8")
    try:
        load_profile(**{option: path})  # type: ignore[arg-type]
    except PgxError as exc:
        assert isinstance(exc, InputError)
        assert exc.problems
        assert all(p.path.startswith("$") for p in exc.problems)
        assert any(p.source == str(path) for p in exc.problems)


@given(st.binary(max_size=300))
def test_profile_bytes_fuzz(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    """Random bytes as a profile file: loaded or a ProfileError naming it."""
    path = tmp_path_factory.mktemp("b") / "p.yaml"
    path.write_bytes(data)
    try:
        load_profile(path)
    except ProfileError as exc:
        assert all(p.source == str(path) and p.path.startswith("$") for p in exc.problems)


knowledge_keys = st.sampled_from(
    ["genes", "drugs", "drug_classes", "gene_phenotypes", "labs", "biomarkers", "exons", "x"]
)


@_budget(3)
@given(st.dictionaries(knowledge_keys, values, max_size=3))
def test_knowledge_file_fuzz(data: dict[str, Any]) -> None:
    """Any knowledge file beside a rule: the ruleset loads or a located RuleFileError."""
    import tempfile

    import yaml

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "k.yaml").write_text(yaml.safe_dump({"pgx_knowledge": 1, **data}), encoding="utf-8")
        (root / "r.yaml").write_text("pgx_rules: 1\nrules: []\n", encoding="utf-8")
        try:
            load_ruleset(root)
        except RuleFileError as exc:
            assert all(p.path.startswith("$") and p.source for p in exc.problems)


cli_args = st.lists(
    st.sampled_from(
        ["--drug", "codeine", "abacavir", "--format", "json", "markdown", "--now", "x",
         "--rules", "--vcf", "--sample", "--outside-calls", "--rule", "nope", "-"]
    ),
    max_size=4,
)  # fmt: skip


@_budget(3)
@given(text=st.text(max_size=200), extra=cli_args)
def test_cli_exits_0_or_2(
    tmp_path_factory: pytest.TempPathFactory, text: str, extra: list[str]
) -> None:
    """The command line never shows a traceback: exit 0, or 2 with a message."""
    import contextlib
    import io

    from pgx.cli import main

    path = tmp_path_factory.mktemp("c") / "p.yaml"
    path.write_text(text, encoding="utf-8")
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            code = main(["evaluate", str(path), *extra])
        except SystemExit as exc:  # argparse refuses the arguments: its usage error
            code = exc.code if isinstance(exc.code, int) else 2
    assert code in (0, 2), err.getvalue()
    assert "Traceback" not in err.getvalue()


# ---------------------------------------------------------------- monotonicity
GERMLINE_FACTS: dict[str, list[dict[str, Any]]] = {
    "CYP2C19": [{"diplotype": d} for d in ("*1/*1", "*2/*2", "*1/*17", "*2/*3", "*1/*99")]
    + [{"phenotype": "Poor Metabolizer"}, {"diplotype": "*1/*1", "phenotype": "Poor Metabolizer"}],
    "CYP2D6": [{"diplotype": d} for d in ("*1/*4", "*4/*4", "*1/*1x2", "*1/*2xN")]
    + [{"activity_score": 0.5}],
    "CYP2C9": [{"diplotype": d} for d in ("*1/*1", "*1/*3", "*3/*3")],
    "HLA-B": [
        {"alleles": ["*57:01", "*08:01"]},
        {"diplotype": "HLA-B*15:02/HLA-B*07:02"},
        {"carriers": {"*57:01": False}},
        {"alleles": ["*57:01", "*08:01"], "carriers": {"*57:01": False}},
    ],
    "DPYD": [{"diplotype": "c.1905+1G>A/Reference"}, {"activity_score": 1.0}],
}
CLINICAL_FACTS: dict[str, list[Any]] = {
    "medications": [[], ["clopidogrel"], ["codeine", "abacavir"], ["Tagrisso"]],
    "therapies": [[{"drug": "cetuximab", "outcome": "progression"}], [{"drug": "cetuximab"}]],
    "diagnoses": [[{"code": "E11"}], []],
    "labs": [{"HbA1c": {"value": 8.1, "unit": "%"}}, {"HbA1c": {"value": 7.4, "unit": "mmol/mol"}}],
}
TUMOR_FACTS: dict[str, list[Any]] = {
    "cancer_type": [{"code": "COADREAD"}, {"code": "NSCLC"}],
    "variants": [[], [{"gene": "KRAS", "protein": "p.G12D"}],
                 [{"gene": "EGFR", "protein": "p.L858R"}]],
    "expression": [{"IGF1R": {"ihc": "3+"}}, {"IGF1R": {"level": "low"}}],
}  # fmt: skip


def _section(pool: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {}, optional={key: st.sampled_from(options) for key, options in pool.items()}
    )


monotone_profiles = st.fixed_dictionaries(
    {},
    optional={
        "germline": _section(GERMLINE_FACTS),
        "clinical": _section(CLINICAL_FACTS),
        "tumor": _section(TUMOR_FACTS),
    },
)


def _facts(profile: dict[str, Any]) -> list[tuple[str, ...]]:
    """Each removable fact: a germline field, a clinical or tumor entry (a whole list)."""
    out: list[tuple[str, ...]] = []
    for gene, entry in profile.get("germline", {}).items():
        out.extend(("germline", gene, field) for field in entry)
    for section in ("clinical", "tumor"):
        out.extend((section, key) for key in profile.get(section, {}))
    return out


def _without(profile: dict[str, Any], fact: tuple[str, ...]) -> dict[str, Any]:
    import copy

    smaller = copy.deepcopy(profile)
    holder = smaller
    for step in fact[:-1]:
        holder = holder[step]
    del holder[fact[-1]]
    if fact[0] == "germline" and not smaller["germline"][fact[1]]:
        del smaller["germline"][fact[1]]
    return smaller


@_budget(5)
@given(monotone_profiles)
def test_removing_a_fact_never_decides_an_undecided_rule(profile: dict[str, Any]) -> None:
    """Less known can only leave rules as undecided as before, unless it ends a conflict.

    A rule indeterminate with a fact must not become a finding without it, unless the fact
    was one side of a reported conflict (a phenotype reported and derived differently,
    typed alleles against a carrier report).
    """
    from pgx import evaluate

    # every drawn profile and every reduction is valid: none is skipped (a ProfileError fails)
    full = evaluate(profile, now="2026-01-01T00:00:00+00:00")
    undecided = {i.rule_id for i in full.indeterminate}
    for fact in _facts(profile):
        less = evaluate(_without(profile, fact), now="2026-01-01T00:00:00+00:00")
        decided = {f.rule_id: f.action for f in less.findings if f.rule_id in undecided}
        if not decided:
            continue
        gene = fact[1] if fact[0] == "germline" else None
        in_conflict = gene is not None and (
            getattr(full.phenotypes.get(gene), "status", None) == "conflict"
            or any(gene in w and ("disagree" in w or "conflict" in w) for w in full.warnings)
        )
        assert in_conflict, (fact, decided)

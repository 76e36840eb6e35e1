"""Allele and diplotype rule leaves compare canonical allele names, whatever the spelling."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgx import RuleFileError, RuleSet, default_ruleset, evaluate, load_ruleset
from tests.helpers import NOW

_CITE = '["PMID:29152729"]'


def _rule(rule_id: str, when: str) -> str:
    return (
        f"  - id: {rule_id}\n"
        "    version: 1.0.0\n"
        "    drugs: [fluorouracil]\n"
        f"    when: {when}\n"
        "    then:\n"
        "      action: caution\n"
        "      summary: allele named in a rule\n"
        '      evidence: {level: "1", strength: strong}\n'
        f"      citations: {_CITE}\n"
    )


def _load(tmp: Path, *rules: str) -> RuleSet:
    path = tmp / "rules.yaml"
    path.write_text("pgx_rules: 1\nrules:\n" + "".join(rules), encoding="utf-8")
    return load_ruleset(path)


def _outcomes(ruleset: RuleSet, gene: str, diplotype: str) -> dict[str, str]:
    report = evaluate({"germline": {gene: {"diplotype": diplotype}}}, ruleset, now=NOW)
    out = {f.rule_id: "fires" for f in report.findings}
    out.update({i.rule_id: "indeterminate" for i in report.indeterminate})
    return {r.id: out.get(r.id, "does_not_fire") for r in ruleset.rules}


_DPYD_2A = ("*2A", "c.1905+1G>A", "c.1905+1G>A (*2A)")
_DPYD_REF = ("*1", "Reference")


@pytest.mark.parametrize("rule_name", _DPYD_2A)
@pytest.mark.parametrize(
    "profile",
    [
        "c.1905+1G>A (*2A)/Reference",
        "*2A/*1",
        "Reference/c.1905+1G>A",
        "*1/C.1905+1G>A (*2a)",
    ],
)
def test_an_allele_rule_fires_in_every_spelling(
    tmp_path: Path, rule_name: str, profile: str
) -> None:
    ruleset = _load(
        tmp_path,
        _rule("carrier", f'{{allele: {{gene: DPYD, carries: "{rule_name}"}}}}'),
        _rule("non-carrier", f'{{not: {{allele: {{gene: DPYD, carries: "{rule_name}"}}}}}}'),
        _rule("pair", f'{{diplotype: {{gene: DPYD, in: ["{rule_name}/*1"]}}}}'),
    )
    assert _outcomes(ruleset, "DPYD", profile) == {
        "carrier": "fires",
        "non-carrier": "does_not_fire",  # never "no *2A" for a *2A carrier
        "pair": "fires",
    }


def test_a_legacy_spelled_rule_reads_a_cpic_spelled_profile_and_back(tmp_path: Path) -> None:
    ruleset = _load(
        tmp_path,
        _rule("hapb3", '{allele: {gene: DPYD, carries: "HapB3"}}'),
        _rule("cpic", '{diplotype: {gene: DPYD, in: ["c.1129-5923C>G, c.1236G>A (HapB3)/*13"]}}'),
    )
    assert _outcomes(ruleset, "DPYD", "c.1129-5923C>G, c.1236G>A (HapB3)/Reference") == {
        "hapb3": "fires",
        "cpic": "does_not_fire",
    }
    assert _outcomes(ruleset, "DPYD", "*13/HapB3") == {"hapb3": "fires", "cpic": "fires"}
    assert _outcomes(ruleset, "DPYD", "*1/*1") == {
        "hapb3": "does_not_fire",
        "cpic": "does_not_fire",
    }


def test_a_sub_allele_is_its_allele(tmp_path: Path) -> None:
    ruleset = _load(
        tmp_path,
        _rule("sub", '{allele: {gene: SLCO1B1, carries: "*45.002"}}'),
        _rule("allele", '{diplotype: {gene: SLCO1B1, in: ["*1/*45"]}}'),
    )
    assert _outcomes(ruleset, "SLCO1B1", "*45.001/*1") == {"sub": "fires", "allele": "fires"}
    assert _outcomes(ruleset, "SLCO1B1", "*1/*45") == {"sub": "fires", "allele": "fires"}
    assert _outcomes(ruleset, "SLCO1B1", "*1/*5") == {
        "sub": "does_not_fire",
        "allele": "does_not_fire",
    }


def test_an_allele_no_table_knows_leaves_the_rule_undecided(tmp_path: Path) -> None:
    """``*99`` may be any allele: neither a carrier of *2A nor a non-carrier."""
    ruleset = _load(
        tmp_path,
        _rule("carrier", '{allele: {gene: DPYD, carries: "*2A"}}'),
        _rule("non-carrier", '{not: {allele: {gene: DPYD, carries: "*2A"}}}'),
        _rule("pair", '{diplotype: {gene: DPYD, in: ["*1/*1"]}}'),
    )
    assert set(_outcomes(ruleset, "DPYD", "*1/*99").values()) == {"indeterminate"}
    # the named allele itself decides, whatever the other one is
    assert _outcomes(ruleset, "DPYD", "*2A/*99") == {
        "carrier": "fires",
        "non-carrier": "does_not_fire",
        "pair": "indeterminate",
    }


def test_hemizygous_one_allele_results_are_compared_by_name(tmp_path: Path) -> None:
    ruleset = _load(
        tmp_path,
        _rule("m1555", '{allele: {gene: MT-RNR1, carries: "m.1555A>G"}}'),
    )
    assert _outcomes(ruleset, "MT-RNR1", "m.1555A>G") == {"m1555": "fires"}
    assert _outcomes(ruleset, "MT-RNR1", "Reference") == {"m1555": "does_not_fire"}


@pytest.mark.parametrize(
    ("when", "path", "found"),
    [
        ('{allele: {gene: DPYD, carries: "*2B"}}', "when.allele.carries", "'*2B'"),
        ('{diplotype: {gene: DPYD, in: ["*1/*2B"]}}', "when.diplotype.in[0]", "'*2B'"),
        ('{allele: {gene: SLCO1B1, carries: "*45.009"}}', "when.allele.carries", "'*45.009'"),
    ],
)
def test_an_unknown_allele_in_a_rule_is_a_load_error(
    tmp_path: Path, when: str, path: str, found: str
) -> None:
    with pytest.raises(RuleFileError) as caught:
        _load(tmp_path, _rule("typo", when))
    (problem,) = caught.value.problems
    assert problem.path == f"$.rules[0].{path}"
    assert problem.source is not None and problem.source.endswith("rules.yaml")
    assert problem.line == 6  # the line of `when:`
    assert found in problem.message and "closest known" in problem.message


def test_the_closest_known_names_are_suggested(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError) as caught:
        _load(tmp_path, _rule("typo", '{allele: {gene: DPYD, carries: "*2B"}}'))
    assert "*2A" in caught.value.problems[0].message


def test_hla_and_genes_without_tables_compare_as_written(tmp_path: Path) -> None:
    ruleset = _load(
        tmp_path,
        _rule("hla", '{allele: {gene: HLA-B, carries: "*57:01"}}'),
        _rule("no-table", '{allele: {gene: BRCA1, carries: "c.68_69del"}}'),
    )
    report = evaluate(
        {
            "germline": {
                "HLA-B": {"alleles": ["*57:01:01", "*08:01"]},
                "BRCA1": {"diplotype": "c.68_69del/Reference"},
            }
        },
        ruleset,
        now=NOW,
    )
    assert {f.rule_id for f in report.findings} == {"hla", "no-table"}


# --- every alias in the tables: a rule in any spelling decides as one in the canonical name


def _aliases() -> list[tuple[str, str, str]]:
    knowledge = default_ruleset().knowledge
    return sorted(
        (gene, alias, canonical)
        for gene, table in knowledge.gene_phenotypes.items()
        for alias, canonical in table.aliases.items()
    )


@cache
def _alias_rules(tmp: Path) -> RuleSet:
    knowledge = default_ruleset().knowledge
    rules = []
    for n, (gene, alias, canonical) in enumerate(_aliases()):
        other = knowledge.gene_phenotypes[gene].reference_allele or alias
        for kind, name in (("alias", alias), ("canonical", canonical)):
            rules.append(_rule(f"a{n}-{kind}", f'{{allele: {{gene: {gene}, carries: "{name}"}}}}'))
            rules.append(
                _rule(f"d{n}-{kind}", f'{{diplotype: {{gene: {gene}, in: ["{name}/{other}"]}}}}')
            )
    tmp.mkdir(exist_ok=True)
    return _load(tmp, *rules)


@st.composite
def _profiles(draw: st.DrawFn) -> tuple[str, str]:
    aliases = _aliases()
    gene = draw(st.sampled_from(sorted({g for g, _, _ in aliases})))
    table = default_ruleset().knowledge.gene_phenotypes[gene]
    names = [*sorted({*table.alleles, *table.aliases}), "*999", "."]
    spelled = st.sampled_from(names).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.lower(), f" {n} "])
    )
    return gene, f"{draw(spelled)}/{draw(spelled)}"


@settings(max_examples=150, deadline=None)
@given(profile=_profiles())
def test_any_spelling_of_an_allele_decides_as_its_canonical_name(
    tmp_path_factory: pytest.TempPathFactory, profile: tuple[str, str]
) -> None:
    ruleset = _alias_rules(tmp_path_factory.getbasetemp() / "alias-rules")
    gene, diplotype = profile
    outcomes = _outcomes(ruleset, gene, diplotype)
    for n, (alias_gene, _, _) in enumerate(_aliases()):
        if alias_gene != gene:
            continue
        for kind in ("a", "d"):
            assert outcomes[f"{kind}{n}-alias"] == outcomes[f"{kind}{n}-canonical"], (
                diplotype,
                _aliases()[n],
            )


def test_the_property_sees_carriers_and_non_carriers(tmp_path: Path) -> None:
    """The property above is not vacuous: alias rules fire, and not always."""
    ruleset = _alias_rules(tmp_path / "alias-rules")
    fired = _outcomes(ruleset, "DPYD", "*2A/Reference")
    n = _aliases().index(("DPYD", "*2A", "c.1905+1G>A (*2A)"))
    assert fired[f"a{n}-alias"] == fired[f"d{n}-alias"] == "fires"
    n13 = _aliases().index(("DPYD", "*13", "c.1679T>G (*13)"))
    assert fired[f"a{n13}-alias"] == "does_not_fire"

"""Loading rules: every problem found, each with file, line and field path."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgx import RuleFileError, load_ruleset
from tests.helpers import write

GOOD_RULE = """\
  - id: r1
    version: 1.0.0
    drugs: [cetuximab]
    when:
      all:
        - expression: {gene: IGF1R, at_least: high}
    then:
      action: consider
      summary: s
      evidence: {level: "4"}
      citations: ["PMID:18568074"]
"""


def _load(tmp: Path, body: str) -> RuleFileError:
    path = write(tmp, "rules.yaml", "pgx_rules: 1\nrules:\n" + body)
    with pytest.raises(RuleFileError) as info:
        load_ruleset(path)
    return info.value


def test_good_rule_loads(tmp_path: Path) -> None:
    """A valid file loads, named after the file, version 0."""
    ruleset = load_ruleset(write(tmp_path, "mine.yaml", "pgx_rules: 1\nrules:\n" + GOOD_RULE))
    assert (ruleset.name, ruleset.version) == ("mine", "0")
    assert [r.id for r in ruleset.rules] == ["r1"]


def test_unknown_gene_with_line(tmp_path: Path) -> None:
    """A misspelled gene is an error at its line, not a rule that never fires."""
    err = _load(tmp_path, GOOD_RULE.replace("gene: IGF1R", "gene: IGF1RX"))
    (problem,) = err.problems
    assert problem.line == 8
    assert problem.path == "$.rules[0].when.all[0].expression.gene"
    assert problem.message == "unknown gene 'IGF1RX'"
    assert str(problem).endswith(
        "rules.yaml:8: $.rules[0].when.all[0].expression.gene: unknown gene 'IGF1RX'"
    )


def test_all_problems_collected(tmp_path: Path) -> None:
    """Unknown keys, bad enums, unknown drugs and citations are all reported together."""
    body = (
        GOOD_RULE.replace("action: consider", "action: maybe")
        .replace("drugs: [cetuximab]", "drugs: [cetuximabb]\n    colour: red")
        .replace("PMID:18568074", "pubmed 1")
    )
    err = _load(tmp_path, body)
    messages = " | ".join(p.message for p in err.problems)
    assert "unknown key 'colour'" in messages
    assert "expected one of 'avoid'" in messages
    # the structural errors stop the file; the vocabulary is checked once it structures
    fixed = GOOD_RULE.replace("drugs: [cetuximab]", "drugs: [cetuximabb]").replace(
        "PMID:18568074", "pubmed 1"
    )
    err = _load(tmp_path, fixed)
    assert {p.message.split(" (")[0][:20] for p in err.problems} == {
        "unknown drug 'cetuxi",
        "expected PMID:<n>, D",
    }


def test_unknown_condition_and_terms(tmp_path: Path) -> None:
    """Unknown leaves, phenotype terms, drug classes and OncoTree codes are errors."""
    body = GOOD_RULE.replace(
        "        - expression: {gene: IGF1R, at_least: high}",
        "        - expression: {gene: IGF1R, at_least: high}\n"
        "        - phenotype: {gene: CYP2C19, in: [Slow Metabolizer]}\n"
        "        - therapy: {class: [anti-EGFRR]}\n"
        "        - cancer_type: {in: [CRCX]}",
    )
    err = _load(tmp_path, body)
    paths = {p.path: p.message for p in err.problems}
    typo = _load(tmp_path, GOOD_RULE.replace("- expression:", "- expresion:"))
    assert "unknown condition" in typo.problems[0].message
    assert typo.problems[0].path == "$.rules[0].when.all[0].expresion"
    assert paths["$.rules[0].when.all[1].phenotype.in[0]"].startswith(
        "unknown CYP2C19 phenotype 'Slow Metabolizer'"
    )
    assert paths["$.rules[0].when.all[2].therapy.class[0]"] == "unknown drug class 'anti-EGFRR'"
    assert paths["$.rules[0].when.all[3].cancer_type.in[0]"] == "unknown OncoTree code 'CRCX'"


def test_duplicate_ids_and_supersedes(tmp_path: Path) -> None:
    """Duplicate ids and supersedes of unknown rules are errors."""
    err = _load(tmp_path, GOOD_RULE + GOOD_RULE.replace("drugs:", "supersedes: [r9]\n    drugs:"))
    messages = [p.message for p in err.problems]
    assert any(m.startswith("duplicate rule id 'r1'") for m in messages)


def test_non_pgx_yaml_in_directory(tmp_path: Path) -> None:
    """A YAML file that is not a pgx file is an error, never silently skipped."""
    write(tmp_path, "a.yaml", "pgx_rules: 1\nrules:\n" + GOOD_RULE)
    write(tmp_path, "notes.yaml", "hello: world\n")
    with pytest.raises(RuleFileError, match="not a pgx file"):
        load_ruleset(tmp_path)


def test_knowledge_conflict_named(tmp_path: Path) -> None:
    """Redefining a bundled drug differently is an error naming both files."""
    write(tmp_path, "a.yaml", "pgx_rules: 1\nrules:\n" + GOOD_RULE)
    write(tmp_path, "k.yaml", "pgx_knowledge: 1\ndrugs:\n  cetuximab: {rxnorm: '1'}\n")
    with pytest.raises(RuleFileError, match="already defined differently in"):
        load_ruleset(tmp_path)


def test_user_knowledge_extends(tmp_path: Path) -> None:
    """A user's knowledge folder adds drugs their rules can name."""
    write(
        tmp_path, "a.yaml", "pgx_rules: 1\nrules:\n" + GOOD_RULE.replace("[cetuximab]", "[newmab]")
    )
    write(
        tmp_path, "k.yaml", "pgx_knowledge: 1\ndrugs:\n  newmab: {classes: [anti-EGFR antibody]}\n"
    )
    ruleset = load_ruleset(tmp_path)
    assert "anti-EGFR" in ruleset.knowledge.classes_of("newmab")


def test_hash_changes_with_content(tmp_path: Path) -> None:
    """The ruleset hash covers rule content."""
    a = load_ruleset(write(tmp_path, "a.yaml", "pgx_rules: 1\nrules:\n" + GOOD_RULE))
    b = load_ruleset(
        write(
            tmp_path,
            "a.yaml",
            "pgx_rules: 1\nrules:\n" + GOOD_RULE.replace("summary: s", "summary: t"),
        )
    )
    assert a.sha256 != b.sha256


DESIGN_EXAMPLE = """\
pgx_rules: 1
rules:
  - id: igf1r-overexpression-anti-egfr-progression
    version: 1.0.0
    status: active
    title: IGF1R overexpression after progression on anti-EGFR therapy
    drugs: [linsitinib, erlotinib]
    when:
      all:
        - expression: {gene: IGF1R, at_least: high}
        - therapy: {class: anti-EGFR, outcome: [progression]}
        - not: {somatic: {gene: KRAS, class: activating}}
    then:
      action: consider
      regimen: {all_of: [linsitinib, erlotinib]}
      summary: "IGF1R-high tumor progressing on anti-EGFR therapy: IGF1R co-targeting is \\
        investigational"
      detail: markdown text
      evidence: {level: "4", strength: optional}
      citations: ["PMID:18568074"]
"""


def test_design_contract_example_loads(tmp_path: Path) -> None:
    """The rule of DESIGN §4 loads as written: a single value may stand for a one-item list."""
    ruleset = load_ruleset(write(tmp_path, "design.yaml", DESIGN_EXAMPLE))
    (rule,) = ruleset.rules
    assert rule.when.parts[1].class_ == ("anti-EGFR",)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("phenotype: {gene: CYP2C19, in: []}", "'in' is empty"),
        ("therapy: {drug: [], outcome: [progression]}", "'drug' is empty"),
        ("activity_score: {gene: CYP2D6, at_least: 2, at_most: 1}", "could never fire"),
    ],
)
def test_conditions_that_can_never_fire_are_errors(
    tmp_path: Path, condition: str, message: str
) -> None:
    """A condition that could never be TRUE is a load error, not a silent rule."""
    body = GOOD_RULE.replace("- expression: {gene: IGF1R, at_least: high}", "- " + condition)
    err = _load(tmp_path, body)
    assert any(message in p.message for p in err.problems), err.problems


def test_problems_in_other_rules_are_not_hidden(tmp_path: Path) -> None:
    """A malformed rule does not hide the vocabulary errors of the others."""
    broken = GOOD_RULE.replace("action: consider", "action: maybe")
    typo = GOOD_RULE.replace("id: r1", "id: r2").replace("gene: IGF1R", "gene: IGF1RX")
    err = _load(tmp_path, broken + typo)
    messages = {(p.path, p.message.split(",")[0]) for p in err.problems}
    assert any(path == "$.rules[0].then.action" for path, _ in messages)
    assert ("$.rules[1].when.all[0].expression.gene", "unknown gene 'IGF1RX'") in messages


def test_empty_summary_and_bad_version(tmp_path: Path) -> None:
    """A rule without a summary or with a non-version 'version' is an error."""
    body = GOOD_RULE.replace("summary: s", 'summary: " "').replace("version: 1.0.0", "version: x")
    messages = {p.message for p in _load(tmp_path, body).problems}
    assert "the summary is empty" in messages
    assert "expected a version such as 1.0.0, found 'x'" in messages


def test_upper_case_extension_is_read(tmp_path: Path) -> None:
    """A rule file named *.YAML is loaded, never skipped."""
    write(tmp_path, "a.YAML", "pgx_rules: 1\nrules:\n" + GOOD_RULE)
    assert [r.id for r in load_ruleset(tmp_path).rules] == ["r1"]


def test_copy_of_bundled_rules_hashes_alike(tmp_path: Path) -> None:
    """The ruleset hash is about content: a byte-identical copy hashes the same."""
    import shutil

    from pgx import default_ruleset
    from pgx.io import bundled_rules_path

    copy = tmp_path / "rules"
    shutil.copytree(bundled_rules_path(), copy)
    assert load_ruleset(copy).sha256 == default_ruleset().sha256


def _rule(rule_id: str, drug: str, supersedes: str = "") -> str:
    extra = f"    supersedes: [{supersedes}]\n" if supersedes else ""
    return GOOD_RULE.replace("id: r1", f"id: {rule_id}").replace(
        "drugs: [cetuximab]", f"drugs: [{drug}]\n{extra}".rstrip("\n")
    )


def test_supersedes_loops_and_cross_drug_are_errors(tmp_path: Path) -> None:
    """Self-reference, loops and hiding another drug's rule are load errors."""
    body = (
        _rule("a", "cetuximab", "b")
        + _rule("b", "cetuximab", "a")
        + _rule("c", "cetuximab", "c")
        + _rule("d", "panitumumab", "c")
    )
    messages = [p.message for p in _load(tmp_path, body).problems]
    assert any(m.startswith("supersedes loop") for m in messages)
    assert "a rule cannot supersede itself" in messages
    assert any("is about other drugs" in m for m in messages)


def test_a_long_supersedes_chain_loads(tmp_path: Path) -> None:
    """1,500 rules each superseding the next load: the loop check keeps its own stack."""
    count = 1500
    body = "".join(
        _rule(f"r{i}", "cetuximab", f"r{i + 1}" if i + 1 < count else "") for i in range(count)
    )
    ruleset = load_ruleset(write(tmp_path, "chain.yaml", "pgx_rules: 1\nrules:\n" + body))
    assert ruleset.rules[0].supersedes == ("r1",)
    assert len(ruleset.rules) == count


def test_a_supersedes_loop_names_its_rules(tmp_path: Path) -> None:
    """A loop reached through a chain is one error naming the rules around it, in order."""
    body = (
        _rule("start", "cetuximab", "a")
        + _rule("a", "cetuximab", "b")
        + _rule("b", "cetuximab", "c")
        + _rule("c", "cetuximab", "a")
    )
    (problem,) = _load(tmp_path, body).problems
    assert problem.message == (
        "supersedes loop a -> b -> c -> a: its findings would hide each other"
    )
    assert problem.path == "$.rules[3].supersedes[0]"

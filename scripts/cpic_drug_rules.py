"""Generate the rules for genes whose drugs share one recommendation pattern from CPIC's export.

Usage::

    python scripts/cpic_drug_rules.py ../shared/data/guidelines-2023-08/cpic
    python scripts/cpic_drug_rules.py ../shared/data/guidelines-2023-08/cpic --check

G6PD (about 40 drugs in a handful of risk classes), MT-RNR1 (11 aminoglycosides), RYR1/CACNA1S
(7 anaesthetics) and CFTR (ivacaftor) recommendations are read from CPIC's recommendation export
(one JSON file per drug) and written as ``rules/germline/<gene>/<group>.yaml`` plus the drug
vocabulary ``rules/knowledge/drugs-g6pd-mtrnr1-ryr1-cftr.yaml``. What the export does not hold
is in ``scripts/cpic_drug_rules.yaml``: our own wording, drug group names, evidence levels and
conditions over two genes. Grades, genotype groups, RxNorm codes and which drugs share a
recommendation come from the export, and the script stops when the curated file and the
export disagree (a drug in the wrong group, a text no wording matches). ``--check`` writes
nothing and exits 1 when a committed file differs from what the export gives.

CPIC's "Indeterminate" rows are not encoded: pgx reads an indeterminate phenotype as unknown,
so these rules are reported undecided (tests/data/cpic/departures.yaml says so).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the table module sits beside this script
    sys.path.insert(0, str(HERE))
import cpic_table_rules as tables  # noqa: E402

CURATED = HERE / "cpic_drug_rules.yaml"
ROOT = HERE.parent
DRUGS_FILE = "knowledge/drugs-g6pd-mtrnr1-ryr1-cftr.yaml"
#: Drugs the vocabulary already defines in another file (the oncology table has doxorubicin).
DEFINED_ELSEWHERE = frozenset({"doxorubicin"})
#: RxNorm ingredient codes the export does not give as the drug id. gentamicin: the export's
#: id is an ATC code (D06AX07); 1596450 is the rxnormid of gentamicin in CPIC's drug table.
#: ribostamycin has no RxNorm code (it is not marketed in the US): the export writes "NA".
RXNORM_CURATED: Mapping[str, str | None] = {"gentamicin": "1596450", "ribostamycin": None}
#: Drug classes for the medication and therapy leaves, by guideline; succinylcholine is a
#: neuromuscular blocker, not a volatile anaesthetic.
CLASSES: Mapping[str, tuple[str, ...]] = {
    "MT-RNR1": ("aminoglycoside",),
    "RYR1-CACNA1S": ("volatile anaesthetic",),
}
NOT_IN_CLASS = frozenset({"succinylcholine"})
INDETERMINATE = "Indeterminate"
GRADE = {"Strong": "strong", "Moderate": "moderate", "Optional": "optional"}


class SourceError(Exception):
    """The export and the curated file disagree, or the export is not understood."""


def _q(value: object) -> str:
    """A scalar or list as YAML flow text (JSON is YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str:
    """A mapping or list as one line of YAML flow text, keys unquoted where plain."""
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _q(value)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _export(source: Path) -> dict[str, dict[str, Any]]:
    """The export's drug files, by drug name."""
    files = sorted(source.glob("*.json"))
    if not files:
        raise SourceError(f"{source}: no CPIC drug files (*.json)")
    return {d["drugname"]: d for d in (json.loads(p.read_text(encoding="utf-8")) for p in files)}


def _rows(data: Mapping[str, Any]) -> list[tuple[tuple[tuple[str, str], ...], str, str]]:
    """(lookup, classification, text) per recommendation row, in a stable order."""
    rows = [
        (
            tuple(sorted(r["lookupkey"].items())),
            r["classification"],
            r["drugrecommendation"].strip(),
        )
        for r in data["recommendations"] or ()
    ]
    return sorted(rows)


def _genes_of(data: Mapping[str, Any]) -> set[str]:
    return {g for r in data["recommendations"] or () for g in r["lookupkey"]}


def _wording(texts: list[dict[str, Any]], text: str, where: str) -> dict[str, Any]:
    hits = [t for t in texts if re.match(t["match"], text)]
    if len(hits) != 1:
        raise SourceError(f"{where}: {len(hits)} wording entries match CPIC's text {text!r}")
    return hits[0]


def _level(guideline: Mapping[str, Any], strength: str) -> str:
    return "1" if guideline["level_a"] and strength in {"strong", "moderate"} else "2"


def _detail(text: str, extra: Iterable[str]) -> list[str]:
    lines = text.rstrip("\n").splitlines()
    for note in extra:
        lines += ["", *_wrap(note.strip())]
    return lines


def _wrap(text: str, width: int = 90) -> list[str]:
    out: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        out.append(line)
    return out


def _phenotype_tests(
    gene: str, wanted: list[str], others: list[str], guideline: Mapping[str, Any]
) -> list[dict[str, Any]]:
    tests: list[dict[str, Any]] = []
    for phenotype in wanted:
        tests.append(
            {
                "name": f"fires for a reported {phenotype} phenotype",
                "profile": {"germline": {gene: {"phenotype": phenotype}}},
                "expect": "fires",
            }
        )
        for diplotype in guideline["examples"].get(phenotype, ()):
            tests.append(
                {
                    "name": f"fires for {diplotype}",
                    "profile": {"germline": {gene: {"diplotype": diplotype}}},
                    "expect": "fires",
                }
            )
    for phenotype in others:
        tests.append(
            {
                "name": f"does not fire for a reported {phenotype} phenotype",
                "profile": {"germline": {gene: {"phenotype": phenotype}}},
                "expect": "does_not_fire",
            }
        )
    tests.append(
        {
            "name": f"indeterminate when {gene} was not tested",
            "profile": {"germline": {}},
            "expect": "indeterminate",
        }
    )
    tests.append(
        {
            "name": f"indeterminate for a reported Indeterminate {gene} result",
            "profile": {"germline": {gene: {"phenotype": INDETERMINATE}}},
            "expect": "indeterminate",
        }
    )
    for diplotype in guideline["undecided_examples"]:
        tests.append(
            {
                "name": f"indeterminate for {diplotype} (allele of uncertain function)",
                "profile": {"germline": {gene: {"diplotype": diplotype}}},
                "expect": "indeterminate",
            }
        )
    return tests


def _group_rules(
    name: str, guideline: Mapping[str, Any], group: Mapping[str, Any], rows: list[Any]
) -> list[dict[str, Any]]:
    """One rule per distinct (recommendation text, grade) of the group's rows."""
    genes = guideline["genes"]
    by_rec: dict[tuple[str, str], list[dict[str, str]]] = {}
    for lookup, classification, text in rows:
        values = dict(lookup)
        if INDETERMINATE in values.values():
            continue  # pgx reads an indeterminate result as unknown (a documented departure)
        if classification not in GRADE:
            raise SourceError(f"{name}/{group['name']}: ungraded row {classification!r}")
        by_rec.setdefault((text, classification), []).append(values)
    all_phenotypes = sorted(
        {v[genes[0]] for lookups in by_rec.values() for v in lookups} if len(genes) == 1 else set()
    )
    rules = []
    for (text, classification), lookups in by_rec.items():
        where = f"{name}/{group['name']}"
        words = _wording(guideline["texts"], text, where)
        strength = GRADE[classification]
        if "when" in words:
            when = words["when"]
            key = words["key"]
            title = words["title"]
            tests = words["tests"]
            shown = ""
        else:
            if len(genes) != 1:
                raise SourceError(f"{where}: a two-gene row needs `when` in its wording")
            gene = genes[0]
            wanted = sorted({v[gene] for v in lookups})
            when = {"phenotype": {"gene": gene, "in": wanted}}
            key = "-".join(guideline["slugs"].get(p, _slug(p)) for p in wanted)
            shown = " or ".join(wanted)
            title = f"{gene} {shown} and {group['title']}"
            others = [p for p in all_phenotypes if p not in wanted]
            tests = _phenotype_tests(gene, wanted, others, guideline)
        notes = [group["note"]] if "note" in group else []
        if not guideline["level_a"]:
            notes.append(guideline["level_note"])
        rules.append(
            {
                "id": f"cpic-{_slug(name)}-{group['name']}-{key}",
                "title": title,
                "drugs": group["drugs"],
                "when": when,
                "action": words["action"],
                "summary": words["summary"].replace("{phenotype}", shown),
                "detail": _detail(words["detail"], notes),
                "evidence": {"level": _level(guideline, strength), "strength": strength},
                "citations": guideline["citations"],
                "tests": tests,
            }
        )
    return sorted(rules, key=lambda r: r["id"])


def _normalised_rows(data: Mapping[str, Any]) -> list[tuple[Any, str, str]]:
    """The drug's rows with its own name in the text replaced, to compare drugs of a group."""
    name = re.compile(rf"\b{re.escape(data['drugname'])}\b", re.IGNORECASE)
    return sorted((lookup, c, name.sub("DRUG", text)) for lookup, c, text in _rows(data))


def _table_group_rules(
    name: str,
    guideline: Mapping[str, Any],
    group: Mapping[str, Any],
    rows: list[Any],
    rules_dir: Path,
) -> list[dict[str, Any]]:
    """The rules of one drug group of an activity-score or two-gene guideline."""
    genes = [g for g in guideline["genes"] if any(g in dict(r[0]) for r in rows)]
    where = f"{name}/{group['name']}"
    score_bands = {g: tables.bands(rules_dir, g) for g in guideline.get("scores", ())}
    specs = tables.rule_specs(
        genes,
        [(dict(lookup), c, text) for lookup, c, text in rows],
        lambda text: _wording(guideline["texts"], text, where),
        score_bands,
    )
    prefix = f"cpic-{group['name']}-"
    rules = []
    for spec in specs:
        words = spec["words"]
        notes = [f"CPIC genotype groups: {spec['groups']}."]
        if spec["kind"] != "both":
            other = " and ".join(g for g in genes if g != spec["kind"])
            notes.append(
                f"CPIC's advice when {other} was not tested; when it is known, the rule for the "
                "combination of both genes replaces this one."
            )
        if "note" in group:
            notes.append(group["note"])
        level_a = group.get("level_a", guideline["level_a"])
        if not level_a:
            notes.append(guideline["level_note"])
        shown = tables.label(spec["when"]) or words["title"]
        title = f"{shown} and {group['title']}"
        if spec["kind"] != "both" and len(genes) > 1:
            unknown = " and ".join(g for g in genes if g != spec["kind"])
            title = f"{shown} ({unknown} unknown) and {group['title']}"
        rules.append(
            {
                "id": prefix + spec["key"],
                "title": title,
                "drugs": group["drugs"],
                "supersedes": [prefix + key for key in spec["supersedes"]],
                "when": spec["when"],
                "action": words["action"],
                "summary": words["summary"]
                .replace("{drug}", group["drug_word"])
                .replace("{phenotype}", shown),
                "detail": _detail(words["detail"].replace("{drug}", group["drug_word"]), notes),
                "evidence": {
                    "level": "1" if level_a and spec["strength"] in {"strong", "moderate"} else "2"
                }
                | ({"strength": spec["strength"]} if spec["strength"] else {}),
                "citations": guideline["citations"],
                "tests": spec["tests"],
            }
        )
    return rules


def _rule_text(rule: Mapping[str, Any]) -> list[str]:
    out = [
        f"  - id: {rule['id']}",
        "    version: 1.0.0",
        "    source: CPIC",
        "    status: active",
        f"    title: {_q(rule['title'])}",
        f"    drugs: {_flow(rule['drugs'])}",
    ]
    if rule.get("supersedes"):
        out.append(f"    supersedes: {_flow(rule['supersedes'])}")
    out += ["    when:"]
    when = rule["when"]
    for key, value in when.items():
        if isinstance(value, list):
            out.append(f"      {key}:")
            out += [f"        - {_flow_item(item)}" for item in value]
        else:
            out.append(f"      {key}: {_flow(value)}")
    out += [
        "    then:",
        f"      action: {rule['action']}",
        f"      summary: {_q(rule['summary'])}",
        "      detail: |",
        *[f"        {line}".rstrip() for line in rule["detail"]],
        f"      evidence: {_flow(rule['evidence'])}",
        f"      citations: {_flow(rule['citations'])}",
        "    tests:",
    ]
    for test in rule["tests"]:
        out += [
            f"      - name: {_q(test['name'])}",
            f"        profile: {_flow(test['profile'])}",
            f"        expect: {test['expect']}",
        ]
    return out


def _flow_item(item: Mapping[str, Any]) -> str:
    ((key, value),) = item.items()
    return f"{key}: {_flow(value)}"


def _header(guideline: Mapping[str, Any], group: Mapping[str, Any], source: Path) -> list[str]:
    lines = [
        "pgx_rules: 1",
        f"# {' and '.join(guideline['genes'])} with {group['title']}.",
        "# Generated by scripts/cpic_drug_rules.py from CPIC's recommendation export (v1.30.0,",
        f"# {source.name}/<drug>.json) and the wording in scripts/cpic_drug_rules.yaml.",
        "# Do not edit by hand: change the wording file and regenerate.",
        "# Source:",
    ]
    lines += [f"#   {line}" for line in _wrap(guideline["reference"].strip(), 88)]
    return lines


def _drug_vocabulary(export: Mapping[str, Mapping[str, Any]], curated: Mapping[str, Any]) -> str:
    lines = [
        "pgx_knowledge: 1",
        "# Drugs named by the G6PD, MT-RNR1, RYR1/CACNA1S and CFTR rules, generated by",
        "# scripts/cpic_drug_rules.py. Do not edit by hand: regenerate.",
        "# RxNorm ingredient codes are the drug ids of CPIC's recommendation export (v1.30.0),",
        "# except gentamicin (the export gives an ATC code; 1596450 is the rxnormid CPIC's drug",
        "# table gives it) and ribostamycin (no RxNorm code: not marketed in the US).",
        "# Doxorubicin is defined with the oncology drugs.",
        "drugs:",
    ]
    entries: dict[str, dict[str, Any]] = {}
    for name, guideline in curated["guidelines"].items():
        if guideline.get("table"):
            continue  # their drugs are in the hand-curated vocabulary files
        for group in guideline["groups"]:
            for drug in group["drugs"]:
                if drug in DEFINED_ELSEWHERE:
                    continue
                if drug in RXNORM_CURATED:
                    code = RXNORM_CURATED[drug]
                else:
                    drugid = export[drug]["drugid"]
                    if not drugid.startswith("RxNorm:"):
                        raise SourceError(f"{drug}: drug id {drugid!r} is not an RxNorm code")
                    code = drugid.removeprefix("RxNorm:")
                entry: dict[str, Any] = {}
                if code is not None:
                    entry["rxnorm"] = code
                if name in CLASSES and drug not in NOT_IN_CLASS:
                    entry["classes"] = list(CLASSES[name])
                entries[drug] = entry
    for drug in sorted(entries):
        lines.append(
            f"  {_q(drug) if ' ' in drug or '/' in drug else drug}: {_flow(entries[drug])}"
        )
    return "\n".join(lines) + "\n"


def generate(source: Path, curated_path: Path = CURATED) -> dict[str, str]:
    """The generated files, by path relative to ``rules/``."""
    curated = yaml.safe_load(curated_path.read_text(encoding="utf-8"))
    export = _export(source)
    files: dict[str, str] = {}
    rules_dir = ROOT / "rules"
    for name, guideline in curated["guidelines"].items():
        genes = set(guideline["genes"])
        listed = [d for g in guideline["groups"] for d in g["drugs"]]
        if len(listed) != len(set(listed)):
            raise SourceError(f"{name}: a drug is in two groups")
        table = bool(guideline.get("table"))
        if table:  # the guideline's drugs, less those encoded by hand
            in_export = {
                d
                for d, data in export.items()
                if data["guidelinename"] == guideline["guideline"]
                and d not in guideline.get("hand_written", {})
            }
        else:
            in_export = {
                d for d, data in export.items() if _genes_of(data) and _genes_of(data) <= genes
            }
        if set(listed) != in_export:
            raise SourceError(
                f"{name}: groups list {sorted(set(listed) - in_export)} not in the export; "
                f"export has {sorted(in_export - set(listed))} in no group"
            )
        for group in guideline["groups"]:
            rows_of = _normalised_rows if table else _rows
            patterns = {d: rows_of(export[d]) for d in group["drugs"]}
            first = patterns[group["drugs"][0]]
            differ = [d for d, rows in patterns.items() if rows != first]
            if differ:
                raise SourceError(f"{name}/{group['name']}: {differ} differ from the group")
            if table:
                rules = _table_group_rules(name, guideline, group, first, rules_dir)
            else:
                rules = _group_rules(name, guideline, group, first)
            body = [*_header(guideline, group, source), "rules:"]
            for i, rule in enumerate(rules):
                if i:
                    body.append("")
                body += _rule_text(rule)
            files[f"germline/{guideline['directory']}/{group['name']}.yaml"] = (
                "\n".join(body) + "\n"
            )
    files[DRUGS_FILE] = _drug_vocabulary(export, curated)
    return files


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or ``--check``) the rule files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="the CPIC export directory (<drug>.json)")
    parser.add_argument("--out", type=Path, default=ROOT / "rules", help="the rules directory")
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    try:
        files = generate(args.source)
    except (SourceError, KeyError, TypeError) as exc:
        print(f"cpic_drug_rules: {exc}", file=sys.stderr)
        return 2
    differ = []
    for relative, text in files.items():
        path = args.out / relative
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old == text:
            continue
        differ.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "differs from the export" if args.check else "written"
    for relative in differ:
        print(f"{relative}: {verb}")
    return 1 if (args.check and differ) else 0


if __name__ == "__main__":
    sys.exit(main())

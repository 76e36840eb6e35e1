"""Generate pgx's DPWG rules from PharmGKB's annotations of the DPWG guidelines.

Usage::

    python scripts/dpwg_rules.py ../shared/data/guidelines-2023-08/dpwg
    python scripts/dpwg_rules.py ../shared/data/guidelines-2023-08/dpwg --check

The annotations (one JSON file per drug and gene) give DPWG's genotype groups: which allele
functions (or, for CYP2D6 and DPYD, which gene activity scores) each group holds, whether DPWG
advises a change, and the guideline's citations. For every drug-gene pair named in
``scripts/dpwg_rules.yaml`` the script writes ``rules/germline/dpwg/<drug>-<gene>.yaml``: one
rule per group that has wording there. What a rule reads comes from the data: CYP2D6 groups by
DPWG's activity score range; other genes by the phenotype pgx's own table gives each allele
pair of the group (so DPWG's "normal metabolizer" group for CYP2C19 ``*1/*17`` reads CPIC's
``Rapid Metabolizer``), DPYD by activity score, VKORC1 by the rs9923231 genotype. Where two
groups claim one phenotype or score, ``resolve`` in the wording file says which keeps it. The
wording file holds only what the data does not: our own summary and detail per group (PharmGKB's
text is CC BY-SA and is not copied), the action, and citations where the data gives no PMID.
``--check`` writes nothing and exits 1 when a committed file differs from what the data gives.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pgx import default_ruleset, evaluate

HERE = Path(__file__).resolve().parent
CURATED = HERE / "dpwg_rules.yaml"
ROOT = HERE.parent
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_LABEL = re.compile(r"^(?P<function>[^(]+?)(?: \((?P<allele>[^)]+)\))?$")
KEYS = {
    "PM": "poor",
    "IM": "intermediate",
    "NM": "normal",
    "UM": "ultrarapid",
    "Poor Metabolizer": "poor",
    "Intermediate Metabolizer": "intermediate",
    "Normal Metabolizer": "normal",
    "Ultrarapid Metabolizer": "ultrarapid",
}


class SourceError(Exception):
    """The data and the wording file disagree, or the data is not understood."""


def _text(fragment: Mapping[str, Any] | None) -> str:
    raw = (fragment or {}).get("html") or ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw)).split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _q(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _flow(value: Any) -> str:
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _q(value)


def _wrap(text: str, width: int = 88) -> list[str]:
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


def read_pair(source: Path, drug: str, gene: str) -> dict[str, Any]:
    """One annotation file: the guideline's facts and its genotype groups."""
    path = source / f"{drug.replace(' ', '_')}_and_{gene}.json"
    if not path.is_file():
        raise SourceError(f"{path}: no DPWG annotation for {drug} and {gene}")
    data = json.loads(path.read_text(encoding="utf-8"))
    guideline = data["guideline"]
    (gene_entry,) = guideline["guidelineGenes"]
    if gene_entry["gene"]["symbol"] != gene:
        raise SourceError(f"{path}: gene {gene_entry['gene']['symbol']}, expected {gene}")
    by_function: dict[str, list[str]] = {}
    for allele in gene_entry["alleles"]:
        if allele.get("function"):
            by_function.setdefault(allele["function"]["term"], []).append(allele["_label"])
    groups = [
        {
            "name": row["name"],
            "change": row["rxChangeStatus"]["term"],
            "status": _text(row.get("metabolizerStatus")),
            "activity": _text(row.get("activityScore")),
            "pairs": [p.split(":", 1)[1] for p in row["genePhenotypes"]],
        }
        for row in data["annotationGroups"]
    ]
    return {
        "file": path.name,
        "id": guideline["id"],
        "name": guideline["name"],
        "data_version": data["version"],
        "pmids": [f"PMID:{c['pmid']}" for c in data["citations"] if c.get("pmid")],
        "references": [
            f"{c['authors'][0] if c.get('authors') else ''} et al., {c.get('journal', '')} "
            f"{c.get('year', '')} (PMID {c['pmid']}): {c.get('title', '')}"
            for c in data["citations"]
            if c.get("pmid")
        ],
        "alleles": by_function,
        "groups": groups,
    }


class Phenotyper:
    """pgx's own reading of a diplotype (through the bundled tables)."""

    def __init__(self) -> None:
        self.ruleset = default_ruleset()

    def known(self, gene: str, allele: str) -> bool:
        """Whether the gene's table knows the allele (in any spelling)."""
        table = self.ruleset.knowledge.gene_phenotypes.get(gene)
        return table is not None and table.canonical(allele) is not None

    def read(self, gene: str, diplotype: str) -> tuple[str | None, float | None]:
        """The phenotype and activity score pgx gives the diplotype."""
        report = evaluate({"germline": {gene: {"diplotype": diplotype}}}, self.ruleset)
        result = report.phenotypes[gene]
        return result.phenotype, result.activity_score


def _allele(pair: Mapping[str, Any], gene: str, label: str, curated: Mapping[str, Any],
            pgx: Phenotyper) -> str | None:  # fmt: skip
    fixed = curated.get("alleles", {}).get(gene, {})
    if label in fixed:
        return fixed[label]  # type: ignore[no-any-return]
    match = _LABEL.match(label)
    if match is None:
        raise SourceError(f"{pair['file']}: allele function {label!r} not understood")
    named = match.group("allele")
    if named and named.startswith(("*", f"{gene}*")):
        return named.removeprefix(gene)
    known = [a for a in pair["alleles"].get(label, ()) if pgx.known(gene, a)]
    return known[0] if known else None


def probes(pair: Mapping[str, Any], gene: str, group: Mapping[str, Any],
           curated: Mapping[str, Any], pgx: Phenotyper) -> list[dict[str, Any]]:  # fmt: skip
    """Each profile entry walked for a group, with the value pgx reads from it."""
    out: list[dict[str, Any]] = []
    if gene == "CYP2D6":
        for score in sorted({float(n) for n in _NUMBER.findall(group["activity"])}):
            out.append({"entry": {"activity_score": score}, "value": score})
        return out
    variants = curated.get("variants", {}).get(gene)
    for labels in (p.split("/") for p in group["pairs"]):
        if variants:
            bases = "/".join(sorted(variants["bases"][label] for label in labels))
            entry = {"variants": {variants["rsid"]: bases}}
            out.append({"entry": entry, "value": bases})
            continue
        alleles = [_allele(pair, gene, label, curated, pgx) for label in labels]
        if None in alleles:
            continue
        diplotype = "/".join(a for a in alleles if a)
        phenotype, score = pgx.read(gene, diplotype)
        value: str | float | None = score if gene in curated["by_score"] else phenotype
        if value is None or value == "Indeterminate":
            continue  # pgx reads this pair as unknown: the rules stay undecided
        out.append({"entry": {"diplotype": diplotype}, "value": value, "phenotype": phenotype})
    return out


def _when(gene: str, group: Mapping[str, Any], values: list[Any],
          curated: Mapping[str, Any]) -> dict[str, Any]:  # fmt: skip
    if gene == "CYP2D6":
        scores = sorted({float(n) for n in _NUMBER.findall(group["activity"])})
        leaf: dict[str, Any] = {"gene": gene, "at_least": scores[0]}
        if "≥" not in group["activity"]:
            leaf["at_most"] = scores[-1]
        return {"activity_score": leaf}
    variants = curated.get("variants", {}).get(gene)
    if variants:
        return {"variant": {"gene": gene, "rsid": variants["rsid"], "genotype": sorted(values)}}
    if gene in curated["by_score"]:
        if len(values) != 1:
            raise SourceError(f"{gene} {group['name']}: scores {values} need one rule each")
        return {"activity_score": {"gene": gene, "at_least": values[0], "at_most": values[0]}}
    return {"phenotype": {"gene": gene, "in": sorted(values)}}


def _claims(pair: Mapping[str, Any], gene: str, walked: Mapping[str, list[dict[str, Any]]],
            curated: Mapping[str, Any]) -> dict[str, list[Any]]:  # fmt: skip
    """The values each group keeps, after ``resolve`` settles values two groups claim."""
    owners: dict[Any, set[str]] = {}
    for name, rows in walked.items():
        for row in rows:
            owners.setdefault(row["value"], set()).add(name)
    resolve = curated.get("resolve", {}).get(gene, {})
    kept: dict[str, list[Any]] = {name: [] for name in walked}
    for value, names in owners.items():
        if len(names) > 1:
            key = str(value) if not isinstance(value, str) else value
            winner = resolve.get(key, resolve.get(value))
            if winner not in names:
                raise SourceError(
                    f"{pair['file']}: {value!r} is in groups {sorted(names)}; "
                    f"say which keeps it under resolve.{gene}"
                )
            kept[winner].append(value)
        else:
            (name,) = names
            kept[name].append(value)
    return {name: sorted(values) for name, values in kept.items()}


def _tests(gene: str, mine: list[dict[str, Any]], other: list[dict[str, Any]],
           rule_values: list[Any], curated: Mapping[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    tests: list[dict[str, Any]] = []
    seen: set[str] = set()
    for row in mine:
        if row["value"] not in rule_values:
            continue
        shown = _describe(gene, row["entry"])
        if shown in seen:
            continue
        seen.add(shown)
        tests.append(_test(f"fires for {shown}", gene, row["entry"], "fires"))
    if (
        gene not in curated["by_score"]
        and gene != "CYP2D6"
        and gene not in curated.get("variants", {})
    ):
        for term in rule_values:
            entry = {"phenotype": term}
            tests.append(_test(f"fires for a reported {term} phenotype", gene, entry, "fires"))
    for row in other[:1]:
        tests.append(
            _test(f"does not fire for {_describe(gene, row['entry'])}", gene, row["entry"],
                  "does_not_fire")
        )  # fmt: skip
    tests.append(
        {"name": f"indeterminate when {gene} was not tested", "profile": {"germline": {}},
         "expect": "indeterminate"}
    )  # fmt: skip
    return tests


def _describe(gene: str, entry: Mapping[str, Any]) -> str:
    if "activity_score" in entry:
        return f"{gene} activity score {entry['activity_score']:g}"
    if "variants" in entry:
        ((rsid, bases),) = entry["variants"].items()
        return f"{gene} {rsid} {bases}"
    return f"{gene} {entry['diplotype']}"


def _test(name: str, gene: str, entry: Mapping[str, Any], expect: str) -> dict[str, Any]:
    return {"name": name, "profile": {"germline": {gene: dict(entry)}}, "expect": expect}


def _citations(pair: Mapping[str, Any], wording: Mapping[str, Any]) -> list[str]:
    if "citations" in wording:
        return list(wording["citations"])
    if pair["pmids"]:
        return list(pair["pmids"])
    raise SourceError(f"{pair['file']}: the data gives no PMID; give `citations` in the wording")


def key_of(name: str, words: Mapping[str, Any]) -> str:
    """The rule id's last part: the wording's ``key``, else from DPWG's group name."""
    return str(words.get("key", KEYS.get(name, _slug(name))))


def generate_pair(source: Path, key: str, wording: Mapping[str, Any],
                  curated: Mapping[str, Any], pgx: Phenotyper) -> tuple[str, str]:  # fmt: skip
    """The rule file for one drug-gene pair: (path relative to rules/, text)."""
    drug, gene = key.split("/")
    pair = read_pair(source, drug, gene)
    by_name = {g["name"]: g for g in pair["groups"]}
    unknown = set(wording["groups"]) - set(by_name)
    if unknown:
        raise SourceError(f"{key}: wording for groups the data lacks: {sorted(unknown)}")
    walked = {g["name"]: probes(pair, gene, g, curated, pgx) for g in pair["groups"]}
    kept = _claims(pair, gene, walked, curated)
    rules: list[dict[str, Any]] = []
    for group in pair["groups"]:
        name = group["name"]
        words = wording["groups"].get(name)
        if words is not None and words.get("diplotype"):
            continue  # written below, once the rules it supersedes have ids
        if words is None:
            if group["change"] != "No" and (kept[name] or gene == "CYP2D6"):
                raise SourceError(f"{key}: DPWG advises a change for {name!r}; no wording")
            continue
        values = kept[name] if gene != "CYP2D6" else [r["value"] for r in walked[name]]
        if not values:
            raise SourceError(f"{key}: group {name!r} keeps no phenotype; drop its wording")
        other = [
            r
            for n, rows in walked.items()
            if n != name
            for r in rows
            if r["value"] not in values and (gene == "CYP2D6" or r["value"] in kept[n])
        ]
        status = (group["status"] or name).lower()
        rules.append(
            {
                "id": f"dpwg-{_slug(gene)}-{_slug(drug)}-{key_of(name, words)}",
                "group": name,
                "title": words.get("title", f"{gene} {status} and {drug} (DPWG)"),
                "drugs": [drug],
                "when": _when(gene, group, values, curated),
                "words": words,
                "citations": _citations(pair, wording),
                "tests": _tests(gene, walked[name], other, values, curated),
            }
        )
    rules += _diplotype_rules(drug, gene, pair, wording, walked, kept, rules)
    if wording.get("gaps"):
        rules += _gap_rules(pair, drug, gene, wording, curated)
    body = [*_header(pair, wording), "rules:"]
    for i, rule in enumerate(rules):
        if i:
            body.append("")
        body += _rule_text(rule)
    return f"germline/dpwg/{_slug(drug)}-{_slug(gene)}.yaml", "\n".join(body) + "\n"


def _diplotype_rules(  # noqa: PLR0917 - the pair's parts, as generate_pair holds them
    drug: str, gene: str, pair: Mapping[str, Any], wording: Mapping[str, Any],
                     walked: Mapping[str, list[dict[str, Any]]], kept: Mapping[str, list[Any]],
                     generic: list[dict[str, Any]]) -> list[dict[str, Any]]:  # fmt: skip
    """Rules for groups DPWG names by one diplotype (CYP2C9 ``*2/*3``).

    Each reads that diplotype and hides the finding of the group that holds its phenotype
    (``supersedes``).
    """
    owner = {value: name for name, values in kept.items() for value in values}
    ids = {rule["group"]: rule["id"] for rule in generic}
    rules = []
    for group in pair["groups"]:
        name = group["name"]
        words = wording["groups"].get(name)
        if words is None or not words.get("diplotype"):
            continue
        if not re.fullmatch(r"\*\d+/\*\d+", name):
            raise SourceError(f"{drug}/{gene}: group {name!r} is not one diplotype")
        hidden = sorted(
            {ids[owner[r["value"]]] for r in walked[name] if owner.get(r["value"]) in ids}
        )
        entry = {"diplotype": name}
        rules.append(
            {
                "id": f"dpwg-{_slug(gene)}-{_slug(drug)}-{key_of(name, words)}",
                "group": name,
                "title": words.get("title", f"{gene} {name} and {drug} (DPWG)"),
                "drugs": [drug],
                "supersedes": hidden,
                "when": {"diplotype": {"gene": gene, "in": [name]}},
                "words": words,
                "citations": _citations(pair, wording),
                "tests": [
                    _test(f"fires for {gene} {name}", gene, entry, "fires"),
                    _test(f"does not fire for {gene} *1/*1", gene, {"diplotype": "*1/*1"},
                          "does_not_fire"),
                    {"name": f"indeterminate when {gene} was not tested",
                     "profile": {"germline": {}}, "expect": "indeterminate"},
                ],
            }
        )  # fmt: skip
    return rules


def _ranges(pair: Mapping[str, Any]) -> list[tuple[str, float, float | None]]:
    """(DPWG's phenotype, low, high or None) of each CYP2D6 group with a score range."""
    out = []
    for group in pair["groups"]:
        scores = sorted({float(n) for n in _NUMBER.findall(group["activity"])})
        if scores:
            high = None if "≥" in group["activity"] else scores[-1]
            out.append(((group["status"] or group["name"]).lower(), scores[0], high))
    return sorted(out, key=lambda r: r[1])


def _gap_rules(pair: Mapping[str, Any], drug: str, gene: str, wording: Mapping[str, Any],
               curated: Mapping[str, Any]) -> list[dict[str, Any]]:  # fmt: skip
    """Rules for the CYP2D6 scores none of DPWG's groups for the drug holds (``gaps``)."""
    ranges = _ranges(pair)
    bins = ", ".join(
        f"{name.removesuffix(' metabolizer')} {low:g}" + (f"-{high:g}" if high is not None and
        high != low else (" or more" if high is None else ""))
        for name, low, high in ranges
    )  # fmt: skip
    rules = []
    for text, words in curated["cyp2d6_gaps"].items():
        score = float(text)
        if any(low <= score and (high is None or score <= high) for _, low, high in ranges):
            raise SourceError(f"{drug}/{gene}: DPWG has a group for activity score {text}")
        filled = {
            k: (v.format(drug=drug, bins=bins) if isinstance(v, str) else v)
            for k, v in words.items()
        }
        entry = {"activity_score": score}
        rules.append(
            {
                "id": f"dpwg-{_slug(gene)}-{_slug(drug)}-score-{_slug(text)}",
                "title": f"{gene} activity score {text}, outside DPWG's groups, and {drug} (DPWG)",
                "drugs": [drug],
                "when": {"activity_score": {"gene": gene, "at_least": score, "at_most": score}},
                "words": filled,
                "citations": _citations(pair, wording),
                "tests": [
                    _test(f"fires for {gene} activity score {text}", gene, entry, "fires"),
                    _test(f"does not fire for {gene} activity score 0", gene,
                          {"activity_score": 0.0}, "does_not_fire"),
                    {"name": f"indeterminate when {gene} was not tested",
                     "profile": {"germline": {}}, "expect": "indeterminate"},
                ],
            }
        )  # fmt: skip
    return rules


def _header(pair: Mapping[str, Any], wording: Mapping[str, Any]) -> list[str]:
    lines = [
        "pgx_rules: 1",
        f"# DPWG: {pair['name'].removeprefix('Annotation of DPWG Guideline for ')}.",
        "# Generated by scripts/dpwg_rules.py from PharmGKB's annotation of the DPWG guideline",
        f"# ({pair['id']}, data {pair['data_version']}, guidelines-2023-08/dpwg/{pair['file']})",
        "# and the wording in scripts/dpwg_rules.yaml. Do not edit by hand: regenerate.",
        "# DPWG does not grade on CPIC's strong/moderate/optional scale: no strength is given.",
    ]
    for reference in pair["references"]:
        lines += [f"# {line}" for line in _wrap("Source: " + reference, 88)]
    for note in wording.get("notes", ()):
        lines += [f"# {line}" for line in _wrap(note, 88)]
    return lines


def _rule_text(rule: Mapping[str, Any]) -> list[str]:
    words = rule["words"]
    out = [
        f"  - id: {rule['id']}",
        f"    version: {words.get('version', '1.0.0')}",
        "    source: DPWG",
        "    status: active",
        f"    title: {_q(rule['title'])}",
        f"    drugs: {_flow(rule['drugs'])}",
    ]
    if rule.get("supersedes"):
        out.append(f"    supersedes: {_flow(rule['supersedes'])}")
    out += [
        "    when:",
    ]
    ((kind, leaf),) = rule["when"].items()
    out.append(f"      {kind}: {_flow(leaf)}")
    out += ["    then:", f"      action: {words['action']}"]
    if "indicator" in words:
        out.append(f"      indicator: {words['indicator']}")
    if "regimen" in words:
        out.append(f"      regimen: {_flow(words['regimen'])}")
    out += [f"      summary: {_q(words['summary'] + ' (DPWG)')}", "      detail: |"]
    for paragraph_index, paragraph in enumerate(words["detail"].strip().split("\n\n")):
        if paragraph_index:
            out.append("")
        out += [f"        {line}" for line in _wrap(paragraph, 88)]
    out += [
        f"      evidence: {_flow({'level': words.get('level', '2')})}",
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


def generate(source: Path, curated_path: Path = CURATED) -> dict[str, str]:
    """The generated files, by path relative to ``rules/``."""
    curated = yaml.safe_load(curated_path.read_text(encoding="utf-8"))
    pgx = Phenotyper()
    files: dict[str, str] = {}
    for key, wording in curated["pairs"].items():
        path, text = generate_pair(source, key, wording, curated, pgx)
        files[path] = text
    return files


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or ``--check``) the DPWG rule files."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="the DPWG annotations (<drug>_and_<GENE>.json)")
    parser.add_argument("--out", type=Path, default=ROOT / "rules", help="the rules directory")
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    try:
        files = generate(args.source)
    except (SourceError, KeyError, TypeError) as exc:
        print(f"dpwg_rules: {exc}", file=sys.stderr)
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
    verb = "differs from the data" if args.check else "written"
    for relative in differ:
        print(f"{relative}: {verb}")
    return 1 if (args.check and differ) else 0


if __name__ == "__main__":
    sys.exit(main())

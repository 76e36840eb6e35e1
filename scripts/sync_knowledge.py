"""Regenerate the germline knowledge tables from CPIC's data as PharmCAT publishes it.

Usage::

    python scripts/sync_knowledge.py ../shared/data/cpic-pharmcat [--out rules/knowledge]
    python scripts/sync_knowledge.py ../shared/data/cpic-pharmcat --check

Reads ``definition/<GENE>_translation.json`` (allele definitions on GRCh38) and
``phenotype/<GENE>.json`` (allele functions and CPIC's diplotype → phenotype list), applies
the hand-curated deviations of ``scripts/knowledge_deviations.yaml`` on top, and writes
``alleles/<GENE>.yaml`` and ``phenotypes/<GENE>.yaml``, each stamped with its source file and
CPIC data version. ``--check`` writes nothing and exits 1 when a committed table differs from
what the source data give.

Nothing here is clinical judgement: every function, phenotype and position comes from the
source files; what pgx deliberately does differently is in the deviations file, each entry
with its reason and citation.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEVIATIONS = HERE / "knowledge_deviations.yaml"
DEFAULT_OUT = HERE.parent / "rules" / "knowledge"

#: Genes whose allele definitions are generated (callable from short-read VCFs).
#: CYP2D6 is left out: its star alleles depend on copy number, deletions and CYP2D6/CYP2D7
#: hybrids that a short-read VCF of small variants cannot show, so it needs an outside call.
CALLED_FROM_VCF = (
    "ABCG2",
    "CACNA1S",
    "CFTR",
    "CYP2B6",
    "CYP2C19",
    "CYP2C9",
    "CYP3A4",
    "CYP3A5",
    "CYP4F2",
    "DPYD",
    "G6PD",
    "IFNL3",
    "NAT2",
    "NUDT15",
    "RYR1",
    "SLCO1B1",
    "TPMT",
    "UGT1A1",
    "VKORC1",
)
#: Genes with a CPIC phenotype table in the snapshot that pgx phenotypes. VKORC1 is read by
#: genotype at rs9923231 (the warfarin rules name the genotype), so it has no table here.
PHENOTYPED = (
    "ABCG2",
    "CACNA1S",
    "CFTR",
    "CYP2B6",
    "CYP2C19",
    "CYP2C9",
    "CYP3A4",
    "CYP3A5",
    "DPYD",
    "IFNL3",
    "MT-RNR1",
    "NAT2",
    "NUDT15",
    "SLCO1B1",
    "TPMT",
    "UGT1A1",
)
#: CPIC guideline papers per gene (PMIDs as listed in CPIC's database export).
CITATIONS: Mapping[str, tuple[str, ...]] = {
    "ABCG2": ("PMID:35152405",),
    "CACNA1S": ("PMID:30499100",),
    "CFTR": ("PMID:24598717",),
    "CYP2B6": ("PMID:31006110",),
    "CYP2C19": ("PMID:35034351",),
    "CYP2C9": ("PMID:32189324", "PMID:28198005"),
    "CYP3A4": ("GUIDELINE:CPIC CYP3A4 allele functionality table",),
    "CYP3A5": ("PMID:25801146",),
    "CYP4F2": ("PMID:28198005",),
    "DPYD": ("PMID:29152729",),
    "G6PD": ("PMID:36049896",),
    "IFNL3": ("PMID:24096968",),
    "MT-RNR1": ("PMID:34032273",),
    "NAT2": ("GUIDELINE:CPIC NAT2 allele functionality table",),
    "NUDT15": ("PMID:30447069",),
    "RYR1": ("PMID:30499100",),
    "SLCO1B1": ("PMID:35152405",),
    "TPMT": ("PMID:30447069",),
    "UGT1A1": ("PMID:26417955",),
    "VKORC1": ("PMID:28198005",),
}
PHARMCAT = "PharmCAT data files generated from the CPIC database and PharmVar"
_SUBALLELE = re.compile(r"^(?P<base>\*\d+)\.\d+$")
_PARENS = re.compile(r"^(?P<name>.+?) \((?P<alias>[^()]+)\)$")
_INDETERMINATE = "Indeterminate"


class SourceError(Exception):
    """The source data are not what this generator understands."""


# ------------------------------------------------------------------ YAML text
def _q(value: object) -> str:
    """A scalar as YAML text; strings double-quoted (JSON escapes are YAML escapes)."""
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flow(items: Mapping[str, object]) -> str:
    parts = []
    for key, value in items.items():
        if isinstance(value, list | tuple):
            text = "[" + ", ".join(_q(v) for v in value) + "]"
        else:
            text = _q(value)
        parts.append(f"{key}: {text}")
    return "{" + ", ".join(parts) + "}"


def _comment_lines(text: str) -> list[str]:
    return [f"# {line}".rstrip() for line in text.splitlines()]


# ------------------------------------------------------------------ reading the source
def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SourceError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected a JSON object")
    return data


def _manifest(source: Path) -> dict[str, tuple[str, str]]:
    """``relative path -> (data version, sha256 prefix)`` from MANIFEST.tsv."""
    out: dict[str, tuple[str, str]] = {}
    path = source / "MANIFEST.tsv"
    if not path.is_file():
        return out
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        cells = line.split("\t")
        if len(cells) >= 3:
            out[cells[0]] = (cells[1], cells[2])
    return out


def _commit(source: Path) -> str | None:
    readme = source / "README.md"
    if not readme.is_file():
        return None
    found = re.search(r"commit\s+([0-9a-f]{40})", readme.read_text(encoding="utf-8"))
    return found.group(1) if found else None


def _stamp(source: Path, relative: str, version: str) -> str:
    commit = _commit(source)
    where = f"PharmGKB/PharmCAT commit {commit}" if commit else "PharmGKB/PharmCAT"
    sha = _manifest(source).get(relative, ("", ""))[1]
    digest = f", sha256 {sha}..." if sha else ""
    return f"{PHARMCAT} ({where}, {relative}{digest}); CPIC data version {version}"


# ------------------------------------------------------------------ deviations
def load_deviations(path: Path = DEVIATIONS) -> dict[str, Any]:
    """The hand-curated deviations; every entry must carry a reason and a citation."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected a mapping")
    for section, entries in data.items():
        for gene, entry in (entries or {}).items():
            items = entry.values() if section == "aliases" else [entry]
            for item in items:
                if (
                    not isinstance(item, dict)
                    or not item.get("reason")
                    or not item.get("citations")
                ):
                    raise SourceError(
                        f"{path}: {section}.{gene}: every deviation needs a reason and citations"
                    )
    return data


# ------------------------------------------------------------------ allele definitions
def _position_id(variant: Mapping[str, Any]) -> str:
    rsid = variant.get("rsid")
    return str(rsid) if rsid else str(variant["chromosomeHgvsName"])


def allele_table(source: Path, gene: str) -> str:
    """``alleles/<GENE>.yaml`` text from the gene's translation file."""
    relative = f"definition/{gene}_translation.json"
    data = _read_json(source / relative)
    if data.get("gene") != gene or not str(data.get("genomeBuild", "")).startswith("GRCh38"):
        raise SourceError(f"{relative}: not a GRCh38 definition of {gene}")
    version = str(data["version"])
    variants = data["variants"]
    ids = [_position_id(v) for v in variants]
    if len(set(ids)) != len(ids):
        raise SourceError(f"{relative}: two positions share an id")
    lines = ["pgx_knowledge: 1"]
    lines += _comment_lines(
        f"{gene} allele definitions on GRCh38, generated by scripts/sync_knowledge.py from\n"
        f"{relative} (CPIC data version {version}). Do not edit by hand: regenerate.\n"
        "Positions an allele does not list carry the reference base; an IUPAC code (R, Y, ...)\n"
        "allows either of its bases."
    )
    lines += [
        "allele_definitions:",
        f"  {gene}:",
        "    build: GRCh38",
        f"    chromosome: {data['chromosome']}",
        f"    source: {_q(_stamp(source, relative, version))}",
        f"    data_version: {_q(version)}",
        f"    citations: [{', '.join(_q(c) for c in CITATIONS.get(gene, ()))}]",
        "    positions:",
    ]
    for pid, variant in zip(ids, variants, strict=True):
        entry = {
            "position": int(variant["position"]),
            "ref": variant["ref"],
            "alts": variant["alts"],
        }
        lines.append(f"      {_q(pid)}: {_flow(entry)}")
    lines.append("    alleles:")
    for allele in data["namedAlleles"]:
        if allele.get("structuralVariant"):
            continue
        bases: dict[str, str] = {}
        for pid, variant, base in zip(ids, variants, allele["alleles"], strict=True):
            if base is not None and base != variant["ref"]:
                bases[pid] = base
        note = "   # the reference allele (the GRCh38 sequence)" if allele.get("reference") else ""
        lines.append(f"      {_q(allele['name'])}: {_flow(bases)}{note}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ phenotype tables
def _functions(data: Mapping[str, Any]) -> dict[str, str]:
    """Allele name -> CPIC function, in the file's order."""
    return {a["name"]: a["functionValue"] for a in data["namedAlleles"]}


def _function_rows(data: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    functions = _functions(data)
    rows: dict[tuple[str, ...], str] = {}
    for entry in data["diplotypes"]:
        names = [n for n, count in entry["diplotypekey"].items() for _ in range(count)]
        pair = tuple(sorted(functions[n] for n in names))
        phenotype = entry["phenotype"]
        if rows.setdefault(pair, phenotype) != phenotype:
            raise SourceError(f"{data['gene']}: functions {pair} give two phenotypes")
    return sorted(
        ((pair, p) for pair, p in rows.items() if p != _INDETERMINATE),
        key=lambda row: (len(row[0]), row[1], row[0]),
    )


def _score_rows(data: Mapping[str, Any]) -> list[tuple[float, float, str]]:
    by_phenotype: dict[str, list[float]] = {}
    for entry in data["diplotypes"]:
        score = entry["activityScore"]
        if score in (None, "n/a"):
            if entry["phenotype"] != _INDETERMINATE:
                raise SourceError(f"{data['gene']}: {entry['diplotype']} has no score")
            continue
        by_phenotype.setdefault(entry["phenotype"], []).append(float(score))
    ranges = sorted((min(v), max(v), p) for p, v in by_phenotype.items())
    for (_, high, p1), (low, _, p2) in itertools.pairwise(ranges):
        if low <= high:
            raise SourceError(f"{data['gene']}: score ranges of {p1} and {p2} overlap")
    return ranges


def _aliases(
    names: Iterable[str], defined: Iterable[str], curated: Mapping[str, Any]
) -> dict[str, tuple[str, str]]:
    """``alias -> (allele, why)``: parenthesised legacy names, sub-alleles, curated ones."""
    names = list(names)
    taken = set(names)
    out: dict[str, tuple[str, str]] = {}
    clash: set[str] = set()

    def add(alias: str, allele: str, why: str) -> None:
        if alias in taken or alias in clash:
            return
        if alias in out and out[alias][0] != allele:
            clash.add(alias)
            del out[alias]
            return
        out[alias] = (allele, why)

    for name in names:
        found = _PARENS.match(name)
        if found:
            add(found["name"], name, "CPIC name without its legacy name")
            add(found["alias"], name, "legacy name CPIC gives in parentheses")
    for name in defined:
        found = _SUBALLELE.match(name)
        if found and found["base"] in taken:
            add(name, found["base"], "sub-allele (PharmVar); CPIC assigns function to the allele")
    for alias, entry in curated.items():
        if entry["allele"] not in taken:
            raise SourceError(f"curated alias {alias}: {entry['allele']} is no allele")
        out[alias] = (entry["allele"], f"{entry['reason']} ({', '.join(entry['citations'])})")
    return dict(sorted(out.items()))


def phenotype_table(source: Path, gene: str, deviations: Mapping[str, Any]) -> str:
    """``phenotypes/<GENE>.yaml`` text from the gene's phenotype file and the deviations."""
    relative = f"phenotype/{gene.replace('-', '_')}.json"
    data = _read_json(source / relative)
    if data.get("gene") != gene:
        raise SourceError(f"{relative}: not the phenotype file of {gene}")
    version = str(data["version"])
    by_score = bool(data.get("activityValues"))
    functions = _functions(data)
    values = {a["name"]: a["activityValue"] for a in data["namedAlleles"]}
    definition = source / f"definition/{gene}_translation.json"
    defined = (
        [a["name"] for a in _read_json(definition)["namedAlleles"]] if definition.is_file() else []
    )
    reference = (
        next(
            (a["name"] for a in _read_json(definition)["namedAlleles"] if a.get("reference")),
            None,
        )
        if definition.is_file()
        else None
    )
    extra_rows = (deviations.get("phenotype_rows") or {}).get(gene)
    lines = ["pgx_knowledge: 1"]
    lines += _comment_lines(
        f"{gene} diplotype -> phenotype (CPIC), generated by scripts/sync_knowledge.py from\n"
        f"{relative} (CPIC data version {version}). Do not edit by hand: regenerate.\n"
        + (
            "Activity score method: each allele's activity value, phenotype by score range\n"
            "(the ranges span the scores CPIC lists for each phenotype)."
            if by_score
            else "Function method: each row is a pair of allele functions (one function for a\n"
            "gene with one copy) and the phenotype CPIC gives every diplotype with them.\n"
            "Pairs CPIC calls Indeterminate have no row: pgx reports them Indeterminate."
        )
    )
    lines += [
        "gene_phenotypes:",
        f"  {gene}:",
        f"    method: {'activity_score' if by_score else 'function'}",
        f"    source: {_q(_stamp(source, relative, version))}",
        f"    data_version: {_q(version)}",
        f"    citations: [{', '.join(_q(c) for c in CITATIONS.get(gene, ()))}]",
    ]
    if reference is not None and reference in functions:
        lines.append(f"    reference_allele: {_q(reference)}")
    lines.append("    alleles:")
    for name, function in functions.items():
        entry: dict[str, object] = {"function": function}
        value = values.get(name)
        if by_score and value not in (None, "n/a"):
            entry["activity_value"] = float(value)
        lines.append(f"      {_q(name)}: {_flow(entry)}")
    aliases = _aliases(functions, defined, (deviations.get("aliases") or {}).get(gene) or {})
    if aliases:
        lines.append("    aliases:")
        for alias, (allele, why) in aliases.items():
            lines.append(f"      {_q(alias)}: {_q(allele)}   # {why}")
    lines.append("    phenotypes:")
    if by_score:
        for low, high, phenotype in _score_rows(data):
            row = {"at_least": low, "at_most": high, "phenotype": phenotype}
            lines.append(f"      - {_flow(row)}")
    else:
        for pair, phenotype in _function_rows(data):
            lines.append(f"      - {_flow({'functions': list(pair), 'phenotype': phenotype})}")
    if extra_rows:
        lines.append(
            f"      # curated (scripts/knowledge_deviations.yaml): {extra_rows['reason']} "
            f"({', '.join(extra_rows['citations'])})"
        )
        for row in extra_rows["rows"]:
            lines.append(f"      - {_flow(row)}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ supplements
def supplement_tables(deviations: Mapping[str, Any]) -> dict[str, str]:
    """Phenotype tables for genes whose CPIC file is not in the snapshot (curated)."""
    out: dict[str, str] = {}
    for gene, entry in (deviations.get("supplements") or {}).items():
        lines = ["pgx_knowledge: 1"]
        lines += _comment_lines(
            f"{gene} diplotype -> phenotype, generated by scripts/sync_knowledge.py from the\n"
            "curated supplement in scripts/knowledge_deviations.yaml (CPIC's phenotype file for\n"
            f"{gene} is not in the data snapshot). Do not edit by hand: regenerate.\n"
            f"Why: {entry['reason']}"
        )
        lines += [
            "gene_phenotypes:",
            f"  {gene}:",
            f"    method: {entry['method']}",
            f"    source: {_q(entry['source'])}",
            f"    data_version: {_q(entry['data_version'])}",
            f"    citations: [{', '.join(_q(c) for c in entry['citations'])}]",
        ]
        if entry.get("reference_allele"):
            lines.append(f"    reference_allele: {_q(entry['reference_allele'])}")
        lines.append("    alleles:")
        for name, function in entry["alleles"].items():
            # a function alone, or a function with its activity value (activity-score genes)
            row = function if isinstance(function, Mapping) else {"function": function}
            lines.append(f"      {_q(name)}: {_flow(row)}")
        lines.append("    phenotypes:")
        for row in entry["phenotypes"]:
            lines.append(f"      - {_flow(row)}")
        out[gene] = "\n".join(lines) + "\n"
    return out


# ------------------------------------------------------------------ driver
def generate(source: Path, deviations: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Every generated table: ``relative path under rules/knowledge -> text``."""
    deviations = load_deviations() if deviations is None else deviations
    out: dict[str, str] = {}
    for gene in CALLED_FROM_VCF:
        out[f"alleles/{gene}.yaml"] = allele_table(source, gene)
    for gene in PHENOTYPED:
        out[f"phenotypes/{gene}.yaml"] = phenotype_table(source, gene, deviations)
    for gene, text in supplement_tables(deviations).items():
        out[f"phenotypes/{gene}.yaml"] = text
    return out


def main(argv: list[str] | None = None) -> int:
    """Regenerate (or ``--check``) the knowledge tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("source", type=Path, help="the cpic-pharmcat data directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="rules/knowledge")
    parser.add_argument("--check", action="store_true", help="only compare, write nothing")
    args = parser.parse_args(argv)
    try:
        tables = generate(args.source)
    except (SourceError, KeyError, TypeError) as exc:
        print(f"sync_knowledge: {exc}", file=sys.stderr)
        return 2
    differ = []
    for relative, text in tables.items():
        path = args.out / relative
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if old == text:
            continue
        differ.append(relative)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    verb = "differ from the source data" if args.check else "written"
    for relative in differ:
        print(f"{relative}: {verb}")
    return 1 if (args.check and differ) else 0


if __name__ == "__main__":
    sys.exit(main())

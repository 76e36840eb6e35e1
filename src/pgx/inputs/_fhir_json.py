"""FHIR JSON plumbing: reading a bundle file, walking entries, reading codes and values.

Nothing here decides what a resource means; `pgx.inputs._fhir` and
`pgx.inputs._fhir_genomics` do. Every reader tolerates any JSON shape (a wrong type reads as
absent), so a malformed resource becomes a warning upstream, never an exception.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pgx.errors import Problem, ProfileError
from pgx.model import _fhir_codes as c
from pgx.model.knowledge import Knowledge

__all__ = [
    "MAX_BUNDLE_BYTES",
    "Json",
    "bundle_resources",
    "codings",
    "components",
    "drug_lookups",
    "drugs_of",
    "gene_lookups",
    "has_code",
    "listed",
    "read_bundle",
    "ref_of",
    "subject_of",
    "texts",
    "value_texts",
]

Json = Mapping[str, Any]

MAX_BUNDLE_BYTES = 20_000_000
"""The largest FHIR JSON file `read_bundle` reads (a genomic report bundle is far smaller)."""


def read_bundle(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a FHIR JSON file.

    Raises:
        ProfileError: the file is too large, not UTF-8 JSON, or not a JSON object.
    """
    source = str(path)
    file = Path(path)
    if file.stat().st_size > MAX_BUNDLE_BYTES:
        raise ProfileError([Problem("$", f"file larger than {MAX_BUNDLE_BYTES} bytes", source)])
    try:
        data = json.loads(file.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ProfileError([Problem("$", f"not valid JSON: {exc}", source, line)]) from None
    if not isinstance(data, dict):
        raise ProfileError([Problem("$", "expected a FHIR Bundle (a JSON object)", source)])
    return data


def bundle_resources(bundle: object, source: str) -> list[tuple[str, Json]]:
    """``(JSON path, resource)`` for every resource of a Bundle (or of a lone resource).

    Raises:
        ProfileError: the input is not a FHIR Bundle or resource, or an entry is malformed.
    """
    if not isinstance(bundle, dict):
        raise ProfileError([Problem("$", _found("a FHIR Bundle (a JSON object)", bundle), source)])
    kind = bundle.get("resourceType")
    if not isinstance(kind, str):
        raise ProfileError([Problem("$.resourceType", _found("a resource type", kind), source)])
    if kind != "Bundle":
        return [("$", bundle)]
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise ProfileError([Problem("$.entry", _found("a list of entries", entries), source)])
    out: list[tuple[str, Json]] = []
    problems = []
    for i, entry in enumerate(entries):
        path = f"$.entry[{i}]"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None and isinstance(entry, dict) and "resource" not in entry:
            continue  # e.g. a search-result outcome entry without a resource
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            problems.append(
                Problem(f"{path}.resource", _found("a resource with a resourceType", resource))
            )
            continue
        if resource["resourceType"] == "Bundle":  # e.g. a prefetch bundle inside a collection
            out.extend(
                (f"{path}.resource{p[1:]}", r) for p, r in bundle_resources(resource, source)
            )
        else:
            out.append((f"{path}.resource", resource))
    if problems:
        raise ProfileError(Problem(p.path, p.message, source) for p in problems)
    return out


def _found(expected: str, value: object) -> str:
    shown = type(value).__name__ if isinstance(value, Mapping | list) else repr(value)
    return f"expected {expected}, found {shown[:80]}"


# ------------------------------------------------------------------ small JSON readers
def codings(concept: object) -> list[Json]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding", [])
    return [x for x in codings if isinstance(x, dict)] if isinstance(codings, list) else []


def has_code(concept: object, code: str, systems: Iterable[str] | None = None) -> bool:
    allowed = None if systems is None else set(systems)
    return any(
        x.get("code") == code and (allowed is None or x.get("system") in allowed)
        for x in codings(concept)
    )


def texts(concept: object) -> list[str]:
    """The human-readable names in a CodeableConcept: text first, then codings' displays."""
    out: list[str] = []
    if isinstance(concept, dict) and isinstance(concept.get("text"), str):
        out.append(concept["text"])
    out += [x["display"] for x in codings(concept) if isinstance(x.get("display"), str)]
    return [t.strip() for t in out if t.strip()]


def components(resource: Json, code: str) -> list[Json]:
    found = resource.get("component", [])
    if not isinstance(found, list):
        return []
    return [x for x in found if isinstance(x, dict) and has_code(x.get("code"), code)]


def value_texts(element: Json) -> list[str]:
    """Every readable form of an element's value: a string, or a concept's text/display/code."""
    if isinstance(element.get("valueString"), str):
        return [element["valueString"].strip()]
    concept = element.get("valueCodeableConcept")
    out = texts(concept)
    out += [x["code"] for x in codings(concept) if isinstance(x.get("code"), str)]
    return out


def listed(resource: Json, key: str) -> list[Any]:
    value = resource.get(key)
    return value if isinstance(value, list) else []


def ref_of(resource: Json) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id', '?')}"


def subject_of(resource: Json) -> str | None:
    for key in ("subject", "patient"):
        ref = resource.get(key)
        if isinstance(ref, dict) and isinstance(ref.get("reference"), str):
            return str(ref["reference"])
    return None


_LOOKUPS: dict[tuple[int, str], tuple[Knowledge, Any]] = {}


def _cached(knowledge: Knowledge, kind: str, build: Any) -> Any:
    # knowledge tables are immutable and live as long as their ruleset: build lookups once
    hit = _LOOKUPS.get((id(knowledge), kind))
    if hit is None or hit[0] is not knowledge:  # a new object may reuse a freed id
        if len(_LOOKUPS) > 64:
            _LOOKUPS.clear()
        hit = (knowledge, build(knowledge))
        _LOOKUPS[(id(knowledge), kind)] = hit
    return hit[1]


def _build_genes(knowledge: Knowledge) -> tuple[dict[str, str], dict[str, str]]:
    return (
        {g.hgnc_id: name for name, g in knowledge.genes.items()},
        {name.lower(): name for name in knowledge.genes},
    )


def _build_drugs(knowledge: Knowledge) -> tuple[dict[str, str], re.Pattern[str]]:
    names = sorted(knowledge.drugs, key=len, reverse=True)
    words = re.compile(r"(?<![a-z])(" + "|".join(re.escape(n) for n in names) + r")(?![a-z])")
    return {d.rxnorm: name for name, d in knowledge.drugs.items() if d.rxnorm}, words


def gene_lookups(knowledge: Knowledge) -> tuple[dict[str, str], dict[str, str]]:
    found: tuple[dict[str, str], dict[str, str]] = _cached(knowledge, "genes", _build_genes)
    return found


def drug_lookups(knowledge: Knowledge) -> tuple[dict[str, str], re.Pattern[str]]:
    """``(RxNorm code -> drug, name pattern)`` for reading medication concepts (cached)."""
    found: tuple[dict[str, str], re.Pattern[str]] = _cached(knowledge, "drugs", _build_drugs)
    return found


def drugs_of(concept: object, by_rxnorm: Mapping[str, str], words: re.Pattern[str]) -> list[str]:
    """The pgx drug names a medication concept names: RxNorm ingredient codes, else names."""
    found: list[str] = []
    for coding in codings(concept):
        if coding.get("system") == c.RXNORM and str(coding.get("code")) in by_rxnorm:
            found.append(by_rxnorm[str(coding["code"])])
    if found:
        return sorted(set(found))
    for text in texts(concept):
        found += words.findall(text.lower())
    return sorted(set(found))

"""Reading a profile (file or mapping) into the model, every problem located; writing it back."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pgx.errors import Problem, ProfileError
from pgx.io._convert import converter, structure
from pgx.io._yaml import Document, PathKey, format_path, limit_problems, read
from pgx.model.diplotype import (
    hla_allele,
    hla_typing,
    is_hla,
    one_copy_possible,
    parse_diplotype,
)
from pgx.model.profile import HLA_ALLELE, Profile

__all__ = ["located", "profile_checks", "profile_to_dict", "read_profile", "source_name"]

_NO_CALLS = frozenset({".", "./.", "NA", "n/a", "no call", "No call", "No Call"})


def _one_allele(gene: str, text: str) -> bool:
    """One allele where a gene can have one copy (G6PD hemizygous, MT-RNR1)."""
    return one_copy_possible(gene) and "/" not in text and bool(text.strip())


def profile_checks(profile: Profile) -> Iterator[tuple[PathKey, str]]:
    """Problems a structured profile can still have: notation, empty entries, HLA typings."""
    yield from _case_duplicates(("germline",), profile.germline)
    if profile.tumor is not None and profile.tumor.expression is not None:
        yield from _case_duplicates(("tumor", "expression"), profile.tumor.expression)
    for gene, result in profile.germline.items():
        dip = result.diplotype
        hla = is_hla(gene)
        if dip is not None and dip.strip() not in _NO_CALLS:
            if hla and hla_typing(gene, dip) is None:
                yield (
                    ("germline", gene, "diplotype"),
                    f"expected two {gene.upper()} alleles such as '*57:01/*08:01' (current "
                    f"nomenclature, at least two fields), found {dip!r}",
                )
            elif not hla and parse_diplotype(dip) is None and not _one_allele(gene, dip):
                yield (
                    ("germline", gene, "diplotype"),
                    f"expected a diplotype such as '*1/*2', found {dip!r}",
                )
        for rsid, genotype in (result.variants or {}).items():
            parts = genotype.replace("|", "/").split("/")
            if len(parts) != 2 or not all(p.strip() for p in parts):
                yield (
                    ("germline", gene, "variants", rsid),
                    f"expected a genotype such as 'C/T', found {genotype!r}",
                )
        if result == type(result)():
            yield ("germline", gene), "empty gene entry: give a diplotype, phenotype or result"
        if result.alleles is not None:
            yield from _allele_checks(gene, result.alleles)
        if hla and result.phenotype is not None:
            yield (
                ("germline", gene, "phenotype"),
                "HLA results are two typed alleles (alleles) or carriage such as "
                f"{{'*57:01': true}} (carriers), not a phenotype: found {result.phenotype!r}",
            )
        yield from _carrier_checks(gene, result.carriers or {})


def _case_duplicates(path: PathKey, table: Mapping[str, object]) -> Iterator[tuple[PathKey, str]]:
    """Keys naming one gene in different case (``CYP2C19``, ``cyp2c19``) are an error.

    The engine reads ``cyp2c19`` as CYP2C19, so two such entries would be merged with the
    last one winning, whichever it was.
    """
    first: dict[str, str] = {}
    for key in table:
        folded = key.strip().upper()
        if folded in first:
            yield (
                (*path, key),
                f"{key!r} and {first[folded]!r} name the same gene {folded}: give it once",
            )
        else:
            first[folded] = key


def _carrier_checks(gene: str, carriers: Mapping[str, bool]) -> Iterator[tuple[PathKey, str]]:
    said: dict[str, tuple[str, bool]] = {}
    for allele, carried in carriers.items():
        if not HLA_ALLELE.match(allele):
            yield (
                ("germline", gene, "carriers", allele),
                f"expected an allele such as '*57:01', found {allele!r}",
            )
            continue
        bare = hla_allele(gene, allele) if is_hla(gene) else allele
        if bare is None:
            yield (("germline", gene, "carriers", allele), f"allele {allele!r} is not of {gene}")
            continue
        prior = said.setdefault(bare, (allele, carried))
        if prior[1] != carried:
            yield (
                ("germline", gene, "carriers", allele),
                f"{allele!r} and {prior[0]!r} are the same allele, reported both positive "
                "and negative",
            )


def _allele_checks(gene: str, alleles: tuple[str, ...]) -> Iterator[tuple[PathKey, str]]:
    if len(alleles) != 2:  # a diploid locus; one allele could hide the second
        yield (
            ("germline", gene, "alleles"),
            f"expected the two alleles typed at {gene} (write a homozygous typing twice), "
            f"found {len(alleles)}",
        )
    for i, allele in enumerate(alleles):
        if HLA_ALLELE.match(allele) is None:
            yield (
                ("germline", gene, "alleles", i),
                f"expected an allele such as '*57:01' or '{gene.upper()}*57:01', found {allele!r}",
            )
        elif hla_allele(gene, allele) is None:
            yield (("germline", gene, "alleles", i), f"allele {allele!r} is not of {gene}")


def _structure_profile(data: object, doc: Document | None, source: str) -> Profile:
    profile, errors = structure(data, Profile)
    if profile is not None:
        errors = list(profile_checks(profile))
    if errors or profile is None:
        raise ProfileError(located(errors, doc, source))
    return profile


def located(
    errors: list[tuple[PathKey, str]], doc: Document | None, source: str, prefix: PathKey = ()
) -> list[Problem]:
    """Structuring problems as `Problem`s, with the line from ``doc`` when there is one."""
    out = []
    for path, message in errors:
        full = (*prefix, *path)
        if doc is not None:
            out.append(doc.problem(full, message))
        else:
            out.append(Problem(format_path(full), message, source))
    return out


def source_name(profile: str | os.PathLike[str] | Mapping[str, Any] | Profile) -> str:
    """How error messages name a profile given as a path, mapping or `Profile`."""
    if isinstance(profile, Profile):
        return "<profile>"
    if isinstance(profile, Mapping):
        return "<mapping>"
    return str(profile)


def read_profile(source: str | os.PathLike[str] | Mapping[str, Any] | Profile) -> Profile:
    """A profile from a ``.yaml``/``.yml``/``.json`` file, a mapping, or a `Profile` (as is).

    Raises:
        ProfileError: listing every problem with its file, line and field path.
    """
    if isinstance(source, Profile):
        return source
    if isinstance(source, Mapping):
        too_big = limit_problems(source, "<mapping>")
        if too_big:
            raise ProfileError(too_big)
        return _structure_profile(dict(source), None, "<mapping>")
    if not isinstance(source, str | os.PathLike):
        raise ProfileError(
            [
                Problem(
                    "$", f"expected a Profile, a mapping or a path, found {type(source).__name__}"
                )
            ]
        )
    path = Path(source)
    if path.suffix.lower() not in (".yaml", ".yml", ".json"):
        raise ProfileError([Problem("$", "expected a .yaml, .yml or .json file", str(path))])
    doc, problems = read(path)
    if doc is None:
        raise ProfileError(problems)
    return _structure_profile(doc.data, doc, str(path))


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The profile as plain data in the profile format, ready for JSON or YAML.

    Absent keys are left out (never written as ``null``), tuples become lists and frozen
    mappings plain dicts; ``load_profile(profile_to_dict(p)) == p``, and the input adapters'
    ``call`` records are kept.
    """
    plain = _plain(converter.unstructure(profile))
    assert isinstance(plain, dict)
    return plain


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value

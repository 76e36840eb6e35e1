"""Profiles from a joint-called VCF: the file read once, every sample called at once."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from pgx.errors import ProfileError
from pgx.inputs._joint import JointCalls, call_joint
from pgx.inputs._merge import merge_inputs
from pgx.io._profile import located, profile_checks
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["is_vcf", "vcf_profiles"]

_SUFFIXES = (".vcf", ".vcf.gz", ".vcf.bgz")


def is_vcf(source: object) -> bool:
    """Whether ``source`` is the path of a VCF (by its name)."""
    return isinstance(source, str | os.PathLike) and os.fspath(source).lower().endswith(_SUFFIXES)


def profiles_of(calls: JointCalls) -> Iterator[Profile]:
    """One profile per sample, as `pgx.load_profile(vcf=..., sample=...)` builds it."""
    for index, name in enumerate(calls.samples):
        profile = merge_inputs(
            None,
            "<profile>",
            vcf=(calls.source, calls.sample(index)),
            profile_id=name,
            warnings=calls.warnings,
        )
        errors = list(profile_checks(profile))
        if errors:
            raise ProfileError(located(errors, None, "<profile>"))
        yield profile


def vcf_profiles(
    path: str | os.PathLike[str],
    ruleset: RuleSet,
    *,
    samples: Sequence[str] | None = None,
    assume_reference: bool = False,
) -> Iterator[Profile]:
    """Every sample of a joint-called VCF as a profile, the file read once.

    Each profile equals `pgx.load_profile(vcf=path, sample=name)` for its sample.

    Args:
        path: The VCF (plain or bgzipped; with a tabix/CSI index only the pharmacogene
            regions are read).
        ruleset: Whose knowledge calls the genes.
        samples: Only these samples, in this order; all by default.
        assume_reference: As `pgx.load_profile`'s.

    Raises:
        ProfileError: the file is not a readable VCF on GRCh38, or a sample is missing.
    """
    calls = call_joint(path, ruleset, samples=samples, assume_reference=assume_reference)
    return profiles_of(calls)

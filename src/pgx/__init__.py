"""pgx: pharmacogenetic and precision-oncology decision support from declarative rules.

```python
from pgx import evaluate, load_profile
report = evaluate(load_profile("examples/profiles/crc-igf1r.yaml"))  # bundled rules
print(report.to_markdown())
```
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pgx import cds_hooks as cds_hooks  # `pgx.cds_hooks.cards(...)` after `import pgx`
from pgx import engine, io, render
from pgx.errors import InputError, PgxError, Problem, ProfileError, RuleFileError
from pgx.explanation import Explanation, explain
from pgx.inputs import load_profile
from pgx.io import default_ruleset, load_ruleset
from pgx.model import _ports
from pgx.model.logic import Truth
from pgx.model.profile import Profile
from pgx.model.report import Finding, Indeterminate, Report
from pgx.model.ruleset import RuleSet

__all__ = [
    "PROFILE_FORMAT_VERSION",
    "RULE_LANGUAGE_VERSION",
    "Explanation",
    "Finding",
    "Indeterminate",
    "InputError",
    "PgxError",
    "Problem",
    "Profile",
    "ProfileError",
    "Report",
    "RuleFileError",
    "RuleSet",
    "Truth",
    "__version__",
    "default_ruleset",
    "evaluate",
    "explain",
    "load_profile",
    "load_ruleset",
]

# The documented model methods (report.to_json(), report.to_markdown(), ruleset.compiled...)
# are implemented by the layers above the model; this package, imported before any pgx.*
# module, wires them (docs/architecture.md, "Methods the model offers but does not own").
_ports.install("report_to_dict", io.report_to_dict)
_ports.install("report_from_dict", io.report_from_dict)
_ports.install("report_markdown", render.markdown)
_ports.install("report_html", render.html)
_ports.install("undecided_summary", render.undecided_summary)
_ports.install("explanation_markdown", render.explanation_markdown)


def _report_fhir(report: Report, profile: Profile | None) -> dict[str, Any]:
    from pgx.fhir import to_fhir  # noqa: PLC0415 - the facade, loaded when first used

    return to_fhir(report, profile=profile)


_ports.install("report_fhir", _report_fhir)
_ports.install("compile", engine.CompiledRuleSet)

PROFILE_FORMAT_VERSION = 1
"""The profile format version this pgx reads (``pgx_profile: 1``)."""
RULE_LANGUAGE_VERSION = 1
"""The rule language version this pgx reads (``pgx_rules: 1``)."""


def _version() -> str:
    return io.pgx_version()


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module 'pgx' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


def evaluate(
    profile: Profile | Mapping[str, Any] | str | os.PathLike[str],
    ruleset: RuleSet | None = None,
    *,
    drugs: Iterable[str] | None = None,
    now: datetime | str | None = None,
) -> Report:
    """Evaluate a profile against a ruleset and return the report.

    Args:
        profile: A `Profile`, a mapping in the profile format, or a path to a YAML/JSON file.
        ruleset: The rules to apply; ``None`` means the rules bundled with pgx.
        drugs: Only rules about these drugs (e.g. the drugs being ordered).
        now: The report's ``generated_at`` (a datetime or ISO-8601 string); pass it for
            byte-identical output.

    Returns:
        The report: findings with their traces, indeterminate rules with the facts that
        would decide them, conflicts, warnings and provenance.

    Raises:
        ProfileError: the profile is malformed.
        InputError: ``drugs`` names a drug pgx does not know, or ``now`` is not ISO-8601.
    """
    loaded = load_profile(profile)
    rules = ruleset if ruleset is not None else default_ruleset()
    return engine.evaluate_profile(
        loaded,
        rules,
        drugs=drugs,
        now=now,
        version=_version(),
        input_sha256=io.profile_sha256(loaded),
    )

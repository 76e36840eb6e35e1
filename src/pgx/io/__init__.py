"""Reading and writing: bounded YAML/JSON, the one strict converter, and loading with checks.

Everything that turns bytes into the model (profiles, rules, knowledge tables) or the model
into plain data (a report's JSON) is here, and every problem found carries its file, line and
field path. This layer knows the model only: it never evaluates and never renders.
"""

from __future__ import annotations

from pgx.io._profile import profile_to_dict, read_profile
from pgx.io._report import profile_sha256, report_from_dict, report_to_dict
from pgx.io._ruleset import bundled_rules_path, default_ruleset, load_ruleset, pgx_version

__all__ = [
    "bundled_rules_path",
    "default_ruleset",
    "load_ruleset",
    "pgx_version",
    "profile_sha256",
    "profile_to_dict",
    "read_profile",
    "report_from_dict",
    "report_to_dict",
]

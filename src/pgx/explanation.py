"""Why one rule did, did not, or could not fire for one profile (``pgx explain``).

The documented import path ``pgx.explanation``: `explain` loads its inputs (``pgx.io``,
``pgx.inputs``) and asks the engine; `Explanation` is the model's (`pgx.model.explanation`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pgx.engine import explain_rule
from pgx.inputs import load_profile
from pgx.io import default_ruleset
from pgx.model.explanation import Explanation
from pgx.model.profile import Profile
from pgx.model.ruleset import RuleSet

__all__ = ["Explanation", "explain"]


def explain(
    profile: Profile | Mapping[str, Any] | str | os.PathLike[str],
    rule_id: str,
    ruleset: RuleSet | None = None,
) -> Explanation:
    """Evaluate one rule (whatever its status) against a profile, with its full trace.

    Args:
        profile: A `Profile`, a mapping in the profile format, or a path.
        rule_id: The rule's id.
        ruleset: The rules; ``None`` means the bundled rules.

    Raises:
        InputError: no rule with that id in the ruleset.
        ProfileError: the profile is malformed.
    """
    rules = ruleset if ruleset is not None else default_ruleset()
    return explain_rule(load_profile(profile), rule_id, rules)

"""A report to and from plain JSON-ready data, and the hash of a loaded profile.

Both go through the one strict converter, so a report read back is checked like any input.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pgx.errors import InputError, Problem
from pgx.io._convert import converter, structure
from pgx.io._yaml import format_path
from pgx.model.profile import Profile
from pgx.model.report import Report

__all__ = ["profile_sha256", "report_from_dict", "report_to_dict"]


def report_to_dict(report: Report) -> dict[str, Any]:
    """The report as plain JSON-ready data (``report.to_dict()``)."""
    data: dict[str, Any] = converter.unstructure(report)
    return data


def report_from_dict(data: Mapping[str, Any], cls: type[Report] = Report) -> Report:
    """Rebuild a report from `report_to_dict` output (``Report.from_dict()``).

    Raises:
        InputError: the data is not a report, with the path of every bad field.
    """
    report, errors = structure(dict(data), cls)
    if report is None:
        raise InputError(
            Problem(format_path(path), message, "<report>") for path, message in errors
        )
    return report


def profile_sha256(profile: Profile) -> str:
    """SHA-256 of the profile's canonical JSON (the same for YAML and JSON input)."""
    text = json.dumps(converter.unstructure(profile), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()

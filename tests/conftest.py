from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=50, deadline=None)
# a maintainer's long fuzzing run: `pytest tests/test_fuzz.py --fuzz` (docs/safety.md)
settings.register_profile(
    "fuzz",
    max_examples=10_000,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# The bundled-rules cache (pgx.io._cache) goes to a directory of this test run, never to the
# user's own cache; a fresh one per run also means the first load parses the YAML itself.
if "PGX_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["PGX_CACHE_DIR"] = os.path.join(tempfile.mkdtemp(prefix="pgx-test-cache-"), "c")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fuzz",
        action="store_true",
        help="run the property tests with the long 'fuzz' hypothesis profile (10 000 examples)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--fuzz", default=False):
        settings.load_profile("fuzz")

"""Shared pytest configuration: Hypothesis profiles.

``HYPOTHESIS_PROFILE=ci`` (set by ``.ci/run``) makes every property test deterministic
(``derandomize=True``, no example database) and bounded (50 examples, no deadline);
the default ``dev`` profile runs 25 random examples per test and remembers failures in
``.hypothesis/``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    database=None,
    max_examples=50,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=25, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """Print the counts of the generated public-API walk (tests/test_public_api.py)."""
    import sys

    walk = sys.modules.get("tests.test_public_api")
    if walk is None or not walk.SUMMARY["callables"]:
        return
    s = walk.SUMMARY
    tr = terminalreporter
    tr.section("public API walk")
    tr.write_line(
        f"{len(s['callables'])} callables, {len(s['parameters'])} parameters, "
        f"{s['invalid_tried']} invalid values tried, {s['invalid_failures']} not refused properly; "
        f"{s['valid_calls']} valid calls, {s['valid_failures']} with NaN/inf or a crash, "
        f"{s['relation_refusals']} edge values refused by a relation between parameters"
    )
    for seconds, label in sorted(s["slowest"], reverse=True)[:5]:
        tr.write_line(f"  slowest: {seconds:6.2f} s  {label}")

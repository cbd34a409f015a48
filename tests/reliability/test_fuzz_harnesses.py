"""The fuzz harnesses in tests/fuzz run (a few hundred inputs each, through the fallback loop so that the
check does not depend on atheris), so that they do not rot between fuzzing campaigns."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"


@pytest.mark.parametrize(("harness", "runs"), [("fuzz_sidecar.py", 3000), ("fuzz_html.py", 150)])
def test_harness_runs_clean(harness: str, runs: int, child_env) -> None:
    result = subprocess.run(
        [sys.executable, str(FUZZ / harness), f"-runs={runs}", "-max_total_time=60", "--no-atheris"],
        capture_output=True,
        text=True,
        timeout=120,
        env=child_env,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"fallback fuzzing: {runs} inputs" in result.stdout

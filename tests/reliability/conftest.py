"""Fixtures for the reliability suite (issue 9): child processes and their environment.

Child scripts live in ``children/`` and are run with the interpreter running the tests; every child is
bounded in time and reaped by the test that starts it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILDREN = Path(__file__).resolve().parent / "children"


@pytest.fixture
def child_env() -> dict[str, str]:
    """The environment for child processes: the project importable, the test's data folder kept."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture
def children() -> Path:
    """The folder of the child scripts."""
    return CHILDREN

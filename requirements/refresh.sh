#!/usr/bin/env bash
# Regenerate the lock files from pyproject.toml: exact versions with the hashes of every file of each
# release, for Linux, macOS and Windows and Python 3.11 and newer (one universal lock).
#
#   bash requirements/refresh.sh              # after editing dependencies: keep the current pins, add new ones
#   bash requirements/refresh.sh --upgrade    # move every pin to the newest allowed release
#
# uv (pinned below) runs from a throwaway virtual environment. Only the default package index is used:
# uv.toml files and UV_* index variables are ignored, so a machine's own mirrors never get into the lock.
# app.lock is solved first; test.lock is solved with app.lock as constraints, so a package both locks
# hold has the same version in each (tests/unit/test_dependencies.py checks it).
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/python" -m pip install -q "uv==$UV_VERSION"

unset UV_INDEX UV_INDEX_URL UV_DEFAULT_INDEX UV_EXTRA_INDEX_URL UV_FIND_LINKS UV_CONSTRAINT UV_OVERRIDE
compile() {
  "$tools/venv/bin/uv" --no-config pip compile pyproject.toml \
    --universal --python-version 3.11 --generate-hashes \
    --custom-compile-command "bash requirements/refresh.sh" --quiet "$@"
}
compile -o requirements/app.lock "$@"
compile --extra test -c requirements/app.lock -o requirements/test.lock "$@"
echo "refreshed: requirements/app.lock ($(grep -c '^[a-z0-9]' requirements/app.lock) packages)," \
  "requirements/test.lock ($(grep -c '^[a-z0-9]' requirements/test.lock) packages)"

"""Where the test suite finds its npm-registry tools (tests/node, installed by `make test` with `npm ci`).

Without Node.js or the installed packages, the tests that need them skip, except in CI (``CXM_REQUIRE_NODE=1``:
.ci/run installs Node.js), where their absence is a failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_MODULES = NODE_DIR / "node_modules"


def _missing(what: str) -> None:
    if os.environ.get("CXM_REQUIRE_NODE") == "1":
        pytest.fail(f"{what} is required but missing (run `make test`, which installs tests/node with npm ci)")
    pytest.skip(f"{what} not installed (run `make test`, which installs tests/node with npm ci)")


def node_executable() -> str:
    """The Node.js binary, or skip (fail in CI)."""
    node = shutil.which("node")
    if node is None:
        _missing("Node.js")
    assert node is not None
    return node


def package_dir(name: str) -> Path:
    """The installed npm package ``name`` under tests/node/node_modules, or skip (fail in CI)."""
    path = NODE_MODULES / name
    if not (path / "package.json").exists():
        _missing(f"the npm package {name!r}")
    return path

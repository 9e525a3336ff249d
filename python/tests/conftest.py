"""Shared fixtures: the repository's bundled package and the vasrec command
line built from the same sources (the reference the bindings must match)."""

import os
import shutil
from pathlib import Path

import pytest

import vasrec

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"


@pytest.fixture(scope="session")
def engine():
    return vasrec.Engine.load(RULES)


@pytest.fixture(scope="session")
def vasrec_bin():
    """The `vasrec` binary: $VASREC_BIN, else the debug build `cargo test`
    leaves in the target folder. CI builds it before pytest runs."""
    candidates = []
    if os.environ.get("VASREC_BIN"):
        candidates.append(Path(os.environ["VASREC_BIN"]))
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    candidates += [target / "debug" / "vasrec", target / "release" / "vasrec"]
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return str(path)
    found = shutil.which("vasrec")
    if found:
        return found
    pytest.skip("no vasrec binary (set VASREC_BIN or run `cargo build` first)")

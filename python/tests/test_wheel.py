"""The wheel as a user gets it: built with the documented command, installed
with pip into a fresh virtualenv, and README's example run there, its output
compared with the output README shows."""

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from conftest import REPO

PACKAGE_README = REPO / "python" / "README.md"


def example(readme_text):
    """The first ```python block and the ```text block after it."""
    found = re.search(r"```python\n(.*?)```.*?```text\n(.*?)```", readme_text, re.S)
    assert found, "README has a ```python example followed by its ```text output"
    return found.group(1), found.group(2)


def maturin():
    found = shutil.which("maturin", path=os.path.dirname(sys.executable)) or shutil.which(
        "maturin"
    )
    if not found:
        pytest.skip("maturin is not installed (pip install maturin)")
    return found


def test_root_readme_shows_the_same_example():
    """Once the lead has merged the Python section into README.md, its example
    is this package's (the one the wheel test runs)."""
    root = (REPO / "README.md").read_text(encoding="utf-8")
    if "```python" not in root:
        pytest.skip("README.md has no Python example yet")
    assert example(root) == example(PACKAGE_README.read_text(encoding="utf-8"))


def test_wheel_installs_in_a_fresh_virtualenv_and_runs_the_readme_example(tmp_path):
    out = tmp_path / "wheels"
    # The documented command; `--out` only keeps this test's wheel apart.
    subprocess.run(
        [maturin(), "build", "--release", "--out", str(out)],
        cwd=REPO / "python", check=True, capture_output=True, text=True,
    )
    wheels = list(out.glob("vasrec-*.whl"))
    assert len(wheels) == 1, wheels

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-index", str(wheels[0])],
        check=True, capture_output=True, text=True,
    )
    code, expected = example(PACKAGE_README.read_text(encoding="utf-8"))
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    # Outside the source tree's reach: only the installed wheel can be imported.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    ran = subprocess.run(
        [str(python), str(script)], cwd=REPO, env=env, capture_output=True, text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == expected
    where = subprocess.run(
        [str(python), "-c", "import vasrec; print(vasrec.__file__)"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=True,
    )
    assert where.stdout.startswith(str(env_dir))

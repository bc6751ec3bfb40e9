"""Shared fixtures: synthetic MNIST files, the real MNIST folder, a private cache, and what
each program prints for --help."""
import glob
import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)  # load.py

from synthetic import write_synthetic_mnist  # noqa: E402


@pytest.fixture(scope="session")
def synthetic_mnist(tmp_path_factory):
    """Folder with the four MNIST .gz files of 2000 train and 500 test synthetic digits."""
    folder = tmp_path_factory.mktemp("synthetic-mnist")
    write_synthetic_mnist(folder)
    return str(folder)


@pytest.fixture(scope="session")
def real_mnist():
    """Folder with the real MNIST files, from $MNIST_DIR; skips the test when unset."""
    folder = os.environ.get("MNIST_DIR")
    if not folder:
        pytest.skip("set MNIST_DIR to a folder with the four MNIST files to run the "
                    "real-MNIST tests")
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Point $XDG_CACHE_HOME (holding the default data folder) at an empty temp dir."""
    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return str(cache)


# Every program a learner runs, but benchmarks/torch_reference.py (it needs PyTorch).
PROGRAMS = sorted([*glob.glob("[0-9]_*.py", root_dir=REPO), "load.py", "figures.py",
                   *(f"demos/{name}" for name in glob.glob("[a-z]*.py", root_dir=os.path.join(REPO, "demos"))),
                   *(f"benchmarks/{name}" for name in glob.glob("*_benchmark.py",
                                                                root_dir=os.path.join(REPO, "benchmarks")))])

# Runs each program as `python PROGRAM --help` would, one after the other in one process:
# Theano is imported once instead of once a program.
ASK_FOR_HELP = """
import contextlib, io, json, os, runpy, sys
said = {}
for program in sys.argv[1:]:
    sys.argv = [program, "--help"]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(program, run_name="__main__")
            status = 0
        except SystemExit as exit:
            status = exit.code
    said[program] = (status, out.getvalue())
    sys.path.pop(0)
print(json.dumps(said))
"""


@pytest.fixture(scope="session")
def program_help():
    """{program: (exit status, what it printed)} for `--help`, for every program in PROGRAMS."""
    result = subprocess.run([sys.executable, "-c", ASK_FOR_HELP, *PROGRAMS], cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)

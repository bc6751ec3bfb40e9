"""Shared fixtures: synthetic MNIST files, the real MNIST folder, a private cache, Theano's
own compiled modules for a compiledir of a test's own, what each program prints for
--help, and the browser the browser tests drive."""
import fcntl
import glob
import json
import os
import shutil
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the project: scripts run there
sys.path.insert(0, REPO)  # load.py, common/

from synthetic import write_synthetic_mnist  # noqa: E402

from common.browser import BROWSER_FLAGS, CHROMIUM  # noqa: E402,F401  for the browser tests

# The tests press Ctrl-C as a terminal does. A shell starts a background job (`&`, nohup)
# with Ctrl-C ignored, and what it starts inherits that; a program of a learner's never
# gets a Ctrl-C then. So the tests' programs start with Ctrl-C's default, as in a terminal.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


def once_for_all_workers(tmp_path_factory, name, make):
    """make()'s answer (JSON), made once for the whole run: under pytest-xdist the first
    worker to ask makes it, and the others wait for it and read it, instead of each making
    its own; without xdist, made here."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        return make()
    run_folder = tmp_path_factory.getbasetemp().parent  # the run's, holding each worker's
    with open(run_folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        answer = run_folder / f"{name}.json"
        if not answer.exists():
            answer.write_text(json.dumps(make()))
        return json.loads(answer.read_text())


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


THEANOS_OWN_MODULES = ("cutils_ext", "lazylinker_ext")  # compiled once per compiledir, not per function


@pytest.fixture(scope="session")
def theanos_own_modules(tmp_path_factory):
    """The compiledir the tests share, holding Theano's own compiled modules (compiled there
    now if no test has yet)."""
    def compiledir():
        said = subprocess.run([sys.executable, "-c", "import harness, theano.gof.cutils, theano; "
                               "print(theano.config.compiledir)"], cwd=REPO, capture_output=True, text=True,
                              timeout=600)
        assert said.returncode == 0, said.stderr
        return said.stdout.splitlines()[-1]
    return once_for_all_workers(tmp_path_factory, "theanos_own_modules", compiledir)


def start_compiledir(theanos_own_modules, base_compiledir):
    """A base_compiledir of a test's own as Theano's first function leaves it: Theano's own
    modules, copied, and nothing else (no op's module, no compiler check kept)."""
    compiledir = os.path.join(base_compiledir, os.path.basename(theanos_own_modules))
    for module in THEANOS_OWN_MODULES:
        shutil.copytree(os.path.join(theanos_own_modules, module), os.path.join(compiledir, module))


# Every program a learner runs, but the twins (twins/: they need JAX or PyTorch; tests/test_twins.py runs them).
PROGRAMS = sorted([*glob.glob("[0-9]_*.py", root_dir=REPO), "load.py", "benchmarks/comparison.py",
                   *(f"demos/{name}" for name in glob.glob("[a-z]*.py", root_dir=os.path.join(REPO, "demos"))),
                   *(f"notebooks/{name}" for name in glob.glob("[a-z]*.py", root_dir=os.path.join(REPO, "notebooks"))),
                   *(f"benchmarks/{name}" for name in glob.glob("*_benchmark.py",
                                                                root_dir=os.path.join(REPO, "benchmarks"))),
                   "benchmarks/record.py", "docs/make.py"])

# Runs programs one after the other in one Python process, each as `python PROGRAM FLAGS`
# would (its own argv and import path, what it prints, its exit status; an error nothing
# caught goes to sys.excepthook, then status 1, as Python does): Theano is imported once
# instead of once a run. For runs that end before they train: --help, refusals.
RUN_EACH = """
import contextlib, io, json, os, runpy, sys
said = []
for program, flags in json.loads(sys.argv[1]):
    sys.argv = [program, *flags]
    sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            runpy.run_path(program, run_name="__main__")
            status = 0
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 0 if exit.code is None else 1
            if isinstance(exit.code, str):
                print(exit.code, file=sys.stderr)
        except BaseException:
            sys.excepthook(*sys.exc_info())
            status = 1
    sys.path.pop(0)
    said.append((status, out.getvalue(), err.getvalue()))
print(json.dumps(said))
"""


def run_each(runs):
    """[(exit status, stdout, stderr)] of each (program, [flags]) in `runs`, run in one process."""
    result = subprocess.run([sys.executable, "-c", RUN_EACH, json.dumps(runs)], cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return [subprocess.CompletedProcess([program, *flags], *said) for (program, flags), said
            in zip(runs, json.loads(result.stdout))]


@pytest.fixture(scope="session")
def program_help(tmp_path_factory):
    """{program: [exit status, what it printed]} for `--help`, for every program in PROGRAMS."""
    return once_for_all_workers(tmp_path_factory, "program_help", lambda: {
        run.args[0]: [run.returncode, run.stdout] for run in run_each([(p, ["--help"]) for p in PROGRAMS])})

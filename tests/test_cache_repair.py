"""A compile cache that heals (harness/cache_repair.py, harness/compile_cache.py): real
damaged module files in a compiledir of the test's own, and a real full disk."""
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

from conftest import REPO, once_for_all_workers, start_compiledir

RUN = ["2_logistic_regression.py", "--epochs", "2", "--ntrain", "256", "--ntest", "100"]


def _env(base_compiledir):
    """The environment of a run compiling into base_compiledir."""
    return {**os.environ, "THEANO_FLAGS": f"base_compiledir={base_compiledir}"}


def _run(env, synthetic_mnist):
    return subprocess.run([sys.executable, *RUN, "--data-dir", synthetic_mnist], cwd=REPO, capture_output=True,
                          text=True, env=env, timeout=600)


def _accuracies(stdout):
    """The epoch lines without their times: what the run learned."""
    return [re.sub(r"\s+[\d.]+ s$", "", line) for line in stdout.splitlines() if line.startswith("epoch")]


def _compiled_since(compiledir, start):
    """The compiled modules (Theano's own and the ops') whose file was written since `start`."""
    return [path for path in glob.glob(os.path.join(compiledir, "*", "*.so")) if os.path.getmtime(path) >= start]


# A run of RUN, then the files of the C modules it loaded
LOADED = """
import json, runpy, sys
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
from theano.gof.cc import get_module_cache
print(json.dumps([module.__file__ for module in get_module_cache().module_from_name.values()]))
"""


@pytest.fixture(scope="session")
def compiled_cache(tmp_path_factory, synthetic_mnist, theanos_own_modules):
    """[a compiledir holding what script 2 compiles, the epoch lines that run printed]: its
    run in the tests' own compile cache (compiling there what that lacks), then the modules
    it loaded copied, so that script 2 is not compiled again."""
    def compile_script_2():
        folder = tmp_path_factory.mktemp("compiled-cache")
        start_compiledir(theanos_own_modules, folder / "base")
        result = subprocess.run([sys.executable, "-c", LOADED, *RUN, "--data-dir", synthetic_mnist], cwd=REPO,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stderr
        compiledir = folder / "base" / os.path.basename(theanos_own_modules)
        for module in map(os.path.dirname, json.loads(result.stdout.splitlines()[-1])):
            shutil.copytree(module, compiledir / os.path.basename(module))
        return [str(folder / "base"), _accuracies(result.stdout)]
    return once_for_all_workers(tmp_path_factory, "compiled_cache", compile_script_2)


def _copy(compiled_cache, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(compiled_cache[0], base, symlinks=True)
    compiledir, = glob.glob(str(base / "compiledir_*"))
    return base, compiledir


def test_damaged_modules_are_set_aside_and_compiled_again(compiled_cache, synthetic_mnist, tmp_path):
    base, compiledir = _copy(compiled_cache, tmp_path)
    # the modules of the shortest sources: they are compiled again soonest
    ops = sorted(glob.glob(os.path.join(compiledir, "tmp*", "*.so")),
                 key=lambda path: os.path.getsize(os.path.join(os.path.dirname(path), "mod.cpp")))
    assert len(ops) >= 4, ops
    cutils = os.path.join(compiledir, "cutils_ext", "cutils_ext.so")
    engine = os.path.join(compiledir, "lazylinker_ext", "lazylinker_ext.so")
    damaged = {  # what a killed copy, a full disk or a crash leaves
        ops[0]: lambda path: os.truncate(path, os.path.getsize(path) // 3),  # cut short: SIGBUS before
        ops[1]: lambda path: os.truncate(path, 0),  # empty
        ops[2]: os.remove,  # missing, its key.pkl left
        ops[3]: lambda path: shutil.copyfile(cutils, path),  # whole, but another module: does not load
        engine: lambda path: os.truncate(path, 5000),  # Theano's own engine, cut short
    }
    for path, damage in damaged.items():
        damage(path)
    os.truncate(cutils, 0)
    damaged[cutils] = None

    start = time.time()
    healed = _run(_env(base), synthetic_mnist)
    assert healed.returncode == 0, healed.stderr
    notes = healed.stderr.splitlines()
    assert "Traceback" not in healed.stderr
    # One line each; but a missing module under /tmp (as here), which Theano deletes and
    # compiles again saying nothing, as files there vanish (elsewhere the line names its folder).
    said = [path for path in damaged if path != ops[2]]
    assert len(notes) == len(said), healed.stderr
    for path in said:
        assert any(path in note and "damaged" in note and "compiled again" in note for note in notes), \
            (path, healed.stderr)
    assert _accuracies(healed.stdout) == compiled_cache[1]  # the same run as with the whole cache
    assert len(_compiled_since(compiledir, start)) == len(damaged)  # those six modules, nothing else of the cache

    start = time.time()
    again = _run(_env(base), synthetic_mnist)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert _compiled_since(compiledir, start) == []  # the modules compiled again are whole and found
    assert not glob.glob(os.path.join(compiledir, "tmp*", "delete.me"))  # Theano cleared what was set aside


def test_an_engine_that_does_not_load_is_set_aside_in_one_paragraph(compiled_cache, synthetic_mnist, tmp_path):
    base, compiledir = _copy(compiled_cache, tmp_path)
    engine = os.path.join(compiledir, "lazylinker_ext", "lazylinker_ext.so")
    shutil.copyfile(os.path.join(compiledir, "cutils_ext", "cutils_ext.so"), engine)  # whole, but not the engine
    env = _env(base)

    refused = _run(env, synthetic_mnist)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr, refused.stderr
    assert refused.stderr.startswith(f"error: Theano's compiled engine in {os.path.dirname(engine)} does not load: "
                                     "it is set aside"), refused.stderr

    again = _run(env, synthetic_mnist)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert _accuracies(again.stdout) == compiled_cache[1]


@pytest.mark.slow  # compiles script 2's modules once a size, onto a real tmpfs
@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small filesystem (a real full disk) needs root")
@pytest.mark.parametrize("size", [
    "40k",  # full while Theano compiles its own modules, as it is imported
    "90k",  # full while the compiler checks' answers are kept (harness/compiler_checks.py)
    "150k",  # full while a process takes the compiledir's lock
    "500k",  # full while the ops of the training function compile
])
def test_a_full_compile_cache_is_one_paragraph_and_leaves_nothing_half_written(size, synthetic_mnist, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
    try:
        env = _env(disk)
        full = _run(env, synthetic_mnist)
        assert full.returncode == 1
        assert full.stderr.count("\n") == 1 and "Traceback" not in full.stderr, full.stderr
        assert re.match(r"error: the disk holding Theano's compile cache, \S+, is full \(0\.\d MB free\): .* "
                        r"THEANO_FLAGS=base_compiledir=", full.stderr), full.stderr

        subprocess.run(["mount", "-o", "remount,size=4M", str(disk)], check=True)  # space made
        after = _run(env, synthetic_mnist)
        assert after.returncode == 0 and after.stderr == "", after.stderr  # nothing damaged was left
    finally:
        subprocess.run(["umount", str(disk)], check=True)

"""A compile cache that heals (harness/cache_repair.py, harness/compile_cache.py): real
damaged module files in a compiledir of the test's own, and a real full disk."""
import glob
import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, once_for_all_workers, start_compiledir

RUN = ["2_logistic_regression.py", "--epochs", "2", "--ntrain", "256", "--ntest", "100"]


@pytest.fixture(scope="session")
def compiler(tmp_path_factory):
    """A g++ that logs each call to $COMPILER_LOG. One for all tests: Theano's keys hold
    the compiler's path, so the modules it compiled are found only with the same one."""
    def write():
        path = tmp_path_factory.mktemp("compiler") / "g++"
        path.write_text('#!/bin/sh\necho "$@" >> "$COMPILER_LOG"\nexec g++ "$@"\n')
        path.chmod(0o755)
        return str(path)
    return once_for_all_workers(tmp_path_factory, "compiler", write)


def _compiler_env(compiler, tmp_path, base_compiledir):
    """(the compiler's log, the environment of a run compiling into base_compiledir)."""
    log = tmp_path / "compiler-calls.log"
    log.write_text("")
    return log, {**os.environ, "COMPILER_LOG": str(log),
                 "THEANO_FLAGS": f"base_compiledir={base_compiledir},cxx={compiler}"}


def _run(env, synthetic_mnist):
    return subprocess.run([sys.executable, *RUN, "--data-dir", synthetic_mnist], cwd=REPO, capture_output=True,
                          text=True, env=env, timeout=600)


def _accuracies(stdout):
    """The epoch lines without their times: what the run learned."""
    return [re.sub(r"\s+[\d.]+ s$", "", line) for line in stdout.splitlines() if line.startswith("epoch")]


@pytest.fixture(scope="session")
def compiled_cache(tmp_path_factory, synthetic_mnist, compiler, theanos_own_modules):
    """[a compiledir holding what script 2 compiles, the epoch lines that run printed]."""
    def compile_script_2():
        folder = tmp_path_factory.mktemp("compiled-cache")
        start_compiledir(theanos_own_modules, folder / "base")
        log, env = _compiler_env(compiler, folder, folder / "base")
        result = _run(env, synthetic_mnist)
        assert result.returncode == 0, result.stderr
        return [str(folder / "base"), _accuracies(result.stdout)]
    return once_for_all_workers(tmp_path_factory, "compiled_cache", compile_script_2)


def _copy(compiled_cache, tmp_path):
    base = tmp_path / "base"
    shutil.copytree(compiled_cache[0], base, symlinks=True)
    compiledir, = glob.glob(str(base / "compiledir_*"))
    return base, compiledir


def test_damaged_modules_are_set_aside_and_compiled_again(compiled_cache, synthetic_mnist, compiler, tmp_path):
    base, compiledir = _copy(compiled_cache, tmp_path)
    ops = sorted(glob.glob(os.path.join(compiledir, "tmp*", "*.so")))
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
    log, env = _compiler_env(compiler, tmp_path, base)

    healed = _run(env, synthetic_mnist)
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
    assert log.read_text().count("mod.cpp") == len(damaged)  # those six modules, nothing else of the cache

    log.write_text("")
    again = _run(env, synthetic_mnist)
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert "mod.cpp" not in log.read_text()  # the modules compiled again are whole and found
    assert not glob.glob(os.path.join(compiledir, "tmp*", "delete.me"))  # Theano cleared what was set aside


def test_an_engine_that_does_not_load_is_set_aside_in_one_paragraph(compiled_cache, synthetic_mnist, compiler, tmp_path):
    base, compiledir = _copy(compiled_cache, tmp_path)
    engine = os.path.join(compiledir, "lazylinker_ext", "lazylinker_ext.so")
    shutil.copyfile(os.path.join(compiledir, "cutils_ext", "cutils_ext.so"), engine)  # whole, but not the engine
    log, env = _compiler_env(compiler, tmp_path, base)

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
def test_a_full_compile_cache_is_one_paragraph_and_leaves_nothing_half_written(size, synthetic_mnist, compiler, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)], check=True)
    try:
        log, env = _compiler_env(compiler, tmp_path, disk)
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

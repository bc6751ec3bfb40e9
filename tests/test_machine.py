"""The settings and machine a learner brings: a clear outcome for each, never a Theano traceback."""
import os
import subprocess
import sys

import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE

QUICK = ["--epochs", "1", "--ntrain", "256", "--ntest", "100"]


def run(script, synthetic_mnist, flags=None, rc=None, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("THEANO_FLAGS", "THEANORC", "SHOW_TRACEBACK")}
    environment.update(env)
    if flags is not None:
        environment["THEANO_FLAGS"] = flags
    if rc is not None:
        environment["THEANORC"] = str(rc)
    data = [] if script.startswith(("0_", "1_")) else ["--data-dir", synthetic_mnist, *QUICK]
    return subprocess.run([sys.executable, script, *data], cwd=REPO, capture_output=True, text=True,
                          env=environment, timeout=900)


def assert_refused(result, *words):
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert not EPOCH_LINE.search(result.stdout)  # refused before any training
    lines = result.stderr.strip().splitlines()
    assert len(lines) <= 2 and lines[-1].startswith("error: "), result.stderr  # a note, then one paragraph
    for word in words:
        assert word in lines[-1], (word, lines[-1])


@pytest.mark.parametrize("flags, words", [
    ("floatX=float64", ["floatX=float64 (set in THEANO_FLAGS)", "T.ftensor4", "floatX=float32"]),
    ("cxx=", ["cxx= (set in THEANO_FLAGS)", "only a C implementation", "install g++"]),
    ("mode=FAST_COMPILE", ["mode=FAST_COMPILE (set in THEANO_FLAGS)", "only a C implementation"]),
])
def test_the_convnet_refuses_what_it_cannot_run_with(flags, words, synthetic_mnist):
    assert_refused(run("5_convolutional_net.py", synthetic_mnist, flags), *words)


def test_a_setting_from_a_theanorc_file_is_named_with_its_file(synthetic_mnist, tmp_path):
    rc = tmp_path / "theanorc"
    rc.write_text("[global]\nfloatX = float64\n")
    assert_refused(run("5_convolutional_net.py", synthetic_mnist, rc=rc), f"floatX=float64 (set in {rc})")


def test_float16_is_refused_by_the_training_scripts(synthetic_mnist):
    assert_refused(run("3_net.py", synthetic_mnist, "floatX=float16"), "floatX=float16", "float32")


@pytest.mark.parametrize("flags, words", [
    ("blas.ldflags=-lmyblas", ["blas.ldflags=-lmyblas (set in THEANO_FLAGS)", "cannot find -lmyblas"]),
    ("cxx=/bin/false", ["cxx=/bin/false (set in THEANO_FLAGS)", "the compiler failed"]),
    ("device=gpu", ["Theano refuses a setting", "THEANO_FLAGS is 'device=gpu'"]),
    ("floatX=float8", ["Theano refuses a setting", '"float8"']),
])
def test_a_setting_that_cannot_work_is_one_paragraph(flags, words, synthetic_mnist):
    assert_refused(run("2_logistic_regression.py", synthetic_mnist, flags), *words)


@pytest.mark.parametrize("script, flags, note", [
    ("3_net.py", "cxx=", "no C++ compiler (cxx= (set in THEANO_FLAGS)): Theano runs its Python implementations"),
    ("3_net.py", "mode=FAST_COMPILE", "mode=FAST_COMPILE (set in THEANO_FLAGS): Theano runs Python implementations"),
    ("0_multiply.py", "device=cuda", "device=cuda (set in THEANO_FLAGS) needs pygpu (libgpuarray), which is not "
                                     "installed: running on the CPU"),
])
def test_a_fallback_is_said_once_in_one_line(script, flags, note, synthetic_mnist):
    result = run(script, synthetic_mnist, flags)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("note: ") and note in lines[0], result.stderr
    assert EPOCH_LINE.search(result.stdout) or "multiply(3, 3) = 9.0" in result.stdout


def test_show_traceback_shows_it(synthetic_mnist):
    result = run("3_net.py", synthetic_mnist, "floatX=float16", SHOW_TRACEBACK="1")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "SettingError" in result.stderr


def test_a_compile_cache_that_cannot_be_written_is_one_paragraph_naming_the_fix():
    env = {**os.environ, "THEANO_FLAGS": "base_compiledir=/proc/no-such-cache"}  # no one may make a folder there
    result = subprocess.run([sys.executable, "0_multiply.py"], cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.startswith("error: Theano cannot use the folder for its compile cache: Unable to create "
                                    "the compiledir directory '/proc/no-such-cache/"), result.stderr
    assert "THEANO_FLAGS=base_compiledir=" in result.stderr

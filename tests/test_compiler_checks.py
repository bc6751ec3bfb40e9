"""Theano's compiler checks run once per compiler, flags and CPU (harness/compiler_checks.py),
and the version Theano asks at import once per compiler (harness/compiler_version.py): a
later run calls the compiler for nothing."""
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, start_compiledir

VERSION_QUERIES = ("-v", "-dumpversion")  # what Theano asks its compiler as it is imported


def compiler(tmp_path):
    """A g++ that logs each call (its process id and arguments), and its log. With
    $COMPILER_DELAY set, it waits that many seconds before it compiles a module of the
    cache (in a folder tmpXXXXXXXX)."""
    log = tmp_path / "compiler-calls.log"
    log.write_text("")
    wrapper = tmp_path / "bin" / "g++"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho "$$ $@" >> "{log}"\n'
                       f'case "$*" in */tmp????????/mod.cpp*) [ -n "$COMPILER_DELAY" ] && sleep "$COMPILER_DELAY";; esac\n'
                       f'exec {shutil.which("g++")} "$@"\n')
    wrapper.chmod(0o755)
    return wrapper, log


def environment(tmp_path, compiledir, jobs, wrapper, theanos_own_modules):
    """Theano compiling into a compiledir of its own (started with Theano's own modules),
    through the logging g++ on PATH (as `g++`, as Theano finds it), on `jobs` threads."""
    if not (tmp_path / compiledir).exists():
        start_compiledir(theanos_own_modules, tmp_path / compiledir)
    return {**os.environ, "THEANO_FLAGS": f"base_compiledir={tmp_path / compiledir}",
            "THEANO_TUTORIALS_COMPILE_JOBS": str(jobs), "PATH": f"{wrapper.parent}:{os.environ['PATH']}"}


def run(program, env):
    return subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, env=env,
                          timeout=900)


def calls(log):
    """The compiler's calls since the log was last emptied, but Theano's version queries."""
    said = [line.split(" ", 1)[1] for line in log.read_text().splitlines()]
    return [call for call in said if call not in VERSION_QUERIES]


@pytest.mark.parametrize("chosen", [False, True], ids=["g++ found", "cxx chosen"])
def test_a_later_run_calls_the_compiler_for_nothing(chosen, tmp_path, theanos_own_modules):
    # chosen: harness/machine.py checks that the compiler builds a module, once
    wrapper, log = compiler(tmp_path)
    env = environment(tmp_path, "compiledir", 1, wrapper, theanos_own_modules)
    if chosen:
        env["THEANO_FLAGS"] += f",cxx={wrapper}"
    program = ("import harness, theano; from theano.configdefaults import gcc_version_str; "
               "print(theano.function([], theano.tensor.constant(2.0) * 3)(), gcc_version_str)")
    version = subprocess.run(["g++", "-dumpversion"], capture_output=True, text=True).stdout.strip()
    said = []
    for run_ in range(2):
        log.write_text("")
        result = run(program, env)
        assert result.returncode == 0 and result.stdout == f"6.0 {version}\n", result.stderr
        said.append([line.split(" ", 1)[1] for line in log.read_text().splitlines()])
    assert any("-march=native" in call for call in said[0])  # what Theano checks, the first time
    assert set(VERSION_QUERIES) <= set(said[0])
    assert said[1] == []


def test_a_failed_check_is_not_kept(tmp_path, theanos_own_modules):
    wrapper, log = compiler(tmp_path)
    env = environment(tmp_path, "compiledir", 1, wrapper, theanos_own_modules)
    env["THEANO_FLAGS"] += ",blas.ldflags=-lmyblas"
    for run_ in range(2):
        log.write_text("")
        result = run("import harness", env)
        assert result.returncode == 1 and "cannot find -lmyblas" in result.stderr, result.stderr
        assert any("-shared" in call for call in calls(log))

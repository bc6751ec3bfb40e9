"""Theano compiles a function's missing C modules in parallel (harness/parallel_compile.py),
into the cache as its serial compiling would, and a later run compiles nothing."""
import glob
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO
from test_compiler_checks import calls, compiler, environment, run

# A function of five C modules of one kind (as many as share the includes precompiled),
# printing what it computes
GRAPH = """
import harness, numpy as np, theano
from theano import tensor as T
x = T.fmatrix("x")
f = theano.function([x], [T.exp(x), T.log(x), T.tanh(x), T.sin(x), T.cos(x)])
print([float(y.sum()) for y in f(np.ones((2, 3), dtype="float32"))])
"""

# One C module, of the operation the format names
ONE_MODULE = """
import harness, numpy as np, theano
from theano import tensor as T
x = T.fmatrix("x")
print(theano.function([x], T.{}(x))(np.ones((2, 3), dtype="float32")).sum())
"""

# Two C modules, one of which does not compile
BROKEN = """
import harness, numpy as np, theano
from theano import tensor as T
class Broken(theano.Op):
    __props__ = ()
    def make_node(self, x):
        return theano.Apply(self, [x], [x.type()])
    def perform(self, node, inputs, outputs):
        outputs[0][0] = inputs[0]
    def c_code(self, node, name, inputs, outputs, sub):
        return "this is not C++;"
    def c_code_cache_version(self):
        return (1,)
x = T.fmatrix("x")
f = theano.function([x], T.exp(Broken()(x)))
"""

def modules(*compiledirs):
    """For each compiledir, {module hash: (its files, the sha256 of mod.cpp and of the compiled
    module)} of its cached modules; and whether each module hash has the same keys in all.
    A module names its source's path (assert() does), and its build ID hashes the module:
    the digest reads the path as #s and the ID as zeros, so that compiledirs whose paths
    are as long can be compared."""
    show = """
import glob, hashlib, json, os, pickle, struct, sys
import harness
BUILD_ID = struct.pack("<III", 4, 20, 3) + b"GNU\\0"  # the ELF note's header: 20 bytes follow


def digest(path, folder):
    said = open(path, "rb").read().replace(folder.encode(), b"#" * len(folder.encode()))
    at = said.find(BUILD_ID) + len(BUILD_ID)
    return hashlib.sha256(said[:at] + bytes(20) + said[at + 20:] if at >= len(BUILD_ID) else said).hexdigest()


cached, keys = [], []
for compiledir in sys.argv[1:]:
    cached.append({})
    keys.append({})
    for key_pkl in glob.glob(os.path.join(compiledir, "compiledir_*", "tmp*", "key.pkl")):
        folder = os.path.dirname(key_pkl)
        with open(key_pkl, "rb") as f:
            key_data = pickle.load(f)
        files = sorted(os.listdir(folder))
        digests = [digest(os.path.join(folder, name), folder) for name in files if name.endswith((".cpp", ".so"))]
        cached[-1][key_data.module_hash] = [files, digests]
        keys[-1][key_data.module_hash] = key_data.keys
print(json.dumps([cached, all(k == keys[0] for k in keys)]))
"""
    result = subprocess.run([sys.executable, "-c", show, *map(str, compiledirs)], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "THEANO_FLAGS": f"base_compiledir={compiledirs[0]}"})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def compiled_in(log):
    """The folders in which the logged compiler calls compiled a module."""
    return set(re.findall(r"(\S+/tmp\w+)/mod\.cpp", log.read_text()))


def whole(folder):
    """Whether a folder of the compiledir is a module in the cache."""
    return os.path.exists(os.path.join(folder, "key.pkl"))


@pytest.mark.slow  # compiles its graph twice in compiledirs of its own, one module after another once
def test_parallel_compiling_fills_the_cache_as_serial_compiling_does(tmp_path, theanos_own_modules):
    wrapper, log = compiler(tmp_path)
    serial = run(GRAPH, environment(tmp_path, "jobs_1", 1, wrapper, theanos_own_modules))
    assert serial.returncode == 0, serial.stderr
    log.write_text("")
    # the includes precompiled for other flags: one set read a day ago, one not for 30 days
    env = environment(tmp_path, "jobs_2", 2, wrapper, theanos_own_modules)
    compiledir, = glob.glob(str(tmp_path / "jobs_2" / "compiledir_*"))
    for name, days in (("prelude-recent.h", 1), ("prelude-unused.h", 30)):
        for path in (name, f"{name}.gch", f"{name}.json"):
            open(os.path.join(compiledir, path), "w").close()
            os.utime(os.path.join(compiledir, path), (time.time() - days * 86400,) * 2)
    parallel = run(GRAPH, env)
    assert parallel.returncode == 0, parallel.stderr
    assert parallel.stdout == serial.stdout and parallel.stderr == serial.stderr == ""
    assert any("-include" in call for call in calls(log))  # some read the includes precompiled
    # the same modules: keys, files, source and compiled module, byte for byte
    (serial_modules, parallel_modules), same_keys = modules(tmp_path / "jobs_1", tmp_path / "jobs_2")
    assert len(serial_modules) == 5
    assert parallel_modules == serial_modules and same_keys
    assert all(map(whole, glob.glob(str(tmp_path / "jobs_2" / "compiledir_*" / "tmp*"))))
    # making its own removed the set unused for longer than Theano keeps a module, but its header
    kept = sorted(os.path.basename(path) for path in glob.glob(os.path.join(compiledir, "prelude-[ru]*")))
    assert kept == ["prelude-recent.h", "prelude-recent.h.gch", "prelude-recent.h.json", "prelude-unused.h"]
    for name in kept:
        os.remove(os.path.join(compiledir, name))
    # A later run finds every module and its compiler checks: it compiles nothing
    log.write_text("")
    later = run(GRAPH, environment(tmp_path, "jobs_2", 2, wrapper, theanos_own_modules))
    assert later.returncode == 0 and later.stdout == serial.stdout, later.stderr
    assert calls(log) == []
    # The headers precompiled for the batch are kept for later ones: a function of one new
    # module reads them; once a header they were made from is not as their record says, not
    for changed, operation in ((False, "sinh"), (True, "cosh")):
        record, = glob.glob(str(tmp_path / "jobs_2" / "compiledir_*" / "prelude-*.h.json"))
        if changed:
            stamps = json.loads(open(record).read())
            stamps[next(path for path in stamps if path.endswith("Python.h"))][0] += 1
            open(record, "w").write(json.dumps(stamps))
        log.write_text("")
        one = run(ONE_MODULE.format(operation), environment(tmp_path, "jobs_2", 2, wrapper, theanos_own_modules))
        assert one.returncode == 0 and one.stderr == "", one.stderr
        module, = [call for call in calls(log) if "mod.cpp" in call]
        assert ("-include" in module) != changed and not any("c++-header" in call for call in calls(log))


@pytest.mark.slow
def test_two_processes_compiling_into_one_compiledir_both_finish(tmp_path, theanos_own_modules):
    wrapper, log = compiler(tmp_path)
    env = environment(tmp_path, "compiledir", 2, wrapper, theanos_own_modules)
    both = [subprocess.Popen([sys.executable, "-c", GRAPH], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env) for _ in range(2)]
    said = [process.communicate(timeout=900) for process in both]
    assert [process.returncode for process in both] == [0, 0], said
    assert said[0][0] == said[1][0]
    # each module compiled once, and in the cache, whole
    folders = glob.glob(str(tmp_path / "compiledir" / "compiledir_*" / "tmp*"))
    assert all(map(whole, folders)), folders
    assert len(modules(tmp_path / "compiledir")[0][0]) == len(folders) == len(compiled_in(log))


def test_a_compiler_error_is_one_paragraph_as_in_serial_compiling(tmp_path, theanos_own_modules):
    wrapper, log = compiler(tmp_path)
    said = []
    for jobs in (1, 2):
        result = run(BROKEN, environment(tmp_path, f"jobs_{jobs}", jobs, wrapper, theanos_own_modules))
        assert result.returncode == 1
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: Theano could not compile its C code: "), result.stderr
        assert "(return status=1): " in lines[0]
        # the C code's file, named once
        assert len(re.findall("You can find the C code in this temporary file", result.stdout)) == 1, result.stdout
        said.append(re.sub(r"/tmp\w{8}/", "/tmpXXXXXXXX/", lines[0].replace(f"jobs_{jobs}", "jobs_N")))
    assert said[0] == said[1]


# The graph's five modules with Ctrl-C in the first tier; the script's (script 2's, again in a
# compiledir of their own) and a SIGTERM in the second
@pytest.mark.parametrize("program, signum, said, status", [
    pytest.param("script", signal.SIGTERM, "Stopped by SIGTERM before training began; nothing was learned or saved.",
                 128 + signal.SIGTERM, marks=pytest.mark.slow),
    ("graph", signal.SIGINT, "Stopped by Ctrl-C; nothing was saved.", -signal.SIGINT),  # Python ends by it
    pytest.param("graph", signal.SIGTERM, "", -signal.SIGTERM,  # no handler of its own: it ends by the signal
                 marks=pytest.mark.slow),
])
def test_a_stop_while_modules_compile_ends_the_run_and_the_next_one_works(program, signum, said, status,
                                                                          synthetic_mnist, tmp_path,
                                                                          theanos_own_modules):
    wrapper, log = compiler(tmp_path)
    env = environment(tmp_path, "compiledir", 2, wrapper, theanos_own_modules)
    command = {"script": [sys.executable, "2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "1"],
               "graph": [sys.executable, "-c", GRAPH]}[program]
    # compilers that take two minutes: the run must stop them, not wait for them
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**env, "COMPILER_DELAY": "120"})
    deadline = time.time() + 600
    while len(compiled_in(log)) < 2 and time.time() < deadline:  # compiling in parallel
        time.sleep(0.05)
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == status, stdout + stderr
    assert stderr.strip() == said, stderr
    # the compilers it started have ended, and the folders of the modules not in the cache are gone
    folders = compiled_in(log)
    running = [path for path in glob.glob("/proc/[0-9]*/cmdline")
               if any(folder.encode() in read_bytes(path) for folder in folders)]
    assert running == []
    assert all(map(whole, glob.glob(str(tmp_path / "compiledir" / "compiledir_*" / "tmp*"))))
    assert not all(map(whole, folders))  # some were not done
    # the precompiled headers whole or not there: no file of this process's left
    assert not glob.glob(str(tmp_path / "compiledir" / "compiledir_*" / f"prelude-*.{process.pid}*"))
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0 and result.stderr == "", result.stdout + result.stderr


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:  # the process ended meanwhile
        return b""


def test_a_bad_number_of_jobs_is_one_paragraph():
    result = subprocess.run([sys.executable, "-c", "import harness"], cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "THEANO_TUTORIALS_COMPILE_JOBS": "all"})
    assert result.returncode == 1
    assert result.stderr.startswith("error: THEANO_TUTORIALS_COMPILE_JOBS='all': ") and "Traceback" not in result.stderr

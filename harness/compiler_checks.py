"""Theano's compiler checks, run once per compiler, flags and CPU instead of at every start.

Before its first module, a Theano 1.0.5 process runs g++ to learn which flags
-march=native stands for (twice the preprocessor, then a test program it compiles and
runs), and compiles another test program to learn whether g++ builds OpenMP code;
harness/machine.py builds a tiny module with the compiler, flags or BLAS you chose. For
the same compiler, flags and CPU the answers are the same every time: they are kept in
the compiledir (compiler_checks.json) and read from there, so a later run compiles
nothing. A failed check is not kept: it runs again next time.

The compiler is known by its path, size, time of change and version; the CPU by what
/proc/cpuinfo says of it (without it, the flags -march=native stands for are not kept).
install() puts the patches in place (harness/__init__.py calls it once Theano is imported).
They wrap methods of Theano 1.0.5: on any other version they stay off, and a line says so.
"""
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile

import theano
from theano.configdefaults import gcc_version_str
from theano.gof.cmodule import GCC_compiler
from theano.gof.op import OpenMPOp

FITS = "1.0.5"  # the Theano whose GCC_compiler.compile_args and OpenMPOp.test_gxx_support these wrap
FILE = "compiler_checks.json"
CPU_FIELDS = {"vendor_id", "cpu family", "model", "model name", "stepping", "flags",  # x86
              "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features"}  # ARM


def _cpu():
    """What /proc/cpuinfo says the first CPU is and can run, or None."""
    try:
        with open("/proc/cpuinfo") as f:
            first = f.read().split("\n\n")[0]
    except OSError:
        return None
    return sorted(line for line in first.splitlines() if line.split(":")[0].strip() in CPU_FIELDS) or None


def _compiler():
    path = shutil.which(theano.config.cxx)
    if path is None:
        return None
    stat = os.stat(path)
    return [os.path.realpath(path), stat.st_size, stat.st_mtime_ns, gcc_version_str]


def _key(name, settings):
    said = json.dumps([name, _compiler(), _cpu() if name == "march" else None, settings])
    return hashlib.sha256(said.encode()).hexdigest()


def _kept():
    try:
        with open(os.path.join(theano.config.compiledir, FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def recall(name, *settings):
    """The answer kept for check `name` with these settings and this compiler, or None."""
    return _kept().get(_key(name, settings))


def keep(name, answer, *settings):
    """Keep a check's answer. Where the compiledir cannot be written, it is not kept."""
    kept = {**_kept(), _key(name, settings): answer}
    # not named tmp*: Theano's clean-up takes any such name in the compiledir for a module's folder
    try:
        part = tempfile.NamedTemporaryFile("w", dir=theano.config.compiledir, prefix=FILE + ".", suffix=".part",
                                           delete=False)
    except OSError:
        return
    try:
        with part:
            json.dump(kept, part, indent=1)
        os.replace(part.name, os.path.join(theano.config.compiledir, FILE))  # whole, even with others reading
    except OSError:  # a full disk: nothing half-written is left
        with contextlib.suppress(OSError):
            os.remove(part.name)


_theano_compile_args = GCC_compiler.compile_args
_theano_test_gxx_support = OpenMPOp.test_gxx_support


def compile_args(march_flags=True):
    """GCC_compiler.compile_args, keeping the flags it found for -march=native."""
    finding = march_flags and GCC_compiler.march_flags is None
    args = _theano_compile_args(march_flags)
    if finding and _cpu() is not None:
        keep("march", GCC_compiler.march_flags, theano.config.gcc.cxxflags)
    return args


def test_gxx_support():
    """OpenMPOp.test_gxx_support: whether g++ builds OpenMP code, kept once it does."""
    if recall("openmp", theano.config.gcc.cxxflags):
        return True
    works = _theano_test_gxx_support()
    if works:
        keep("openmp", True, theano.config.gcc.cxxflags)
    return works


def install():
    """Put the two wrappers in place of Theano's methods, and give Theano the flags kept for
    -march=native, on Theano 1.0.5 with a compiler; on another Theano, say they stay off."""
    if theano.__version__ != FITS:
        print(f"note: harness/compiler_checks.py fits Theano {FITS}, not the installed {theano.__version__}: it "
              "stays off, so Theano checks its compiler again in every run.", file=sys.stderr, flush=True)
        return
    if not theano.config.cxx:
        return
    GCC_compiler.compile_args = staticmethod(compile_args)
    OpenMPOp.test_gxx_support = staticmethod(test_gxx_support)
    if _cpu() is not None:
        kept_flags = recall("march", theano.config.gcc.cxxflags)
        if GCC_compiler.march_flags is None:
            GCC_compiler.march_flags = kept_flags
        elif kept_flags is None:  # found while Theano was imported (it compiled its lazy linker)
            keep("march", GCC_compiler.march_flags, theano.config.gcc.cxxflags)

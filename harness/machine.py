"""The settings and the machine a learner brings: what Theano will do with them, in one
line or one paragraph, never a page of Theano's internals.

harness/__init__.py imports Theano through import_theano(): a GPU that Theano 1.0.5 cannot
use becomes a line saying it runs on the CPU; a setting Theano refuses becomes a
paragraph; a fallback (no C++ compiler, mode=FAST_COMPILE) is said once with its cost.
check_compiler() makes a compiler or BLAS you chose that cannot build Theano's code a
paragraph too. check() then refuses, before a program builds its graph, the settings it
cannot run with (by what the program says it needs). Importing this module does not
import Theano.
"""
import importlib.util
import os
import subprocess
import sys
import tempfile
import warnings

from common.errors import SettingError
from harness.theano_defaults import USER_FLAGS, user_setting


def where(key):
    """'key=value (set in THEANO_FLAGS)', or in which .theanorc."""
    value, origin = user_setting(key)
    return f"{key}={value} (set in {origin})"


def _notice(text):
    print(f"note: {text}", file=sys.stderr, flush=True)


def import_theano():
    """Import Theano, saying in a line what it makes of the machine, or in a paragraph
    why it refuses a setting."""
    # A GPU: Theano 1.0.5's backend needs pygpu (libgpuarray), which PyPI does not carry.
    # Without it, importing Theano fails or logs errors; the CPU is what it would use anyway.
    device = user_setting("device")[0] or ""
    if device.startswith(("cuda", "opencl")) and importlib.util.find_spec("pygpu") is None:
        _notice(f"{where('device')} needs pygpu (libgpuarray), which is not installed: running on the CPU. "
                "See docs/theano.md, 'Your machine'.")
        os.environ["THEANO_FLAGS"] += ",device=cpu"
    warnings.filterwarnings("ignore", message="DeprecationWarning: there is no c\\+\\+ compiler")  # said below
    try:
        import theano
    except ValueError as error:  # a value Theano does not know, or a compiledir it cannot use
        if "compiledir" in str(error):
            raise SettingError(f"Theano cannot use the folder for its compile cache: {str(error).rstrip('.')}. Give "
                               "it a folder you can write, e.g. THEANO_FLAGS=base_compiledir=$HOME/theano-cache "
                               f"(THEANO_FLAGS is {USER_FLAGS!r}; Theano also reads "
                               f"{os.environ.get('THEANORC', '~/.theanorc')}).") from None
        raise SettingError(f"Theano refuses a setting: {str(error).rstrip('.')}. Change it where you set it: "
                           f"THEANO_FLAGS is {USER_FLAGS!r}; Theano also reads "
                           f"{os.environ.get('THEANORC', '~/.theanorc')}.") from None
    if _no_compiler():
        how = where("cxx") if user_setting("cxx")[1] else "no g++ found"
        _notice(f"no C++ compiler ({how}): Theano runs its Python implementations, many times slower, and "
                "the convnet cannot run. Install g++: see docs/theano.md, 'Your machine'.")
    elif _python_only():
        setting = where("mode") if user_setting("mode")[1] else where("linker")
        _notice(f"{setting}: Theano runs Python implementations of most ops, many times slower "
                "(and the convnet cannot run). Remove it to use Theano's compiled C code.")


def _no_compiler():
    import theano
    return not theano.config.cxx


def _python_only():
    import theano
    return theano.config.mode in ("FAST_COMPILE", "DebugMode", "DEBUG_MODE") or theano.config.linker.startswith("py")


def check_compiler():
    """With a compiler, flags or BLAS you chose, build a tiny module as Theano would, once
    for those (compiler_checks keeps that it built)."""
    import theano
    from harness import compiler_checks
    chosen = [key for key in ("cxx", "gcc.cxxflags", "blas.ldflags") if user_setting(key)[1]]
    settings = (theano.config.gcc.cxxflags, theano.config.blas.ldflags)
    if _no_compiler() or not chosen or compiler_checks.recall("build", *settings):
        return
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "check.cpp")
        with open(source, "w") as f:
            f.write("int theano_tutorials_check() { return 0; }\n")
        command = [theano.config.cxx, "-shared", "-fPIC", *theano.config.gcc.cxxflags.split(), source,
                   "-o", os.path.join(folder, "check.so"), *theano.config.blas.ldflags.split()]
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=120)
            said = (result.stderr + result.stdout).strip().splitlines()
            failed = result.returncode != 0
        except OSError as error:
            said, failed = [str(error)], True
    if failed:
        key_lines = [line for line in said if ("error" in line or "cannot" in line) and "collect2" not in line]
        told = f"the compiler said: {(key_lines or said)[0].strip()}" if said else "the compiler failed, saying nothing"
        raise SettingError(f"Theano cannot compile its C code with {', '.join(where(k) for k in chosen)}: "
                           f"{told}. Fix or remove that setting (without it, this project's defaults apply); "
                           f"`{theano.config.cxx} --version` should work.")
    compiler_checks.keep("build", True, *settings)


def _refusal(convolutions):
    """(the setting, why this program cannot run with it, the fix), or None. `convolutions`:
    the program said it convolves (its Run call), so it needs float32 and Theano's C code."""
    import theano
    if theano.config.floatX == "float16":
        return ("floatX", "the talk's models compute in float32 (T.fmatrix) and Theano 1.0.5 cannot keep their "
                "weights in float16", "remove floatX or set floatX=float32")
    if not convolutions:
        return None
    if theano.config.floatX != "float32":
        return ("floatX", "its input is T.ftensor4 (float32), and the gradient of its convolutions does not "
                "type-check with float64 weights", "remove floatX or set floatX=float32 for this program")
    if _no_compiler():
        return "cxx", "its convolutions (CorrMM) have only a C implementation", "install g++ (docs/theano.md, 'Your machine')"
    if _python_only():
        return ("mode" if user_setting("mode")[1] else "linker", "its convolutions (CorrMM) have only a C "
                "implementation", "remove that setting for this program")
    return None


def check(convolutions):
    """Refuse, before the program builds its graph, the settings it cannot run with."""
    refusal = _refusal(convolutions)
    if refusal:
        key, why, fix = refusal
        setting = where(key) if user_setting(key)[1] else "no C++ compiler found"
        raise SettingError(f"This program cannot run with {setting}: {why}. Fix: {fix}.")

"""The two questions Theano asks its compiler whenever it is imported, answered from an
earlier run with the same compiler.

Theano 1.0.5's configuration runs `g++ -v` (is there a g++?) and `CXX -dumpversion` (the
version that goes into every module's key) while Theano is imported. For the same
compiler file (its path, size and time of change) the answers are the same: they are
kept in Theano's base_compiledir (compiler_version.json) and read from there, so that a
later import starts no compiler. A question the compiler fails is not kept: it is asked
again next time.

keep_answers(), called before Theano is imported, puts a finder on sys.meta_path that
wraps the two functions of theano.misc.windows that ask, once that module is loaded;
any other command passes through them as it is. Importing this module does not import
Theano.
"""
import contextlib
import hashlib
import importlib.abc
import importlib.machinery
import json
import os
import shutil
import sys
import tempfile

from harness.theano_defaults import user_setting

FILE = "compiler_version.json"
QUESTIONS = ("-v", "-dumpversion")


def _folder():
    """Theano's base_compiledir, as Theano 1.0.5 chooses it."""
    chosen = user_setting("base_compiledir")[0]
    if chosen:
        return os.path.expanduser(chosen)
    if sys.platform == "win32":
        return os.path.join(os.getenv("LOCALAPPDATA", ""), "Theano")
    return os.path.join(os.getenv("HOME") or os.path.expanduser("~"), ".theano")


def _key(command):
    """What identifies the answer to `command`, or None where it is not one of the questions."""
    if not (isinstance(command, list) and len(command) == 2 and command[1] in QUESTIONS):
        return None
    path = shutil.which(command[0])
    if path is None:
        return None
    stat = os.stat(path)
    said = json.dumps([os.path.realpath(path), stat.st_size, stat.st_mtime_ns, command[1]])
    return hashlib.sha256(said.encode()).hexdigest()


def _kept():
    try:
        with open(os.path.join(_folder(), FILE)) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _keep(key, answer):
    """Keep an answer. Where base_compiledir cannot be made or written, it is not kept."""
    folder = _folder()
    try:
        os.makedirs(folder, exist_ok=True)
        part = tempfile.NamedTemporaryFile("w", dir=folder, prefix=FILE + ".", suffix=".part", delete=False)
    except OSError:
        return
    try:
        with part:
            json.dump({**_kept(), key: answer}, part, indent=1)
        os.replace(part.name, os.path.join(folder, FILE))  # whole, even with others reading
    except OSError:  # a full disk: nothing half-written is left
        with contextlib.suppress(OSError):
            os.remove(part.name)


def _answered(ask, encode, decode):
    """`ask` (call_subprocess_Popen or output_subprocess_Popen), answering the questions from
    the kept answers; encode and decode turn an answer into JSON and back."""
    def answered(command, **params):
        key = _key(command)
        if key is None:
            return ask(command, **params)
        kept = _kept().get(key)
        if kept is not None:
            return decode(kept)
        answer = ask(command, **params)
        if (answer if isinstance(answer, int) else answer[-1]) == 0:
            _keep(key, encode(answer))
        return answer
    return answered


def _return_code(code):
    return code


def _output_to_json(answer):
    out, err, code = answer
    return [out.decode("latin-1"), err.decode("latin-1"), code]


def _output_from_json(kept):
    out, err, code = kept
    return out.encode("latin-1"), err.encode("latin-1"), code


class _Loader(importlib.abc.Loader):
    """theano.misc.windows's own loader, then its two functions wrapped."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        if hasattr(module, "call_subprocess_Popen") and hasattr(module, "output_subprocess_Popen"):  # Theano 1.0
            module.call_subprocess_Popen = _answered(module.call_subprocess_Popen, _return_code, _return_code)
            module.output_subprocess_Popen = _answered(module.output_subprocess_Popen, _output_to_json,
                                                       _output_from_json)


class _Finder:
    """On sys.meta_path: finds theano.misc.windows as Python would, with _Loader to load it."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "theano.misc.windows":
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


def keep_answers():
    """Put the finder in front of Python's, before Theano is imported."""
    sys.meta_path.insert(0, _Finder())

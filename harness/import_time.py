"""What Theano's import loads for nothing, left out of it: about a third of its time.

- scipy.signal, for names SciPy 1.8 moved into private modules: Theano's import of them
  fails and it goes on without them (its convolutions' Python code, which the scripts
  never run). Here the import fails at once, before scipy.signal loads.
- scipy.stats and scipy.special, for the Python code of ops no script uses (chi2.sf, erf,
  gamma, ...): each loads when a program first reads a name from it.
Importing this module imports neither SciPy nor Theano.
"""
import contextlib
import importlib
import sys
import types
from importlib import metadata

DEFERRED = ("scipy.stats", "scipy.special")
MOVED_NAMES = "scipy.signal.signaltools"  # from SciPy 1.8: Theano's `from ... import _valfrommode` fails


class LoadedOnFirstUse(types.ModuleType):
    """A module's stand-in that imports the module when a name is first read from it."""

    def __getattr__(self, name):
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
        return getattr(importlib.import_module(self.__name__), name)


def _moves_theanos_names():
    major, minor = (int(part) for part in metadata.version("scipy").split(".")[:2])
    return (major, minor) >= (1, 8)


@contextlib.contextmanager
def scipys_unused_modules_skipped():
    """Theano is imported within: without scipy.signal where Theano cannot use it, with
    DEFERRED loaded on first use. Afterwards scipy.signal imports as it always does."""
    for name in DEFERRED:
        sys.modules.setdefault(name, LoadedOnFirstUse(name))
    blocked = MOVED_NAMES not in sys.modules and _moves_theanos_names()
    if blocked:
        sys.modules[MOVED_NAMES] = None  # an import of it fails at once: ImportError, as Theano expects
    try:
        yield
    finally:
        if blocked and sys.modules.get(MOVED_NAMES, 0) is None:
            del sys.modules[MOVED_NAMES]

"""SciPy loads only what a run uses. As Theano is imported it imports scipy.special and
scipy.stats, for the Python code of ops (erf, chi2sf, ...) that the scripts run in C, and
tries two names from scipy.signal.signaltools that this SciPy no longer keeps there: that
import fails, but only after loading scipy.signal and most of SciPy with it. Together that
is some 40 % of `import harness`, at every start. Here each of these modules stands in
sys.modules until a name it lacks is read, and then loads and takes its place; the names
signaltools no longer has fail at once, as they would after loading."""
import importlib
import importlib.util
import sys
import types

DEFERRED = ("scipy.special", "scipy.stats", "scipy.signal", "scipy.signal.signaltools")  # parents first
THEANOS_OLD_NAMES = ("_valfrommode", "_bvalfromboundary")  # theano/tensor/nnet/abstract_conv.py imports them


class _Deferred(types.ModuleType):
    """A module's stand-in: reading a name it lacks imports the module, which takes its place;
    the names in `gone` (the module's file does not have them) are missing at once."""

    def __init__(self, spec, gone):
        super().__init__(spec.name)
        self.__spec__, self._gone = spec, gone
        if spec.submodule_search_locations is not None:  # a package: its submodules are found without loading it
            self.__path__ = spec.submodule_search_locations

    def __getattr__(self, attribute):
        if attribute in self._gone:
            raise AttributeError(f"module {self.__name__!r} has no attribute {attribute!r}")
        if sys.modules.get(self.__name__) is self:
            del sys.modules[self.__name__]
            parent, child = self.__name__.rsplit(".", 1)
            setattr(sys.modules[parent], child, importlib.import_module(self.__name__))
        return getattr(sys.modules[self.__name__], attribute)


def defer():
    """A stand-in for each of DEFERRED not yet imported; a SciPy that is missing stays missing."""
    for name in DEFERRED:
        spec = None if name in sys.modules else importlib.util.find_spec(name)
        if spec is None:
            continue
        with open(spec.origin) as f:
            source = f.read()
        sys.modules[name] = stand_in = _Deferred(spec, [old for old in THEANOS_OLD_NAMES if old not in source])
        parent, child = name.rsplit(".", 1)
        setattr(sys.modules[parent], child, stand_in)  # as an import makes it: scipy.special, an attribute of scipy

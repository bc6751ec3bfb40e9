"""A pytest plugin that runs Theano 1.0.5's own test modules as this project's scripts run
Theano: `import harness` first, so with the fast ops (unless THEANO_FLAGS switches them off).

Used by tests/test_theano_suites.py, in a pytest of its own (`-p theano_suites_plugin`):
- Theano's tests run on today's SciPy and Python, the same with the fast ops as without:
  SciPy 1.15 keeps the names Theano imports from scipy.signal.signaltools and
  scipy.signal.sigtools in private modules, and they are put back where Theano looks (so
  that its convolutions' Python code runs); theano.scan runs its Python loop;
- a test function that yields cases (nose's generator tests, which pytest refuses) becomes
  one item per case, named test[i]; the cases that convolve with a stride or a dilation,
  which compile the same ops with the fast ops as without, are left out;
- a test class made by Theano's makeTester in another module (test_sigm.py's
  SigmoidTester, ...) checks that its module holds it, and its module is makeTester's
  (test_basic.py), which does not: it is given the module that holds it;
- the file named by $THEANO_SUITES_REPORT receives, as JSON, each test's outcome and how
  many compiled functions held each op of OPS.
"""
import inspect
import json
import os
import sys
import types

import pytest
import scipy.signal._signaltools
import scipy.signal._sigtools
import scipy.signal.signaltools

for _name in ("_valfrommode", "_bvalfromboundary"):
    setattr(scipy.signal.signaltools, _name, getattr(scipy.signal._signaltools, _name))
sys.modules["scipy.signal.sigtools"] = types.ModuleType("scipy.signal.sigtools")
sys.modules["scipy.signal.sigtools"]._convolve2d = scipy.signal._sigtools._convolve2d
try:  # theano.scan imports theano.gpuarray, which imports setuptools' pkg_resources for one name
    import pkg_resources  # noqa: F401
except ImportError:
    sys.modules["pkg_resources"] = types.ModuleType("pkg_resources")
    sys.modules["pkg_resources"].DistributionNotFound = type("DistributionNotFound", (Exception,), {})

# theano.scan compiles its Cython loop, whose C code Python 3.11 cannot build; with this
# module missing it takes its Python loop, as without a compiler.
sys.modules["theano.scan_module.scan_perform_ext"] = None

import harness  # noqa: E402, F401  before Theano's tests import theano
from theano.compile.function_module import FunctionMaker  # noqa: E402

# The fast ops, and the Theano ops they stand in for (an Elemwise's by its scalar op's name too).
OPS = ("ParallelMRGUniform", "MaxPool", "MaxPoolGradient", "MaskedMaxPoolGradient", "FastCorrMM",
       "FastCorrMMGradWeights", "FastCorrMMGradInputs", "FusedElemwise", "VectorSigmoid",
       "mrg_uniform", "Pool", "MaxPoolGrad", "CorrMM", "CorrMM_gradWeights", "CorrMM_gradInputs", "Elemwise",
       "ScalarSigmoid")

outcomes = {}
functions_holding = dict.fromkeys(OPS, 0)
_theano_function_maker = FunctionMaker.__init__


def _counting_function_maker(maker, *args, **kwargs):
    _theano_function_maker(maker, *args, **kwargs)
    ops = [node.op for node in maker.fgraph.apply_nodes]
    ops += [op.scalar_op for op in ops if hasattr(op, "scalar_op")]
    for name in {type(op).__name__ for op in ops} & set(OPS):
        functions_holding[name] += 1


FunctionMaker.__init__ = _counting_function_maker


class Case(pytest.Item):
    """One case a generator test yielded: (function, *arguments)."""

    def __init__(self, *, case, **kwargs):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self):
        self.case[0](*self.case[1:])

    def reportinfo(self):
        return self.path, None, self.name


class GeneratorTest(pytest.Collector):
    """A nose generator test: its cases, yielded when collected, as items (a method's class
    set up first, as nose did)."""

    def __init__(self, *, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def collect(self):
        function = self.function
        if isinstance(self.parent, pytest.Class):
            cls = self.parent.obj
            if hasattr(cls, "setup_class"):
                cls.setup_class()
            function = getattr(cls(), self.name)
        for i, case in enumerate(function()):
            yield Case.from_parent(self, name=f"{self.name}[{i}]", case=case)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector, name, obj):
    if collector.funcnamefilter(name) and inspect.isgeneratorfunction(obj):
        return GeneratorTest.from_parent(collector, name=name, function=obj)
    if getattr(obj, "check_name", False) and isinstance(collector, pytest.Module) and obj.__module__ != collector.obj.__name__:
        obj.__module__ = collector.obj.__name__
    return None


def _strided_or_dilated(case):
    """Whether a case of Theano's convolution tests convolves with a stride or a dilation
    other than 1 (its arguments s, and fd or d), which the fast convolutions do not take."""
    arguments = inspect.signature(case[0]).bind(*case[1:]).arguments
    return any(arguments.get(name, 1) not in (1, (1, 1)) for name in ("s", "fd", "d"))


def pytest_collection_modifyitems(config, items):
    kept, left_out = [], []
    for item in items:
        (left_out if isinstance(item, Case) and _strided_or_dilated(item.case) else kept).append(item)
    config.hook.pytest_deselected(items=left_out)
    items[:] = kept


def pytest_runtest_logreport(report):
    """A test's outcome: its call's, or its setup's or teardown's failure, or its setup's skip."""
    if report.failed:
        outcomes[report.nodeid] = "failed"
    elif report.when == "call" or report.skipped:
        outcomes.setdefault(report.nodeid, report.outcome)


def pytest_collectreport(report):
    if report.outcome == "failed":
        outcomes[report.nodeid] = "failed"


def pytest_sessionfinish(session):
    with open(os.environ["THEANO_SUITES_REPORT"], "w") as f:
        json.dump({"outcomes": outcomes, "functions_holding": functions_holding}, f, indent=1)

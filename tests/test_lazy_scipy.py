"""harness/lazy_scipy.py: `import harness` leaves SciPy's special functions, statistics and
signal processing unloaded, and Theano and a program see the same SciPy as without it."""
import json
import subprocess
import sys

from conftest import REPO

FACTS = """
import json, sys
{before}
from theano.tensor.nnet import abstract_conv
import theano.scalar.basic_scipy
loaded = [name for name in ("scipy.special._ufuncs", "scipy.stats._stats_py", "scipy.signal._signaltools")
          if name in sys.modules]
print(json.dumps({{"loaded": loaded, "signal": abstract_conv.imported_scipy_signal,
                  "special": theano.scalar.basic_scipy.imported_scipy_special}}))
"""


def facts(before):
    said = subprocess.run([sys.executable, "-c", FACTS.format(before=before)], cwd=REPO, capture_output=True,
                          text=True, check=True)
    return json.loads(said.stdout.splitlines()[-1])


def test_harness_leaves_scipys_large_modules_unloaded_and_theano_sees_the_same_scipy():
    with_stand_ins = facts("import harness")
    # Theano imported with all of SciPy loaded first: what it makes of SciPy without the stand-ins
    loaded_first = facts("import scipy.special, scipy.stats, scipy.signal\nimport harness")
    assert with_stand_ins["loaded"] == [] and len(loaded_first["loaded"]) == 3
    assert (with_stand_ins["signal"], with_stand_ins["special"]) == (loaded_first["signal"], loaded_first["special"])


def test_what_stands_in_loads_at_first_use():
    program = """
import warnings
import harness
import numpy as np, scipy.signal, scipy.special, scipy.stats, theano, theano.tensor as T
x = T.dvector()
erf = theano.function([x], T.erf(x), mode="FAST_COMPILE")  # Theano's Python code of erf: scipy.special's
values = np.array([-1.0, 0.5, 2.0])
assert np.array_equal(erf(values), scipy.special.erf(values)), erf(values)
assert abs(scipy.stats.chi2.sf(1.0, 2) - np.exp(-0.5)) < 1e-12
assert list(scipy.signal.convolve([1, 2], [1, 1])) == [1, 3, 2]
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from scipy.signal.signaltools import convolve  # SciPy's old place still serves what SciPy keeps there
assert convolve is scipy.signal.convolve
print("ok")
"""
    said = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True)
    assert said.returncode == 0 and said.stdout.split()[-1] == "ok", said.stderr

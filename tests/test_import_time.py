"""harness/import_time.py: Theano's import leaves out the SciPy modules it loads for nothing,
and a program can still import and use them afterwards."""
import math
import os
import subprocess
import sys

from conftest import REPO
from test_scripts import assert_clean_exit

CHECK = """
import sys
import harness
from theano.tensor.nnet import abstract_conv
print([name for name in ("scipy.signal", "scipy.stats", "scipy.special") if type(sys.modules.get(name)).__name__ == "module"])
print(abstract_conv.imported_scipy_signal)
import scipy.special, scipy.stats
from scipy.signal import convolve
print(scipy.stats.chi2.sf(2.0, 2), scipy.special.erf(0.0), list(convolve([1, 2], [1, 1])))
import numpy as np, theano
x = theano.tensor.dvector()
print(theano.function([x], theano.tensor.erf(x))(np.array([0.0])))
"""
WITHOUT_HARNESS = "from theano.tensor.nnet import abstract_conv; print(abstract_conv.imported_scipy_signal)"


def test_theanos_import_loads_no_scipy_module_it_cannot_use_and_they_work_after():
    result = subprocess.run([sys.executable, "-c", CHECK], cwd=REPO, capture_output=True, text=True)
    assert_clean_exit(result)
    loaded, signal, values, erf = result.stdout.splitlines()
    assert loaded == "[]"
    # Theano goes on without scipy.signal's moved names just as it does when it tries them itself
    plain = subprocess.run([sys.executable, "-c", WITHOUT_HARNESS], cwd=REPO, capture_output=True, text=True,
                           env={**os.environ, "THEANO_FLAGS": "blas.ldflags="})  # Theano's own BLAS search fails
    assert plain.returncode == 0, plain.stderr
    assert signal == plain.stdout.strip()
    chi2_sf, erf_zero, convolved = values.split(" ", 2)
    assert abs(float(chi2_sf) - math.exp(-1.0)) < 1e-12 and erf_zero == "0.0" and convolved == "[1, 3, 2]"
    assert erf == "[0.]"

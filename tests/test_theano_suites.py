"""Theano 1.0.5's own tests of the ops the fast ops stand in for pass with the fast ops as
without them.

The tests run twice, each time in a pytest of its own, as the scripts run Theano
(`import harness` first; tests/theano_suites_plugin.py): with the fast ops, and with
THEANO_FLAGS=optimizer_excluding=fast_ops. Every test that passes without them must pass
with them; and so that the comparison cannot pass with the fast ops absent, each must have
been in some compiled functions with them on, and in none with them off, where Theano's
own op held its place.

What runs (SUITES, LEFT_OUT): the parts of Theano's CPU tests that compile the ops the fast
ops stand in for (its GPU and cuDNN tests, in theano/gpuarray, need a GPU). The rest would
compile and run the same ops twice, on and off, and take most of the time:
- test_rng_mrg.py, but for its float16 test (the fast random numbers leave float16 to Theano);
- test_pool.py's max-pooling in two dimensions; left out, average pooling, padding and
  strides other than the window (which the fast ops do not take; the reference code of
  those tests also fails on NumPy 1.23 with Theano's ops), the gradient with strides in
  every pooling mode (4 of its 200 cases pool in windows the fast ops take; the others
  compile many variants of Theano's sum and average pooling), the gradient of
  MaxPoolGrad's gradient, and pooling in three dimensions;
- test_corr.py's own classes; left out, the ones it imports from test_abstract_conv.py,
  which compile without optimizations (Mode(optimizer=None)) and so without fast ops, and
  its tests of strides and dilations;
- test_opt.py's tests of Theano's fusion of elementwise loops, whose graphs the fused loops
  take where a result has several users; left out, test_elemwise.py, whose reductions and
  broadcasts compile many variants of Theano's Elemwise and CAReduce and few the fused
  loops take;
- test_abstract_conv.py's CPU CorrMM part (TestCorrConv2d), its cases with stride 1 and
  no dilation (the plugin leaves the others out: the fast convolutions do not take them);
  left out, 3D convolutions, the same cases without optimizations, shape helpers;
- test_sigm.py, the sigmoid's values, gradients and rewrites; left out, six tests that
  assert the compiled graph op by op: four that it holds Theano's own `sigmoid` object,
  where the fast sigmoid stands (the same bits: tests/test_fast_sigmoid.py), and two that
  softplus and its negations stay two and three loops, which the fused loops make one.
"""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import REPO

THEANO = importlib.util.find_spec("theano").submodule_search_locations[0]
POOL = "tensor/signal/tests/test_pool.py::TestDownsampleFactorMax"
CORR = "tensor/nnet/tests/test_corr.py::"
SUITES = ["sandbox/tests/test_rng_mrg.py", POOL, *(CORR + name for name in (
    "TestCorr2D", "TestGroupCorr2d", "TestUnsharedCorr2d", "TestAsymmetricCorr", "TestCausalCorr")),
    "tensor/nnet/tests/test_abstract_conv.py::TestCorrConv2d", "tensor/tests/test_opt.py::test_fusion",
    "tensor/nnet/tests/test_sigm.py"]
SIGM = "tensor/nnet/tests/test_sigm.py::"
# node id prefixes of the tests left out (see above)
LEFT_OUT = ["sandbox/tests/test_rng_mrg.py::test_f16_nonzero",
            *(f"{POOL}::{name}" for name in ("test_AveragePool", "test_DownsampleFactorMaxPaddingStride",
                                             "test_DownsampleFactorMaxStride", "test_DownsampleFactorMax_grad_stride",
                                             "test_DownsampleFactorMaxGradGrad_grad", "test_max_pool_3d")),
            CORR + "TestCorr2D::test_subsample", CORR + "TestCorr2D::test_filter_dilation",
            *(SIGM + name for name in ("T_sigmoid_opts::test_exp_over_1_plus_exp", "T_sigmoid_opts::test_local_hard_sigmoid",
                                       "T_sigmoid_opts::test_local_sigm_times_exp",
                                       "T_sigmoid_opts::test_local_ultra_fast_sigmoid",
                                       "T_softplus_opts::test_log1msigm_to_softplus",
                                       "T_softplus_opts::test_logsigm_to_softplus"))]

# Each fast op, and the Theano op it stands in for (VectorSigmoid and ScalarSigmoid: the
# scalar ops of Elemwise ops). MaskedMaxPoolGradient stands in for
# two ops (a product of the rectifier's gradient and MaxPoolGrad) that Theano's tests
# never build together: they cannot show it.
FAST_OPS = {"ParallelMRGUniform": "mrg_uniform", "MaxPool": "Pool", "MaxPoolGradient": "MaxPoolGrad",
            "FastCorrMM": "CorrMM", "FastCorrMMGradWeights": "CorrMM_gradWeights",
            "FastCorrMMGradInputs": "CorrMM_gradInputs", "FusedElemwise": "Elemwise", "VectorSigmoid": "ScalarSigmoid"}


def run_suites(tmp_path, name, flags):
    """Starts Theano's tests in a pytest of their own, its report going to tmp_path/name.json."""
    ini = tmp_path / "pytest.ini"  # an empty configuration: not this project's
    ini.write_text("[pytest]\n")
    path = [REPO, os.path.join(REPO, "tests"), os.environ.get("PYTHONPATH")]  # harness, the plugin
    env = {**os.environ, "THEANO_FLAGS": flags, "THEANO_SUITES_REPORT": str(tmp_path / f"{name}.json"),
           "PYTHONPATH": os.pathsep.join(filter(None, path))}
    with open(tmp_path / f"{name}.txt", "w") as output:
        return subprocess.Popen([sys.executable, "-m", "pytest", "-c", str(ini), "--rootdir", os.path.dirname(THEANO),
                                 "-p", "no:cacheprovider", "-p", "theano_suites_plugin", "-q", "-p", "no:warnings",
                                 *(os.path.join(THEANO, suite) for suite in SUITES),
                                 *(f"--deselect=theano/{test}" for test in LEFT_OUT)],
                                cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_theanos_own_tests_pass_with_the_fast_ops_as_without(tmp_path):
    runs = {"on": run_suites(tmp_path, "on", ""), "off": run_suites(tmp_path, "off", "optimizer_excluding=fast_ops")}
    try:
        statuses = {name: run.wait(timeout=1500) for name, run in runs.items()}
    finally:
        for run in runs.values():
            run.kill()
    reports = {}
    for name, status in statuses.items():
        # pytest's status 1: some tests failed; any other but 0: the run itself did
        assert status in (0, 1), (tmp_path / f"{name}.txt").read_text()[-3000:]
        with open(tmp_path / f"{name}.json") as f:
            reports[name] = json.load(f)
    on, off = (reports[name]["outcomes"] for name in ("on", "off"))
    assert set(on) == set(off), f"the runs held different tests: {sorted(set(on) ^ set(off))}"
    # a test that fails with Theano's own ops too could not tell
    assert "failed" not in off.values(), (tmp_path / "off.txt").read_text()[-3000:]
    failing = sorted(test for test, outcome in off.items() if outcome == "passed" and on[test] != "passed")
    assert not failing, f"{len(failing)} of Theano's tests pass without the fast ops and fail with them: {failing}"
    held_on, held_off = (reports[name]["functions_holding"] for name in ("on", "off"))
    for fast, theanos in FAST_OPS.items():
        assert held_on[fast] > 0 and held_off[fast] == 0 and held_off[theanos] > 0, (fast, held_on, held_off)
    assert held_off["MaskedMaxPoolGradient"] == 0

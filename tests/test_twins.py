"""The twins (twins/) compute what the Theano scripts compute: from the Theano script's
own starting weights and the same batches, a few training steps of each twin give the
same costs, test accuracies and weights, within the float32 bounds below.

Scripts 4 and 5 drop units at random, each framework with its own random numbers; here
every side is given the same masks: each dropout of the model multiplies by a mask drawn
once from NumPy at the retain probability that side asks for (the k-th dropout of a step
by the k-th mask), in place of Theano's MRG_RandomStreams.binomial, jax.random.bernoulli
and torch.bernoulli. A twin whose mask has another shape than the Theano script's (its
convolutions and pooling keep other borders) stops, saying so.

Second tier. The twins need JAX and PyTorch, the project's optional dependency group
twins: without them these tests skip, saying how to install them.
"""
import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE

MISSING = [name for name in ("jax", "torch") if importlib.util.find_spec(name) is None]
pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(MISSING), reason=(
    f"the twins need {' and '.join(MISSING)}, the optional dependency group twins: run "
    f"`uv run --group twins pytest -m slow tests/test_twins.py`, which installs it "
    f"(pip: `pip install -r twins/requirements.txt`)"))]

FRAMEWORKS = ("jax", "torch")
BATCH = 128
# 3 steps an epoch (the last partial batch is dropped, as the scripts drop it), 5 epochs:
# 15 steps on 384 synthetic digits; each epoch's cost and accuracy on 500 test digits
FLAGS = ["--epochs", "5", "--ntrain", "385", "--ntest", "500"]
# the shapes of each script's dropout masks, in the order its model applies them
DROPOUT_MASKS = {"4_modern_net.py": [(BATCH, 784), (BATCH, 625), (BATCH, 625)],
                 "5_convolutional_net.py": [(BATCH, 32, 15, 15), (BATCH, 64, 7, 7), (BATCH, 128 * 3 * 3),
                                            (BATCH, 625)]}
# The bounds, measured on a 2-core AMD EPYC (JAX 0.4.30, PyTorch 2.13.0): the printed costs
# (4 decimals) and accuracies were equal; the largest difference of a weight after the 15
# steps was 1.5e-8 in scripts 2-4 (a few float32 units in the last place of weights up to
# 0.05) and 4.1e-6 in the convnet (its sums of products taken in another order, and
# RMSprop's steps of about lr * g / 1e-3 where the gradient g is small). The bounds allow
# about ten times that, one unit in the last printed decimal of a cost, and one test digit
# in 500 of the accuracy; a twin that computes another model misses them by far (a
# convolution that does not flip its filters: by 7e-4).
COST_BOUND = 1e-4
ACCURACY_BOUND = 1 / 500
WEIGHT_BOUND = {"2_logistic_regression.py": 1e-7, "3_net.py": 1e-7, "4_modern_net.py": 1e-7,
                "5_convolutional_net.py": 4e-5}

# Runs PROGRAM FLAGS as `python PROGRAM FLAGS` would, its dropout masks given (see above).
GIVEN_MASKS = r"""
import json, os, runpy, sys
import numpy as np
program, shapes, *flags = sys.argv[1:]
shapes = [tuple(shape) for shape in json.loads(shapes)]
drawn = []


def mask(p, shape=None):
    site = len(drawn) % len(shapes)
    drawn.append(site)
    if shape is not None and tuple(shape) != shapes[site]:
        sys.exit(f"{program}: dropout {site + 1} asks for a mask of shape {tuple(shape)}; the Theano "
                 f"script's is {shapes[site]}")
    return np.random.RandomState(site).binomial(1, round(float(p), 6), shapes[site]).astype(np.float32)


if not shapes:
    pass
elif program.endswith("_jax.py"):
    import jax, jax.numpy as jnp
    jax.random.bernoulli = lambda key, p, shape: jnp.asarray(mask(p, shape))
elif program.endswith("_torch.py"):
    import torch
    torch.bernoulli = lambda probabilities: torch.from_numpy(mask(probabilities.flatten()[0], probabilities.shape))
else:
    import harness, theano
    from theano.sandbox import rng_mrg
    rng_mrg.MRG_RandomStreams.binomial = lambda self, size, p, dtype, **kwargs: theano.tensor.constant(mask(p))
sys.argv = [program, *flags]
sys.path.insert(0, os.path.dirname(os.path.abspath(program)))
runpy.run_path(program, run_name="__main__")
"""


def run(program, *flags, masks=()):
    result = subprocess.run([sys.executable, "-c", GIVEN_MASKS, program, json.dumps(masks), *flags], cwd=REPO,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{program}:\n{result.stdout}{result.stderr}"
    return result.stdout


def twin(script, framework):
    return f"twins/{script[:-3]}_{framework}.py"


def epochs(output):
    """[(test accuracy, train cost)] of each epoch line."""
    return [(float(m["accuracy"]), float(m["cost"])) for m in EPOCH_LINE.finditer(output)]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_multiply_twins_print_what_the_script_prints(framework):
    assert run(twin("0_multiply.py", framework)) == run("0_multiply.py") == "multiply(1, 2) = 2.0\nmultiply(3, 3) = 9.0\n"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_linear_regression_twins_learn_the_scripts_slope(framework):
    def slope(program):
        output = run(program, "--epochs", "20", "--seed", "3")
        return float(output.split("w =")[1].split()[0])

    theano = slope("1_linear_regression.py")
    assert abs(slope(twin("1_linear_regression.py", framework)) - theano) <= 1e-6 * abs(theano)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("script", ["2_logistic_regression.py", "3_net.py", "4_modern_net.py",
                                    "5_convolutional_net.py"])
def test_mnist_twins_take_the_scripts_steps(script, framework, synthetic_mnist, tmp_path):
    data = ["--data-dir", synthetic_mnist]
    masks = DROPOUT_MASKS.get(script, [])
    start = str(tmp_path / "start.npz")
    run(script, "--epochs", "0", *FLAGS[2:], *data, "--save-model", start, masks=masks)
    trained = {}
    for side, program in [("theano", script), (framework, twin(script, framework))]:
        trained[side] = str(tmp_path / f"{side}.npz")
        output = run(program, *FLAGS, *data, "--load-model", start, "--save-model", trained[side], masks=masks)
        trained[side + " epochs"] = epochs(output)
    theano, twins = trained["theano epochs"], trained[framework + " epochs"]
    assert len(theano) == len(twins) == 5
    for (accuracy, cost), (twin_accuracy, twin_cost) in zip(theano, twins):
        assert abs(twin_cost - cost) <= COST_BOUND and abs(twin_accuracy - accuracy) <= ACCURACY_BOUND, (theano, twins)
    with np.load(trained["theano"]) as theano_weights, np.load(trained[framework]) as twin_weights:
        assert theano_weights.files == twin_weights.files
        for name in theano_weights.files:
            difference = np.abs(twin_weights[name] - theano_weights[name]).max()
            assert difference <= WEIGHT_BOUND[script], f"{name}: max |difference| {difference:.3g}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("script", ["2_logistic_regression.py", "3_net.py", "4_modern_net.py", "5_convolutional_net.py"])
def test_the_speed_benchmark_times_the_twins(script, framework, synthetic_mnist):
    sys.path.insert(0, os.path.join(REPO, "benchmarks"))
    import speed_benchmark
    command = [speed_benchmark.twin(script, framework), "--epochs", "3", "--ntrain", "300", "--ntest", "100",
               "--data-dir", synthetic_mnist]
    seconds = speed_benchmark.epoch_seconds(sys.executable, command, dict(os.environ), warm_up=1)
    assert len(seconds) == 2 and all(s >= 0 for s in seconds)  # a tiny epoch prints 0.00 s


def test_the_pages_run_the_twins_with_only_flags_they_take():
    from test_docs import PAGES, commands
    used = [(program, flags) for page in PAGES for program, flags in commands(page) if program.startswith("twins/")]
    assert used
    for program, flags in used:
        said = subprocess.run([sys.executable, program, "--help"], cwd=REPO, capture_output=True, text=True)
        assert said.returncode == 0 and set(flags) <= set(said.stdout.split()), (program, flags, said.stdout)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_a_weights_file_of_another_model_is_one_paragraph(framework, synthetic_mnist, tmp_path):
    np.savez(tmp_path / "other.npz", np.zeros((784, 10), np.float32))
    said = subprocess.run([sys.executable, twin("3_net.py", framework), "--epochs", "1", "--data-dir", synthetic_mnist,
                           "--load-model", str(tmp_path / "other.npz")], cwd=REPO, capture_output=True, text=True)
    assert said.returncode == 1 and "Traceback" not in said.stderr
    assert said.stderr.startswith(f"error: The model file {tmp_path / 'other.npz'} holds weights of shapes [(784, 10)]")

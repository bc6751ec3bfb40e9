"""Each script run end to end in a subprocess, as a user would, checked on what it prints."""
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run_each
from common.epoch_line import PATTERN as EPOCH_LINE

# Tiny runs on the synthetic digits (2000 training, 500 test images): enough steps
# for every model to leave chance (0.10) far behind (the convnet, at twice its learning
# rate, in 3 epochs instead of 5). Measured on this project's machine: 2 -> 0.80,
# 3 -> 0.80, 4 -> 0.89, 5 -> 0.91; the tests ask for 0.5.
SYNTHETIC_RUNS = {
    "2_logistic_regression.py": ["--epochs", "5"],
    "3_net.py": ["--epochs", "8", "--batch-size", "16"],
    "4_modern_net.py": ["--epochs", "5"],
    "5_convolutional_net.py": ["--epochs", "3", "--batch-size", "16", "--lr", "0.002"],
}


def run_script(script, *flags, env=None):
    return subprocess.run([sys.executable, script, *flags], cwd=REPO, capture_output=True, text=True,
                          env=env, timeout=1800)


def epochs(stdout):
    """(epoch, test accuracy, train cost) of each epoch line."""
    return [(int(m["epoch"]), float(m["accuracy"]), float(m["cost"])) for m in EPOCH_LINE.finditer(stdout)]


def assert_clean_exit(result):
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    # at most one line of warnings, not counting Theano's lines while it waits for the
    # compile lock of another process (two runs at once take turns)
    warnings = [line for line in result.stderr.strip().splitlines() if "theano.gof.compilelock" not in line]
    assert len(warnings) <= 1, result.stderr


def test_multiply():
    result = run_script("0_multiply.py")
    assert_clean_exit(result)
    assert "multiply(1, 2) = 2.0" in result.stdout
    assert "multiply(3, 3) = 9.0" in result.stdout


def test_linear_regression_finds_the_slope():
    result = run_script("1_linear_regression.py")
    assert_clean_exit(result)
    w = float(re.search(r"^w = ([-\d.]+)", result.stdout, re.M).group(1))
    assert abs(w - 2) < 0.1


def test_linear_regression_learns_nothing_without_epochs():
    result = run_script("1_linear_regression.py", "--epochs", "0")
    assert_clean_exit(result)
    assert re.search(r"^w = 0\.0 ", result.stdout, re.M)


def test_linear_regression_draws_its_fit(tmp_path):
    result = run_script("1_linear_regression.py", "--epochs", "5", "--figures", str(tmp_path))
    assert_clean_exit(result)
    assert os.listdir(tmp_path) == ["1_linear_regression_fit.png"]
    assert f"wrote {tmp_path / '1_linear_regression_fit.png'}" in result.stdout
    width, height = png_size(tmp_path / "1_linear_regression_fit.png")
    assert 800 <= width <= 1200 and 300 <= height <= 500, (width, height)


FIGURES = {
    "2_logistic_regression.py": ["confusion", "learning_curve", "mistakes", "weights"],
    "3_net.py": ["confusion", "hidden_units", "learning_curve", "mistakes"],
    "4_modern_net.py": ["confusion", "hidden_units", "learning_curve", "mistakes"],
    "5_convolutional_net.py": ["confusion", "filters", "learning_curve", "mistakes", "responses"],
}


def png_size(path):
    """(width, height) of a PNG file, checking its signature and header chunk."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR", path
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


@pytest.mark.parametrize("script", sorted(SYNTHETIC_RUNS))
def test_script_learns_synthetic_digits_and_draws_figures(script, synthetic_mnist, tmp_path):
    flags = SYNTHETIC_RUNS[script]
    result = run_script(script, "--data-dir", synthetic_mnist, *flags, "--figures", str(tmp_path))
    assert_clean_exit(result)
    lines = epochs(result.stdout)
    assert [e for e, _, _ in lines] == list(range(1, int(flags[1]) + 1))
    assert lines[-1][1] >= 0.5, result.stdout
    assert lines[-1][2] < lines[0][2]  # the training cost went down
    assert "chance" not in result.stdout  # the line of a run that has not started to learn
    assert "overshoot" not in result.stdout  # nor that of a cost far above guessing's
    summary = re.search(f"^{script}: {len(lines)} epochs in .*$", result.stdout, re.M).group(0)
    assert f"test accuracy {lines[-1][1]:.4f}" in summary
    stem = script[:-3]
    assert sorted(os.listdir(tmp_path)) == sorted([f"{stem}_{name}.png" for name in FIGURES[script]]
                                                  + [f"{stem}_confusion.csv"])
    with open(tmp_path / f"{stem}_confusion.csv") as f:  # the numbers of the confusion picture
        counts = np.array([row.split(",")[1:] for row in f.read().splitlines()[1:]], int)
    assert counts.shape == (10, 10) and np.trace(counts) / counts.sum() == lines[-1][1]
    for name in (f"{stem}_{name}.png" for name in FIGURES[script]):
        width, height = png_size(tmp_path / name)
        assert 500 <= width <= 1600 and 150 <= height <= 1100, (name, width, height)
        assert os.path.getsize(tmp_path / name) > 5000  # a picture, not an empty canvas


def test_a_run_still_at_chance_says_so_in_one_line(synthetic_mnist):
    # one step of the sigmoid net: it still gives one digit for all 500 test images, 50 of each
    result = run_script("3_net.py", "--data-dir", synthetic_mnist, "--epochs", "1", "--ntrain", "256")
    assert_clean_exit(result)
    assert epochs(result.stdout)[-1][1] == 0.1
    said = [line for line in result.stdout.splitlines() if "chance" in line]
    assert said == ["3_net.py: 0.1000 is within 0.02 of chance (0.10): the model has not started to learn yet (a "
                    "convnet needs a few hundred steps). Try more images (--ntrain), more epochs (--epochs) or a "
                    "smaller --batch-size."]
    assert result.stdout.splitlines()[-2].startswith("3_net.py: 1 epochs in ")  # right after the summary


def test_a_run_at_chance_with_a_cost_far_above_guessing_blames_the_learning_rate(synthetic_mnist):
    # --lr 1e6 here: costs of about 1e23 and 1e18, finite, so the run is not stopped as
    # diverged; the test accuracy stays at 0.1000, and more steps would not help
    result = run_script("4_modern_net.py", "--data-dir", synthetic_mnist, "--epochs", "2", "--lr", "1e6")
    assert_clean_exit(result)
    assert epochs(result.stdout)[-1][1] == 0.1 and epochs(result.stdout)[-1][2] > 1e6
    said = [line for line in result.stdout.splitlines() if "chance" in line]
    assert len(said) == 1 and "the learning rate (--lr 1e+06) is probably too large" in said[0], said
    assert "has not started to learn" not in result.stdout
    assert_overshoot_said_once(result.stdout, "4_modern_net.py", "--lr 1e+06")


def assert_overshoot_said_once(stdout, script, lr):
    """The line of a run whose training cost passed 100 times guessing's: once, right after
    the first such epoch's line, naming the learning rate."""
    lines = stdout.splitlines()
    said = [i for i, line in enumerate(lines) if "the steps overshoot" in line and "chance" not in line]
    first = next(e for e, _, cost in epochs(stdout) if cost > 100 * np.log(10))
    assert len(said) == 1 and EPOCH_LINE.match(lines[said[0] - 1])["epoch"] == str(first), stdout
    assert lines[said[0]] == (
        f"{script}: the training cost of epoch {first} ({epochs(stdout)[first - 1][2]:.4g}) is more than 100 times "
        f"what guessing costs (2.30): the steps overshoot, so the learning rate ({lr}) is probably too large. Try "
        "one ten or a hundred times smaller (--help shows the script's own).")


def test_a_cost_far_above_guessing_names_the_learning_rate_as_it_happens(synthetic_mnist):
    # logistic regression at --lr 1e30: costs near 1e30 every epoch, yet its accuracy rises
    # (0.39, 0.68, 0.80 on the synthetic digits), so it never ends at chance
    result = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "3", "--lr", "1e30")
    assert_clean_exit(result)
    assert all(cost > 1e20 for _, _, cost in epochs(result.stdout)) and epochs(result.stdout)[-1][1] > 0.3
    assert "chance" not in result.stdout
    assert_overshoot_said_once(result.stdout, "2_logistic_regression.py", "--lr 1e+30")


# The modern net's dropout noise and weights come from the seed as the convnet's do: the
# convnet's check (three more convnet runs) is in the second tier.
@pytest.mark.parametrize("script", ["4_modern_net.py", pytest.param("5_convolutional_net.py", marks=pytest.mark.slow)])
def test_same_seed_same_results(script, synthetic_mnist, tmp_path):
    flags = ["--data-dir", synthetic_mnist, "--epochs", "2", "--ntrain", "512", "--ntest", "200"]
    runs = {}
    for name, seed in [("first", "7"), ("again", "7"), ("other", "8")]:
        result = run_script(script, *flags, "--seed", seed, "--save-model", str(tmp_path / f"{name}.npz"))
        assert_clean_exit(result)
        with np.load(tmp_path / f"{name}.npz") as saved:
            runs[name] = (epochs(result.stdout), [saved[k] for k in sorted(saved.files)])
    assert len(runs["first"][0]) == 2
    assert runs["first"][0] == runs["again"][0]  # the same printed accuracies and costs
    assert all(np.array_equal(a, b) for a, b in zip(runs["first"][1], runs["again"][1]))  # the same weights
    assert not np.array_equal(runs["first"][1][0], runs["other"][1][0])  # and the seed is what fixes them


def test_save_and_load_model_give_the_same_predictions(synthetic_mnist, tmp_path):
    model = tmp_path / "net.npz"
    data = ["--data-dir", synthetic_mnist]
    trained = run_script("3_net.py", *data, "--epochs", "3", "--batch-size", "16", "--save-model", str(model))
    assert_clean_exit(trained)
    accuracy = epochs(trained.stdout)[-1][1]
    with np.load(model, allow_pickle=False) as saved:
        assert [saved[k].shape for k in sorted(saved.files)] == [(784, 625), (625, 10)]
    evaluated = run_script("3_net.py", *data, "--epochs", "0", "--load-model", str(model), "--seed", "99")
    assert_clean_exit(evaluated)
    assert f"evaluation only: test accuracy {accuracy:.4f}" in evaluated.stdout
    assert os.listdir(tmp_path) == ["net.npz"]  # no temporary file left behind


def test_loading_another_scripts_model_is_a_clear_error(synthetic_mnist, tmp_path):
    model = tmp_path / "logistic.npz"
    data = ["--data-dir", synthetic_mnist]
    assert_clean_exit(run_script("2_logistic_regression.py", *data, "--epochs", "1", "--save-model", str(model)))
    result = run_script("3_net.py", *data, "--epochs", "0", "--load-model", str(model))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert str(model) in result.stderr and "shapes" in result.stderr


BAD_FLAGS = [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--epochs", "-1"], "--epochs: -1 is too small"),
    (["--batch-size", "0"], "--batch-size: 0 is too small"),
    (["--lr", "0"], "--lr: 0.0 must be greater than 0"),
    (["--epochs", "ten"], "--epochs: 'ten' is not a whole number"),
    (["--ntrain", "100"], "--ntrain 100 is not more than one batch (--batch-size 128, the default)"),
    (["--ntrain", "64", "--batch-size", "64"], "--ntrain 64 is not more than one batch (--batch-size 64)"),
]


@pytest.fixture(scope="module")
def bad_flag_runs():
    """The run of each of BAD_FLAGS, in one process (conftest.run_each); the first also alone."""
    runs = run_each([("2_logistic_regression.py", flags) for flags, _ in BAD_FLAGS])
    alone = run_script("2_logistic_regression.py", *BAD_FLAGS[0][0])
    # the last line says it (Theano may say before it that it waits for its compile lock)
    assert (alone.returncode, alone.stderr.splitlines()[-1]) == (runs[0].returncode, runs[0].stderr.splitlines()[-1])
    return runs


@pytest.mark.parametrize("case", range(len(BAD_FLAGS)))
def test_bad_flags_are_refused(case, bad_flag_runs):
    message, result = BAD_FLAGS[case][1], bad_flag_runs[case]
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_more_training_images_than_exist_is_refused(synthetic_mnist):
    result = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--ntrain", "5000")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "5000" in result.stderr and "2000" in result.stderr


@pytest.mark.parametrize("flags, message", [
    (["--batch-size", "100000"], "--batch-size 100000 is not less than the 2000 training images"),
    (["--validation", "1990", "--batch-size", "64"], "--validation 1990 leaves 10 of the 2000 training images, "
                                                     "not more than one batch (--batch-size 64)"),
    (["--validation", "1900"], "not more than one batch (--batch-size 128, the default)"),
])
def test_a_refusal_names_the_flags_given(flags, message, synthetic_mnist):
    result = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, *flags)
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    if "--validation" not in flags:
        assert "--validation" not in result.stderr  # a flag not given is never blamed


def test_every_script_has_help(program_help):
    for script in ["0_multiply.py", "1_linear_regression.py", *sorted(SYNTHETIC_RUNS)]:
        status, said = program_help[script]
        assert status == 0
        assert said.startswith("usage: " + script)


def test_ctrl_c_stops_cleanly_and_keeps_the_model(synthetic_mnist, tmp_path):
    model = tmp_path / "logistic.npz"
    process = subprocess.Popen(
        [sys.executable, "2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "100000",
         "--save-model", str(model)], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:  # wait for the first epoch, then press Ctrl-C
        if EPOCH_LINE.match(line.rstrip("\n")):
            process.send_signal(signal.SIGINT)
            break
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 130
    assert "Traceback" not in stderr
    assert "Stopped by Ctrl-C during epoch" in stdout
    assert re.search(r"^2_logistic_regression.py: \d+ epochs in \d+ s: test accuracy", stdout, re.M)
    assert os.listdir(tmp_path) == ["logistic.npz"]


def test_theano_defaults_yield_to_the_users_choices(tmp_path):
    show = [sys.executable, "-c", "import harness, os, theano; c = theano.config; "
            "print(c.floatX, c.blas.ldflags, c.openmp, os.environ['OPENBLAS_THREAD_TIMEOUT'], c.gcc.cxxflags, sep='|')"]
    env = {k: v for k, v in os.environ.items()
           if k not in ("THEANO_FLAGS", "THEANORC", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}

    def config(**extra):
        result = subprocess.run(show, cwd=REPO, capture_output=True, text=True, env={**env, **extra})
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().split("|")

    spin = "16"  # OpenBLAS's threads spin 2**16 cycles (harness/theano_defaults.py)
    floatX, ldflags, openmp, timeout, cxxflags = config()
    assert (floatX, openmp, timeout, cxxflags) == ("float32", "True", spin, "-g0")
    assert "-lscipy_openblas" in ldflags and "-Dsgemm_=scipy_sgemm_" in ldflags  # the wheel's OpenBLAS
    # another BLAS (here NumPy's) leaves openmp off, as Theano has it
    assert config(THEANO_FLAGS="floatX=float64,blas.ldflags=") == ["float64", "", "False", spin, "-g0"]
    assert config(THEANO_FLAGS="openmp=False,gcc.cxxflags=-O2", OPENBLAS_THREAD_TIMEOUT="20")[2:] == ["False", "20", "-O2"]
    rc = tmp_path / "theanorc"
    rc.write_text("[global]\nfloatX = float16\n[blas]\nldflags = -lm\n")  # a library that links; only read here
    assert config(THEANORC=str(rc))[:3] == ["float16", "-lm", "False"]


def test_theanos_openblas_threads_sleep_right_after_a_matrix_product():
    """OPENBLAS_THREAD_TIMEOUT reaches the OpenBLAS Theano's C code calls (set before the
    library loads, which reads it then): after a product its threads sleep within 2**16
    cycles instead of spinning a tenth of a second on the cores the next op's threads need."""
    program = ("import harness, time, numpy as np, theano\n"
               "a, b = theano.tensor.fmatrix(), theano.tensor.fmatrix()\n"
               "product = theano.function([a, b], theano.tensor.dot(a, b))\n"
               "x, y = np.ones((128, 1152), 'float32'), np.ones((1152, 625), 'float32')\n"
               "for _ in range(4):\n"
               "    product(x, y)\n"
               "    used = time.process_time()\n"
               "    time.sleep(0.2)\n"
               "    print(time.process_time() - used)\n")
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_THREAD_TIMEOUT", "OPENBLAS_NUM_THREADS")}
    result = subprocess.run([sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    # CPU seconds of the process while it slept: 0.000 measured; OpenBLAS's own default
    # (its threads spinning 2**28 cycles) gave 0.100-0.106 on 2 cores
    assert max(map(float, result.stdout.split())) < 0.03, result.stdout


# Real MNIST: only a working model reaches these; an untrained or broken model stays
# near 0.10. Each threshold is the mean minus 6 standard deviations over seeds 1-5 on
# this project's machine (results/test_margins.log), rounded down: float32 sums taken
# in another order on another CPU move the last digits, never by that much.
SUBSET = ["--ntrain", "10000", "--ntest", "2000"]
REAL_RUNS = {
    "2_logistic_regression.py": (["--epochs", "10", *SUBSET], 0.85),  # 0.8604 ± 0.0011
    "3_net.py": (["--epochs", "3", "--batch-size", "16", *SUBSET], 0.83),  # 0.8486 ± 0.0017
    "4_modern_net.py": (["--epochs", "3", *SUBSET], 0.86),  # 0.8898 ± 0.0042
    "5_convolutional_net.py": (["--epochs", "2", "--batch-size", "32", *SUBSET], 0.82),  # 0.9046 ± 0.0133
}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(REAL_RUNS))
def test_script_reaches_real_mnist_accuracy(script, real_mnist):
    flags, threshold = REAL_RUNS[script]
    result = run_script(script, "--data-dir", real_mnist, *flags)
    assert_clean_exit(result)
    assert epochs(result.stdout)[-1][1] >= threshold, result.stdout


@pytest.mark.slow
def test_logistic_regression_one_epoch_on_5000_real_images(real_mnist):
    result = run_script("2_logistic_regression.py", "--data-dir", real_mnist, "--epochs", "1", "--ntrain", "5000")
    assert_clean_exit(result)
    # seeds 1-5 here: 0.8015 0.7997 0.8031 0.7984 0.8020 (0.8009 ± 0.0019); 6 sd below: 0.78
    assert epochs(result.stdout)[0][1] > 0.78


def test_a_terminal_sees_compilation_and_a_progress_bar(synthetic_mnist):
    # `script` runs the program on a pseudo-terminal of 120 columns, as a person at a terminal would.
    command = (f"stty cols 120 rows 40; {sys.executable} 2_logistic_regression.py --data-dir {synthetic_mnist} "
               "--epochs 2 --batch-size 16")
    result = subprocess.run(["script", "-qec", command, "/dev/null"], cwd=REPO, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout
    screen = result.stdout
    assert re.search(r"compiling the model with Theano .*\.\.\. \d+\.\d s", screen)
    assert re.search(r"epoch +1: +\d+/124 batches \|", screen)  # 2000 images, 124 full batches of 16
    assert [e for e, _, _ in epochs(screen.replace("\r\n", "\n"))] == [1, 2]


def test_a_pipe_sees_only_the_epoch_lines(synthetic_mnist):
    result = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "2")
    assert_clean_exit(result)
    assert "compiling" not in result.stdout + result.stderr
    assert "batches" not in result.stdout + result.stderr
    assert len(result.stdout.splitlines()) == 4  # header, two epochs, summary

"""How a run ends other than at its last epoch, each for real (docs/stopping.md): a signal
sent to a training process, a terminal that hangs up, a pipe whose reader is gone, a cost
gone to infinity, memory limited by `ulimit -v`, a full disk. Each ending must say one
paragraph (no traceback, no 'Exception ignored'), exit with its status, and keep weights
that --load-model reads."""
import os
import pty
import re
import resource
import signal
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE
from synthetic import write_synthetic_mnist
from test_scripts import epochs, run_script

FOREVER = ["--epochs", "100000"]


def start(script, *flags, **kwargs):
    return subprocess.Popen([sys.executable, script, *flags], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def until_first_epoch(process):
    """The lines printed up to the first epoch's line."""
    lines = []
    for line in process.stdout:
        lines.append(line)
        if EPOCH_LINE.match(line.rstrip("\n")):
            return lines
    raise AssertionError("no epoch line: " + "".join(lines) + process.stderr.read())


def assert_one_paragraph(stderr, *words):
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    lines = [line for line in stderr.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for word in words:
        assert word in lines[0], (word, stderr)


def evaluated(script, model, data, *flags):
    """The test accuracy that --load-model `model` --epochs 0 gives."""
    result = run_script(script, "--data-dir", data, "--epochs", "0", "--load-model", str(model), *flags)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stdout + result.stderr
    return float(re.search(r"evaluation only: test accuracy ([\d.]+)", result.stdout).group(1))


@pytest.mark.parametrize("signum, name", [(signal.SIGTERM, "SIGTERM"),
                                          pytest.param(signal.SIGHUP, "SIGHUP", marks=pytest.mark.slow)])
def test_a_signal_ends_a_run_as_ctrl_c_does(signum, name, synthetic_mnist, tmp_path):
    model = tmp_path / "logistic.npz"
    process = start("2_logistic_regression.py", "--data-dir", synthetic_mnist, *FOREVER, "--save-model", str(model),
                    "--figures", str(tmp_path / "figures"))
    until_first_epoch(process)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 128 + signum, stdout + stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert re.search(rf"^Stopped by {name}.* during epoch \d+; keeping what was learned so far.$", stdout, re.M)
    finished = re.search(r"^2_logistic_regression.py: (\d+) epochs in \d+ s: test accuracy ([\d.]+) at the end",
                         stdout, re.M)
    assert f"saved the weights to {model}" in stdout
    assert {"2_logistic_regression_learning_curve.png", "2_logistic_regression_weights.png"} <= set(
        os.listdir(tmp_path / "figures"))
    # the weights saved are those learned so far: at least the finished epochs' (chance is 0.1;
    # one epoch here reaches 0.60), and more where the stop came during an epoch's batches
    assert float(finished.group(2)) > 0.3
    assert evaluated("2_logistic_regression.py", model, synthetic_mnist) > 0.3


@pytest.mark.slow
def test_a_terminal_that_hangs_up_still_saves(synthetic_mnist, tmp_path):
    """A real terminal closed under a run: the kernel sends SIGHUP and every later write
    to it fails (EIO). The run must still write its weights and figures."""
    model = tmp_path / "net.npz"
    pid, terminal = pty.fork()
    if pid == 0:  # the child: a session of its own with this pseudo-terminal as its terminal
        os.chdir(REPO)
        os.execv(sys.executable, [sys.executable, "2_logistic_regression.py", "--data-dir", synthetic_mnist,
                                  *FOREVER, "--save-model", str(model), "--figures", str(tmp_path / "figures")])
    seen = b""
    while not re.search(rb"^epoch +1 ", seen, re.M):
        seen += os.read(terminal, 4096)
    os.close(terminal)  # hang up
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 128 + signal.SIGHUP
    assert evaluated("2_logistic_regression.py", model, synthetic_mnist) > 0.3
    assert "2_logistic_regression_learning_curve.png" in os.listdir(tmp_path / "figures")


@pytest.mark.slow
def test_a_closed_output_pipe_stops_the_run_and_keeps_it(synthetic_mnist, tmp_path):
    model = tmp_path / "logistic.npz"
    process = start("2_logistic_regression.py", "--data-dir", synthetic_mnist, *FOREVER, "--save-model", str(model))
    until_first_epoch(process)
    process.stdout.close()  # as `| head -2` does once it has its lines
    stderr = process.stderr.read()
    process.wait(timeout=600)
    assert process.returncode == 128 + signal.SIGPIPE, stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr, stderr
    assert re.search(r"^Stopped by a closed output .* during epoch \d+; keeping what was learned so far.$",
                     stderr, re.M), stderr
    assert evaluated("2_logistic_regression.py", model, synthetic_mnist) > 0.3


@pytest.mark.slow
def test_sigterm_before_training_says_so(synthetic_mnist, tmp_path):
    process = start("2_logistic_regression.py", "--data-dir", synthetic_mnist, *FOREVER,
                    "--save-model", str(tmp_path / "never.npz"))
    process.stdout.readline()  # the run's first line: its flags are read, its data loaded, now it compiles
    process.send_signal(signal.SIGTERM)
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in stderr, stderr
    # Compiling (cached here) may be over when the signal comes: then it stops in the first epoch
    if "before training began" in stderr:
        assert "Stopped by SIGTERM before training began; nothing was learned or saved." in stderr
        assert os.listdir(tmp_path) == []
    else:
        assert "Stopped by SIGTERM during epoch 1" in stdout, stdout + stderr


def test_a_cost_gone_to_nan_in_the_first_epoch_writes_nothing(synthetic_mnist, tmp_path):
    model = tmp_path / "modern.npz"
    model.write_bytes(b"a model from before")  # must survive
    # --lr 1e12: the modern net's cost is NaN after one epoch (measured; at --lr 1e6 it stays
    # finite on these 2000 images: 1e22 then falling)
    result = run_script("4_modern_net.py", "--data-dir", synthetic_mnist, "--lr", "1e12", "--epochs", "5",
                        "--ntrain", "500", "--ntest", "100", "--save-model", str(model))
    assert result.returncode == 1, result.stdout + result.stderr
    assert_one_paragraph(result.stderr, "Training diverged in epoch 1: its training cost is nan",
                         "--lr 1e+12", "--lr 0.001", f"nothing is kept: {model} is not written")
    assert [e for e, _, _ in epochs(result.stdout.replace("nan", "0"))] == [1]  # the epoch is shown, no more
    assert model.read_bytes() == b"a model from before"


@pytest.mark.slow
def test_a_cost_gone_to_infinity_keeps_the_last_finite_epoch(synthetic_mnist, tmp_path):
    model = tmp_path / "convnet.npz"
    # --lr 2e6: the convnet's cost is finite (3e35) after epoch 1, infinite after epoch 2 (measured)
    result = run_script("5_convolutional_net.py", "--data-dir", synthetic_mnist, "--lr", "2e6", "--epochs", "5",
                        "--ntrain", "500", "--ntest", "100", "--save-model", str(model))
    assert result.returncode == 1, result.stdout + result.stderr
    assert_one_paragraph(result.stderr, "Training diverged in epoch 2", "--lr 2e+06",
                         f"The weights of epoch 1, the last whose cost was finite, are kept in {model}")
    first = epochs(result.stdout)[0]
    assert first[0] == 1 and np.isfinite(first[2])
    with np.load(model) as saved:
        assert all(np.isfinite(saved[name]).all() for name in saved.files)
    assert evaluated("5_convolutional_net.py", model, synthetic_mnist, "--ntest", "100") == first[1]


@pytest.fixture(scope="module")
def many_test_images(tmp_path_factory):
    """Synthetic digits with the test set's full 10000 images, whose evaluation needs 1.1 GiB in the convnet."""
    folder = tmp_path_factory.mktemp("synthetic-10000")
    write_synthetic_mnist(folder, ntrain=512, ntest=10000)
    return str(folder)


def limited(gib):
    """A preexec_fn: the process may use `gib` GiB of address space, as `ulimit -v` sets."""
    def limit():
        size = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    return limit


@pytest.mark.slow
def test_memory_run_out_in_evaluation_is_one_paragraph_and_keeps_the_weights(many_test_images, tmp_path):
    model = tmp_path / "convnet.npz"
    result = subprocess.run([sys.executable, "5_convolutional_net.py", "--data-dir", many_test_images, "--epochs",
                             "2", "--save-model", str(model)], cwd=REPO, capture_output=True, text=True,
                            preexec_fn=limited(1.2), timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_one_paragraph(result.stderr, "Out of memory while evaluating epoch 1 on 10000 test images",
                         "10000 x 32 x 30 x 30", "1.07 GiB", "ulimit -v", "--ntest 2000",
                         f"What was learned until then is saved in {model}")
    # the same limit evaluates fewer images at once
    evaluation = subprocess.run([sys.executable, "5_convolutional_net.py", "--data-dir", many_test_images,
                                 "--epochs", "0", "--load-model", str(model), "--ntest", "2000"], cwd=REPO,
                                capture_output=True, text=True, preexec_fn=limited(1.2), timeout=600)
    assert evaluation.returncode == 0, evaluation.stderr
    assert "evaluation only: test accuracy" in evaluation.stdout


@pytest.mark.slow
def test_memory_run_out_in_training_is_one_paragraph_that_names_a_batch_size_that_fits(tmp_path):
    """A batch of 8192 images: the first layer's output alone (0.88 GiB) does not fit in 1.2 GiB."""
    data = tmp_path / "synthetic-10000"
    write_synthetic_mnist(data, ntrain=10000, ntest=100)
    model = tmp_path / "convnet.npz"
    result = subprocess.run([sys.executable, "5_convolutional_net.py", "--data-dir", str(data), "--epochs", "2",
                             "--batch-size", "8192", "--save-model", str(model)], cwd=REPO, capture_output=True,
                            text=True, preexec_fn=limited(1.2), timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_one_paragraph(result.stderr, "Out of memory while training epoch 1", "8192 x 32 x 30 x 30",
                         "0.88 GiB", "ulimit -v", "try --batch-size 2048", f"saved in {model}")
    with np.load(model) as saved:
        assert len(saved.files) == 5


@pytest.mark.slow
def test_a_full_disk_is_one_message(synthetic_mnist, tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(disk)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({mounted.stderr.strip()})")
    try:
        result = subprocess.run([sys.executable, os.path.join(REPO, "2_logistic_regression.py"), "--data-dir",
                                 synthetic_mnist, "--epochs", "2", "--save-model", str(disk / "model.npz")],
                                cwd=tmp_path, capture_output=True, text=True, timeout=600)
        assert os.listdir(disk) == []  # nothing half written
    finally:
        subprocess.run(["umount", str(disk)], check=True)
    assert result.returncode == 1
    assert_one_paragraph(result.stderr, f"could not write --save-model {disk / 'model.npz'} (No space left on device")
    elsewhere = re.search(r"the weights are in (\S+) instead", result.stderr).group(1)
    assert os.path.dirname(elsewhere) == str(tmp_path)
    assert evaluated("2_logistic_regression.py", elsewhere, synthetic_mnist) == epochs(result.stdout)[-1][1]


@pytest.mark.slow
def test_a_file_size_limit_everywhere_is_one_message(synthetic_mnist, tmp_path):
    def small_files():  # `ulimit -f 1024`: room for Theano's C code, not for the net's 2 MB of weights
        resource.setrlimit(resource.RLIMIT_FSIZE, (2**20, 2**20))
    result = subprocess.run([sys.executable, "3_net.py", "--data-dir", synthetic_mnist, "--epochs", "1",
                             "--ntrain", "500", "--ntest", "100", "--save-model", str(tmp_path / "model.npz")],
                            cwd=REPO, capture_output=True, text=True, preexec_fn=small_files, timeout=600)
    assert result.returncode == 1
    assert_one_paragraph(result.stderr, "The weights could not be written anywhere",
                         f"--save-model {tmp_path / 'model.npz'}: File too large", "the current folder: File too large",
                         "they are lost")
    assert os.listdir(tmp_path) == []

"""demos/knn.py, the talk's k-nearest-neighbours baseline, run as a user would run it."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

import load
from conftest import REPO
from test_scripts import assert_clean_exit

SUMMARY = re.compile(r"^knn\.py: test accuracy ([\d.]+) \((\d+) of (\d+) wrong\) in [\d.]+ s", re.M)


def run_knn(*flags):
    return subprocess.run([sys.executable, "demos/knn.py", *flags], cwd=REPO, capture_output=True, text=True,
                          timeout=600)


def accuracy(stdout):
    found = SUMMARY.search(stdout)
    assert found, stdout
    right, wrong, total = float(found.group(1)), int(found.group(2)), int(found.group(3))
    assert abs(right - (1 - wrong / total)) < 1e-4  # the two ways of saying it agree
    return right


def test_knn_recognises_synthetic_digits_and_draws_them(synthetic_mnist, tmp_path):
    result = run_knn("--data-dir", synthetic_mnist, "--figures", str(tmp_path))
    assert_clean_exit(result)
    assert "knn.py: k 1, seed 1; 2000 training and 500 test images of mnist" in result.stdout
    # measured: 0.9980 (1 of 500 wrong; 0.9860 with --k 3); chance is 0.10
    assert accuracy(result.stdout) > 0.9
    assert sorted(os.listdir(tmp_path)) == ["knn_mistakes.png", "knn_neighbours.png"]
    for name in os.listdir(tmp_path):
        assert f"wrote {tmp_path / name}" in result.stdout
        with open(tmp_path / name, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def brute_force(trX, trY, teX, k, tie_to_nearer=True):
    """The k-nearest-neighbours guesses by the definition, in float64: the k smallest
    |a - b|^2, nearest first (equal distances: the lower index first); the most votes
    win, and a tie goes to the label of the nearest neighbour among the tied (or, with
    tie_to_nearer=False, to the smallest label, as scikit-learn does)."""
    guesses = []
    for a in teX.astype(np.float64):
        distances = ((trX.astype(np.float64) - a) ** 2).sum(axis=1)
        near_labels = list(trY[np.argsort(distances, kind="stable")[:k]])
        tied = [label for label in near_labels if near_labels.count(label) == max(map(near_labels.count, near_labels))]
        guesses.append(tied[0] if tie_to_nearer else min(tied))
    return np.array(guesses)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_predictions_are_the_brute_force_answer(k, synthetic_mnist, tmp_path):
    # run the program itself, as `python demos/knn.py FLAGS` would, and keep its predictions
    saved = tmp_path / "predictions.npy"
    flags = ["--data-dir", synthetic_mnist, "--ntrain", "300", "--ntest", "100", "--k", str(k)]
    code = (f"import runpy, sys; sys.argv = ['demos/knn.py'] + {flags!r}; sys.path.insert(0, 'demos'); "
            f"done = runpy.run_path('demos/knn.py'); done['np'].save({str(saved)!r}, done['predictions'])")
    assert_clean_exit(subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                                     timeout=600))
    trX, teX, trY, teY = load.mnist(300, 100, onehot=False, data_dir=synthetic_mnist)
    predictions = np.load(saved)
    assert np.array_equal(predictions, brute_force(trX, trY, teX, k))
    # a case with something to get right (measured: 0.86, 0.86, 0.81 right for k=1, 2, 3)
    assert np.mean(predictions == teY) > 0.5
    if k > 1:
        # and one where the tie rule matters (measured: it changes 12 guesses for k=2, 8 for k=3)
        assert not np.array_equal(predictions, brute_force(trX, trY, teX, k, tie_to_nearer=False))


@pytest.mark.slow
def test_same_seed_same_output(synthetic_mnist, tmp_path):
    outputs = {}
    for name, seed in [("first", "7"), ("again", "7"), ("other", "8")]:
        folder = tmp_path / name
        result = run_knn("--data-dir", synthetic_mnist, "--k", "3", "--seed", seed, "--figures", str(folder))
        assert_clean_exit(result)
        text = re.sub(r"in [\d.]+ s", "in ... s", result.stdout).replace(str(folder), "DIR")
        pictures = [(folder / f).read_bytes() for f in ("knn_neighbours.png", "knn_mistakes.png")]
        outputs[name] = text, pictures
    assert outputs["first"] == outputs["again"]
    assert outputs["first"][1] != outputs["other"][1]  # the seed chooses the digits shown


def test_help(program_help):
    status, said = program_help["demos/knn.py"]
    assert status == 0
    assert "most similar image" in said
    for flag in ["--k", "--seed", "--figures", "--ntrain", "--ntest", "--data-dir"]:
        assert flag in said


@pytest.mark.parametrize("flags, message", [(["--k", "0"], "0 is too small"),
                                           (["--k", "two"], "is not a whole number")])
def test_bad_k_is_refused(flags, message):
    result = run_knn(*flags)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_more_neighbours_than_training_images_is_refused(synthetic_mnist):
    result = run_knn("--data-dir", synthetic_mnist, "--ntrain", "5", "--ntest", "10", "--k", "6")
    assert result.returncode == 1
    assert "--k 6" in result.stderr and "--ntrain" in result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr


@pytest.mark.slow
def test_real_mnist_first_1000_test_digits(real_mnist):
    result = run_knn("--data-dir", real_mnist, "--ntest", "1000")
    assert_clean_exit(result)
    # measured: 0.9620 (38 of 1000 wrong) on the first 1000 test digits against all 60000
    # training images; the slides say ~0.95 for all 10000
    assert accuracy(result.stdout) > 0.95

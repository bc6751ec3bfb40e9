"""--validation N: the last N training images held out to pick an epoch without the test set."""
import csv
import os
import subprocess
import sys

import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE
from test_scripts import assert_clean_exit, epochs, png_size, run_script


def validation_lines(stdout):
    """(epoch, test accuracy, validation accuracy, train cost) of each epoch line with a validation accuracy."""
    return [(int(m["epoch"]), float(m["accuracy"]), float(m["validation"]), float(m["cost"]))
            for m in EPOCH_LINE.finditer(stdout) if m["validation"]]


def test_validation_images_are_held_out_of_training(synthetic_mnist, tmp_path):
    data = ["2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "6"]
    held_out = run_script(*data, "--validation", "500", "--figures", str(tmp_path))
    assert_clean_exit(held_out)
    assert "1500 training (and 500 held out for validation) and 500 test images" in held_out.stdout
    lines = validation_lines(held_out.stdout)
    assert [e for e, _, _, _ in lines] == list(range(1, 7)), held_out.stdout

    # trained on exactly the first 1500 images: the same run as --ntrain 1500, epoch for epoch
    first = run_script(*data, "--ntrain", "1500")
    assert_clean_exit(first)
    assert [(e, t, c) for e, t, _, c in lines] == epochs(first.stdout)

    # the summary gives the test accuracy at the epoch of the best validation accuracy (the first of equals)
    chosen = max(lines, key=lambda line: (line[2], -line[0]))
    assert (f"test accuracy {lines[-1][1]:.4f} at the end, {chosen[1]:.4f} at epoch {chosen[0]} "
            f"(chosen by validation accuracy, {chosen[2]:.4f})") in held_out.stdout
    assert "best on the test set" not in held_out.stdout  # the optimistic figure is for runs without
    assert "the best on the test set: optimistic" in first.stdout
    width, height = png_size(tmp_path / "2_logistic_regression_learning_curve.png")
    assert width > 500 and height > 150


@pytest.mark.parametrize("script", ["3_net.py", "4_modern_net.py", "5_convolutional_net.py"])
def test_every_script_reports_validation_accuracy(script, synthetic_mnist):
    result = run_script(script, "--data-dir", synthetic_mnist, "--epochs", "2", "--ntrain", "640",
                        "--validation", "128", "--ntest", "100", "--batch-size", "32")
    assert_clean_exit(result)
    lines = validation_lines(result.stdout)
    assert [e for e, _, _, _ in lines] == [1, 2], result.stdout
    assert "512 training (and 128 held out for validation)" in result.stdout
    assert "(chosen by validation accuracy, " in result.stdout


def test_holding_out_too_many_images_is_a_clear_error(synthetic_mnist):
    result = run_script("3_net.py", "--data-dir", synthetic_mnist, "--validation", "1950")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message  # one paragraph
    assert "--validation 1950 leaves 50 of the 2000 training images, not more than one batch (--batch-size 128" in message
    assert "--validation 333" in message  # the fix, with a number that works
    assert not epochs(result.stdout)


@pytest.mark.slow
def test_benchmark_records_validation_runs_and_tables_them(synthetic_mnist, tmp_path):
    path = tmp_path / "validation_400.csv"
    run = subprocess.run([sys.executable, "benchmarks/talk_benchmark.py", "2_logistic_regression.py", "--seeds", "3",
                          "--epochs", "4", "--validation", "400", "--data-dir", synthetic_mnist,
                          "--seeds-file", str(path)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    printed = validation_lines(run.stdout)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["epoch"], r["test_accuracy"], r["validation_accuracy"]) for r in rows] == \
           [(str(e), str(t), str(v)) for e, t, v, _ in printed]
    assert len(rows) == 4 and {r["seed"] for r in rows} == {"3"}

    table = subprocess.run([sys.executable, "benchmarks/talk_benchmark.py", "--table", "--seeds-file",
                            str(tmp_path / "seeds.csv")], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert table.returncode == 0, table.stderr
    chosen = max(rows, key=lambda r: (float(r["validation_accuracy"]), -int(r["epoch"])))
    row = next(line for line in table.stdout.splitlines() if line.startswith("| `2_logistic_regression.py`, 3 |"))
    assert f"| {float(chosen['test_accuracy']):.2%} (epoch {chosen['epoch']}, validation " in row
    assert "`--validation 400`" in table.stdout
    assert os.path.exists(tmp_path / "validation_400.log")

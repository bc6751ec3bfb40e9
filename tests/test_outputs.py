"""A finished run is never lost: the paths a run reads and writes are checked before it
trains, and a save that still fails at the end keeps the weights elsewhere.

The scripts share this plumbing (harness), so 2_logistic_regression.py stands for all of them."""
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO, run_each
from common.epoch_line import PATTERN as EPOCH_LINE
from test_scripts import assert_clean_exit, epochs, run_script

LOGISTIC = os.path.join(REPO, "2_logistic_regression.py")
FIX = "Give a file written by --save-model of the same script."


def refused(result):
    """What a refused run printed to stderr, after checking it stopped before loading any data."""
    assert "Traceback" not in result.stderr
    assert result.stdout == ""  # the first line of a run comes after the data is loaded
    return result.stderr


def error_lines(stderr):
    """The lines saying what went wrong (Theano may add a line while it waits for its cache)."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def make_places(folder):
    """A folder and a plain file in `folder`, and `folder` itself."""
    (folder / "folder").mkdir()
    (folder / "notes.txt").write_text("not a folder\n")
    return {"folder": str(folder / "folder"), "file": str(folder / "notes.txt"), "tmp": str(folder)}


@pytest.fixture
def places(tmp_path):
    return make_places(tmp_path)


OUTPUT_PATHS = [
    (["--save-model", "{folder}"], "argument --save-model: {folder} is a folder; give a file in it, "
                                   "e.g. {folder}/model.npz"),
    (["--save-model", "{tmp}/new/"], "argument --save-model: {tmp}/new/ is a folder"),
    (["--save-model", "{file}/model.npz"], "argument --save-model: cannot write {file}/model.npz: "
                                           "{file} is a file, not a folder"),
    (["--save-model", "{file}/more/model.npz"], "{file} is a file, not a folder"),
    # no file can be made in /sys, even by root: the check tries, not just reads permissions
    (["--save-model", "/sys/theano-tutorials/model.npz"],
     "argument --save-model: cannot write /sys/theano-tutorials/model.npz: no file can be made in /sys"),
    (["--save-model", ""], "argument --save-model: the path is empty (an unset variable?)"),
    (["--figures", ""], "argument --figures: the path is empty (an unset variable?)"),
    (["--figures", "{file}"], "argument --figures: {file} is a file; give a folder for the pictures"),
    (["--figures", "{file}/pictures"], "argument --figures: cannot write into {file}/pictures: "
                                       "{file} is a file, not a folder"),
    (["--figures", "/sys/theano-tutorials"], "no file can be made in /sys"),
    (["--figures", "{tmp}/out", "--save-model", "{tmp}/out"], "--save-model and --figures both name {tmp}/out"),
]

@pytest.fixture(scope="module")
def output_path_runs(tmp_path_factory):
    """For each case of OUTPUT_PATHS: its places, and (status, stdout, stderr) of its run."""
    places = [make_places(tmp_path_factory.mktemp("places")) for _ in OUTPUT_PATHS]
    # --data-dir names no folder: a run that got as far as the data would say so instead
    runs = [["--data-dir", os.path.join(where["tmp"], "no-data"), *[f.format(**where) for f in flags]]
            for where, (flags, _) in zip(places, OUTPUT_PATHS)]
    return list(zip(places, run_each([("2_logistic_regression.py", flags) for flags in runs]), runs))


@pytest.mark.parametrize("case", range(len(OUTPUT_PATHS)))
def test_an_output_path_that_cannot_work_is_refused_before_anything_runs(case, output_path_runs):
    where, result, flags = output_path_runs[case]
    message = OUTPUT_PATHS[case][1].format(**where)
    assert result.returncode == 2
    assert message in refused(result)
    assert sorted(os.listdir(where["tmp"])) == ["folder", "notes.txt"]  # nothing made
    if case == 0:  # and as a user runs it, in a process of its own
        result = run_script("2_logistic_regression.py", *flags)
        assert result.returncode == 2 and message in refused(result)


def test_the_linear_regression_figures_path_is_checked_too(places):
    result = run_script("1_linear_regression.py", "--figures", places["file"])
    assert result.returncode == 2
    assert f"argument --figures: {places['file']} is a file" in refused(result)


def write_model_files(folder):
    """{name: path} of files that --load-model cannot use."""
    files = {name: os.path.join(folder, name) for name in
             ["missing.npz", "header-only.npz", "empty.npz", "notes.txt", "pickled.npz", "named.npz",
              "one-array.npy", "cut-short.npz"]}
    os.mkdir(os.path.join(folder, "a-folder.npz"))
    files["a-folder.npz"] = os.path.join(folder, "a-folder.npz")
    with open(files["header-only.npz"], "wb") as f:
        f.write(b"PK\x03\x04")  # the start of a zip file, and nothing else
    open(files["empty.npz"], "wb").close()
    with open(files["notes.txt"], "w") as f:
        f.write("weights: none\n")
    np.savez(files["pickled.npz"], np.array([{"w": 1}], dtype=object))
    np.savez(files["named.npz"], w=np.zeros((784, 10), np.float32))
    np.save(files["one-array.npy"], np.zeros((784, 10), np.float32))
    np.savez(files["cut-short.npz"], np.zeros((784, 10), np.float32))  # what --save-model writes, then cut
    with open(files["cut-short.npz"], "r+b") as f:
        f.truncate(os.path.getsize(files["cut-short.npz"]) // 2)
    return files


@pytest.fixture(scope="module")
def model_file_runs(tmp_path_factory):
    """{name: (path, the run)}: each file of write_model_files given to --load-model; the
    runs in one process (conftest.run_each), the first also in a process of its own."""
    folder = tmp_path_factory.mktemp("models")
    files = write_model_files(str(folder))
    flags = {name: ["--data-dir", str(folder / "no-data"), "--epochs", "0", "--load-model", path]
             for name, path in files.items()}
    runs = dict(zip(files, run_each([("2_logistic_regression.py", f) for f in flags.values()])))
    first = next(iter(files))
    alone = run_script("2_logistic_regression.py", *flags[first])
    assert (alone.returncode, error_lines(alone.stderr)) == (runs[first].returncode, error_lines(runs[first].stderr))
    return {name: (files[name], runs[name]) for name in files}


@pytest.mark.parametrize("name, problem", [
    ("missing.npz", "does not exist"),
    ("a-folder.npz", "is a folder, not a file"),
    ("header-only.npz", "is damaged"),
    ("empty.npz", "is empty"),
    ("notes.txt", "is not an .npz file"),
    ("pickled.npz", "holds pickled Python objects"),
    ("named.npz", "holds arrays named w, not the arr_0, arr_1, ..."),
    ("one-array.npy", "is not an .npz file"),
    ("cut-short.npz", "is damaged"),
])
def test_a_model_file_that_cannot_be_loaded_is_one_paragraph_before_the_data(name, problem, model_file_runs):
    path, result = model_file_runs[name]
    assert result.returncode == 1
    [paragraph] = error_lines(refused(result))  # one paragraph, on one line
    assert paragraph.startswith(f"error: The model file {path} {problem}")
    assert paragraph.endswith(FIX)


def test_save_model_writes_the_exact_name_given(synthetic_mnist, tmp_path):
    model = tmp_path / "weights"  # no .npz: written as given, not as weights.npz
    trained = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "2",
                         "--save-model", str(model))
    assert_clean_exit(trained)
    assert f"saved the weights to {model}" in trained.stdout
    assert os.listdir(tmp_path) == ["weights"]
    evaluated = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "0",
                           "--load-model", str(model))
    assert_clean_exit(evaluated)
    assert f"evaluation only: test accuracy {epochs(trained.stdout)[-1][1]:.4f}" in evaluated.stdout


def test_load_and_save_the_same_file_goes_on_training(synthetic_mnist, tmp_path):
    model = str(tmp_path / "logistic.npz")
    data = ["--data-dir", synthetic_mnist]
    assert_clean_exit(run_script("2_logistic_regression.py", *data, "--epochs", "1", "--save-model", model))
    with np.load(model) as saved:
        before = saved["arr_0"]
    more = run_script("2_logistic_regression.py", *data, "--epochs", "1", "--load-model", model, "--save-model", model)
    assert_clean_exit(more)
    with np.load(model) as saved:
        assert not np.array_equal(saved["arr_0"], before)  # the second run's weights replaced the first's
    assert os.listdir(tmp_path) == ["logistic.npz"]


def run_and_meddle(flags, meddle, cwd, env=None):
    """Run the logistic regression in `cwd`; once its first epoch is printed, call meddle().
    The run then has 299 epochs to go (measured here: 300 epochs take 1 s, a few ms each),
    and meddle() takes about a millisecond, so it acts before the run writes its outputs."""
    process = subprocess.Popen([sys.executable, LOGISTIC, "--epochs", "300", *flags], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in process.stdout:
        if EPOCH_LINE.match(line.rstrip("\n")):
            meddle()
            break
    stdout, stderr = process.communicate(timeout=600)
    return process.returncode, line + stdout, stderr


def test_a_save_that_fails_at_the_end_keeps_the_weights_elsewhere(synthetic_mnist, tmp_path):
    def folder_becomes_a_file():
        shutil.rmtree(tmp_path / "out")
        (tmp_path / "out").write_text("in the way\n")

    (tmp_path / "out").mkdir()
    status, stdout, stderr = run_and_meddle(["--data-dir", synthetic_mnist, "--save-model", "out/logistic.npz",
                                             "--figures", "pictures"], folder_becomes_a_file, tmp_path)
    assert status == 1
    assert "Traceback" not in stderr
    assert re.search(r"^2_logistic_regression.py: 300 epochs in \d+ s: test accuracy", stdout, re.M)  # the summary
    message = re.search(r"^error: could not write --save-model out/logistic.npz \(File exists: .*out\); "
                        r"the weights are in (\S+) instead \(--load-model reads it\)\.$", stderr, re.M)
    assert message, stderr
    kept = message.group(1)
    assert os.path.dirname(kept) == str(tmp_path)  # the folder the run was started in
    assert sorted(os.listdir(tmp_path)) == sorted(["out", "pictures", os.path.basename(kept)])
    assert len(os.listdir(tmp_path / "pictures")) == 4  # the figures are still drawn
    evaluated = run_script("2_logistic_regression.py", "--data-dir", synthetic_mnist, "--epochs", "0",
                           "--load-model", kept)
    assert_clean_exit(evaluated)
    assert f"evaluation only: test accuracy {epochs(stdout)[-1][1]:.4f}" in evaluated.stdout


def test_a_save_folder_removed_during_training_is_made_again(synthetic_mnist, tmp_path):
    (tmp_path / "out").mkdir()
    status, stdout, stderr = run_and_meddle(["--data-dir", synthetic_mnist, "--save-model", "out/logistic.npz"],
                                            lambda: shutil.rmtree(tmp_path / "out"), tmp_path)
    assert status == 0, stderr
    assert "saved the weights to out/logistic.npz" in stdout
    assert os.listdir(tmp_path / "out") == ["logistic.npz"]


def test_figures_that_cannot_be_written_do_not_cost_the_weights(synthetic_mnist, tmp_path):
    def folder_becomes_a_file():
        shutil.rmtree(tmp_path / "pictures")
        (tmp_path / "pictures").write_text("in the way\n")

    (tmp_path / "pictures").mkdir()
    status, stdout, stderr = run_and_meddle(["--data-dir", synthetic_mnist, "--save-model", "logistic.npz",
                                             "--figures", "pictures"], folder_becomes_a_file, tmp_path)
    assert status == 1
    assert "Traceback" not in stderr
    [paragraph] = error_lines(stderr)
    assert paragraph.startswith("error: Could not write the figures into pictures (File exists)")
    assert "saved the weights to logistic.npz" in stdout
    with np.load(tmp_path / "logistic.npz", allow_pickle=False) as saved:
        assert saved["arr_0"].shape == (784, 10)


def test_weights_go_to_the_temp_folder_when_the_current_folder_is_gone(synthetic_mnist, tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "temp").mkdir()
    status, stdout, stderr = run_and_meddle(["--data-dir", synthetic_mnist, "--save-model", "out/logistic.npz"],
                                            lambda: shutil.rmtree(tmp_path / "run"), tmp_path / "run",
                                            env={**os.environ, "TMPDIR": str(tmp_path / "temp")})
    assert status == 1
    assert "Traceback" not in stderr
    [message] = error_lines(stderr)
    kept = re.search(r"the weights are in (\S+) instead", message).group(1)
    assert os.path.dirname(kept) == str(tmp_path / "temp")
    with np.load(kept, allow_pickle=False) as saved:
        assert saved["arr_0"].shape == (784, 10)

"""Each script runs as a notebook: jupytext reads its cells, nbclient runs them in a Jupyter kernel
(the kernel JupyterLab and VS Code start). There a learner sees what a terminal shows: the
program's own name, its pictures (under the cell that drew them), a refused flag in one paragraph."""
import base64
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE
from test_scripts import FIGURES, png_size

sys.path.insert(0, os.path.join(REPO, "notebooks"))
from make import notebook  # noqa: E402  the script as a learner's notebook, flags in its settings line; first
from jupyter_client.manager import start_new_kernel  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from nbclient.exceptions import CellExecutionError  # noqa: E402

# What a learner writes into the settings line (flags="...") for a short run.
SETTINGS = {
    "0_multiply.py": "",
    "1_linear_regression.py": "--epochs 10",
    "2_logistic_regression.py": "--epochs 2",
    "3_net.py": "--epochs 2 --batch-size 16",
    "4_modern_net.py": "--epochs 2",
    "5_convolutional_net.py": "--epochs 1 --ntrain 512 --ntest 100",
}

pytestmark = pytest.mark.slow  # a Jupyter kernel per test: the second tier


def pictures(cell):
    """The PNG pictures a code cell shows, as bytes."""
    return [base64.b64decode(o.data["image/png"]) for o in cell.outputs
            if o.output_type == "display_data" and "image/png" in o.data]


@pytest.mark.parametrize("script", sorted(SETTINGS))
def test_script_runs_as_a_notebook(script, synthetic_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)  # the kernel inherits it
    monkeypatch.setenv("JPY_SESSION_NAME", script[:-3] + ".ipynb")  # as JupyterLab tells its kernels
    book = notebook(script, SETTINGS[script])
    assert book.cells[0].cell_type == "markdown" and book.cells[0].source.startswith(f"# {script[0]} — ")
    assert sum(cell.cell_type == "code" for cell in book.cells) >= 4
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": REPO}}).execute()
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    # without --figures, every picture the program draws is shown under its last cell, which drew them
    shown = [len(pictures(cell)) for cell in code]
    if script == "0_multiply.py":
        assert "multiply(3, 3) = 9.0" in text
        assert shown == [0] * len(code)
    elif script == "1_linear_regression.py":
        assert abs(float(re.search(r"^w = ([-\d.]+)", text, re.M).group(1)) - 2) < 0.1
        assert shown == [0] * (len(code) - 1) + [1]
    else:
        expected = int(re.search(r"--epochs (\d+)", SETTINGS[script]).group(1))
        assert len(EPOCH_LINE.findall(text)) == expected, text
        assert re.search(rf"^{script[:-3]}\.ipynb: \d+ epochs in", text, re.M), text
        assert shown == [0] * (len(code) - 1) + [len(FIGURES[script])]
    assert "wrote" not in text  # no files without --figures
    for picture in pictures(code[-1]):
        assert picture.startswith(b"\x89PNG")


def start_kernel():
    """A kernel in the repository, as a notebook next to the scripts gets."""
    return start_new_kernel(kernel_name="python3", cwd=REPO)


def run_cell(manager, client, source, interrupt_after_first_epoch=False):
    """Run `source` in the kernel as a notebook's cell: (reply status, stdout, stderr, the
    names of errors shown, the PNG pictures shown)."""
    message_id = client.execute(source)
    stdout, stderr, errors, shown, interrupted = "", "", [], [], False
    while True:
        message = client.get_iopub_msg(timeout=300)
        if message["parent_header"].get("msg_id") != message_id:
            continue
        kind, content = message["msg_type"], message["content"]
        if kind == "stream" and content["name"] == "stdout":
            stdout += content["text"]
            if interrupt_after_first_epoch and not interrupted and EPOCH_LINE.search(stdout):
                manager.interrupt_kernel()  # the learner presses "interrupt"
                interrupted = True
        elif kind == "stream":
            stderr += content["text"]
        elif kind == "error":
            errors.append(content["ename"])
        elif kind == "display_data" and "image/png" in content["data"]:
            shown.append(base64.b64decode(content["data"]["image/png"]))
        elif kind == "status" and content["execution_state"] == "idle":
            break
    assert interrupted or not interrupt_after_first_epoch
    reply = client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != message_id:
        reply = client.get_shell_msg(timeout=60)
    return reply["content"]["status"], stdout, stderr, errors, shown


def test_a_refused_flag_stops_the_cell_with_one_paragraph_and_the_kernel_lives(synthetic_mnist, tmp_path,
                                                                                 monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)  # a kernel that does not know its notebook
    cells = [c.source for c in notebook("2_logistic_regression.py").cells if c.cell_type == "code"]
    cells[0] = cells[0].replace("lr=0.05)", "lr=0.05, flags=FLAGS)")
    manager, client = start_kernel()
    try:
        for flags, said in [("--epochs -1", "argument --epochs: -1 is too small: it must be at least 0"),
                            ("--epochs 2 --ntrain 100",
                             "--ntrain 100 is not more than one batch (--batch-size 128, the default)"),
                            ("--help", "the flags it takes are listed above")]:
            status, stdout, stderr, errors, _ = run_cell(manager, client, f"FLAGS = {flags!r}\n" + cells[0])
            assert status == "error"  # the cell stops: Run All goes no further
            # one paragraph, named after the script's title: the kernel does not know the notebook's name
            assert re.fullmatch(rf"error: 2_logistic_regression: {re.escape(said)}.*\n", stderr), stderr
            assert errors == [] and "Traceback" not in stderr
            assert stdout.startswith("usage: 2_logistic_regression [-h] [--epochs EPOCHS]") == (flags == "--help")
        # the kernel lives: the same cell with good flags, then the rest, also --figures DIR
        figures = tmp_path / "figures"
        # as VS Code tells its kernel which notebook it runs
        run_cell(manager, client, "__vsc_ipynb_file__ = '/home/learner/my notebook.ipynb'")
        status, stdout, *_ = run_cell(manager, client, f"FLAGS = '--epochs 1 --figures {figures}'\n" + cells[0])
        assert status == "ok"
        for cell in cells[1:-1]:
            assert run_cell(manager, client, cell)[0] == "ok"
        status, stdout, stderr, errors, shown = run_cell(manager, client, cells[-1])
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert status == "ok" and not errors, stderr
    assert re.search(r"^my notebook\.ipynb: 1 epochs in", stdout, re.M), stdout
    # shown under the cell and written to the folder, the same pictures
    written = sorted(name for name in os.listdir(figures) if name.endswith(".png"))
    assert written == [f"my notebook_{name}.png" for name in FIGURES["2_logistic_regression.py"]]
    assert sorted(shown) == sorted((figures / name).read_bytes() for name in written)
    assert sorted(os.listdir(figures)) == sorted(written + ["my notebook_confusion.csv"])  # and the numbers
    assert png_size(figures / "my notebook_weights.png")[0] > 1000  # ten 28x28 weight pictures in a row


def test_interrupting_the_kernel_stops_cleanly_and_keeps_the_model(synthetic_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)
    monkeypatch.setenv("JPY_SESSION_NAME", "my copy.ipynb")  # a learner's renamed copy
    model = tmp_path / "logistic.npz"
    book = notebook("2_logistic_regression.py", f"--epochs 100000 --save-model {model}")
    manager, client = start_kernel()
    try:
        for cell in [c for c in book.cells if c.cell_type == "code"]:
            last = "run.training" in cell.source
            status, stdout, stderr, errors, shown = run_cell(manager, client, cell.source,
                                                             interrupt_after_first_epoch=last)
            assert status == "ok" and not errors, (cell.source, stderr)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert "Stopped by Ctrl-C during epoch" in stdout
    assert re.search(r"^my copy\.ipynb: \d+ epochs in \d+ s: test accuracy", stdout, re.M)
    assert len(shown) == len(FIGURES["2_logistic_regression.py"])  # what it learned so far, drawn
    assert os.listdir(tmp_path) == ["logistic.npz"]


@pytest.mark.slow
def test_a_refused_setting_is_the_same_paragraph_in_a_notebook(synthetic_mnist, monkeypatch):
    """The convnet says it convolves: floatX=float64 is refused in a notebook as at the terminal."""
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)
    monkeypatch.setenv("THEANO_FLAGS", "floatX=float64")  # the kernel inherits it
    terminal = subprocess.run([sys.executable, "5_convolutional_net.py"], cwd=REPO, capture_output=True, text=True)
    assert terminal.returncode == 1 and "Traceback" not in terminal.stderr, terminal.stderr
    paragraph = terminal.stderr.strip()
    assert paragraph.startswith("error: ") and "floatX=float64 (set in THEANO_FLAGS)" in paragraph, paragraph

    book = notebook("5_convolutional_net.py", SETTINGS["5_convolutional_net.py"])
    with pytest.raises(CellExecutionError):  # the cell stops there; the kernel shows no traceback
        NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": REPO}}).execute()
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    said = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr").strip()
    assert said == paragraph

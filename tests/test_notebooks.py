"""Each script runs as a notebook: jupytext reads its cells, nbclient runs them in a Jupyter kernel."""
import os
import re
import subprocess
import sys

import jupytext
import pytest
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from test_scripts import EPOCH_LINE, REPO

# The one line a learner edits in a notebook to set the run's flags, as the README says.
SETTINGS = {
    "0_multiply.py": ("harness.parse_args(__doc__)", "harness.parse_args(__doc__)"),
    "1_linear_regression.py": ("figures=True)", 'figures=True, flags="--epochs 10")'),
    "2_logistic_regression.py": ("0.925, lr=0.05)", '0.925, lr=0.05, flags="--epochs 2")'),
    "3_net.py": ("0.984, lr=0.05)", '0.984, lr=0.05, flags="--epochs 2 --batch-size 16")'),
    "4_modern_net.py": ("0.990, lr=0.001)", '0.990, lr=0.001, flags="--epochs 2")'),
    "5_convolutional_net.py": ("lr=0.001, convolutions=True)", 'lr=0.001, convolutions=True, flags="--epochs 1 --ntrain 512 --ntest 100")'),
}


def notebook(script, flags_line):
    """The script as jupytext opens it, with the settings line edited."""
    book = jupytext.read(os.path.join(REPO, script))
    before, after = flags_line
    edited = [cell for cell in book.cells if cell.cell_type == "code" and before in cell.source]
    assert len(edited) == 1, f"{script}: the line to edit is not in exactly one cell"
    edited[0].source = edited[0].source.replace(before, after, 1)
    return book


@pytest.mark.parametrize("script", sorted(SETTINGS))
def test_script_runs_as_a_notebook(script, synthetic_mnist, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)  # the kernel inherits it
    book = notebook(script, SETTINGS[script])
    assert book.cells[0].cell_type == "markdown" and book.cells[0].source.startswith(f"# {script[0]} — ")
    assert sum(cell.cell_type == "code" for cell in book.cells) >= 4
    NotebookClient(book, timeout=600, kernel_name="python3", resources={"metadata": {"path": REPO}}).execute()
    outputs = [output for cell in book.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stdout")
    if script == "0_multiply.py":
        assert "multiply(3, 3) = 9.0" in text
    elif script == "1_linear_regression.py":
        assert abs(float(re.search(r"^w = ([-\d.]+)", text, re.M).group(1)) - 2) < 0.1
    else:
        expected = int(re.search(r"--epochs (\d+)", SETTINGS[script][1]).group(1))
        assert len(EPOCH_LINE.findall(text)) == expected, text
        assert re.search(r"^notebook: \d+ epochs in", text, re.M), text


def test_interrupting_the_kernel_stops_cleanly_and_keeps_the_model(synthetic_mnist, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", synthetic_mnist)
    model = tmp_path / "logistic.npz"
    book = notebook("2_logistic_regression.py",
                    ("0.925, lr=0.05)", f'0.925, lr=0.05, flags="--epochs 100000 --save-model {model}")'))
    manager, client = start_new_kernel(kernel_name="python3", cwd=REPO)
    try:
        for cell in [c for c in book.cells if c.cell_type == "code"]:
            message_id = client.execute(cell.source)
            stdout, errors, interrupted = "", [], False
            while True:
                message = client.get_iopub_msg(timeout=300)
                if message["parent_header"].get("msg_id") != message_id:
                    continue
                kind, content = message["msg_type"], message["content"]
                if kind == "stream" and content["name"] == "stdout":
                    stdout += content["text"]
                    if not interrupted and EPOCH_LINE.search(stdout):  # the first epoch: press "interrupt"
                        manager.interrupt_kernel()
                        interrupted = True
                elif kind == "error":
                    errors.append(content["ename"])
                elif kind == "status" and content["execution_state"] == "idle":
                    break
            assert not errors, (cell.source, errors)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert interrupted
    assert "Stopped by Ctrl-C during epoch" in stdout
    assert re.search(r"^notebook: \d+ epochs in \d+ s: test accuracy", stdout, re.M)
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

"""The executed notebooks in notebooks/, to read without installing (made by
`uv run notebooks/make.py --executed`): each holds its script's code as the script is
today, but for the short flags in its settings line, and the outputs and pictures of a run."""
import base64
import os
import re
import sys

import pytest

from conftest import REPO
from common.epoch_line import PATTERN as EPOCH_LINE
from test_scripts import FIGURES

sys.path.insert(0, os.path.join(REPO, "notebooks"))
import make  # noqa: E402  before jupytext: make.py says why
import jupytext  # noqa: E402
import nbformat  # noqa: E402

SCRIPTS = sorted(name for name in os.listdir(REPO) if re.fullmatch(r"\d_\w+\.py", name))
REMAKE = "remake the notebooks with `MNIST_DIR=PATH uv run notebooks/make.py --executed`"
SETTINGS_FLAGS = re.compile(r', flags="([^"]*)"\)$', re.M)


def copy_of(script):
    return nbformat.read(os.path.join(REPO, "notebooks", script[:-3] + ".ipynb"), as_version=4)


def flags_of(book):
    """The flags in the notebook's settings line ("" without)."""
    found = [m.group(1) for cell in book.cells for m in SETTINGS_FLAGS.finditer(cell.source)]
    assert len(found) <= 1
    return found[0] if found else ""


def epochs_run(script):
    given = re.search(r"--epochs (\d+)", flags_of(copy_of(script)))
    return int(given.group(1)) if given else 100


def test_there_is_a_copy_of_each_script_and_no_other():
    assert len(SCRIPTS) == 6
    assert sorted(n for n in os.listdir(os.path.join(REPO, "notebooks")) if n.endswith(".ipynb")) == \
        [s[:-3] + ".ipynb" for s in SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_copy_holds_its_scripts_code(script):
    copy, source = copy_of(script), jupytext.read(os.path.join(REPO, script))
    assert [c.cell_type for c in copy.cells] == [c.cell_type for c in source.cells], REMAKE
    flags = flags_of(copy)
    for number, (cell, original) in enumerate(zip(copy.cells, source.cells)):
        if cell.cell_type == "code":  # the same code but for the settings line's flags
            assert SETTINGS_FLAGS.sub(")", cell.source) == original.source, \
                f"{script}: code cell {number} differs from its notebook's: {REMAKE}"
        elif number == 0 and flags:  # and the first cell says them
            assert cell.source.startswith(original.source) and f'`flags="{flags}"`' in cell.source
        else:
            assert cell.source == original.source, f"{script}: markdown cell {number} differs: {REMAKE}"
    assert copy.metadata.kernelspec.name == "theano-tutorials"


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_copy_shows_a_run_with_its_pictures(script):
    code = [cell for cell in copy_of(script).cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    outputs = [output for cell in code for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.text for o in outputs if o.output_type == "stream")
    pictures = [[base64.b64decode(o.data["image/png"]) for o in cell.outputs if "image/png" in o.get("data", {})]
                for cell in code]
    drawn = len(FIGURES.get(script, [])) or (1 if script == "1_linear_regression.py" else 0)
    assert [len(p) for p in pictures] == [0] * (len(code) - 1) + [drawn]  # under the cell that drew them
    assert all(p.startswith(b"\x89PNG") for p in pictures[-1])
    if script in FIGURES:
        assert len(EPOCH_LINE.findall(text)) == epochs_run(script)
        assert re.search(rf"^{script[:-3]}\.ipynb: {epochs_run(script)} epochs in \d+ s", text, re.M), text
    # no folder of the machine that ran them
    for private in (REPO, os.path.expanduser("~") + "/", "/shared/", os.environ.get("MNIST_DIR") or REPO):
        assert private not in text, f"{script}'s outputs name {private}"


def test_the_settings_flags_go_where_the_settings_call_ends():
    """notebooks/make.py gives flags="..." to the harness call the parser finds, on one line or several."""
    one = 'run = harness.Run(__doc__, lr=0.05)\nargs = run.args\n'
    assert make.with_flags(one, "--epochs 5") == 'run = harness.Run(__doc__, lr=0.05, flags="--epochs 5")\nargs = run.args\n'
    wrapped = 'run = harness.Run(__doc__, model="a net (2026)",\n                  lr=0.05)  # settings\n'
    assert make.with_flags(wrapped, "--epochs 1") == \
        'run = harness.Run(__doc__, model="a net (2026)",\n                  lr=0.05, flags="--epochs 1")  # settings\n'

"""Makes the six scripts into Jupyter notebooks that open without asking for a kernel.

    uv run notebooks/make.py
installs the kernel "theano-tutorials" into the project's .venv (its Python, this
project's packages, the scripts' folder on its path) and writes 0_multiply.ipynb ...
5_convolutional_net.ipynb next to the scripts, set to that kernel, to run and edit
(git ignores them; a notebook that is there already is yours and is kept).

    MNIST_DIR=PATH uv run notebooks/make.py --executed [SCRIPT ...]
runs each script (or those named) as a notebook in that kernel, on the MNIST files in PATH (or
--data-dir PATH), and writes it with its outputs and pictures into notebooks/, to read
without installing anything. Where a full run would take long it runs with shorter
settings, which its settings line and its first cell say.
"""
import argparse
import ast
import os
import sys

# jsonschema (under nbformat) imports rfc3987_syntax for its "iri" format checks, which
# builds 39 parsers as it loads: 1.3 s of every start here. No notebook schema has such a
# field; without it jsonschema leaves that check out. (Tests that import jupytext import
# this module first.)
sys.modules.setdefault("rfc3987_syntax", None)
import jupytext  # noqa: E402
from ipykernel import kernelspec  # noqa: E402
from nbclient import NotebookClient  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, REPO)
from common.talk import PROGRAMS as SCRIPTS  # noqa: E402

SETTINGS = ("Run", "parse_args")  # the harness's call that takes a program's settings: harness.Run(...)
KERNEL = {"name": "theano-tutorials", "display_name": "Theano Tutorials (Python 3.11)", "language": "python"}

# The executed copies' settings where the talk's 100 epochs take long (seconds per epoch:
# results/summary.json).
SHORT = {"3_net.py": "--epochs 10", "4_modern_net.py": "--epochs 5", "5_convolutional_net.py": "--epochs 2"}


def install_kernel(prefix=sys.prefix):
    """The kernel the notebooks name: this Python, with the scripts' folder on its path, so
    that `import harness` works in a notebook anywhere in the project. Returns its folder."""
    return kernelspec.install(kernel_name=KERNEL["name"], display_name=KERNEL["display_name"], prefix=prefix,
                              env={"PYTHONPATH": REPO})


def notebook(script, flags=None):
    """The script's cells as a notebook set to the project's kernel; with `flags`, written
    into its settings line (harness.Run(...) or harness.parse_args(...)) and said in its first cell."""
    book = jupytext.read(os.path.join(REPO, script))
    book.metadata = {"kernelspec": KERNEL}
    for number, cell in enumerate(book.cells):
        cell.id, cell.metadata = f"cell-{number}", {}  # steady ids: a remade notebook differs only where it changed
    if flags:
        settings = next(cell for cell in book.cells if cell.cell_type == "code" and settings_call(cell.source))
        settings.source = with_flags(settings.source, flags)
        book.cells[0].source += (f"\n\n*Run here with `flags=\"{flags}\"` in the settings line below, to keep it "
                                 f"short: the talk trains for 100 epochs on all 60000 images.*")
    return book


def settings_call(source):
    """The harness.Run(...) or harness.parse_args(...) call in a cell's code, or None."""
    return next((node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
                 and isinstance(node.func, ast.Attribute) and node.func.attr in SETTINGS
                 and isinstance(node.func.value, ast.Name) and node.func.value.id == "harness"), None)


def with_flags(source, flags):
    """A cell's code with flags="FLAGS" as the last argument of its settings call, wherever
    that call ends (the parser says where: its closing parenthesis)."""
    call = settings_call(source)
    lines = source.encode().splitlines(keepends=True)  # the parser counts columns in UTF-8 bytes
    line, end = call.end_lineno - 1, call.end_col_offset - 1
    lines[line] = lines[line][:end] + f', flags="{flags}"'.encode() + lines[line][end:]
    return b"".join(lines).decode()


def make_to_edit():
    print(f"installed the kernel {KERNEL['name']!r} in {install_kernel()}")
    for script in SCRIPTS:
        path = os.path.join(REPO, script[:-3] + ".ipynb")
        if os.path.exists(path):
            print(f"kept {os.path.relpath(path)}: it is yours (delete it to make it anew from {script})")
            continue
        jupytext.write(notebook(script), path)
        print(f"wrote {os.path.relpath(path)}")


def make_executed(data_dir, scripts):
    install_kernel()
    env = {**os.environ, "MNIST_DIR": data_dir}
    for script in scripts:
        book = notebook(script, SHORT.get(script))
        path = os.path.join(HERE, script[:-3] + ".ipynb")
        print(f"running {script} as {os.path.relpath(path)} ...", flush=True)
        # as JupyterLab starts its kernel: in the notebook's folder, told the notebook's path
        NotebookClient(book, timeout=3600, kernel_name=KERNEL["name"], record_timing=False, coalesce_streams=True,
                       resources={"metadata": {"path": HERE}}).execute(
            env={**env, "JPY_SESSION_NAME": os.path.relpath(path, REPO)})
        text = jupytext.writes(book, fmt="ipynb")
        for private in (REPO, os.path.realpath(data_dir), data_dir, os.path.expanduser("~")):
            if private in text:
                sys.exit(f"error: {script}'s outputs name {private}, a folder of this machine only; "
                         "not written. Make the run print no such path first.")
        with open(path, "w") as f:
            f.write(text)
        print(f"wrote {os.path.relpath(path)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", action="store_true",
                        help="run each script and write it with its outputs into notebooks/ (needs the MNIST files)")
    parser.add_argument("--data-dir", metavar="DIR", default=os.environ.get("MNIST_DIR"),
                        help="with --executed: the folder of the four MNIST files (default: $MNIST_DIR)")
    parser.add_argument("scripts", nargs="*", metavar="SCRIPT", help="with --executed: only these scripts "
                        "(default: all six)")
    args = parser.parse_args()
    unknown = [script for script in args.scripts if script not in SCRIPTS]
    if unknown or (args.scripts and not args.executed):
        parser.error(f"{' '.join(unknown)} is not one of {', '.join(SCRIPTS)}" if unknown else
                     "name scripts with --executed only: without, all six are made")
    if not args.executed:
        return make_to_edit()
    if not args.data_dir:
        parser.error("--executed runs the scripts on the real MNIST: give its folder with --data-dir DIR or MNIST_DIR")
    make_executed(args.data_dir, args.scripts or SCRIPTS)


if __name__ == "__main__":
    main()

"""What a record in results/ says about the run that measured its numbers: the command
line, the date, the machine (with its CPU's family and model, and the kernels OpenBLAS
chose for it: they decide the last bits of every matrix product), the load average before
and after, and the versions.
Every benchmark writes it beside its numbers; a field that was not recorded is null.

    python benchmarks/record.py results/NAME.log PROGRAM [FLAGS ...]

runs a program of the project and keeps what it printed as a record: the line
`$ python PROGRAM FLAGS`, its output, then `# run: {...}` with the above. A run with the
same command already in the log is replaced; a run that fails is not recorded.
"""
import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from importlib import metadata

from cpu import cpu_model, machine, openblas_kernels

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_LINE = "# run: "


def shown(word):
    """A word of a command line as a record holds it: a path inside the project relative to
    it, any other absolute path (a folder of this machine) as PATH."""
    flag, equals, value = word.partition("=") if word.startswith("--") else ("", "", word)
    if not os.path.isabs(value):
        return word
    inside = os.path.relpath(value, REPO)
    value = "PATH" if inside.startswith(os.pardir) else inside
    return f"{flag}{equals}{value}"


def command(argv):
    """`python PROGRAM FLAGS` as a learner would type it in the project's folder."""
    return " ".join(["python", *map(shown, argv)])


def versions(peers=None):
    """Python's, Theano's and NumPy's versions, and the peers' ({name: version}) where a
    benchmark compares with one."""
    return {"python": platform.python_version(), "theano": metadata.version("theano"),
            "numpy": metadata.version("numpy"), **(peers or {})}


def load():
    """The machine's load average over the last minute."""
    return round(os.getloadavg()[0], 2)


def start(argv=None, peers=None):
    """The record of a run that starts now: its command line (default: this program's),
    date, machine, load before and versions; finish() adds the load after."""
    return {"command": command(sys.argv if argv is None else argv), "date": time.strftime("%Y-%m-%d %H:%M"),
            "machine": machine(), "cpu": cpu_model(), "blas": openblas_kernels(), "load_before": load(),
            "load_after": None, "versions": versions(peers)}


def finish(run):
    return {**run, "load_after": load()}


def runs(log):
    """[(command line, {run}, output)] of each run in a log written by this module."""
    found = []
    for part in re.split(r"^\$ ", log, flags=re.M)[1:]:
        command_line, _, rest = part.partition("\n")
        output, _, run = rest.rpartition(RUN_LINE)
        found.append((command_line, json.loads(run), output))
    return found


def keep(path, argv, output, run):
    """Put one run into the log at `path`, in place of a run of the same command."""
    line = command(argv)
    kept = []
    if os.path.exists(path):
        with open(path) as f:
            kept = [r for r in runs(f.read()) if r[0] != line]
    with open(path + ".tmp", "w") as f:
        for command_line, earlier, said in [*kept, (line, run, output)]:
            f.write(f"$ {command_line}\n{said}{RUN_LINE}{json.dumps(earlier)}\n")
    os.replace(path + ".tmp", path)


def scrubbed(text, argv):
    """`text` with the folders of this machine that `argv` names, the project's and the home folder
    (where Theano keeps its compile cache, which its warnings name) as a record shows them."""
    for word in argv:
        value = word.partition("=")[2] if word.startswith("--") else word
        if os.path.isabs(value):
            text = text.replace(value, shown(value))
    return text.replace(REPO + os.sep, "").replace(os.path.expanduser("~") + os.sep, "~" + os.sep)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", help="the log to keep the run in, e.g. results/NAME.log")
    parser.add_argument("program", help="the program to run, e.g. demos/moons_sgd_vs_rmsprop.py")
    parser.add_argument("flags", nargs=argparse.REMAINDER, help="the program's flags")
    args = parser.parse_args()
    argv = [args.program, *args.flags]
    run = start(argv)
    process = subprocess.Popen([sys.executable, *argv], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    output = []
    for line in process.stdout:
        print(line, end="", flush=True)
        output.append(line)
    if process.wait() != 0:
        sys.exit(f"{command(argv)} failed (exit status {process.returncode}): not recorded")
    keep(args.log, argv, scrubbed("".join(output), argv), finish(run))
    print(f"recorded in {shown(os.path.abspath(args.log))}")


if __name__ == "__main__":
    main()

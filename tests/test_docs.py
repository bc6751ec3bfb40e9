"""README.md and docs/*.md: every relative link and picture resolves, every command in a
code block uses only flags its program accepts, and docs/twins.md shows the scripts and
their twins as the files are, and maps every Theano call they make."""
import glob
import os
import re
import shlex
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "docs"))
import side_by_side  # noqa: E402
PAGES = ["README.md", *sorted(os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md")))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE_BLOCK = re.compile(r"^```[a-z]*\n(.*?)^```", re.M | re.S)


def read(page):
    with open(os.path.join(REPO, page)) as f:
        return f.read()


def anchors(page):
    """The #anchors of a page's headings, as GitHub makes them."""
    text = CODE_BLOCK.sub("", read(page))
    return {re.sub(r"[^\w\- ]", "", title.strip().lower()).replace(" ", "-")
            for title in re.findall(r"^#+ (.*)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_and_picture_resolves(page):
    broken = []
    for target in LINK.findall(CODE_BLOCK.sub("", read(page))):
        if re.match(r"[a-z]+:", target):  # https:, mailto:: not ours to check
            continue
        path, _, anchor = target.partition("#")
        linked = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(os.path.join(REPO, linked)):
            broken.append(f"{target}: no {linked}")
        elif anchor and (not linked.endswith(".md") or anchor not in anchors(linked)):
            broken.append(f"{target}: no heading #{anchor} in {linked}")
    assert not broken, f"{page}: " + "; ".join(broken)


def commands(page):
    """(program, [--flags]) of each `uv run PROGRAM.py ...` or `python PROGRAM.py ...` in the
    page's code blocks but Python's (a line may set variables first, or chain commands with
    &&; a program run by benchmarks/record.py counts as run)."""
    found = []
    for block in re.findall(r"^```(?!python)[a-z]*\n(.*?)^```", read(page), re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            for command in line.split("#")[0].split("&&"):
                words = shlex.split(command)
                while words and re.match(r"^\w+=", words[0]):  # MNIST_DIR=... before the command
                    words.pop(0)
                if words[:2] == ["uv", "run"]:
                    words = words[2:]
                    while words and words[0] in ("--with", "--group"):  # uv's own options, e.g. --group twins
                        words = words[2:]
                elif words[:1] in (["python"], ["python3"]):
                    words = words[1:]
                else:
                    continue
                if words[:1] == ["benchmarks/record.py"]:  # records what the program after its log prints
                    found.append((words[0], []))
                    words = words[2:]
                if words and words[0].endswith(".py"):
                    found.append((words[0], [w.split("=")[0] for w in words[1:] if w.startswith("--")]))
    return found


def test_every_command_uses_only_flags_its_program_accepts(program_help):
    # the twins need the optional group twins: tests/test_twins.py checks their commands
    used = [(page, program, flags) for page in PAGES for program, flags in commands(page)
            if not program.startswith("twins/")]
    assert any(program == "5_convolutional_net.py" for page, program, _ in used if page == "README.md")
    unknown = sorted({program for _, program, _ in used if program not in program_help})
    assert not unknown, f"commands name programs that do not exist: {unknown}"
    refused = []
    for page, program, flags in used:
        accepted = set(re.findall(r"--[\w-]+", program_help[program][1]))
        refused += [f"{page}: {program} {flag}" for flag in flags if flag not in accepted]
    assert not refused, "flags their programs do not take: " + "; ".join(refused)


def test_the_twins_page_shows_the_scripts_and_twins_as_they_are():
    assert not side_by_side.check(), "run `uv run docs/make.py` to write docs/twins.md's side-by-side section"


def test_a_page_whose_code_differs_from_the_files_is_made_anew():
    page = read(side_by_side.PAGE)
    altered = page.replace("h = jax.nn.sigmoid(", "h = jax.nn.relu(", 1)
    assert altered != page and side_by_side.made(altered) == page


def test_the_twins_page_maps_every_theano_call_the_scripts_make():
    calls = set()
    for script in side_by_side.scripts():
        calls |= set(re.findall(r"\b(?:T|theano)\.[\w.]+|\bsrng\.\w+|RandomStreams|\.dimshuffle|\.get_value"
                                r"|\bconv2d|\bpool_2d|border_mode|ignore_border", read(script)))
    calls -= {"theano.tensor", "theano.sandbox.rng_mrg", "theano.tensor.nnet", "theano.tensor.signal.pool"}  # imports
    table = re.search(r"^\| Theano .*?\n\n", read(side_by_side.PAGE), re.M | re.S)[0]
    theano_column = " ".join(row.split(" | ")[0] for row in table.splitlines())
    assert len(calls) >= 20 and not sorted(call for call in calls if call not in theano_column)
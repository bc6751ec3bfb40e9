"""docs/twins.md's last section: each script's code cells beside its twins' (twins/), made
from the files, so that the page shows them as they are. docs/make.py writes it and
--check lists where it differs; tests/test_docs.py fails then.

A script and its twins are written in the same `# %%` cells: the n-th code cell of each
stands in the n-th row (markdown cells give the title, and are left out).
"""
import glob
import os
import re

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGE = "docs/twins.md"
BEGIN = "<!-- side by side: written by docs/make.py from the scripts and twins/ -->"
END = "<!-- end of side by side -->"
FRAMEWORKS = {"jax": "JAX", "torch": "PyTorch"}


def scripts():
    return sorted(glob.glob("[0-9]_*.py", root_dir=REPO))


def twins(script):
    return [f"twins/{script[:-3]}_{framework}.py" for framework in FRAMEWORKS]


def cells(path):
    """(title, [code cells]) of a file written in `# %%` cells: the title from its first
    markdown cell, each code cell without the blank lines around it."""
    with open(os.path.join(REPO, path)) as f:
        parts = re.split(r"^(# %%.*)\n", f.read(), flags=re.M)
    headers, bodies = parts[1::2], parts[2::2]
    title = next(body for header, body in zip(headers, bodies) if "[markdown]" in header).splitlines()[0]
    return title.removeprefix("# # "), [body.strip("\n") for header, body in zip(headers, bodies)
                                        if "[markdown]" not in header]


def section(script):
    """The script's table: a row for each code cell, the script's and its twins' side by side."""
    files = [script, *twins(script)]
    (title, *_), columns = zip(*map(cells, files))
    if len({len(column) for column in columns}) != 1:
        raise ValueError(f"{', '.join(files)} have {', '.join(str(len(c)) for c in columns)} code cells: "
                         f"a script and its twins are written in the same cells")
    names = ["Theano", *FRAMEWORKS.values()]
    head = "".join(f'<th><a href="../{path}"><code>{path}</code></a> ({name})</th>'
                   for path, name in zip(files, names))
    rows = ["<tr>" + "".join(f"<td>\n\n```python\n{code}\n```\n\n</td>" for code in row) + "</tr>"
            for row in zip(*columns)]
    return "\n".join([f"### {title}", "", "<table>", f"<tr>{head}</tr>", *rows, "</table>"])


def made(page):
    """The page with its side-by-side section made from the files."""
    head, rest = page.split(BEGIN, 1)
    return "\n\n".join([head + BEGIN, *map(section, scripts()), END + rest.split(END, 1)[1]])


def check():
    """[the page, if its side-by-side section differs from the files]."""
    with open(os.path.join(REPO, PAGE)) as f:
        page = f.read()
    return [f"{PAGE}: its side-by-side section differs from the scripts and twins/"] if made(page) != page else []


def write():
    """Write the side-by-side section; [the page] if it changed."""
    differs = check()
    if differs:
        with open(os.path.join(REPO, PAGE)) as f:
            page = made(f.read())
        with open(os.path.join(REPO, PAGE), "w") as f:
            f.write(page)
    return [PAGE] if differs else []

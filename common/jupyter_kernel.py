"""Whether a program runs in a Jupyter kernel (a notebook, VS Code's interactive window)
rather than at a terminal: asked by the harness and by figures.write, and cheap to ask."""
import sys


def in_notebook():
    """Whether this runs in a Jupyter kernel rather than as a script."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and type(ipython.get_ipython()).__name__ == "ZMQInteractiveShell"

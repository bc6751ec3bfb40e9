"""The graph Theano built from each numbered script: the graph you wrote (model and cost),
what T.grad added to it, and the graph theano.function runs after its optimisations.

Each script is run as it is (no training: --epochs 0, scripts 2-5 on a few hundred images), and the
theano.functions it defined are read. For each one this prints the node counts before and after
the optimisations, which elementwise operations were fused into one loop, which ops were
replaced by others (each described by its docstring), and which run as C code and which in
Python. With --figures DIR it writes the graphs there: always as text (Theano's debugprint,
and what each op does), and as pictures when Graphviz's `dot` is installed.

    python demos/graphs.py 0 1 2 --figures graphs
"""
import _project  # noqa: F401  the project's folder on the import path
import harness  # noqa: F401  before theano: sets this project's Theano defaults
import argparse
import collections
import io
import os
import re
import shutil
import subprocess

import theano
from theano import gof
from theano import tensor as T

import _scripts
from common import bounds
from common.errors import PathError
from harness.fast_elemwise import FusedElemwise

GET_DOT = ("install Graphviz (apt install graphviz, brew install graphviz or conda install graphviz) "
           "and run again for the pictures.")

# The classes every op derives from: their docstrings say what an op is, not what this one does.
GENERIC = set(gof.COp.__mro__) | set(gof.OpenMPOp.__mro__)


def first_sentence(docstring):
    """The first sentence of a docstring, on one line, without reST and epydoc markup; '' for
    none or WRITEME. A formula (:math:) ends it: a line of text cannot show one."""
    paragraph = " ".join(re.split(r"\n\s*\n", (docstring or "").strip())[0].split())
    paragraph = paragraph.split(":math:")[0]
    paragraph = re.sub(r"(?::\w+:)?`+([^`]*)`+|\b[LCIB]\{([^}]*)\}", lambda m: m[1] or m[2], paragraph)
    sentence = re.split(r"(?<=\.)\s+(?=\(?[A-Z])", paragraph)[0].strip()  # not after "wrt." or "e.g."
    return "" if sentence.upper().startswith("WRITEME") else sentence


def qualified(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def description(op):
    """(what `op` does, the class that says so): the first sentence of the docstring of the op's
    class, or of the nearest class it derives from that has one of its own, Theano's generic
    op classes left out. Without one, a line saying so with the op's class, and None."""
    for cls in type(op).__mro__:
        if cls in GENERIC:
            break
        sentence = first_sentence(cls.__dict__.get("__doc__"))
        if sentence:
            return sentence, cls
    return f"(no docstring) an op of class {qualified(type(op))}", None


def described(op):
    """`op`'s description and where it comes from, in one line."""
    sentence, cls = description(op)
    return f"{sentence} ({qualified(cls)})" if cls else sentence


def kind(op):
    """An op's kind, with the elementwise operation it applies: Elemwise{Mul}, Dot22, ..."""
    if isinstance(op, T.Elemwise):
        return f"Elemwise{{{type(op.scalar_op).__name__}}}"
    return type(op).__name__


def fused_operations(op):
    """How many elementwise operations an op runs in one loop: those of a fused Elemwise
    (a Composite), those of every member of a FusedElemwise (harness/fast_elemwise.py); 0
    for any other op."""
    def operations(scalar_op):
        return len(scalar_op.fgraph.apply_nodes) if isinstance(scalar_op, theano.scalar.Composite) else 1
    if isinstance(op, FusedElemwise):
        return sum(operations(scalar_op) for scalar_op, _, _ in op.members)
    if isinstance(op, T.Elemwise) and isinstance(op.scalar_op, theano.scalar.Composite):
        return operations(op.scalar_op)
    return 0


def nodes(outputs):
    """The apply nodes that compute `outputs`, inputs first."""
    return gof.graph.io_toposort(gof.graph.inputs(outputs), outputs)


def where_made(node):
    """Where `node` was made: the stack of Python lines Theano keeps in its outputs (tag.trace)."""
    return repr([getattr(variable.tag, "trace", None) for variable in node.outputs])


def made_by_grad(node):
    """Whether T.grad made `node`: its stack (every frame of it, in graphs_of) passes through theano/gradient.py."""
    return any(frame[0] == theano.gradient.__file__
               for variable in node.outputs for trace in getattr(variable.tag, "trace", []) for frame in trace)


class Graph:
    """One theano.function of a script: the graph it was given (as written, with the
    gradients and the updates) and the graph it runs (optimised)."""

    def __init__(self, name, function):
        self.name, maker = name, function.maker
        # the graph theano.function was given (a copy of the script's, before any optimisation);
        # the updates in the order the optimised graph's outputs follow them
        self.outputs = [out.variable for out in maker.outputs]
        self.updates = [(spec.variable, spec.update) for spec in maker.inputs if spec.update is not None]
        for spec, copy in zip(maker.inputs, maker.fgraph.inputs):
            copy.name = copy.name or spec.variable.name  # the optimised graph's inputs are copies
        # the model and cost; what T.grad added (made in theano/gradient.py); the updates, which use both
        self.written = nodes(self.outputs)
        wrote = set(self.written)
        updating = [node for node in nodes([u for _, u in self.updates]) if node not in wrote]
        self.gradient = [node for node in updating if made_by_grad(node)]
        self.update_rule = [node for node in updating if not made_by_grad(node)]
        self.before = self.written + self.gradient + self.update_rule
        # the graph it runs, and which of its nodes run as C code (a C thunk) or in Python
        self.fgraph = maker.fgraph
        self.after = list(function.fn.nodes)
        self.in_c = {node: hasattr(thunk, "cthunk") for node, thunk in zip(function.fn.nodes, function.fn.thunks)}

    def fused(self):
        """The nodes that run several elementwise operations as one loop: (node, operations in it)."""
        return [(node, fused_operations(node.op)) for node in self.after if fused_operations(node.op)]

    def summary(self):
        before = [kind(node.op) for node in self.before]
        after = [kind(node.op) for node in self.after]
        python = sorted({kind(node.op) for node in self.after if not self.in_c[node]})
        parts = f", {len(self.gradient)} added by T.grad, {len(self.update_rule)} updates" if self.updates else ""
        lines = [f"{self.name}: {_nodes(self.before)} as written ({len(self.written)} model and cost{parts})"
                 + f"; {_nodes(self.after)} after the optimisations, "
                 + ("all in C" if not python else f"{sum(self.in_c.values())} in C, "
                    f"{len(self.after) - sum(self.in_c.values())} in Python ({', '.join(python)})")]
        fused = self.fused()
        if fused:
            lines.append(f"  fused: {sum(n for _, n in fused)} elementwise operations into {len(fused)} loops: "
                         + "; ".join(str(getattr(node.op, "scalar_op", node.op)) for node, _ in fused[:4])
                         + (f"; and {len(fused) - 4} more" if len(fused) > 4 else ""))
        gone = sorted(set(before) - set(after))
        new = sorted(set(after) - set(before) - {"Elemwise{Composite}"})
        if gone:
            lines.append(f"  gone: {', '.join(gone)}")
        if new:
            ops = {kind(node.op): node.op for node in self.after}
            lines += ["  brought in:"] + [f"    {k}: {description(ops[k])[0]}" for k in new]
        return "\n".join(lines)

    def ops(self):
        """What each kind of op in either graph does, with how many nodes of it each graph has."""
        before = collections.Counter(kind(node.op) for node in self.before)
        after = collections.Counter(kind(node.op) for node in self.after)
        ops = {kind(node.op): node.op for node in self.before + self.after}
        width = max(map(len, ops))
        return "\n".join(f"{k:{width}}  {before[k]:3} {after[k]:3}  {described(ops[k])}" for k in sorted(ops))

    def text(self):
        """The three graphs in Theano's debugprint, with the summary on top and their ops below."""
        out = io.StringIO()
        out.write(self.summary() + "\n\n== the graph as written: model and cost ==\n")
        theano.printing.debugprint(self.outputs, file=out)
        if self.updates:
            out.write("\n== the updates, with the gradients T.grad added ==\n")
            theano.printing.debugprint([update for _, update in self.updates], file=out)
        out.write("\n== the graph theano.function runs, after its optimisations ==\n")
        theano.printing.debugprint(self.fgraph.outputs, file=out)
        out.write("\n== what each op does: the first sentence of its docstring (nodes as written, as run) ==\n")
        out.write(self.ops() + "\n")
        return out.getvalue()

    def dot(self, title):
        """Graphviz DOT text: the graph as written (left) beside the graph it runs (right)."""
        lines = ["digraph {", 'rankdir=TB; newrank=true; labelloc=t; fontname="Helvetica"; fontsize=18;',
                 f'label="{_quote(title)}";', 'node [fontname="Helvetica", fontsize=10, style=filled];',
                 'edge [arrowsize=0.6, color="#555555"];']
        colours = [(self.written, "#cfe2f3"), (self.gradient, "#fce5cd"), (self.update_rule, "#e1d5e7")]
        written = (f"as written: {_nodes(self.before)}\\nblue: your model and cost ({len(self.written)})"
                   + (f"\\norange: added by T.grad ({len(self.gradient)})\\npurple: the updates "
                      f"({len(self.update_rule)})" if self.updates else ""))
        lines += _cluster("before", written, {node: colour for group, colour in colours for node in group},
                          self.outputs + [u for _, u in self.updates],
                          ["output"] + [f"new {v.name or 'value'}" for v, _ in self.updates])
        python = [node for node in self.after if not self.in_c[node]]
        runs = (f"after the optimisations: {_nodes(self.after)}\\ngreen: C code"
                + (f", red: Python ({len(python)})" if python else ", all of them") + "\\nyellow: fused loops")
        colour = {node: "#d9ead3" if self.in_c[node] else "#f4cccc" for node in self.after}
        colour.update({node: "#fff2cc" for node, _ in self.fused() if self.in_c[node]})
        lines += _cluster("after", runs, colour, self.fgraph.outputs,
                          ["output"] * len(self.outputs) + [f"new {v.name or 'value'}" for v, _ in self.updates])
        return "\n".join(lines + ["}"])


def _nodes(group):
    return f"{len(group)} node{'s' if len(group) != 1 else ''}"


def _quote(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _label(node):
    label = str(node.op)
    if len(label) > 48:
        label = label[:45] + "..."
    named = [out.name for out in node.outputs if out.name]
    return _quote(label) + (f"\\n= {_quote(', '.join(named))}" if named else "")


def _cluster(prefix, title, colours, outputs, output_names):
    """DOT lines of one graph: its apply nodes as boxes, its inputs and constants as ovals."""
    lines = [f"subgraph cluster_{prefix} {{", f'label="{title}"; fontsize=14; style=rounded; color="#999999";']
    ids = {}

    def ident(thing):
        return ids.setdefault(thing, f"{prefix}{len(ids)}")

    for node in nodes(outputs):
        lines.append(f'{ident(node)} [shape=box, label="{_label(node)}", fillcolor="{colours.get(node, "white")}"];')
        for variable in node.inputs:
            if variable.owner is not None:
                lines.append(f"{ident(variable.owner)} -> {ident(node)};")
                continue
            if variable not in ids:
                if isinstance(variable, gof.Constant):
                    value = str(variable.data) if variable.data.size < 5 else f"{variable.type} constant"
                    lines.append(f'{ident(variable)} [shape=plaintext, style="", fontsize=9, '
                                 f'label="{_quote(value[:24])}"];')
                else:
                    shared = " (shared)" if isinstance(variable, theano.compile.SharedVariable) else ""
                    lines.append(f'{ident(variable)} [shape=ellipse, fillcolor="#eeeeee", '
                                 f'label="{_quote((variable.name or str(variable.type)) + shared)}"];')
            lines.append(f"{ident(variable)} -> {ident(node)};")
    for number, (output, name) in enumerate(zip(outputs, output_names)):
        sink = f"{prefix}_out{number}"
        lines.append(f'{sink} [shape=ellipse, fillcolor="#ffffff", label="{_quote(name)}"];')
        lines.append(f"{ident(output.owner) if output.owner else ident(output)} -> {sink};")
    return lines + ["}"]


def name_as_the_script(namespace, graph_outputs):
    """Give the variables of a graph theano.function was given the names the script gave them.
    theano.function copies its graph node by node, keeping the inputs and shared variables and
    where each node was made, so the copy of a script's node is the one with its op, the copies
    of its inputs and its stack."""
    copies = {(node.op, tuple(node.inputs), where_made(node)): node for node in nodes(graph_outputs)}
    copy_of = {}
    variables = {name: value for name, value in namespace.items()
                 if isinstance(value, gof.Variable) and not name.startswith("_")}
    for node in nodes(list(variables.values())):
        copy = copies.get((node.op, tuple(copy_of.get(i, i) for i in node.inputs), where_made(node)))
        if copy is not None:
            copy_of.update(zip(node.outputs, copy.outputs))
    for name, variable in variables.items():
        copy = copy_of.get(variable, variable)
        copy.name = copy.name or name


def graphs_of(script, data_dir=None):
    """The graphs of the theano.functions `script` defines, by name, from a run of the script itself,
    in which Theano keeps every frame of where it made each variable (its tag.trace, for made_by_grad)."""
    with theano.configparser.change_flags({"traceback.limit": -1, "traceback.compile_limit": 0}):
        namespace = _scripts.run(script, *(["--data-dir", data_dir] if data_dir and script[0] >= "2" else []))
    functions = {name: value for name, value in namespace.items() if isinstance(value, theano.compile.Function)}
    for function in functions.values():
        maker = function.maker
        name_as_the_script(namespace, [out.variable for out in maker.outputs]
                           + [spec.update for spec in maker.inputs if spec.update is not None])
    return {name: Graph(name, function) for name, function in functions.items()}


def draw(dot_text, path):
    """Write the DOT text as a PNG picture with Graphviz's dot; if dot fails, say so in a line."""
    try:
        subprocess.run(["dot", "-Tpng", "-Gdpi=80", "-o", path], input=dot_text, text=True, check=True,
                       capture_output=True, timeout=600)
    except subprocess.TimeoutExpired:
        print(f"no {path}: Graphviz's dot took more than 10 minutes over it (the text beside it has the graph)")
    except subprocess.CalledProcessError as error:
        print(f"no {path}: Graphviz's dot failed ({error.stderr.strip().splitlines()[-1:] or error.returncode})")
    else:
        print(f"wrote {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scripts", nargs="*", default=[s[0] for s in _scripts.SCRIPTS], metavar="N",
                        help="which scripts, by number (default: all of them)")
    parser.add_argument("--figures", metavar="DIR", help="write the graphs into DIR: text, and pictures when "
                        "Graphviz's dot is installed")
    parser.add_argument("--pictures-up-to", type=bounds.whole(1), metavar="NODES", help="with --figures, draw only the graphs of "
                        "at most NODES nodes as written (default: all; a larger one is text only)")
    parser.add_argument("--data-dir", metavar="DIR", help="the MNIST folder for scripts 2-5 (default: as they find it)")
    args = parser.parse_args()
    try:
        scripts = [_scripts.script_named(n) for n in args.scripts]
    except ValueError as error:
        parser.error(str(error))
    has_dot = shutil.which("dot") is not None
    if args.figures:
        try:
            os.makedirs(args.figures, exist_ok=True)
        except OSError as error:
            raise PathError(f"Could not make the folder {args.figures} ({error.strerror}); "
                            f"give --figures a folder that can be written.") from None
        if not has_dot:
            print(f"Graphviz's dot is not on the PATH, so the graphs are written as text only: {GET_DOT}")
    for script in scripts:
        print(f"== {script}", flush=True)
        for name, graph in graphs_of(script, args.data_dir).items():
            print(graph.summary(), flush=True)
            if not args.figures:
                continue
            stem = os.path.join(args.figures, f"{os.path.splitext(script)[0]}_{name}")
            try:
                with open(stem + ".txt", "w") as f:
                    f.write(graph.text())
                print(f"wrote {stem}.txt")
                too_large = args.pictures_up_to is not None and len(graph.before) > args.pictures_up_to
                if has_dot and too_large:
                    print(f"no {stem}.png: {_nodes(graph.before)} as written, more than --pictures-up-to "
                          f"{args.pictures_up_to}")
                elif has_dot:
                    draw(graph.dot(f"{script}: the graph of {name}"), stem + ".png")
            except OSError as error:
                raise PathError(f"Could not write the graphs into {args.figures} ({error.strerror or error}). "
                                f"Free some disk space or choose a folder that can be written.") from None
    if not args.figures:
        print(f"--figures DIR writes these graphs there, as text{' and pictures' if has_dot else ''}.")


if __name__ == "__main__":
    main()

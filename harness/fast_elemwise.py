"""Elementwise loops over arrays of one shape, run as one loop, swapped in by a graph rewrite.

Theano fuses a chain of elementwise ops into one loop (a Composite) only where each result
has one user. RMSprop's update leaves four loops per weight: rho * acc and (1 - rho) * g ** 2
each feed both the new acc and the new weight, so each is written out and read back; a
rectifier's output feeds both the dropout after it and the gradient. FusedElemwise runs
such Elemwise ops as one op: over blocks of elements small enough to stay in the cache,
each op's own scalar C code in a pass of its own, in the graph's order, the results
between them kept in the block, only the results used elsewhere written out.

The same bits as Theano's ops: each value is computed by the same scalar C code, compiled
alike, as in the Elemwise loop it comes from, and goes through a float of its own type on
its way to the next op, as through that loop's output array.

Switched off with THEANO_FLAGS=optimizer_excluding=fast_elemwise, or with the other fast
ops by optimizer_excluding=fast_ops.
"""
import theano
from theano import gof, scalar, tensor
from theano.gof.cc import failure_code
from theano.gof.graph import ancestors
from theano.gof.op import OpenMPOp
from theano.gof.opt import copy_stack_trace

from harness.c_files import CFile, checked_call
from harness.fast_ops import EXCLUDED, TAG

FUSED_ELEMWISE_C = CFile("fused_elemwise.c")
BLOCK = 1024  # elements per block: each value between two ops stays in the L1 cache
NAME = "fast_elemwise"


class FusedElemwise(OpenMPOp):
    """Theano Elemwise ops over arrays of one shape (and single values broadcast), run as one
    loop: `members`, in order, are (scalar op, its inputs, its outputs' dtypes), where an
    input is ("in", k), the op's k-th input, or ("out", m, o), the o-th output of member m;
    `outputs` are the members' outputs the op returns. The same bits as the Elemwise ops."""

    __props__ = ("members", "outputs")

    def __init__(self, members, outputs, openmp=None):
        super().__init__(openmp=openmp)
        self.members, self.outputs = tuple(members), tuple(outputs)

    def __str__(self):
        return f"FusedElemwise{{{', '.join(str(op) for op, _, _ in self.members)}}}"

    def make_node(self, *inputs):
        inputs = [tensor.as_tensor_variable(i) for i in inputs]
        pattern = next(i.broadcastable for i in inputs if not all(i.broadcastable))
        assert all(i.broadcastable in (pattern, (True,) * len(pattern)) for i in inputs)
        return gof.Apply(self, inputs, [tensor.TensorType(self.members[m][2][o], pattern)()
                                        for _, m, o in self.outputs])

    def infer_shape(self, node, shapes):
        full = next(shape for i, shape in zip(node.inputs, shapes) if not all(i.broadcastable))
        return [full] * len(node.outputs)

    def _dtypes(self, node):
        """{ref: dtype} of node's inputs and every member's outputs."""
        dtypes = {("in", k): i.dtype for k, i in enumerate(node.inputs)}
        dtypes.update({("out", m, o): d for m, (_, _, out_dtypes) in enumerate(self.members)
                       for o, d in enumerate(out_dtypes)})
        return dtypes

    def _scalar_nodes(self, node):
        """Each member's scalar Apply, of scalar variables of its inputs' and outputs' dtypes,
        as Elemwise gives its scalar op."""
        dtypes = self._dtypes(node)
        return [gof.Apply(op, [scalar.get_scalar_type(dtypes[ref])() for ref in refs],
                          [scalar.get_scalar_type(d)() for d in out_dtypes]) for op, refs, out_dtypes in self.members]

    def c_headers(self):
        return ["<vector>", "<algorithm>"] + super().c_headers()

    def c_support_code(self):
        return "\n".join([FUSED_ELEMWISE_C.text(), *sorted({_support_code(op) for op, _, _ in self.members})])

    def c_support_code_apply(self, node, name):
        return "\n".join(_support_code(op, scalar_node, f"{name}_member{m}_scalar_")
                         for m, ((op, _, _), scalar_node) in enumerate(zip(self.members, self._scalar_nodes(node))))

    def c_code_cache_version_apply(self, node):
        versions = [op.c_code_cache_version_apply(n) for (op, _, _), n in zip(self.members, self._scalar_nodes(node))]
        if not all(versions):
            return ()
        return FUSED_ELEMWISE_C.version + (BLOCK, self.openmp, theano.config.openmp_elemwise_minsize, *versions)

    def c_code(self, node, name, inames, onames, sub):
        full = [k for k, i in enumerate(node.inputs) if not all(i.broadcastable)]
        single = [k for k in range(len(inames)) if k not in full]
        ctype = {ref: f"npy_{dtype}" for ref, dtype in self._dtypes(node).items()}
        returned = {ref: j for j, ref in enumerate(self.outputs)}

        def value(ref):  # the element e of the block, in C
            if ref in returned:
                return f"O{returned[ref]}[b + e]"
            if ref[0] == "in":
                return f"I{ref[1]}[b + e]" if ref[1] in full else f"S{ref[1]}"
            return f"T{ref[1]}_{ref[2]}[e]"

        fail = failure_code(sub, use_goto=False) if self.openmp else sub["fail"]
        passes = []
        for m, ((op, refs, out_dtypes), scalar_node) in enumerate(zip(self.members, self._scalar_nodes(node))):
            ins = [f"m{m}_in{k}" for k in range(len(refs))]
            outs = [f"m{m}_out{o}" for o in range(len(out_dtypes))]
            code = op.c_code(scalar_node, f"{name}_member{m}_scalar_", ins, outs, dict(sub, fail=fail))
            passes.append("for (npy_intp e = 0; e < len; e++) {\n" +
                          "".join(f"    {ctype[ref]} {i} = {value(ref)};\n" for i, ref in zip(ins, refs)) +
                          "".join(f"    npy_{d} {o};\n" for o, d in zip(outs, out_dtypes)) +
                          f"    {{\n{code}\n    }}\n" +
                          "".join(f"    {value(('out', m, o))} = {out};\n" for o, out in enumerate(outs)) + "}")
        kept = [ref for ref in ctype if ref[0] == "out" and ref not in returned]
        given = ", ".join(f"{i}" for i in inames)
        return f"""{{
    PyArrayObject *given[{len(inames)}] = {{{given}}};
    PyArrayObject *contiguous[{len(inames)}] = {{NULL}};
    const int nd = PyArray_NDIM({inames[full[0]]});
    const npy_intp *dims = PyArray_DIMS({inames[full[0]]});
    int failed = 0;
    for (int k : {{{", ".join(map(str, full))}}})
        failed = failed || fused_input(given[k], nd, dims, &contiguous[k]) != 0;
    {"".join(f'''
    failed = failed || fused_output(&{o}, nd, dims, NPY_{node.outputs[j].dtype.upper()}, given, {len(inames)}) != 0;'''
             for j, o in enumerate(onames))}
    if (!failed) {{
        const npy_intp n = PyArray_SIZE({onames[0]});
        {"".join(f"const npy_{node.inputs[k].dtype} *I{k} = (npy_{node.inputs[k].dtype} *)PyArray_DATA(contiguous[{k}]); "
                 for k in full)}
        {"".join(f"const npy_{node.inputs[k].dtype} S{k} = *(npy_{node.inputs[k].dtype} *)PyArray_DATA(given[{k}]); "
                 for k in single)}
        {"".join(f"npy_{o.dtype} *O{j} = (npy_{o.dtype} *)PyArray_DATA({onames[j]}); "
                 for j, o in enumerate(node.outputs))}
        #pragma omp parallel for schedule(static) if (n >= {theano.config.openmp_elemwise_minsize})
        for (npy_intp b = 0; b < n; b += {BLOCK}) {{
            const npy_intp len = n - b < {BLOCK} ? n - b : {BLOCK};
            {"".join(f"{ctype[ref]} T{ref[1]}_{ref[2]}[{BLOCK}]; " for ref in kept)}
            {chr(10).join(passes)}
        }}
    }}
    for (int k = 0; k < {len(inames)}; k++)
        Py_XDECREF(contiguous[k]);
    if (failed) {{
        {sub["fail"]}
    }}
}}"""


def _support_code(op, *apply):
    """A scalar op's support code (with `apply`, node and name: for that node), "" where it has none."""
    try:
        return (op.c_support_code_apply(*apply) if apply else op.c_support_code()).strip()
    except gof.utils.MethodNotDefined:
        return ""


def _pattern(node):
    """The broadcastable pattern of the arrays an Elemwise node (or a FusedElemwise) loops over,
    if each input is either of it or a single value, and it has none of Theano's in-place
    outputs; None otherwise."""
    if isinstance(node.op, tensor.Elemwise):
        if type(node.op) is not tensor.Elemwise or node.op.inplace_pattern:
            return None
    elif type(node.op) is not FusedElemwise:
        return None
    pattern = node.outputs[0].broadcastable
    if all(pattern) or any(o.broadcastable != pattern for o in node.outputs) or \
            any(v.dtype == "float16" for v in node.inputs + node.outputs) or \
            any(i.broadcastable not in (pattern, (True,) * len(pattern)) for i in node.inputs):
        return None
    return pattern


def _merge(fgraph, producer, consumer):
    """One FusedElemwise computing producer's and consumer's outputs (producer's those used
    by other nodes than consumer, or by the function)."""
    inputs, members, refs = [], [], {}

    def ref(variable):
        if variable not in refs:
            refs[variable] = ("in", len(inputs))
            inputs.append(variable)
        return refs[variable]

    for node in (producer, consumer):
        if type(node.op) is FusedElemwise:
            offset = len(members)
            inner = {("in", k): ref(i) for k, i in enumerate(node.inputs)}
            for op, member_refs, dtypes in node.op.members:
                members.append((op, tuple(inner.get(r) or ("out", r[1] + offset, r[2]) for r in member_refs), dtypes))
            for variable, (_, m, o) in zip(node.outputs, node.op.outputs):
                refs[variable] = ("out", m + offset, o)
        else:
            members.append((node.op.scalar_op, tuple(ref(i) for i in node.inputs),
                            tuple(o.dtype for o in node.outputs)))
            for o, variable in enumerate(node.outputs):
                refs[variable] = ("out", len(members) - 1, o)
    kept = [o for o in producer.outputs if o in fgraph.outputs or any(c is not consumer for c, _ in o.clients)]
    kept += consumer.outputs
    fused = FusedElemwise(members, [refs[o] for o in kept])(*inputs, return_list=True)
    return list(zip(kept, fused))


class FuseElemwise(gof.Optimizer):
    """Merges an Elemwise (or FusedElemwise) node with an Elemwise one that uses its
    results, where both loop over arrays of one shape and nothing else between them
    needs the first's results first; again, until no pair is left."""

    def add_requirements(self, fgraph):
        fgraph.attach_feature(gof.toolbox.ReplaceValidate())

    def apply(self, fgraph):
        while self._merge_one(fgraph):
            pass

    @staticmethod
    def _merge_one(fgraph):
        for producer in fgraph.toposort():
            pattern = _pattern(producer)
            if pattern is None:
                continue
            # in the clients' order, not a set's: the same graph, so the same module, in every process
            for consumer in dict.fromkeys(c for o in producer.outputs for c, _ in o.clients if c != "output"):
                if _pattern(consumer) != pattern:
                    continue
                others = [i for i in consumer.inputs if i.owner is not producer]
                if set(producer.outputs) & set(ancestors(others, blockers=fgraph.inputs)):
                    continue  # consumer needs a result that needs producer's: no one loop
                replacements = _merge(fgraph, producer, consumer)
                for old, new in replacements:
                    copy_stack_trace(old, new)
                fgraph.replace_all_validate(replacements, reason=NAME)
                return True
        return False


def install():
    """Register the rewrite (unless THEANO_FLAGS's optimizer_excluding names it or TAG): after
    Theano's fusion of elementwise loops (49), before its in-place rewrites (49.5 on)."""
    if not {NAME, TAG} & EXCLUDED:
        theano.compile.optdb.register(NAME, FuseElemwise(), 49.2, "fast_run", TAG, "cxx_only")

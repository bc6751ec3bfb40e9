"""Theano folds the talk's constants in Python (harness/constant_folding.py): the same
constants its C code folds, without compiling C code for that."""
import numpy as np
import pytest

import harness  # noqa: F401  before theano
import theano
from theano import tensor as T
from theano.gof import Constant, Op
from theano.tensor.basic import ScalarFromTensor
from theano.tensor.elemwise import DimShuffle

# Nodes the talk's graphs fold: the learning rate broadcast to a matrix, a shape's number
SCALAR, ROW = T.constant(np.float32(0.05)), T.constant(np.array([[-1.0]], dtype="float32"))
NODES = {
    "DimShuffle{x,x}": DimShuffle((), ("x", "x"), inplace=True)(SCALAR).owner,
    "DimShuffle{}": DimShuffle((True, True), (), inplace=True)(ROW).owner,
    "DimShuffle{x,x} of int8": DimShuffle((), ("x", "x"), inplace=True)(T.constant(np.int8(2))).owner,
    "ScalarFromTensor": ScalarFromTensor()(T.constant(np.int64(0))).owner,
    "Subtensor{int64}": T.constant(np.array([2, 3]))[1].owner,
}


def folded(node, impl):
    """What constant folding makes of `node` with its C (`impl="c"`) or Python code."""
    storage = {**{i: [i.data] for i in node.inputs}, **{o: [None] for o in node.outputs}}
    computed = {**{i: [True] for i in node.inputs}, **{o: [False] for o in node.outputs}}
    node.op.make_thunk(node, storage, computed, [], impl=impl)()
    return storage[node.outputs[0]][0]


@pytest.mark.parametrize("name", NODES)
def test_python_folds_the_same_constant(name):
    node = NODES[name]
    assert node.op.python_constant_folding(node)
    c, python = folded(node, "c"), folded(node, "py")
    assert type(python) is type(c) and python.dtype == c.dtype and python.shape == c.shape
    assert python.strides == c.strides and np.array_equal(python, c)
    # so the constant, and the keys of the modules that read it, stay the same
    output = node.outputs[0].type
    assert output.Constant(output, python).signature() == output.Constant(output, c).signature()


def test_compiling_the_talks_graph_compiles_no_constant(monkeypatch):
    compiled = []
    theano_make_c_thunk = Op.make_c_thunk

    def make_c_thunk(op, node, *args):
        if all(isinstance(i, Constant) for i in node.inputs):
            compiled.append(node)
        return theano_make_c_thunk(op, node, *args)

    monkeypatch.setattr(Op, "make_c_thunk", make_c_thunk)
    X, Y = T.fmatrix(), T.fmatrix()  # 2_logistic_regression.py's model and training step
    w = theano.shared(np.zeros((784, 10), dtype="float32"))
    py_x = T.nnet.softmax(T.dot(X, w))
    cost = T.mean(T.nnet.categorical_crossentropy(py_x, Y))
    theano.function([X, Y], cost, updates=[(w, w - 0.05 * T.grad(cost, w))], allow_input_downcast=True)
    assert compiled == []

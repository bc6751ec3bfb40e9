"""Constants folded without compiling C code for it.

When Theano compiles a function it folds each node whose inputs are all constants into a
constant, by running the node: its C code, compiled for that, unless the op asks for its
Python code (python_constant_folding, as Elemwise does for scalars). In the talk's graphs
these are a constant broadcast to more dimensions (DimShuffle: the learning rate, 0. of
rectify, RMSprop's constants) and a number taken out of a constant shape
(ScalarFromTensor, Subtensor): C modules compiled one after another while the function
is optimized, before any of its own (which then compile at once: the functions need
the DimShuffle and Subtensor modules too, the convnet's ScalarFromTensor not at all),
and a key written under the compiledir's lock for each new constant. Their Python code
moves and picks the same numbers, into an array of the same type, shape and strides, so
these ops ask for it: the folded constants, and so the functions and their modules'
keys, stay the same.
"""
from theano.tensor.basic import ScalarFromTensor
from theano.tensor.elemwise import DimShuffle
from theano.tensor.subtensor import Subtensor


def python_constant_folding(op, node):
    return True


def install():
    """Have DimShuffle, ScalarFromTensor and Subtensor ask for their Python code when folded."""
    for op in (DimShuffle, ScalarFromTensor, Subtensor):
        op.python_constant_folding = python_constant_folding

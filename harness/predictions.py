"""What a script's model answers for each image, with its ten probabilities (for --figures).

They come from the script's own graph, never from a copy of its model: the accuracy(X, Y)
a script hands its run calls the script's `predict`, a theano.function of argmax(py_x);
the probabilities are py_x, taken from predict's graph and compiled on their own.
"""
import inspect

import theano


def probabilities_function(accuracy):
    """A function of images to the probabilities py_x whose argmax the script's predict
    gives, found through `accuracy`; None if accuracy calls no such predict."""
    functions = [value for value in inspect.getclosurevars(accuracy).globals.values()
                 if isinstance(value, theano.compile.function_module.Function)]
    if len(functions) != 1:
        return None
    maker = functions[0].maker
    inputs = [given.variable for given in maker.inputs if not given.implicit]  # the shared weights are implicit
    answer = maker.outputs[0].variable  # the graph as the script wrote it, before Theano optimised it
    if len(inputs) != 1 or answer.owner is None or "Argmax" not in type(answer.owner.op).__name__:
        return None
    # the images in the shape the script gave them: its own test set
    return theano.function(inputs, answer.owner.inputs[0], allow_input_downcast=True)

"""A rewrite Theano refuses costs a check, not a read of Theano's source files.

When a function is compiled, Theano tries rewrites of its graph and validates each; a
rewrite that would break the graph (say, an elementwise op writing into an input another
op still reads) fails validation and is taken back. Theano 1.0.5's validation then asks
who called it, with inspect.getframeinfo, which reads the caller's source file and looks
through every loaded module for it, only to read the caller's name. The convnet's
train function has some twenty such refusals when its elementwise ops are made to work
in place, and they cost more than the rest of its optimization. Here the validation reads
the caller's name from its frame, as getframeinfo does in the end: the same answer, the
same graphs.
"""
import sys
import time

from theano.gof.toolbox import Validator


def validate_(self, fgraph):
    """Theano's Validator.validate_, but the caller's name read from its frame."""
    t0 = time.time()
    try:
        ret = fgraph.execute_callbacks("validate")
    except Exception as e:
        caller = sys._getframe(1)
        # replace_all_validate says what failed itself; other callers say it here when verbose
        if caller.f_code.co_name != "replace_all_validate" and caller.f_locals.get("verbose", False):
            print("validate failed on node %s.\n Reason: %s, %s" % (caller.f_locals.get("r", ""),
                                                                    caller.f_code.co_name, e))
        raise
    if fgraph.profile:
        fgraph.profile.validate_time += time.time() - t0
    return ret


def install():
    Validator.validate_ = validate_

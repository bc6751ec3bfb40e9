"""The plumbing the scripts share, kept out of their way. Import it before theano.

`import harness` takes the steps in STEPS, in that order, then offers the scripts
parse_args (harness/flags.py: the command line), Run (harness/training.py: the per-epoch
report, Ctrl-C, and what a run writes when it ends) and load_params, save_params
(harness/model_file.py: the learned weights as an .npz file).
"""
import os
import sys

from common.errors import LearnerError
from common.jupyter_kernel import in_notebook
from harness import cache_repair, compiler_version, lazy_scipy, machine, theano_defaults  # none imports NumPy or Theano


def show_errors_as_paragraphs():
    """Errors a user can fix are one paragraph, not a traceback, at a terminal and in a notebook."""
    sys.excepthook = _excepthook
    if in_notebook():  # the kernel shows errors itself: the same paragraph there
        sys.modules["IPython"].get_ipython().set_custom_exc(
            (LearnerError, cache_repair.CompileCacheFull),
            lambda shell, kind, error, traceback, tb_offset=None: _excepthook(kind, error, traceback))


def _excepthook(kind, error, traceback):
    """An error a user can fix as one paragraph, Ctrl-C as one line; SHOW_TRACEBACK=1 shows
    the traceback."""
    if issubclass(kind, KeyboardInterrupt):
        print("\nStopped by Ctrl-C; nothing was saved.", file=sys.stderr)
    elif issubclass(kind, LearnerError) and not os.environ.get("SHOW_TRACEBACK"):
        print(f"error: {error}", file=sys.stderr)
    elif (full_disk := cache_repair.full_disk_paragraph(error, traceback)) and not os.environ.get("SHOW_TRACEBACK"):
        print(f"error: {full_disk}", file=sys.stderr)
    elif "Compilation failed (return status=" in str(error) and not os.environ.get("SHOW_TRACEBACK"):
        print(f"error: Theano could not compile its C code: {str(error).split('Compilation failed')[1][:400]} "
              "The C code and the compiler's full output are in the temporary file Theano named above. "
              "SHOW_TRACEBACK=1 shows the full traceback.", file=sys.stderr)
    else:
        sys.__excepthook__(kind, error, traceback)


# The steps whose module imports Theano import it when they run, once Theano is imported.

def keep_compiler_checks():
    """Theano's checks of the compiler run once per compiler, flags and CPU (compiler_checks.py)."""
    from harness import compiler_checks
    compiler_checks.install()


def reuse_compiled_modules():
    """Patches to CLinker and COp: Theano reuses the C code it compiled in earlier runs (compile_cache.py)."""
    from harness import compile_cache
    compile_cache.install()


def compile_in_parallel():
    """Theano compiles the C code a function lacks on all cores at once (parallel_compile.py)."""
    from harness import parallel_compile
    parallel_compile.install()


def validate_quickly():
    """A rewrite Theano refuses while it optimizes a graph costs a check, not a read of its
    source files (quick_validation.py)."""
    from harness import quick_validation
    quick_validation.install()


def start_random_streams_in_numpy():
    """Dropout's random streams take their starting states from NumPy, not from a compiled
    function called once a stream (random_streams.py)."""
    from harness import random_streams
    random_streams.install()


def fold_constants_in_python():
    """Theano folds constants it can move or index in Python, compiling no C code for that
    (constant_folding.py)."""
    from harness import constant_folding
    constant_folding.install()


def swap_in_fast_ops():
    """Faster C code for dropout's random numbers, max-pooling, the convolutions, chains of
    elementwise loops and the sigmoid, the same results, swapped in when a function is
    compiled (fast_ops.py, fast_convolutions.py, fast_elemwise.py, fast_sigmoid.py;
    THEANO_FLAGS=optimizer_excluding=fast_ops: off)."""
    from harness import fast_convolutions, fast_elemwise, fast_ops, fast_sigmoid
    fast_ops.install()
    fast_convolutions.install()
    fast_elemwise.install()
    fast_sigmoid.install()


STEPS = [
    theano_defaults.set_defaults,  # first: NumPy and Theano read the environment once, as they load
    theano_defaults.keep_freed_memory,  # mallopt, before the first big array is freed
    show_errors_as_paragraphs,  # sys.excepthook, before Theano: a setting it refuses is one paragraph too
    cache_repair.check_theanos_own_modules,  # before Theano: it loads its own compiled modules as it is imported
    compiler_version.keep_answers,  # before Theano: it asks its compiler for its version as it is imported
    lazy_scipy.defer,  # before Theano: it imports parts of SciPy it never uses here as it is imported
    machine.import_theano,  # the settings and machine you bring, said in a line or a paragraph
    keep_compiler_checks,  # next: Theano checks its compiler before its first module
    machine.check_compiler,  # a compiler, flags or BLAS you chose builds a module, checked once for those
    # changes to Theano, each on its own, in place before the script compiles its first function
    reuse_compiled_modules,
    compile_in_parallel,
    fold_constants_in_python,
    validate_quickly,
    start_random_streams_in_numpy,
    swap_in_fast_ops,
]
for _step in STEPS:
    _step()

# What the scripts use; these import NumPy and Theano, so after the steps.
from harness.flags import parse_args  # noqa: E402, F401
from harness.model_file import load_params, save_params  # noqa: E402, F401
from harness.training import Run  # noqa: E402, F401

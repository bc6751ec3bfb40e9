"""The plumbing the scripts share, kept out of their way. Import it before theano.

- theano_defaults: this project's Theano defaults (float32, an OpenBLAS that works with
  NumPy 1.23, OpenMP, threads and memory tuned for speed), leaving any choice you made
  in THEANO_FLAGS, ~/.theanorc or the environment alone;
- machine: the settings and machine you bring, said in a line or a paragraph (it
  imports Theano);
- cache_repair: a compiled module that is damaged (cut short, empty, missing) is set
  aside and compiled again; a compile cache on a full disk is one paragraph;
- compiler_checks: Theano's checks of the compiler run once per compiler, flags and CPU,
  not in every run;
- compile_cache: Theano reuses the C code it compiled in earlier runs;
- parallel_compile: Theano compiles the C code a function lacks on all cores at once;
- constant_folding: Theano folds constants it can move or index in Python without
  compiling C code for that;
- fast_ops: faster C code for dropout's random numbers and max-pooling, the same results,
  swapped in when a function is compiled (THEANO_FLAGS=optimizer_excluding=fast_ops: off);
- fast_convolutions: Theano's convolutions with faster unfolding of the images, the same
  results, swapped in the same way and switched off with the same flag;
- flags: the command line;
- training: the per-epoch report, Ctrl-C, and what a run writes when it ends;
- model_file: the learned weights as an .npz file;
- predictions (imported by --figures only): what the script's own model answers for each
  test image, with its probabilities.
"""
import os
import sys

from harness import theano_defaults  # noqa: F401  first: it sets the environment NumPy and Theano read
from harness import cache_repair  # before Theano: Theano loads compiled modules while it is imported
from common.errors import LearnerError
from common.jupyter_kernel import in_notebook


def _excepthook(kind, error, traceback):
    """Errors a user can fix get one paragraph, not a traceback (SHOW_TRACEBACK=1 shows it)."""
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


sys.excepthook = _excepthook  # before Theano is imported: a setting it refuses is one paragraph too
from harness import machine  # noqa: E402  imports Theano
from harness import compile_cache  # noqa: E402, F401
from harness import parallel_compile  # noqa: E402, F401
from harness import constant_folding  # noqa: E402, F401
from harness import fast_ops  # noqa: E402, F401
from harness import fast_convolutions  # noqa: E402, F401
from harness.flags import parse_args  # noqa: E402, F401
from harness.model_file import load_params, save_params  # noqa: E402, F401
from harness.training import Run  # noqa: E402, F401

if in_notebook():  # the kernel shows errors itself: the same paragraph there
    sys.modules["IPython"].get_ipython().set_custom_exc(
        (LearnerError, cache_repair.CompileCacheFull), lambda shell, kind, error, traceback, tb_offset=None: _excepthook(kind, error, traceback))

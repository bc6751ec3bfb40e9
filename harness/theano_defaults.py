"""This project's Theano defaults, set by harness/__init__.py before NumPy and Theano load.

Each fills in only what you did not choose yourself in THEANO_FLAGS, a .theanorc file
or the environment. Importing this module imports neither NumPy nor Theano.
"""
import configparser
import ctypes
import logging
import os

# OpenMP's threads (Theano's ops) and OpenBLAS's threads (matrix products) take turns
# on the same cores; an idle pool that kept spinning would slow the other one down,
# so each lets its threads sleep soon: OpenMP's at once, OpenBLAS's after 2**16 cycles
# (some 20 microseconds; OpenBLAS's own default is 2**28), within which logistic
# regression's small products follow one another: waking a sleeping thread takes longer
# than such a product (docs/theano.md). Set only where you have not set them, and
# before NumPy loads its own OpenBLAS, which reads them once.
THREAD_DEFAULTS = {"OMP_WAIT_POLICY": "PASSIVE", "OPENBLAS_THREAD_TIMEOUT": "16"}

# The BLAS routines Theano's C code calls, and the threads API its openmp mode uses.
BLAS_NAMES = ["sgemm_", "dgemm_", "sgemv_", "dgemv_", "sger_", "dger_", "sdot_", "ddot_", "saxpy_", "daxpy_",
              "sscal_", "dscal_", "scopy_", "dcopy_", "openblas_get_num_threads", "openblas_set_num_threads"]


def _blas_ldflags():
    """Link Theano's C code against the OpenBLAS of the scipy-openblas32 wheel.

    Theano 1.0.5's own BLAS probe crashes on NumPy 1.23. The wheel names its symbols
    scipy_sgemm_ and so on, so -D renames Theano's calls to match; Theano adds the
    rpath itself. Without the wheel: empty, and Theano uses NumPy's BLAS (slower)."""
    try:
        import scipy_openblas32
    except ImportError:
        return ""
    library = scipy_openblas32.get_library()  # "scipy_openblas"
    prefix = library[:-len("openblas")]
    renames = " ".join(f"-D{name}={prefix}{name}" for name in BLAS_NAMES)
    return f"-L{scipy_openblas32.get_lib_dir()} -l{library} {renames}"


def theano_defaults():
    """The keys set only where THEANO_FLAGS and the .theanorc files say nothing of them.
    Called once the thread settings are in the environment: finding the wheel's OpenBLAS
    loads it, and OpenBLAS reads them as it loads (its threads would otherwise keep
    spinning a tenth of a second after each matrix product, on the cores the next op's
    threads need)."""
    return {**THEANO_DEFAULTS, "blas.ldflags": _blas_ldflags()}


# Keys set only where THEANO_FLAGS and the .theanorc files say nothing of them
# (theano_defaults() adds blas.ldflags).
THEANO_DEFAULTS = {
    "floatX": "float32",  # the convnet's gradient only type-checks in float32
    # Spread convolutions, pooling and big elementwise ops over the cores. Only with the
    # wheel's OpenBLAS linked: with NumPy's BLAS, openmp crashed the convnet.
    "openmp": "True",
    # No debug information in the compiled modules: the same machine code, and g++ takes
    # about a quarter less time (Theano passes -g; a later -g0 overrides it).
    "gcc.cxxflags": "-g0",
    # A process that finds the compiledir locked by another (compiling, or taking a module
    # into the cache for a moment) looks again after 1-2 s instead of Theano's 5-10 s.
    "compile.wait": "1",
}


USER_FLAGS = os.environ.get("THEANO_FLAGS", "")  # as you set them, before the defaults join them


def user_setting(key):
    """(value, where it was set) of a Theano setting you chose: THEANO_FLAGS, then the
    .theanorc files Theano reads (option names ignore case there); (None, None) if unset."""
    flags = [pair.split("=", 1) for pair in USER_FLAGS.split(",") if "=" in pair]
    for name, value in reversed(flags):  # the last one counts, as in Theano
        if name.strip() == key:
            return value.strip(), "THEANO_FLAGS"
    section, option = key.rsplit(".", 1) if "." in key else ("global", key)
    for path in reversed(os.environ.get("THEANORC", "~/.theanorc").split(os.pathsep)):
        rc = configparser.ConfigParser(interpolation=None)
        rc.read(os.path.expanduser(path))
        if rc.has_option(section, option):
            return rc.get(section, option), path
    return None, None


def set_defaults():
    """The thread settings and Theano's defaults, in the environment NumPy and Theano read
    once, as they load."""
    for name, value in THREAD_DEFAULTS.items():
        os.environ.setdefault(name, value)
    ours = theano_defaults()
    chosen = {key for key in ours if user_setting(key)[1]}
    if "blas.ldflags" in chosen or not ours["blas.ldflags"]:
        chosen.add("openmp")  # with your BLAS or NumPy's, openmp stays as Theano has it (off)
    defaults = [f"{key}={value}" for key, value in ours.items() if key not in chosen]
    if defaults:
        os.environ["THEANO_FLAGS"] = ",".join(defaults + ([USER_FLAGS] if USER_FLAGS else []))
    if "blas.ldflags" not in chosen and not ours["blas.ldflags"]:
        # NumPy's BLAS is our fallback, on purpose; Theano would warn about it on every run.
        logging.getLogger("theano.tensor.blas").setLevel(logging.ERROR)


def keep_freed_memory():
    """Let glibc keep the memory of freed arrays for the next training step.

    Theano allocates its big arrays (up to 15 MB for the convnet) afresh at every step.
    By default glibc gives such blocks back to the system when they are freed, and the
    system has to hand over fresh zeroed pages the next time: a third of a convnet step
    here. Up to 32 MB blocks now come from the heap, which keeps freed memory. Skipped if
    you set MALLOC_MMAP_THRESHOLD_ or MALLOC_TRIM_THRESHOLD_, and where there is no glibc."""
    if {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"} & set(os.environ):
        return
    try:  # the C library Python runs on (finding it by name would run ldconfig)
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # no C library with mallopt
        return
    m_trim_threshold, m_mmap_threshold = -1, -3
    mallopt(m_mmap_threshold, 32 * 2**20)
    mallopt(m_trim_threshold, 2**30)

"""The machine a benchmark ran on, as the operating system reports it, for results/*.json."""
import ctypes
import os
import platform


def machine():
    """'2 cores, AMD EPYC': the cores this process may use and the CPU's model name."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:  # Linux: the model name; platform gives only x86_64
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cores} cores, {cpu}"


def cpu_model():
    """'family 25, model 17': which generation of the CPU model machine() names (two CPUs of
    one name may differ in their vector units, and OpenBLAS then picks other kernels); None
    where the operating system does not say."""
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(map(str.strip, line.split(":", 1)) for line in f.read().split("\n\n")[0].splitlines()
                          if ":" in line)
        return f"family {fields['cpu family']}, model {fields['model']}"
    except (OSError, KeyError):
        return None


def theano_openblas():
    """(library, function prefix) of the OpenBLAS Theano's C code calls here (the
    scipy-openblas32 wheel, whose functions are scipy_sgemm_, scipy_openblas_...);
    (None, None) without the wheel, where Theano calls NumPy's BLAS."""
    try:
        import scipy_openblas32
    except ImportError:
        return None, None
    name = scipy_openblas32.get_library()  # "scipy_openblas"
    return ctypes.CDLL(os.path.join(scipy_openblas32.get_lib_dir(), f"lib{name}.so")), name[:-len("openblas")]


def openblas_kernels():
    """The kernel set ('Haswell', 'SkylakeX', ...) Theano's OpenBLAS runs in this process:
    its pick for the CPU, unless OPENBLAS_CORETYPE names one. None without the wheel."""
    library, prefix = theano_openblas()
    if library is None:
        return None
    corename = getattr(library, f"{prefix}openblas_get_corename")
    corename.restype = ctypes.c_char_p
    return corename().decode()

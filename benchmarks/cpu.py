"""The machine a benchmark ran on, as the operating system reports it, for results/*.json."""
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

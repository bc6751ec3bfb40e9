"""benchmarks/cpu.py: the machine a benchmark records is the one the operating system reports."""
import os
import platform
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "benchmarks"))
import cpu  # noqa: E402


def test_machine_names_the_cores_and_the_cpu_model():
    cores, model = cpu.machine().split(" cores, ")
    assert int(cores) == len(os.sched_getaffinity(0))
    with open("/proc/cpuinfo") as f:
        names = {line.split(":", 1)[1].strip() for line in f if line.startswith("model name")}
    if names:  # Linux on x86: the model name, not just the architecture (x86_64)
        assert model in names
    else:
        assert model == (platform.processor() or platform.machine())

"""harness/quick_validation.py: the modern net's functions compile to the same graphs with
Theano's validation as shipped and with the harness's, and only the shipped one reads
source files (inspect.getframeinfo) when a rewrite is refused."""
import json
import subprocess
import sys

from conftest import REPO

PROGRAM = """
import importlib.util, inspect, json, runpy, sys
import harness, theano
from theano.gof import toolbox

spec = importlib.util.spec_from_file_location("toolbox_as_shipped", toolbox.__file__)
as_shipped = importlib.util.module_from_spec(spec)
spec.loader.exec_module(as_shipped)
calls = {"getframeinfo": 0}
getframeinfo = inspect.getframeinfo
def counted(*args, **kwargs):
    calls["getframeinfo"] += 1
    return getframeinfo(*args, **kwargs)
inspect.getframeinfo = counted
compile_function = theano.function
graphs = []
def recorded(*args, **kwargs):
    f = compile_function(*args, **kwargs)
    graphs.append([str(node) for node in f.maker.fgraph.toposort()])
    return f
theano.function = recorded
data, said = sys.argv[1], {}
for name, validate in (("harness", toolbox.Validator.validate_), ("shipped", as_shipped.Validator.validate_)):
    toolbox.Validator.validate_ = validate
    calls["getframeinfo"], graphs[:] = 0, []
    sys.argv = ["4_modern_net.py", "--epochs", "0", "--ntrain", "256", "--ntest", "100", "--data-dir", data]
    runpy.run_path("4_modern_net.py", run_name="__main__")
    said[name] = {"graphs": list(graphs), "getframeinfo": calls["getframeinfo"]}
print(json.dumps(said))
"""


def test_the_same_graphs_without_reading_source_files(synthetic_mnist):
    run = subprocess.run([sys.executable, "-c", PROGRAM, synthetic_mnist], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout.splitlines()[-1])
    assert said["harness"]["graphs"] == said["shipped"]["graphs"] and len(said["harness"]["graphs"]) >= 2
    # Theano as shipped reads a caller's frame info at each refused rewrite: the modern net has some
    assert said["shipped"]["getframeinfo"] > 0 and said["harness"]["getframeinfo"] == 0

"""Compile the C modules a function lacks in parallel, on the cores this process may use.

Theano 1.0.5 makes a function's thunks node after node, and compiles each node's missing
C module then, one g++ at a time under the compiledir's lock, while the other cores
idle. Here, the first time the module cache lacks a module while a function is linked
(VM_Linker.make_all), every module the function's nodes lack is generated as
Op.make_c_thunk would generate it and compiled by Theano's own compile_str, several at
once, each in a folder of the compiledir as module_from_key makes one. Theano's
module_from_key then takes each into the cache from that folder, under the lock, as if
it had compiled it there: the same source, key, key.pkl and module, byte for byte. The
function's nodes then find their modules, as in a later run, which compiles nothing and
so does none of this. Processes compiling into one compiledir compile each module once:
one waits for a module another compiles, and compiles its others meanwhile. The headers
every module starts with are precompiled once per compiledir and set of flags, when five
modules or more of a batch share them, and kept there for every later batch and run
(GCC reads a precompiled header only where it is valid, to the same effect as the
headers themselves: the same bytes); that saves a third of a small module's time.

THEANO_TUTORIALS_COMPILE_JOBS sets how many compile at once (default: the cores this
process may run on, no more than OMP_NUM_THREADS); 1 leaves Theano's serial compiling as
it is. A compiler error is raised when Theano reaches its node, as Theano raises it. An
interrupt stops the compilers and removes the folders of the modules not in the cache.

install() puts the patches in place (harness/__init__.py calls it once Theano is imported).
They wrap methods of Theano 1.0.5: on any other version they stay off, and a line says so.
"""
import collections
import concurrent.futures
import contextlib
import fcntl
import glob
import hashlib
import importlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import theano
from theano.gof import cmodule
from theano.gof.cc import CLinker
from theano.gof.fg import FunctionGraph
from theano.gof.op import Op
from theano.gof.vm import VM_Linker

from common.errors import SettingError

FITS = "1.0.5"  # the Theano whose VM_Linker.make_all and ModuleCache._get_from_key these wrap
JOBS = "THEANO_TUTORIALS_COMPILE_JOBS"
WAITING = 0.2  # seconds between looks at the modules other processes compile
# The includes every module of Theano's starts with (cmodule.DynamicModule), half of the
# compiler's time on a small module: precompiled once per set of flags, in a batch where
# PRECOMPILE_FROM modules or more share them (it takes as long as compiling two modules,
# and saves a third of each), and kept in the compiledir (tens of MB a set)
PRELUDE = "".join(f"#include {header}\n" for header in (
    "<Python.h>", "<iostream>", '"theano_mod_helper.h"', "<math.h>", "<numpy/arrayobject.h>", "<numpy/arrayscalars.h>"))
PRECOMPILE_FROM = 5
PRECOMPILE_ROOM = 2**30  # free bytes on the compiledir's disk below which none is made: the modules need them more


def jobs():
    """How many modules compile at once."""
    value = os.environ.get(JOBS)
    if value is not None:
        if not value.strip().isdigit() or int(value) < 1:
            raise SettingError(f"{JOBS}={value!r}: it says how many C modules Theano compiles at once, a whole "
                               f"number from 1 (one after another) up. Set it so, or unset it to use every core.")
        return int(value)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    threads = os.environ.get("OMP_NUM_THREADS", "").strip()
    return min(cores, int(threads)) if threads.isdigit() and int(threads) > 0 else cores


_linking = threading.local()  # linker: the function being linked, until its missing modules are compiled;
#                               failed: {key: the compiler's error}, raised when Theano asks for that module


def make_all(linker, *args, **kwargs):
    """VM_Linker.make_all, with its function's missing modules compiled at its first miss."""
    outer = getattr(_linking, "linker", None), getattr(_linking, "failed", {})  # a function linked inside another's
    _linking.linker, _linking.failed = linker, {}
    try:
        return _theano_make_all(linker, *args, **kwargs)
    finally:
        _linking.linker, _linking.failed = outer


def _get_from_key(cache, key, key_data=None):
    """ModuleCache._get_from_key: on a miss while a function is linked, first compile all
    the modules it lacks, or raise the compiler's error for this one."""
    module = _theano_get_from_key(cache, key, key_data)
    if module is not None or key is None:
        return module
    linker = getattr(_linking, "linker", None)
    if linker is not None:
        _linking.linker = None  # once per function
        _compile_missing(cache, linker.schedule(linker.fgraph), _linking.failed)
        module = _theano_get_from_key(cache, key, key_data)
    error = getattr(_linking, "failed", {}).pop(key, None)
    if error is not None:
        raise error
    return module


class _Module:
    """A node's C module as Op.make_c_thunk and CLinker.compile_cmodule make it."""

    def __init__(self, node):
        self.linker = CLinker().accept(FunctionGraph(node.inputs, node.outputs), no_recycling=[])
        for n in self.linker.node_order:  # as CLinker.cthunk_factory does
            n.op.prepare_node(n, None, None, "c")
        self.key = self.linker.cmodule_key()
        # Made only for a missing module, by generate(): its source, its file's name,
        # compile_str's arguments, its graph as an error names it; and its hash in the cache
        self.src = self.library = self.arguments = self.fgraph_text = self.hash = None
        self.location = None  # its folder in the compiledir: set by place()
        self.adopted = False  # whether the cache took it from there

    def generate(self):
        """Its source and compile_str's arguments, as compile_cmodule makes them, and its hash."""
        linker, mod = self.linker, self.linker.get_dynamic_module()
        self.src = mod.code()
        self.library = f"{mod.code_hash}.{cmodule.get_lib_extension()}"
        self.arguments = dict(module_name=mod.code_hash, src_code=self.src, include_dirs=linker.header_dirs(),
                              lib_dirs=linker.lib_dirs(), libs=linker.libraries(), preargs=linker.compile_args())
        self.fgraph_text = str(linker.fgraph)
        self.hash = cmodule.get_module_hash(self.src, self.key)

    def place(self, cache):
        """Make its folder in the compiledir as module_from_key does, with its source in it
        at once: a folder without key.pkl that is not empty is one the cache leaves alone."""
        self.location = cmodule.dlimport_workdir(cache.dirname)
        with open(os.path.join(self.location, "mod.cpp"), "w") as f:
            f.write(self.src)

    def compile(self, prelude):
        """Compile in its folder as compile_cmodule does (on a thread of its own), with
        `prelude()`'s arguments (a header to include first, its includes precompiled)."""
        arguments = {**self.arguments, "preargs": self.arguments["preargs"] + prelude(self)}
        try:
            self.linker.c_compiler().compile_str(location=self.location, py_module=False, **arguments)
        except Exception as error:
            error.args += (self.fgraph_text,)  # as compile_cmodule says it
            raise

    def adopt(self, cache):
        """Let module_from_key take the compiled module into the cache, in its folder, under
        the compiledir's lock, unless another process put the same module there meanwhile."""
        theano_workdir = cmodule.dlimport_workdir
        cmodule.dlimport_workdir = lambda basedir: self.location
        try:
            self.adopted = cache.module_from_key(key=self.key, lnk=self).__file__.startswith(self.location)
        finally:
            cmodule.dlimport_workdir = theano_workdir

    # What module_from_key asks of a linker
    def get_src_code(self):
        return self.src

    def compile_cmodule(self, location):
        """The module compiled in `location`, loaded as compile_str loads it."""
        open(os.path.join(location, "__init__.py"), "w").close()
        return cmodule.dlimport(os.path.join(location, self.library))


def _missing(cache, node, hashes):
    """The node's module if Theano would compile it now and no other node of the batch
    compiles it, else None: a node with its own make_thunk or without C code, a module
    the cache has (by key or by source)."""
    if type(node.op).make_thunk is not Op.make_thunk:
        return None
    try:
        module = _Module(node)
        if module.key is None or module.key in cache.entry_from_key:
            return None
        module.generate()
    except Exception:  # Theano meets it again at the node and acts as it does today
        return None
    if module.hash in cache.module_hash_to_key_data or module.hash in hashes:
        return None
    hashes.add(module.hash)
    return module


def _compile_missing(cache, nodes, failed):
    """Compile the modules the nodes lack, at once, and put them into the cache; `failed`
    gets each compiler error by key. Each is compiled once a thread is free for it, if
    the cache, read again then, still lacks it; a module another process compiles is
    waited for, and compiled here only if that process leaves it: nothing compiles twice."""
    hashes = set()
    missing = [module for module in (_missing(cache, node, hashes) for node in nodes) if module is not None]
    if not missing:  # a new key of a module the cache has
        return
    with _ending_signals_caught(), _Compilers(cache) as compilers:
        pending, compiling = collections.deque(compilers.prepare(missing)), {}
        while pending or compiling:
            cache.refresh(cleanup=False)  # modules other processes compiled meanwhile
            for _ in range(len(pending)):
                if len(compiling) == _jobs:
                    break
                module = pending.popleft()
                if module.hash in cache.module_hash_to_key_data:
                    continue
                if compilers.claim(module):
                    compiling[compilers.submit(module)] = module
                else:
                    pending.append(module)  # another process compiles it: looked at again
            # Theano's helper that runs thunks (cutils_ext), compiled once per compiledir when
            # a first thunk is made: compiled now, beside the modules (imported once)
            importlib.import_module("theano.gof.cutils")
            if not compiling:
                time.sleep(WAITING)
            done, _ = concurrent.futures.wait(compiling, timeout=WAITING if pending else None,
                                              return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                module = compiling.pop(future)
                if future.exception() is not None:
                    failed[module.key] = future.exception()
                else:
                    module.adopt(cache)
                compilers.release(module)


class _Prelude:
    """PRELUDE precompiled for one set of flags, kept in the compiledir for every later batch
    and run with them: prelude-DIGEST.h, its .h.gch beside it (where GCC looks for it), and
    its .json, the headers it was made from with their sizes and times of change: GCC does
    not check that they are unchanged, so a changed one (NumPy, the compiler upgraded) has
    it made again."""

    def __init__(self, compiledir, module):
        include_dirs = [d for d in module.arguments["include_dirs"] if d] + cmodule.std_include_dirs()
        self.command = [theano.config.cxx, "-g", *module.arguments["preargs"], *(f"-I{d}" for d in include_dirs),
                        "-fvisibility=hidden", "-x", "c++-header"]  # as compile_str compiles the module
        digest = hashlib.sha256("\0".join(self.command).encode()).hexdigest()[:16]
        self.header = os.path.join(compiledir, f"prelude-{digest}.h")
        self.compiler = shutil.which(theano.config.cxx)

    def made(self):
        """Whether it is made, from the headers and compiler as they are now."""
        try:
            with open(f"{self.header}.json") as f:
                stamps = json.load(f)
        except (OSError, ValueError):
            return False
        return os.path.exists(f"{self.header}.gch") and all(
            _stamp(path) == stamp for path, stamp in stamps.items())

    def make(self, output):
        """Precompile it with `output` (what runs the compiler); whether that worked (where
        not, the modules read the headers themselves)."""
        mine = f"{self.header}.{os.getpid()}"  # this process's files, until they are whole
        try:
            _write_whole(self.header, PRELUDE, mine)
            if output([*self.command, "-MD", "-MF", f"{mine}.d", "-o", f"{mine}.gch", self.header])[2] != 0:
                return False
            stamps = {path: _stamp(path) for path in [self.compiler, *_headers_read(f"{mine}.d")] if path != self.header}
            os.replace(f"{mine}.gch", f"{self.header}.gch")
            _write_whole(f"{self.header}.json", json.dumps(stamps), mine)  # last: it says the rest is whole
            self.remove_unused()
            return True
        except OSError:  # a full disk: the modules read the headers themselves
            return False
        finally:
            for leftover in (f"{mine}.gch", f"{mine}.d", mine):
                with contextlib.suppress(FileNotFoundError):
                    os.remove(leftover)


    def remove_unused(self):
        """Remove the other sets' precompiled includes that no compile has read for as long as
        Theano keeps a module no run loads (cmodule.age_thresh_use): those of flags or of a
        virtual environment gone. Their header stays (a few bytes), so that a compile that
        names it now reads the includes themselves."""
        unused_since = time.time() - theano.config.cmodule.age_thresh_use
        for made in glob.glob(os.path.join(os.path.dirname(self.header), "prelude-*.h.gch")):
            with contextlib.suppress(FileNotFoundError):
                if made != f"{self.header}.gch" and os.stat(made).st_atime < unused_since:
                    for path in (made[:-len(".gch")] + ".json", made):  # the record first: without it, it is made again
                        with contextlib.suppress(FileNotFoundError):
                            os.remove(path)


def _headers_read(dependencies):
    """The files a compile read, from the make rule GCC wrote for it (-MD)."""
    with open(dependencies) as f:
        rule = f.read().split(":", 1)[1]
    return [path.replace("\\ ", " ") for path in re.findall(r"(?:\\.|[^\s\\])+", rule)]


def _stamp(path):
    """[size, time of change] of a file, or None where there is none."""
    try:
        status = os.stat(path)
    except (OSError, TypeError):
        return None
    return [status.st_size, status.st_mtime_ns]


def _write_whole(path, text, temporary):
    """Write `text` to `path` as one change, by way of `temporary`."""
    with open(temporary, "w") as f:
        f.write(text)
    os.replace(temporary, path)


class _Stopped(BaseException):
    """A compiler that was stopped: not an error to report."""


class _Compilers:
    """Threads that compile modules in their folders, each compiler in a process group of
    its own. Leaving on an exception (an interrupt) stops them and their own children
    (cc1plus, as, ld). Leaving removes the folders the cache did not take (a compiler
    error, a module another process compiled too, an interrupt), as module_from_key
    removes a folder whose compiling failed; one with key.pkl is the cache's."""

    def __init__(self, cache):
        self.cache = cache
        self.running = set()  # the compilers
        self.stopped = False
        self.lock = threading.Lock()
        self.modules = []  # those submitted
        self.claims = {}  # module: its claim, a file locked while this process compiles it
        self.preludes = {}  # flags: (their _Prelude, whether it is made: a future)
        self.pool = self.theano_output = None  # set on entering

    def __enter__(self):
        self.pool = concurrent.futures.ThreadPoolExecutor(_jobs)
        self.theano_output = cmodule.output_subprocess_Popen  # how compile_str runs its compiler
        cmodule.output_subprocess_Popen = self.output
        return self

    def claim(self, module):
        """Whether this process compiles `module`: no other process compiles it now, and the
        cache still lacks it. A claim is a lock on a file of the compiledir per module (the
        cache leaves files alone), which the system releases if its process ends."""
        claim = open(os.path.join(self.cache.dirname, f"{module.hash}.compiling"), "a")
        try:
            fcntl.flock(claim, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            claim.close()
            return False
        self.claims[module] = claim
        self.cache.refresh(cleanup=False)  # taken into the cache just before its claim was released
        if module.hash in self.cache.module_hash_to_key_data:
            self.release(module)
            return False
        return True

    def release(self, module):
        """The module is in the cache, or its compiling failed."""
        claim = self.claims.pop(module)
        with contextlib.suppress(FileNotFoundError):
            os.remove(claim.name)
        claim.close()

    def prepare(self, modules):
        """Find PRELUDE precompiled for each set of flags of the modules, or start precompiling
        it for a set PRECOMPILE_FROM modules or more share; the modules in the order they are
        best compiled: those waiting for it last."""
        sets = collections.Counter(map(self.flags, modules))
        for flags, count in sets.items():
            if flags is None:
                continue
            prelude = _Prelude(self.cache.dirname, next(module for module in modules if self.flags(module) == flags))
            if prelude.made():
                made = concurrent.futures.Future()
                made.set_result(True)
                self.preludes[flags] = prelude, made
            elif count >= PRECOMPILE_FROM and shutil.disk_usage(self.cache.dirname).free >= PRECOMPILE_ROOM:
                self.preludes[flags] = prelude, self.pool.submit(prelude.make, self.output)
        return sorted(modules, key=lambda module: not self.prelude(module) and self.flags(module) in self.preludes)

    def submit(self, module):
        module.place(self.cache)
        self.modules.append(module)
        return self.pool.submit(module.compile, self.prelude)

    @staticmethod
    def flags(module):
        """What a precompiled PRELUDE depends on, or None for a module that starts otherwise."""
        if not module.src.startswith(PRELUDE):
            return None
        return tuple(module.arguments["preargs"]), tuple(module.arguments["include_dirs"])

    def prelude(self, module):
        """The arguments that have a module read PRELUDE precompiled, once it is."""
        prelude, made = self.preludes.get(self.flags(module), (None, None))
        if made is None or not made.done() or made.exception() is not None or not made.result():
            return []
        return ["-include", prelude.header]

    def output(self, command, **params):
        """theano.misc.windows.output_subprocess_Popen: (stdout, stderr, status) of a command."""
        with self.lock:
            if self.stopped:
                raise _Stopped()
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       start_new_session=True, **{"stdin": subprocess.DEVNULL, **params})
            self.running.add(process)
        try:
            said = process.communicate()
        finally:
            with self.lock:
                self.running.discard(process)
        if self.stopped:
            raise _Stopped()
        return said + (process.returncode,)

    def __exit__(self, kind, error, traceback):
        if error is not None:
            with self.lock:
                self.stopped = True
                for process in self.running:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(process.pid, signal.SIGTERM)
        self.pool.shutdown(cancel_futures=True)
        cmodule.output_subprocess_Popen = self.theano_output
        for module in self.modules:
            if not module.adopted and not os.path.exists(os.path.join(module.location, "key.pkl")):
                shutil.rmtree(module.location, ignore_errors=True)
        for module in list(self.claims):
            self.release(module)


class _Signalled(BaseException):
    """A signal that ends the process, raised so that the compilers are stopped first."""


@contextlib.contextmanager
def _ending_signals_caught():
    """While compilers run, a SIGTERM or SIGHUP that would end the process at once (the
    program has no handler of its own) raises instead; once the compilers are stopped and
    their folders removed, it ends the process as it would have."""
    in_main_thread = threading.current_thread() is threading.main_thread()  # where handlers can be set
    ending = [s for s in (signal.SIGTERM, signal.SIGHUP) if in_main_thread and signal.getsignal(s) == signal.SIG_DFL]

    def caught(signum, frame):
        raise _Signalled(signum)

    for signum in ending:
        signal.signal(signum, caught)
    try:
        yield
    except _Signalled as signalled:
        signal.signal(signalled.args[0], signal.SIG_DFL)
        os.kill(os.getpid(), signalled.args[0])
        raise
    finally:
        for signum in ending:
            signal.signal(signum, signal.SIG_DFL)


_jobs = jobs()
_theano_make_all = VM_Linker.make_all
_theano_get_from_key = cmodule.ModuleCache._get_from_key


def install():
    """Put the two wrappers in place of Theano's methods, on Theano 1.0.5 with a compiler
    and more than one job; on another Theano, say they stay off."""
    if theano.__version__ != FITS:
        print(f"note: harness/parallel_compile.py fits Theano {FITS}, not the installed {theano.__version__}: it "
              "stays off, so Theano compiles its C code one module after another.", file=sys.stderr, flush=True)
    elif _jobs > 1 and theano.config.cxx:
        VM_Linker.make_all = make_all
        cmodule.ModuleCache._get_from_key = _get_from_key

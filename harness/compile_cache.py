"""Let Theano reuse the C code it compiled in earlier runs.

Theano 1.0.5 keys each compiled module by the versions of its ops, and two bugs made
some keys differ in every process, so their modules were compiled again each time:
- every op's __props__ is added to the version, and an op without properties has
  __props__ == (), which the same function then reads as "unversioned" (Dot22, Softmax,
  CorrMM and others, although they declare a C-code version);
- an op whose C code comes from files (COp: DimShuffle and others) is versioned by
  Python's hash() of that code, which differs in every process since Python 3.3.
Both are fixed here as Aesara fixed them (PR 1108): the key leaves out an empty
__props__, and the code's version is a digest of its text. An op that declares no
C-code version stays unversioned: it is never reused.

A module's key file (key.pkl) is written beside and renamed over the old one, whole:
Theano rewrites it in place whenever it adds a key to a module, and another process
refreshing its cache at that moment read a cut-short file, took the module for broken
and deleted its folder, under the first process's feet.

A module that Theano finds in its cache but that does not load (cut short, empty,
missing, or refused by the loader) is set aside and compiled again, with one line
(cache_repair.py checks the file before Theano loads it).

install() puts the patches in place (harness/__init__.py calls it once Theano is imported).
The replaced methods are copies of Theano 1.0.5's, changed: on any other version
they stay as that Theano has them, and a line says so; the module loading is wrapped,
not copied.
"""
import hashlib
import logging
import os
import pickle
import shutil
import sys
import threading

import theano
from theano.gof import compilelock
from theano.gof.cc import CLinker
from theano.gof.cmodule import KeyData, ModuleCache
from theano.gof.op import COp

from common.errors import SettingError
from harness.cache_repair import CompileCacheFull, damage, disk_full, set_aside

FITS = "1.0.5"  # the Theano whose CLinker.cmodule_key_ and COp.c_code_cache_version these replace

_theano_cmodule_key = CLinker.cmodule_key_


def _version(linker, fgraph):
    """The version part of the key, as in CLinker.cmodule_key_, minus empty __props__."""
    version = []
    for node in linker.schedule(fgraph):
        if hasattr(node.op, "c_code_cache_version_apply"):
            version.append(node.op.c_code_cache_version_apply(node))
        if getattr(node.op, "__props__", ()):
            version.append(node.op.__props__)
        version += [variable.type.c_code_cache_version() for variable in node.inputs + node.outputs]
    return tuple(version)


def cmodule_key_(linker, fgraph, *args, **kwargs):
    key = _theano_cmodule_key(linker, fgraph, *args, **kwargs)
    if key is None or key[0]:  # not cacheable, or versioned already
        return key
    version = _version(linker, fgraph)
    return (version, key[1]) if all(version) else key


_theano_cop_version = COp.c_code_cache_version


def c_code_cache_version(op):
    """COp's version, with a digest of its C code in place of the code's hash()."""
    digest = hashlib.sha256(repr(tuple(op.func_codes)).encode()).digest()
    return (int.from_bytes(digest[:8], "big"),) + _theano_cop_version(op)[1:]


class _DamagedModule(Exception):
    def __init__(self, path, why):
        super().__init__(path, why)
        self.path, self.why = path, why


_theano_get_module = ModuleCache._get_module


def _get_module(cache, name):
    """ModuleCache._get_module, refusing a module file that is damaged or does not load."""
    loading = name not in cache.module_from_name
    why = damage(name) if loading else None
    if why:
        raise _DamagedModule(name, why)
    try:
        return _theano_get_module(cache, name)
    except ImportError as error:
        if not loading:
            raise
        raise _DamagedModule(name, f"it does not load: {error}") from None


_theano_module_from_key = ModuleCache.module_from_key


def module_from_key(cache, key, lnk=None, keep_lock=False):
    """ModuleCache.module_from_key; a damaged module found on the way is set aside (the
    cache forgets it, the next clean-up deletes it) and the key is compiled again; a full
    disk stops the run (CompileCacheFull)."""
    for _ in range(10):  # each round sets one damaged module aside
        try:
            return _theano_module_from_key(cache, key, lnk, keep_lock)
        except _DamagedModule as damaged:
            with compilelock.lock_ctx(keep_lock=keep_lock):
                set_aside(damaged.path, damaged.why)
            for module_hash, key_data in list(cache.module_hash_to_key_data.items()):
                if key_data.get_entry() == damaged.path:
                    key_data.delete_keys_from(cache.entry_from_key)
                    del cache.module_hash_to_key_data[module_hash]
                    cache.loaded_key_pkl.discard(key_data.key_pkl)
        except Exception as error:
            if disk_full(error):
                raise CompileCacheFull(cache.dirname) from None
            raise
    raise SettingError(f"Theano's compile cache, {theano.config.compiledir}, holds one damaged module after another. "
                       "Delete that folder (Theano compiles what it needs again), or point Theano at another one: "
                       "THEANO_FLAGS=base_compiledir=/another/folder.")


def _missing_engine():
    """Theano's C engine (lazylinker_ext) whole but refused by the loader: Theano falls back
    silently and fails at the first function. Its folder is set aside and the run stops
    with one paragraph: the next run compiles the engine again."""
    import theano.gof.vm
    if theano.config.cxx and theano.config.linker.startswith("cvm") and not hasattr(theano.gof.vm, "CVM"):
        folder = os.path.join(theano.config.compiledir, "lazylinker_ext")
        try:
            shutil.rmtree(folder + ".damaged", ignore_errors=True)
            os.rename(folder, folder + ".damaged")
        except OSError as error:
            raise SettingError(f"Theano's compiled engine in {folder} does not load, and cannot be set aside "
                               f"({error.strerror}). Delete that folder (Theano compiles it again at the next run), "
                               "or point Theano at another one: THEANO_FLAGS=base_compiledir=/another/folder.")
        raise SettingError(f"Theano's compiled engine in {folder} does not load: it is set aside as "
                           "lazylinker_ext.damaged. Run the program again: Theano compiles the engine anew.")


_theano_refresh_lock = compilelock.refresh_lock


def _refresh_lock(lock_file):
    """compilelock.refresh_lock; on a full disk, the lock folder it made is removed and the
    run stops (Theano would retry, waiting, for a lock it can never write)."""
    try:
        return _theano_refresh_lock(lock_file)
    except OSError as error:
        if not disk_full(error):
            raise
        lock_dir = os.path.dirname(lock_file)
        shutil.rmtree(lock_dir, ignore_errors=True)
        raise CompileCacheFull(os.path.dirname(lock_dir)) from None


class _CacheLog(logging.Filter):
    """Theano's log of its cache and its lock in a learner's words: a cached module whose
    file is gone is said as the other damaged modules are (Theano deletes the entry and
    compiles the module again); what a full disk makes Theano log is left to the one
    paragraph that follows."""

    def filter(self, record):
        if disk_full(record.msg) or disk_full(sys.exc_info()[1]):
            return False
        if str(record.msg).startswith("ModuleCache.refresh() Found key without dll"):
            print(f"note: Theano's compiled module in {os.path.dirname(record.args[0])} is damaged (missing): "
                  "set aside, compiled again.", file=sys.stderr, flush=True)
            return False
        return True


def save_pkl(key_data):
    """KeyData.save_pkl, but written whole: into a file of its own beside key.pkl, then renamed
    over it, so that another process reads the old keys or the new ones, never part of them."""
    written = f"{key_data.key_pkl}.{os.getpid()}.{threading.get_ident()}"
    try:
        with open(written, "wb") as f:
            pickle.dump(key_data, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(written, key_data.key_pkl)
    except pickle.PicklingError:
        logging.getLogger("theano.gof.cmodule").warning("Cache leak due to unpickle-able key data %s", key_data.keys)
        os.remove(written)
        if os.path.exists(key_data.key_pkl):
            os.remove(key_data.key_pkl)
        raise


def install():
    """Put the replaced and wrapped methods in place of Theano's, and the filter on its cache's
    log, on Theano 1.0.5; on another Theano, say they stay off."""
    if theano.__version__ != FITS:
        print(f"note: harness/compile_cache.py fits Theano {FITS}, not the installed {theano.__version__}: it stays "
              "off, so Theano may compile some of its C code again in every run.", file=sys.stderr, flush=True)
        return
    CLinker.cmodule_key_ = cmodule_key_
    COp.c_code_cache_version = c_code_cache_version
    ModuleCache._get_module = _get_module
    ModuleCache.module_from_key = module_from_key
    KeyData.save_pkl = save_pkl
    compilelock.refresh_lock = _refresh_lock
    for logger in ("theano.gof.cmodule", "theano.gof.compilelock"):
        logging.getLogger(logger).addFilter(_CacheLog())
    _missing_engine()

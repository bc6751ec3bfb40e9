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

The two replaced methods are copies of Theano 1.0.5's, changed: on any other version
they stay as that Theano has them, and a line says so.
"""
import hashlib
import sys

import theano
from theano.gof.cc import CLinker
from theano.gof.op import COp

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


if theano.__version__ == FITS:
    CLinker.cmodule_key_ = cmodule_key_
    COp.c_code_cache_version = c_code_cache_version
else:
    print(f"note: harness/compile_cache.py fits Theano {FITS}, not the installed {theano.__version__}: it stays off, "
          "so Theano may compile some of its C code again in every run.", file=sys.stderr, flush=True)

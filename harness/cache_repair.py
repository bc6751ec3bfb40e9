"""A compile cache that heals, and a full or read-only one said in one paragraph.

Theano keeps the modules it compiles in its compiledir and loads them as they are in
later runs. A module cut short (a killed copy, a full disk, a crash mid-write) crashes
the process when it is loaded (SIGBUS: the loader maps bytes the file does not have); an
empty or unloadable one ends in a page of traceback (`NameError: name 'CVM' is not
defined` for Theano's own engine). Here a module is checked before it is loaded: one
that is missing, empty or shorter than its own header says is set aside and compiled
again, with one line saying so.

- Theano's two modules of its own, cutils_ext and lazylinker_ext, load while Theano is
  imported: a finder on sys.meta_path, installed by check_theanos_own_modules() (before
  Theano is imported), checks them; a damaged one's folder is renamed to NAME.damaged, and Theano,
  finding none, compiles it again.
- The modules of the ops (a tmp* folder each) load when a function is compiled:
  compile_cache.py calls `damage()` before Theano loads one, and `set_aside()` marks a
  damaged one's folder with Theano's own delete.me, so that no process loads it again
  and Theano deletes it at its next clean-up.

Importing this module does not import Theano.
"""
import errno
import importlib.machinery
import os
import shutil
import struct
import sys

from common.errors import SettingError

# What one script's first run writes into an empty compiledir (Theano's own modules and
# the script's ops), measured with an empty compiledir: 1.1 MB for logistic regression,
# 4.1 MB for the convnet with --figures (2026-12-06, Theano 1.0.5, g++ 12.2, -g0).
SPACE_NEEDED = "up to about 5 MB"


def _note(text):
    print(f"note: {text}", file=sys.stderr, flush=True)


def damage(path):
    """Why the compiled module at `path` cannot load ('missing', 'empty', 'cut short: ...'),
    or None where it looks whole. An ELF file (Linux) is whole when it holds every byte its
    header's tables and segments name; other formats are only checked for being there."""
    try:
        size = os.path.getsize(path)
        if size == 0:
            return "empty"
        with open(path, "rb") as f:
            header = f.read(64)
            if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:  # 64-bit little-endian ELF only
                return None
            phoff, shoff = struct.unpack_from("<QQ", header, 32)
            phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", header, 54)
            needed = max(64, phoff + phentsize * phnum, shoff + shentsize * shnum)
            if needed <= size:
                f.seek(phoff)
                table = f.read(phentsize * phnum)
                for entry in range(phnum):  # each segment's bytes: p_offset + p_filesz
                    offset, = struct.unpack_from("<Q", table, entry * phentsize + 8)
                    filesz, = struct.unpack_from("<Q", table, entry * phentsize + 32)
                    needed = max(needed, offset + filesz)
    except FileNotFoundError:
        return "missing"
    except (OSError, struct.error) as error:
        return f"unreadable ({getattr(error, 'strerror', None) or error})"
    return f"cut short: {size} of its {needed} bytes" if needed > size else None


def set_aside(module_path, why):
    """Mark the tmp* folder of a damaged op module with delete.me (Theano then skips it and
    deletes it at its next clean-up), and say so. Call with Theano's compile lock held."""
    folder = os.path.dirname(module_path)
    try:
        open(os.path.join(folder, "delete.me"), "w").close()
    except OSError as error:
        _cannot_set_aside(folder, why, error)
    _note(f"Theano's compiled module {module_path} is damaged ({why}): set aside, compiled again.")


def _cannot_set_aside(folder, why, error):
    raise SettingError(f"Theano's compiled module in {folder} is damaged ({why}) and cannot be set aside "
                       f"({error.strerror}). Delete that folder (Theano compiles its module again at the next "
                       f"run), or point Theano at another one: THEANO_FLAGS=base_compiledir=/another/folder.")


class _OwnModulesFinder:
    """On sys.meta_path: before Python loads cutils_ext or lazylinker_ext from Theano's
    compiledir, check the module file; a damaged one's folder is renamed to NAME.damaged
    and the import finds nothing, so that Theano compiles the module again."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in ("cutils_ext.cutils_ext", "lazylinker_ext"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin:
            return None
        if fullname == "lazylinker_ext":
            with open(spec.origin) as init:  # Theano writes "_version = ..." once the module is compiled
                if "_version" not in init.read():
                    return None
            module = importlib.machinery.PathFinder.find_spec(fullname + "." + fullname, spec.submodule_search_locations)
            module_path = module.origin if module else os.path.join(os.path.dirname(spec.origin), fullname + ".so")
        else:
            module_path = spec.origin
        why = damage(module_path)
        if why is None:
            return None
        from theano.gof import compilelock  # imported by now: Theano imports it before these modules
        with compilelock.lock_ctx():  # not while another process writes it
            why = damage(module_path)
            folder = os.path.dirname(module_path)
            if why and os.path.isdir(folder):
                try:
                    shutil.rmtree(folder + ".damaged", ignore_errors=True)
                    os.rename(folder, folder + ".damaged")
                except OSError as error:
                    _cannot_set_aside(folder, why, error)
                _note(f"Theano's compiled module {module_path} is damaged ({why}): set aside as "
                      f"{os.path.basename(folder)}.damaged, compiled again.")
                importlib.invalidate_caches()
        return None


def compiledir():
    """Theano's compiledir, also after an import of Theano that failed halfway; None before."""
    configdefaults = sys.modules.get("theano.configdefaults")
    return getattr(getattr(configdefaults, "config", None), "compiledir", None)


def in_theano_compile(traceback):
    """Whether a traceback passes through Theano's compiling code (theano/gof)."""
    while traceback is not None:
        if f"theano{os.sep}gof{os.sep}" in traceback.tb_frame.f_code.co_filename:
            return True
        traceback = traceback.tb_next
    return False


def disk_full(error):
    """Whether an error says the disk is full (or the user's quota used up)."""
    return isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT) \
        or any(words in str(error) for words in ("No space left on device", "Disk quota exceeded"))


class CompileCacheFull(BaseException):
    """The disk holding Theano's compile cache is full. A BaseException, as KeyboardInterrupt
    is: Theano's optimizers (constant folding compiles C code) log any Exception and go on
    without the optimization, which would only fail again at the next module."""

    def __init__(self, folder):
        super().__init__(_full_disk_paragraph(folder))


def _full_disk_paragraph(folder):
    try:
        free = f"{shutil.disk_usage(folder).free / 2**20:.1f} MB free"
    except OSError:
        free = "its free space unknown"
    return (f"the disk holding Theano's compile cache, {folder}, is full ({free}): Theano writes the C code "
            f"it compiles there, {SPACE_NEEDED} for a script's first run. Free some space on that disk, or point "
            f"Theano at a folder on another one: THEANO_FLAGS=base_compiledir=/another/folder. Nothing "
            f"half-written is kept: the next run compiles what is missing.")


def full_disk_paragraph(error, traceback):
    """The paragraph for an error of a full disk while Theano compiles (CompileCacheFull, or
    an error of Theano's own modules compiled at import), or None for other errors."""
    if isinstance(error, CompileCacheFull):
        return str(error)
    folder = compiledir()
    return _full_disk_paragraph(folder) if disk_full(error) and folder and in_theano_compile(traceback) else None


def check_theanos_own_modules():
    """Put the finder that checks Theano's own compiled modules in front of Python's."""
    sys.meta_path.insert(0, _OwnModulesFinder())

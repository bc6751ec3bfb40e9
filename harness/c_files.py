"""The fast ops' C code, kept as C in harness/c/, and handed to Theano as its ops ask for it.

A file is handed over as it is (CFile.text), or after the macros its op defines for it
(CFile.code): its line "// Macros the op defines: NAME ..." names them. A macro the file
names but never uses stops the import of the op's module; one the op leaves out, or gives
without the file naming it, stops Theano's compiling with an error naming both, before any
compiler runs. A #line directive before the file's text makes the compiler's errors and
warnings name harness/c/FILE.c and its line; one after it names the code Theano writes
next as Theano's. The file's version, for Theano's cache of compiled modules, is a digest
of its text: a change to the C compiles anew.
"""
import hashlib
import os
import re

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "c")
MACROS_LINE = re.compile(r"^// Macros the op defines: (.+)$", re.MULTILINE)


class CFile:
    """One file of harness/c/ (or of `folder`), read when the op's module is imported."""

    def __init__(self, name, folder=FOLDER):
        with open(os.path.join(folder, name)) as f:
            self.source = f.read()
        # as the compiler names it: relative, so that every checkout writes the same C
        self.name = f"harness/c/{name}" if folder == FOLDER else os.path.join(folder, name)
        declared = MACROS_LINE.search(self.source)
        self.macros = declared.group(1).split() if declared else []
        code = re.sub(r"//.*", "", self.source)  # without its comments
        unused = [macro for macro in self.macros if not re.search(rf"\b{macro}\b", code)]
        if unused:
            raise ValueError(f"{self.name} names macros it does not use: {', '.join(unused)}")
        # a tuple of ints, as Theano's c_code_cache_version is
        self.version = (int(hashlib.sha256(self.source.encode()).hexdigest()[:8], 16),)

    def text(self):
        """The file's C, for a file that needs no macros."""
        return self.code({})

    def code(self, macros):
        """The file's C after a #define of each of its macros: {name: value}, where a name
        may carry parameters ("SET(n)"); each value on one line. #undef after it."""
        given = {name.split("(")[0]: value for name, value in macros.items()}
        missing = [name for name in self.macros if name not in given]
        unknown = [name for name in given if name not in self.macros]
        if missing or unknown:
            raise ValueError(f"{self.name} needs the macros {', '.join(self.macros) or '(none)'}; "
                             f"missing: {', '.join(missing) or 'none'}; not in the file: {', '.join(unknown) or 'none'}")
        if any("\n" in str(value) for value in macros.values()):
            raise ValueError(f"a macro for {self.name} spans lines: {macros}")
        defines = "".join(f"#define {name} {value}\n" for name, value in macros.items())
        undefines = "".join(f"#undef {name}\n" for name in given)
        return (f'{defines}#line 1 "{self.name}"\n{self.source}\n'
                f'#line 1 "Theano\'s code after {self.name}"\n{undefines}')


def c_type(variable):
    """The C type of a tensor variable's elements: npy_float32 and so on."""
    return f"npy_{variable.dtype}"


def checked_call(call, sub):
    """C that makes the call (which returns 0, or -1 with a Python exception set) and fails
    as Theano's code fails (sub: the `sub` Theano gives an op's c_code)."""
    return f"""{{
    if ({call} != 0) {{
        {sub["fail"]}
    }}
}}"""

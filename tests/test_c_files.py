"""The fast ops' C code in harness/c/, as harness/c_files.py hands it to Theano."""
import os
import re

import pytest

from conftest import REPO


@pytest.fixture(scope="module")
def c_files():
    import harness  # noqa: F401  Theano's defaults first, as the scripts have them
    from harness import c_files
    return c_files


def test_each_file_is_handed_over_with_its_name_and_lines(c_files):
    from harness.fast_convolutions import CORR_MM_C, FastCorrMM, _macros
    from harness.fast_elemwise import FUSED_ELEMWISE_C
    from harness.fast_ops import MAX_POOL_C, MRG_UNIFORM_C
    from harness.fast_sigmoid import VectorSigmoid
    handed = {"mrg_uniform.c": MRG_UNIFORM_C.text(), "max_pool.c": MAX_POOL_C.text(),
              "corr_mm.c": CORR_MM_C.code(_macros("float32", FastCorrMM())), "fused_elemwise.c": FUSED_ELEMWISE_C.text(),
              "sigmoid.c": VectorSigmoid(None).c_support_code()}
    assert sorted(handed) == sorted(os.listdir(os.path.join(REPO, "harness", "c")))
    for name, code in handed.items():
        with open(os.path.join(REPO, "harness", "c", name)) as f:
            source = f.read()
        # the file's own text, line for line after a #line naming it, so a compiler points into it
        assert f'#line 1 "harness/c/{name}"\n{source}\n#line 1 ' in code
        assert "%(" not in source


def test_a_macro_missing_or_not_in_the_file_is_refused(c_files, tmp_path):
    (tmp_path / "sum.c").write_text("// Macros the op defines: FIRST SECOND\nint sum = FIRST + SECOND;\n")
    c_file = c_files.CFile("sum.c", str(tmp_path))
    code = c_file.code({"FIRST": 1, "SECOND": "2"})
    assert code.startswith("#define FIRST 1\n#define SECOND 2\n") and code.endswith("#undef FIRST\n#undef SECOND\n")
    with pytest.raises(ValueError, match="missing: SECOND; not in the file: none"):
        c_file.code({"FIRST": 1})
    with pytest.raises(ValueError, match="missing: none; not in the file: THIRD"):
        c_file.code({"FIRST": 1, "SECOND": 2, "THIRD": 3})
    with pytest.raises(ValueError, match="spans lines"):
        c_file.code({"FIRST": 1, "SECOND": "2\n+ 3"})


def test_a_macro_only_its_comments_name_is_refused(c_files, tmp_path):
    (tmp_path / "one.c").write_text("// Macros the op defines: FIRST SECOND\n// SECOND: unused\nint one = FIRST;\n")
    with pytest.raises(ValueError, match="does not use: SECOND"):
        c_files.CFile("one.c", str(tmp_path))


def test_the_version_follows_the_text(c_files, tmp_path):
    (tmp_path / "a.c").write_text("int a = 1;\n")
    (tmp_path / "b.c").write_text("int a = 2;\n")
    (tmp_path / "c.c").write_text("int a = 1;\n")
    a, b, c = (c_files.CFile(name, str(tmp_path)).version for name in ("a.c", "b.c", "c.c"))
    assert all(isinstance(number, int) for number in a) and a == c != b


def test_no_c_code_is_left_in_python_strings():
    for name in ("fast_ops.py", "fast_convolutions.py", "fast_sigmoid.py"):
        with open(os.path.join(REPO, "harness", name)) as f:
            source = f.read()
        assert not re.search(r"locals\(\)|%\(\w+\)[sd]|#pragma|for \((int|npy_intp) ", source), name

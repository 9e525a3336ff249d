"""vasrec.pyi describes the module as it is: the same classes, methods and
properties, each with a docstring."""

import ast

import vasrec
from conftest import REPO


def stubbed():
    tree = ast.parse((REPO / "python" / "vasrec.pyi").read_text(encoding="utf-8"))
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members[item.name] = ast.get_docstring(item)
                elif isinstance(item, ast.AnnAssign):
                    members[item.target.id] = "attribute"
            classes[node.name] = members
    return classes


def test_stubs_name_every_public_member_and_no_other():
    classes = stubbed()
    public = {n for n in dir(vasrec) if not n.startswith("_")}
    assert set(classes) == {n for n in public if isinstance(getattr(vasrec, n), type)}
    for name in ("Engine", "Report", "Diagnostic"):
        runtime = {m for m in dir(getattr(vasrec, name)) if not m.startswith("_")}
        assert set(classes[name]) == runtime, name
        assert all(doc for doc in classes[name].values()), f"{name}: a member has no docstring"


def test_runtime_methods_have_docstrings():
    for cls in (vasrec.Engine, vasrec.Report, vasrec.Diagnostic):
        for name in dir(cls):
            if not name.startswith("_"):
                assert getattr(cls, name).__doc__, f"{cls.__name__}.{name}"

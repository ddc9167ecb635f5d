"""Imports run downhill only: anaf < domain < graph < portofoliu < jobs.

A module may import its own layer and the layers below it, never one above (function-level imports
count too). Inside `domain/`, the shared kernel imports no capability, and no capability imports
GraphQL or HTTP libraries.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("anaf", "domain", "graph", "portofoliu", "jobs")
RANK = {name: i for i, name in enumerate(LAYERS)}
WEB_LIBRARIES = ("strawberry", "starlette", "uvicorn", "httpx")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in the file, wherever it stands."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if "." in node.module:
                found.append((node.lineno, node.module))
            else:  # `from domain import invitations` names a module one level down
                found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def modules_of(layer: str) -> list[Path]:
    return sorted((ROOT / layer).rglob("*.py"))


def upward_imports(files: list[Path], root: Path = ROOT) -> list[str]:
    wrong = []
    for path in files:
        layer = path.relative_to(root).parts[0]
        for line, module in imported_modules(path):
            top = module.split(".")[0]
            if top in RANK and RANK[top] > RANK[layer]:
                wrong.append(f"{path.relative_to(root)}:{line} imports {module} ({top} is above {layer})")
    return wrong


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_imports_a_higher_one(layer):
    assert upward_imports(modules_of(layer)) == []


def test_the_check_sees_an_upward_import(tmp_path):
    bad = tmp_path / "domain" / "x.py"
    bad.parent.mkdir()
    bad.write_text("def f():\n    from portofoliu.pubsub import Gap\n")
    assert upward_imports([bad], root=tmp_path) == ["domain/x.py:2 imports portofoliu.pubsub (portofoliu is above domain)"]


def test_kernel_imports_no_capability():
    capabilities = {p.name for p in (ROOT / "domain").iterdir() if (p / "__init__.py").exists()} - {"kernel", "migrations"}
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in modules_of("domain/kernel")
             for line, module in imported_modules(path)
             if module.startswith("domain.") and module.split(".")[1] in capabilities]
    assert wrong == []


def test_domain_speaks_no_graphql_or_http():
    wrong = [f"{path.relative_to(ROOT)}:{line} imports {module}"
             for path in modules_of("domain")
             for line, module in imported_modules(path)
             if module.split(".")[0] in WEB_LIBRARIES]
    assert wrong == []


def test_each_capability_package_says_what_it_owns():
    packages = [p for p in (ROOT / "domain").iterdir() if (p / "__init__.py").exists() and p.name != "migrations"]
    assert {p.name for p in packages} >= {"accounts", "companies", "efactura", "portfolio", "invitations",
                                          "notifications", "mail", "kernel"}
    for package in packages:
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and len(doc) > 40, f"domain/{package.name}/__init__.py has no opening comment"

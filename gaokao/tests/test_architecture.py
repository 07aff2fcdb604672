"""The structure of docs/architecture.md holds: besides the import contracts that
`lint-imports` checks (pyproject.toml), no module takes a private name (`_name`) from
another app. A private name is its module's business; whatever another app needs gets a
public name in its proper home."""

from __future__ import annotations

import ast
from pathlib import Path

import gaokao

ROOT = Path(gaokao.__file__).parent


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def private_imports_across_apps(root: Path = ROOT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("gaokao.") or app_of(node.module) == app_of(module):
                continue
            for alias in node.names:
                private_module = any(p.startswith("_") for p in node.module.split(".")[1:])
                if alias.name.startswith("_") or private_module:
                    found.append(f"{module}: from {node.module} import {alias.name}")
    return found


def test_18_no_module_imports_a_private_name_of_another_app():
    assert private_imports_across_apps() == []


def test_18_the_check_finds_a_private_import(tmp_path):
    app = tmp_path / "gaokao" / "client"
    app.mkdir(parents=True)
    (app / "views.py").write_text("from gaokao.portal.views import _identity\n")
    (app / "own.py").write_text("from gaokao.client.views import _mine\n")
    assert private_imports_across_apps(tmp_path / "gaokao") == [
        "gaokao.client.views: from gaokao.portal.views import _identity"
    ]

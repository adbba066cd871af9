"""mypy over chainmap, matching and api: zero errors, with the project's config.

The incremental cache lives in the repository's git-ignored ``.mypy_cache``, so
a warm run only re-checks the modules that changed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api", reason="mypy is in the test extras: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("chainmap", "matching", "api")


def _mypy(*targets: str | Path) -> tuple[str, int]:
    stdout, stderr, status = mypy_api.run(
        [
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            "--show-error-codes",
            "--no-color-output",
            *(str(t) for t in targets),
        ]
    )
    return stdout + stderr, status


def test_mypy_reports_no_errors() -> None:
    out, status = _mypy(*(ROOT / p for p in PACKAGES))
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert status == 0 and not errors, f"mypy found {len(errors)} error(s):\n{out}"
    assert "Success: no issues found" in out, out


def test_mypy_config_catches_a_store_misuse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The config does not silence everything: Store and ChainData are real types."""
    # mypy does not run the editable install's import hook: point it at this checkout
    monkeypatch.setenv("MYPYPATH", str(ROOT))
    bad = tmp_path / "typing_probe.py"
    bad.write_text(
        "from chainmap.data import ChainData\n"
        "from chainmap.storage.base import Store\n\n\n"
        "def f(store: Store, data: ChainData) -> int:\n"
        "    store.no_such_method()\n"
        "    return data.segments\n",
        encoding="utf-8",
    )
    out, status = _mypy(bad)
    assert status == 1, out
    assert '"Store" has no attribute "no_such_method"  [attr-defined]' in out, out
    assert "Incompatible return value type" in out, out


def _any_annotated_params(path: Path, names: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            for arg in [*a.posonlyargs, *a.args, *a.kwonlyargs]:
                ann = arg.annotation
                if arg.arg in names and isinstance(ann, ast.Name) and ann.id == "Any":
                    found.append(f"{path.relative_to(ROOT)}:{arg.lineno} {node.name}({arg.arg}: Any)")
    return found


def test_store_parameters_are_typed() -> None:
    """A parameter named ``store`` is a :class:`chainmap.storage.base.Store`, never ``Any``."""
    found = [
        hit
        for pkg in PACKAGES
        for path in sorted((ROOT / pkg).rglob("*.py"))
        for hit in _any_annotated_params(path, {"store"})
    ]
    assert not found, "store annotated Any:\n" + "\n".join(found)

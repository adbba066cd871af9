"""Import direction api -> matching -> chainmap, enforced by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_hold() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    out = proc.stdout + proc.stderr
    assert "Contracts: " in out, out
    assert proc.returncode == 0, out
    assert " broken" not in out.replace("0 broken", ""), out
    # the investment-project context's independence contracts are among those checked
    assert "The investment-project context is independent" in out, out
    assert "do not import the project context KEPT" in out, out

"""engine/ and scoring/ stay headless: no Textual, no drills, and scoring does no I/O."""

import ast
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def test_engine_and_scoring_import_without_textual_or_drills() -> None:
    code = (
        "import sys, pkgutil, importlib\n"
        "import engine, scoring\n"
        "for pkg in (engine, scoring):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'drills', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


def test_scoring_does_no_io() -> None:
    forbidden = {"open", "sqlite3", "sqlite_utils", "pathlib", "os", "io", "yaml", "subprocess"}
    for path in sorted((ROOT / "scoring").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                names = {(node.module or "").split(".")[0]}
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                names = {node.func.id}
            else:
                continue
            assert not names & forbidden, f"{Path(path).name} uses {names & forbidden}"


def test_sql_is_only_in_the_store_layer() -> None:
    """Queries go through drills/store; elsewhere the database is never touched directly."""
    import re

    direct = re.compile(r"\.db(\[|\.(execute|query|conn|table)\b)|\.conn\.execute\(")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "drills").rglob("*.py"))
        if "store" not in path.relative_to(ROOT / "drills").parts[:1]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if direct.search(line)
    ]
    assert offenders == []

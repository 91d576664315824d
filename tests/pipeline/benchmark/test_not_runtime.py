"""The benchmark and its data set are not runtime code: only their commands import them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
APPS = ("salesflow", "prospects", "pipeline")
# Who may import pipeline.benchmark: itself, and the commands that are its entry points.
ALLOWED = ("pipeline/benchmark/", "pipeline/management/commands/")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_nothing_the_app_runs_imports_the_benchmark():
    offenders = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if relative.startswith(ALLOWED):
                continue
            found = sorted(
                name
                for name in imported_modules(path)
                if name == "pipeline.benchmark" or name.startswith("pipeline.benchmark.")
            )
            if found:
                offenders.append((relative, found))
    assert offenders == []


def test_the_check_sees_an_import_of_the_benchmark(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("from pipeline import benchmark\nfrom pipeline.benchmark.scale import load\n")
    assert {"pipeline.benchmark", "pipeline.benchmark.scale"} <= imported_modules(module)

"""Dependencies run one way: salesflow.core <- prospects <- pipeline <- pipeline.reviews, and
runtime code never reaches the benchmark harness. A lower layer announces (signals) or
offers a registry (panels, status rules); it never imports the layer above.

Every module's imports are read from its source with `ast`, at any depth (an import
inside a function counts: it is still a dependency), including literal
importlib.import_module("…") calls. Migrations are left out: they are history.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("salesflow", "prospects", "pipeline")
# The benchmark harness and its data set are run by their management commands (manage.py
# bench, seed_scale): the commands are their door, nothing else the app runs reaches them.
BENCHMARK_DOORS = ("pipeline.benchmark", "pipeline.management.commands")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    path: str
    line: int
    target: str  # what it imports, dotted (a module, or a name in one)


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(
    source: str, *, module: str, path: str, is_package: bool = False
) -> Iterator[Import]:
    """Everything the source imports, as dotted names. `from a import b` yields a.b (b may be
    a submodule: `from pipeline import benchmark` imports pipeline.benchmark)."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, path, node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield Import(module, path, node.lineno, f"{base}.{alias.name}")
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield Import(module, path, node.lineno, node.args[0].value)


def broken_rule(found: Import) -> str | None:
    """Why this import goes the wrong way, or None when it is allowed."""
    module, target = found.module, found.target
    if _within(module, "salesflow.core"):
        for app in ("prospects", "pipeline"):
            if _within(target, app):
                return f"salesflow.core must not import {app}"
    if _within(module, "prospects") and _within(target, "pipeline"):
        return "prospects must not import pipeline"
    if _within(target, "pipeline.benchmark") and not any(
        _within(module, door) for door in BENCHMARK_DOORS
    ):
        return "only the benchmark's own commands import pipeline.benchmark"
    # The benchmark builds every part's data, reviews included: it sits on top of them all.
    on_top = _within(module, "pipeline.reviews") or _within(module, "pipeline.benchmark")
    if _within(module, "pipeline") and not on_top and _within(target, "pipeline.reviews"):
        return "pipeline outside reviews/ and benchmark/ must not import pipeline.reviews"
    return None


def project_imports() -> Iterator[Import]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield from imports_of(
                path.read_text(encoding="utf-8"),
                module=module_name(path),
                path=str(path.relative_to(ROOT)),
                is_package=path.name == "__init__.py",
            )


def test_dependencies_run_one_way():
    found = list(project_imports())
    assert len({i.module for i in found}) > 50  # the walk saw the project, not an empty tree
    wrong = [
        f"{i.path}:{i.line} ({i.module}) imports {i.target}: {why}"
        for i in found
        if (why := broken_rule(i)) is not None
    ]
    assert wrong == [], "Imports against the direction of the layers:\n" + "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "source", "broken"),
    [
        ("prospects.services", "def f():\n    from pipeline import services\n", True),
        ("prospects.services", "import pipeline.selectors as s\n", True),
        ("salesflow.core.views", "from prospects.models import Account\n", True),
        ("salesflow.core.views", "x = importlib.import_module('pipeline.demo')\n", True),
        ("pipeline.services", "from pipeline.reviews import selectors\n", True),
        ("pipeline.selectors", "from . import benchmark\n", True),
        ("pipeline.reviews.views", "from pipeline.benchmark import pages\n", True),
        ("pipeline.benchmark.pages", "from pipeline.reviews import selectors\n", False),
        ("pipeline.services", "from prospects import access\n", False),
        ("pipeline.reviews.services", "from pipeline import selectors\n", False),
        ("pipeline.management.commands.bench", "from pipeline.benchmark import run\n", False),
        ("pipeline.management.commands.bench", "from pipeline.reviews import demo\n", True),
        ("pipeline.dashboard", "from pipeline.benchmark import scale\n", True),
        ("prospects.merge.services", "from ..services import ACCOUNT_FIELDS\n", False),
    ],
)
def test_the_check_reads_imports_at_any_depth(module, source, broken):
    found = list(imports_of(source, module=module, path="x.py"))
    assert found
    assert any(broken_rule(i) for i in found) is broken, found


@pytest.mark.django_db
def test_the_models_and_their_migrations_agree():
    out = StringIO()
    call_command("makemigrations", check=True, dry_run=True, stdout=out, stderr=out)
    assert "No changes detected" in out.getvalue()

"""The import graph holds its layers: no cycle anywhere, no module importing a layer above its
own, nothing in the package reaching into `tests/`. Imports inside functions count (a cycle
closed by a deferred import is still a cycle); imports under `TYPE_CHECKING` do not."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

# Lowest first: a module may import its own layer and those before it.
LAYERS = {
    "base": ("recdemo", "recdemo.validation", "recdemo.display", "recdemo.metrics",
             "recdemo.paired", "recdemo.urlstate", "recdemo.distributed",
             "recdemo.foldin", "recdemo.embedding_map", "recdemo.recipes", "recdemo.segments",
             "recdemo.scoring", "recdemo.recommendation"),
    "data": ("recdemo.dataset", "recdemo.movielens", "recdemo.custom", "recdemo.sequences",
             "recdemo.data", "recdemo.catalogue", "recdemo.powerlaw", "recdemo.watches"),
    "split": ("recdemo.split",),
    "models": ("recdemo.models", "recdemo.recommend", "recdemo.attribution", "recdemo.attention",
               "recdemo.insights", "recdemo.disagreement"),
    "training and evaluation": ("recdemo.training", "recdemo.evaluation", "recdemo.verdict",
                                "recdemo.epochs", "recdemo.callbacks"),
    "artifacts": ("recdemo.artifacts", "recdemo.provenance"),
    "serving": ("recdemo.serving", "recdemo.experiment", "recdemo.retrain", "recdemo.report",
                "recdemo.batchfile",
                "recdemo.slides", "recdemo.compare_grid", "recdemo.stored_lists",
                "recdemo.scale"),
    "entry points": ("recdemo.cli", "recdemo.__main__", "recdemo.bench", "recdemo.benchmark",
                     "dashboard", "streamlit_app"),
}
RANK = {prefix: rank for rank, names in enumerate(LAYERS.values()) for prefix in names}


def modules() -> dict[str, Path]:
    found = {"streamlit_app": ROOT / "streamlit_app.py"}
    for folder in ("recdemo", "dashboard"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known) -> dict[str, int]:
    """`{imported project module: line}` of one module."""
    tree = ast.parse(path.read_text())
    skipped = {id(node) for branch in ast.walk(tree) if isinstance(branch, ast.If)
               and "TYPE_CHECKING" in ast.unparse(branch.test) for node in ast.walk(branch)}
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = {}
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.setdefault(target, node.lineno)
    return found


def layer_of(name: str) -> int:
    while name not in RANK:
        assert "." in name, f"{name} is in no layer of tests/test_layers.py: place it"
        name = name.rpartition(".")[0]
    return RANK[name]


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def cycles(graph: dict[str, dict]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while not component or component[-1] != node:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_hand_made_cycle():
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b": 1}, "b": {}}) == []


def test_no_import_cycles(graph):
    assert cycles(graph) == []


def test_no_module_imports_a_layer_above_its_own(graph):
    upward = [f"{name} -> {other} (line {line})" for name, targets in graph.items()
              for other, line in targets.items() if layer_of(other) > layer_of(name)]
    assert upward == []


def test_the_package_does_not_reach_into_tests():
    for path in (ROOT / "recdemo").rglob("*.py"):
        text = path.read_text()
        assert "sys.path" not in text and '"tests"' not in text, path


def test_the_page_script_imports_no_model_or_chart_code():
    # The first view (title, sidebar, history, stored top-10) is drawn while Keras and JAX
    # load in the background; a module-level import of either, or of Altair or SciPy, anywhere
    # under the page makes every first view wait for it.
    probe = ("import sys, recdemo, streamlit_app, dashboard.page; print(sorted(m for m in "
             "('keras', 'jax', 'keras_hub', 'altair', 'scipy') if m in sys.modules))")
    found = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                           text=True, check=True)
    assert found.stdout.strip() == "[]"

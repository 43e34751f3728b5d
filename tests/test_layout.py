"""The house rules of DESIGN section 3, read from the source: no import cycle, no import upward, small modules."""
import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "cae_scratch")
MAX_LINES = 240          # "about 200": the largest, model.py, is a thin holder of many small methods


def modules():
    """{dotted name: path} of every module of the package."""
    out = {}
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].replace(os.sep, ".")
                out[rel[:-9] if rel.endswith(".__init__") else rel] = os.path.join(folder, f)
    return out


def imports(name, path):
    """The package modules ``name`` imports (module level and inside functions), resolved to dotted names."""
    tree = ast.parse(open(path).read())
    package = name if path.endswith("__init__.py") else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([base] if base else []))
            if base.startswith("cae_scratch"):
                subs = {f"{base}.{a.name}" for a in node.names} & set(MODULES)
                found.update(subs if len(subs) == len(node.names) else subs | {base})
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("cae_scratch"))
    return found


MODULES = modules()
GRAPH = {name: {m for m in imports(name, path) if m in MODULES} - {name} for name, path in MODULES.items()}


def test_no_import_cycle():
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in GRAPH[todo.pop()]:
                if nxt not in seen and nxt != "cae_scratch":      # the package's own __init__ re-exports
                    seen.add(nxt)
                    todo.append(nxt)
        return seen
    cycles = [name for name in GRAPH if name != "cae_scratch" and name in reach(name)]
    assert not cycles, f"modules on an import cycle: {cycles}"


@pytest.mark.parametrize("layer, allowed", [
    ("cae_scratch.core", ("cae_scratch.core", "cae_scratch.backend")),
    ("cae_scratch.gradcheck", ("cae_scratch.backend",)),
    ("cae_scratch.backend", ()),
])
def test_lower_layers_never_import_upward(layer, allowed):
    for name, deps in GRAPH.items():
        if name == layer or name.startswith(layer + "."):
            upward = {d for d in deps if not d.startswith(allowed) and not d.startswith(layer)}
            assert not upward, f"{name} imports {sorted(upward)}; {layer} may import only {allowed}"


def test_nothing_outside_apps_imports_apps():
    for name, deps in GRAPH.items():
        if not name.startswith("cae_scratch.apps") and name != "cae_scratch.__main__":
            assert not {d for d in deps if d.startswith("cae_scratch.apps")}, f"{name} imports the apps"


def test_lessons_never_import_apps():
    folder = os.path.join(ROOT, "lessons")
    for dirpath, _, files in os.walk(folder):
        for f in files:
            if f.endswith(".py"):
                text = open(os.path.join(dirpath, f)).read()
                assert "cae_scratch.apps" not in text, f"{f} imports cae_scratch.apps"


def test_every_module_is_small():
    long = {name: n for name, path in modules().items() if (n := len(open(path).read().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"


def test_the_checker_sees_a_planted_cycle_and_an_upward_import():
    """The reading above is not vacuous: a core module that imported the model would be caught."""
    assert "cae_scratch.backend" in GRAPH["cae_scratch.core.penalty"]
    assert "cae_scratch.core.fused" in GRAPH["cae_scratch.model"]
    planted = imports("cae_scratch.core.x", os.path.join(PACKAGE, "core", "penalty.py")) | {"cae_scratch.model"}
    assert any(not d.startswith(("cae_scratch.core", "cae_scratch.backend")) for d in planted)

"""The house rules (ARCHITECTURE.md), read from the source: no import cycle, no import upward, small modules,
and ARCHITECTURE.md's module list equal to the package's modules."""
import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "cae_scratch")
MAX_LINES = 240          # one concept per module


def modules():
    """{dotted name: path} of every module of the package."""
    out = {}
    for folder, _, files in os.walk(PACKAGE):
        for f in files:
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(folder, f), ROOT)[:-3].replace(os.sep, ".")
                out[rel[:-9] if rel.endswith(".__init__") else rel] = os.path.join(folder, f)
    return out


def imports(name, path, source=None):
    """The package modules ``name`` imports (module level and inside functions), resolved to dotted names;
    ``source``: the text to read instead of the file at ``path``."""
    tree = ast.parse(open(path).read() if source is None else source)
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


def cycles(graph):
    """The modules on an import cycle (the package's own __init__, which re-exports, is not followed)."""
    def reach(start):
        seen, todo = set(), [start]
        while todo:
            for nxt in graph[todo.pop()]:
                if nxt not in seen and nxt != "cae_scratch":
                    seen.add(nxt)
                    todo.append(nxt)
        return seen
    return [name for name in graph if name != "cae_scratch" and name in reach(name)]


def upward(graph, layer, allowed):
    """{module of ``layer``: the modules it imports from outside ``allowed`` and itself}."""
    out = {}
    for name, deps in graph.items():
        if name == layer or name.startswith(layer + "."):
            bad = {d for d in deps if not d.startswith(allowed) and not d.startswith(layer)}
            if bad:
                out[name] = sorted(bad)
    return out


def apps_importers(graph):
    return [name for name, deps in graph.items() if not name.startswith("cae_scratch.apps")
            and name != "cae_scratch.__main__" and any(d.startswith("cae_scratch.apps") for d in deps)]


LAYERS = [("cae_scratch.core", ("cae_scratch.core", "cae_scratch.backend")),
          ("cae_scratch.gradcheck", ("cae_scratch.backend",)),
          ("cae_scratch.backend", ())]


def test_no_import_cycle():
    assert not cycles(GRAPH), f"modules on an import cycle: {cycles(GRAPH)}"


@pytest.mark.parametrize("layer, allowed", LAYERS)
def test_lower_layers_never_import_upward(layer, allowed):
    found = upward(GRAPH, layer, allowed)
    assert not found, f"{found}: {layer} may import only {allowed}"


def test_nothing_outside_apps_imports_apps():
    assert not apps_importers(GRAPH), f"{apps_importers(GRAPH)} import the apps"


def lesson_files():
    for dirpath, _, files in os.walk(os.path.join(ROOT, "lessons")):
        yield from (os.path.join(dirpath, f) for f in files if f.endswith(".py"))


def test_lessons_never_import_apps():
    for path in lesson_files():
        found = {d for d in imports("lessons.x", path) if d.startswith("cae_scratch.apps")}
        assert not found, f"{path} imports {sorted(found)}"


def test_every_module_is_small():
    long = {name: n for name, path in modules().items() if (n := len(open(path).read().splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by concept): {long}"


def test_the_checks_see_a_planted_cycle_upward_import_and_apps_import():
    """Negative controls: each check above, run on a copy of the graph with one bad edge planted, finds it;
    and the lesson check reads ``from cae_scratch import apps`` as an import of the apps."""
    assert "cae_scratch.backend" in GRAPH["cae_scratch.core.penalty"]            # the reading sees edges
    assert "cae_scratch.core.penalty" in GRAPH["cae_scratch.model"]
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["cae_scratch.core.penalty"].add("cae_scratch.model")                  # upward, and a cycle
    assert "cae_scratch.core.penalty" in cycles(planted) and "cae_scratch.model" in cycles(planted)
    assert upward(planted, *LAYERS[0]) == {"cae_scratch.core.penalty": ["cae_scratch.model"]}
    planted["cae_scratch.gradcheck"].add("cae_scratch.apps.cli")
    assert apps_importers(planted) == ["cae_scratch.gradcheck"]
    lesson = os.path.join(ROOT, "lessons", "99_x.py")
    for source in ("from cae_scratch import apps\n", "import cae_scratch.apps.cli\n",
                   "def f():\n    from cae_scratch.apps import cli\n"):
        assert any(d.startswith("cae_scratch.apps") for d in imports("lessons.x", lesson, source)), source


# ---- ARCHITECTURE.md's module list is the package ----------------------------------------------

def listed_modules():
    text = open(os.path.join(ROOT, "ARCHITECTURE.md")).read()
    return set(re.findall(r"^- `(cae_scratch/[\w/]+\.py)`: \S", text, flags=re.M))


def test_architecture_lists_every_module_and_no_other():
    on_disk = {os.path.relpath(path, ROOT).replace(os.sep, "/") for path in modules().values()}
    listed = listed_modules()
    assert not on_disk - listed, f"modules missing from ARCHITECTURE.md's list: {sorted(on_disk - listed)}"
    assert not listed - on_disk, f"ARCHITECTURE.md lists modules that do not exist: {sorted(listed - on_disk)}"

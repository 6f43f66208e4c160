"""The package's shape: generic layers never import a method, and no two modules import each other
in a circle (imports inside functions included, since a lazy import hides a cycle, not removes it)."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "gazejax"
# Layers allowed to name methods: the methods themselves and the user-facing front ends.
ABOVE_METHODS = ("gazejax.methods", "gazejax.commands", "gazejax.bench", "gazejax.cli", "gazejax.__main__")


def _module_name(path):
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules():
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(path, modules):
    """The gazejax modules ``path`` imports (``from a import b`` counts ``a.b`` when it is a module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name in modules:
                found.add(name)
    return found


def _graph():
    modules = _modules()
    return {name: _imports(path, modules) - {name} for name, path in modules.items()}


def _is_generic(name):
    return not any(name == top or name.startswith(top + ".") for top in ABOVE_METHODS)


def test_generic_layers_import_no_method():
    graph = _graph()
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items() if _is_generic(module)
        for target in targets if target.startswith("gazejax.methods")
    )
    assert not offenders, "\n".join(offenders)


def test_every_method_has_the_same_parts():
    methods = sorted(p for p in (PACKAGE / "methods").iterdir() if (p / "method.py").is_file())
    assert [p.name for p in methods] == ["eg3d", "gazenerf", "l2cs", "livegaze", "mggr"]
    for folder in methods:
        assert (folder / "training.py").is_file() and (folder / "evaluation.py").is_file(), folder
        assert (folder / "inference.py").is_file() or (folder / "export.py").is_file(), folder


def _cycle(graph):
    """One import cycle as a list of modules, or None (iterative DFS with colours)."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    for root in graph:
        if colour[root]:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        colour[root] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = 2
                stack.pop()
            elif colour[child] == 1:
                path = [n for n, _ in stack]
                return path[path.index(child):] + [child]
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(sorted(graph[child]))))
    return None


def test_the_import_graph_has_no_cycle():
    graph = _graph()
    # a package importing its own submodules (re-exports) is not a cycle of concerns
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph))


def test_the_cycle_finder_finds_one():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", ["gazejax.methods.livegaze.training", "gazejax.pretrained.gaze_estimator"])
def test_the_graph_sees_lazy_and_from_imports(module):
    graph = _graph()
    assert graph[module], f"{module} shows no gazejax imports"


def test_only_benchmarks_import_the_torch_references():
    # gazejax.torch_reference imports torch, which only the [torch] extra installs
    graph = _graph()
    offenders = sorted(
        f"{module} imports {target}"
        for module, targets in graph.items()
        if not module.startswith(("gazejax.bench", "gazejax.torch_reference"))
        for target in targets if target.startswith("gazejax.torch_reference")
    )
    assert not offenders, "\n".join(offenders)

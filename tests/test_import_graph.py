"""padserver's modules import each other without a cycle, not even inside a function: each can be read after
what it uses."""

import ast
import pathlib

import padserver

ROOT = pathlib.Path(padserver.__file__).parent


def modules() -> dict[str, pathlib.Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _executed(tree: ast.AST):
    """Every node Python may run: all but the bodies of ``if TYPE_CHECKING:`` (for the type checker only)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in [child, *_executed(child)])
            continue
        yield node
        yield from _executed(node)


def imported(path: pathlib.Path, known: dict) -> set[str]:
    """The padserver modules a module imports, when it loads or later (inside a function)."""
    names = set()
    for node in _executed(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:  # `from package import module` is the module; `from module import name` the module
                names.add(f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in known else node.module)
    return {n for n in names if n in known}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, done = [], set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            found.append(trail[trail.index(name) :] + [name])
            return
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, trail + [name])
        done.add(name)

    for name in sorted(graph):
        visit(name, [])
    return found


def test_no_module_of_padserver_imports_itself_back():
    known = modules()
    graph = {name: imported(path, known) - {name} for name, path in known.items()}
    found = cycles(graph)
    assert not found, "\n".join(" → ".join(c) for c in found)


def test_the_walk_sees_a_cycle(tmp_path):
    # (the check itself: two modules that import each other are found, and a package's own modules are not)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("def later():\n    import pkg.a\n")
    (pkg / "c.py").write_text("from pkg.b import x\nif TYPE_CHECKING:\n    from pkg import a\n")
    known = {"pkg.a": pkg / "a.py", "pkg.b": pkg / "b.py", "pkg.c": pkg / "c.py"}
    graph = {name: imported(path, known) for name, path in known.items()}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.b"}}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]

"""The layering rules of docs/architecture.md, checked on the code itself so that a change cannot
quietly break them: SQL only in the store, interfaces over the services, nothing importing
upwards, no Typer command called as a function, no function too long to read."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import paperradar

SRC = Path(paperradar.__file__).parent
LONGEST_FUNCTION = 120  # lines

# Which packages each layer may import from paperradar (records, text, config, identity are shared).
SHARED = {"records", "text", "config", "identity", "__init__"}
BELOW_SERVICES = {"sources", "store", "analysis", "search", "sync", "ingest", "library_files", "digest"}
MAY_IMPORT = {
    **{name: SHARED for name in SHARED},
    "sources": SHARED | {"sources"},
    "store": SHARED | {"store"},
    "analysis": SHARED | {"store", "analysis", "search"},
    "search": SHARED | {"store", "search"},
    "sync": SHARED | {"sources", "store", "sync", "ingest"},
    "ingest": SHARED | {"sources", "store", "ingest"},
    "library_files": SHARED | {"sources", "store", "analysis", "ingest"},
    "digest": SHARED | {"store", "analysis", "search", "digest"},
    "services": SHARED | BELOW_SERVICES | {"services"},
    # The interfaces call the services; from below they take only types and pure helpers.
    "cli": SHARED | BELOW_SERVICES | {"services", "cli"},
    "web": SHARED | BELOW_SERVICES | {"services", "web"},
}


def modules(migrations: bool = False) -> Iterator[tuple[str, Path, ast.Module]]:
    """``(layer, path, tree)`` of every module of the package; the layer is its top folder.
    Migrations are frozen history in Alembic's idiom: only the length rule reads them."""
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if "migrations" in relative.parts and not migrations:
            continue
        layer = relative.parts[0].removesuffix(".py")
        yield layer, relative, ast.parse(path.read_text(), str(path))


def imported(tree: ast.Module) -> Iterator[tuple[int, str, list[str]]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []


def test_sql_lives_in_the_store_only() -> None:
    """Outside ``store/``: no statement, no table, and from SQLAlchemy only the types of hints."""
    types_only = {"Connection", "Engine"}
    found = []
    for layer, path, tree in modules():
        if layer == "store":
            continue
        for line, module, names in imported(tree):
            if module.startswith("sqlalchemy") and not set(names) <= types_only:
                found.append(f"{path}:{line} imports {sorted(set(names) - types_only) or module}")
            if module == "paperradar.store.schema" or (module == "paperradar.store" and "schema" in names):
                found.append(f"{path}:{line} imports the tables")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("execute", "scalars", "scalar")
            ):
                found.append(f"{path}:{node.lineno} runs a statement (.{node.func.attr})")
    assert found == []


def test_no_layer_imports_upwards() -> None:
    found = []
    for layer, path, tree in modules():
        allowed = MAY_IMPORT[layer]
        for line, module, _ in imported(tree):
            if module.startswith("paperradar."):
                target = module.split(".")[1]
                if target not in allowed:
                    found.append(f"{path}:{line} ({layer}) imports {module}")
    assert found == []


def test_the_cli_and_the_web_app_never_call_each_other() -> None:
    found = [
        f"{path}:{line} imports {module}"
        for layer, path, tree in modules()
        for line, module, _ in imported(tree)
        if (layer, module.split(".")[1] if module.startswith("paperradar.") else "")
        in (("cli", "web"), ("web", "cli"))
    ]
    assert found == []


def _commands(tree: ast.Module) -> set[str]:
    """The functions of a module registered as Typer commands (``@app.command(...)``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(target, ast.Attribute) and target.attr in ("command", "callback"):
                    names.add(node.name)
    return names


def test_no_typer_command_is_called_as_a_function() -> None:
    trees = list(modules())
    commands = {name for layer, _, tree in trees if layer == "cli" for name in _commands(tree)}
    assert len(commands) > 30
    calls = [
        f"{path}:{node.lineno} calls the command {node.func.id}()"
        for _, path, tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in commands
    ]
    assert calls == []


def test_no_function_is_too_long_to_read() -> None:
    long = [
        f"{path}:{node.lineno} {node.name} has {node.end_lineno - node.lineno + 1} lines"
        for _, path, tree in modules(migrations=True)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long == []

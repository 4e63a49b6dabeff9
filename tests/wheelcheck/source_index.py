"""Read a package's API from its source with `ast`, without installing or importing it.

A `SourceIndex` maps dotted module names to parsed modules, from a wheel (zip) or an installed folder,
and resolves names the way Python's import system would: through `from X import Y`, `import X as Y`,
submodules and class bodies (nested classes, members inherited from bases found in the index).
"""

from __future__ import annotations

import ast
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Symbol:
    """Something a name can be bound to: a module, a class, a function, or another value."""

    kind: str  # "module" | "class" | "function" | "value"
    module: str
    qualname: str
    node: ast.AST | None = None
    owner: Symbol | None = None  # the class a member was found in

    def __str__(self) -> str:
        return f"{self.module}.{self.qualname}" if self.qualname else self.module


class SourceIndex:
    def __init__(self) -> None:
        self._sources: dict[str, Callable[[], str]] = {}
        self._packages: set[str] = set()
        self._trees: dict[str, ast.Module] = {}

    # -- loading ---------------------------------------------------------------------------------

    def _add(self, relative_path: str, read: Callable[[], str]) -> None:
        if not relative_path.endswith(".py"):
            return
        parts = relative_path[:-3].split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
            self._packages.add(".".join(parts))
        self._sources[".".join(parts)] = read

    @classmethod
    def from_wheel(cls, wheel: Path, prefix: str) -> SourceIndex:
        index = cls()
        archive = zipfile.ZipFile(wheel)
        for name in archive.namelist():
            if name.startswith(prefix.replace(".", "/") + "/"):
                index._add(name, lambda n=name: archive.read(n).decode("utf-8"))
        return index

    @classmethod
    def from_directory(cls, root: Path, prefix: str) -> SourceIndex:
        index = cls()
        base = root / prefix.replace(".", "/")
        for path in base.rglob("*.py"):
            index._add(path.relative_to(root).as_posix(), lambda p=path: p.read_text(encoding="utf-8"))
        return index

    def merged(self, other: SourceIndex) -> SourceIndex:
        merged = SourceIndex()
        merged._sources = {**self._sources, **other._sources}
        merged._packages = self._packages | other._packages
        return merged

    # -- modules ---------------------------------------------------------------------------------

    def has_module(self, module: str) -> bool:
        return module in self._sources

    def tree(self, module: str) -> ast.Module:
        if module not in self._trees:
            self._trees[module] = ast.parse(self._sources[module]())
        return self._trees[module]

    # -- names -----------------------------------------------------------------------------------

    def resolve(self, module: str, name: str, _depth: int = 0) -> Symbol | None:
        """What `name` is bound to at the top level of `module` (following re-exports)."""
        if _depth > 20:
            return None
        found = self._top_level(module, name, _depth) if self.has_module(module) else None
        if found is not None:
            return found
        if self.has_module(f"{module}.{name}") or f"{module}.{name}" in self._namespaces():
            return Symbol("module", f"{module}.{name}", "")
        return None

    def _namespaces(self) -> set[str]:
        """Packages without an __init__.py (namespace packages such as `snowflake`)."""
        if not hasattr(self, "_namespace_cache"):
            names = set()
            for module in self._sources:
                parts = module.split(".")
                names.update(".".join(parts[:i]) for i in range(1, len(parts)))
            self._namespace_cache = names - set(self._sources)
        return self._namespace_cache

    def _top_level(self, module: str, name: str, depth: int) -> Symbol | None:
        result: Symbol | None = None
        for stmt in self._statements(self.tree(module).body):
            if isinstance(stmt, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
                kind = "class" if isinstance(stmt, ast.ClassDef) else "function"
                result = Symbol(kind, module, name, stmt)
            elif isinstance(stmt, ast.ImportFrom):
                source = self._absolute(module, stmt)
                for alias in stmt.names:
                    if (alias.asname or alias.name) == name:
                        result = self.resolve(source, alias.name, depth + 1) or Symbol(
                            "value", source, alias.name
                        )
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname == name:
                        result = Symbol("module", alias.name, "")
                    elif alias.asname is None and alias.name.split(".")[0] == name:
                        result = Symbol("module", name, "")
            elif isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    result = Symbol("value", module, name, stmt)
        return result

    def _statements(self, body: list[ast.stmt]) -> Iterator[ast.stmt]:
        """Top-level statements, looking into if/try blocks (TYPE_CHECKING, version guards)."""
        for stmt in body:
            if isinstance(stmt, ast.If):
                yield from self._statements(stmt.body)
                yield from self._statements(stmt.orelse)
            elif isinstance(stmt, ast.Try):
                yield from self._statements(stmt.body)
                for handler in stmt.handlers:
                    yield from self._statements(handler.body)
            else:
                yield stmt

    def _absolute(self, module: str, stmt: ast.ImportFrom) -> str:
        if not stmt.level:
            return stmt.module or ""
        package = module if module in self._packages else module.rsplit(".", 1)[0]
        for _ in range(stmt.level - 1):
            package = package.rsplit(".", 1)[0]
        return f"{package}.{stmt.module}" if stmt.module else package

    def resolve_dotted(self, module: str, dotted: str, scope: Symbol | None = None) -> Symbol | None:
        """`a.b.C` as written in `module` (an annotation, a base class); `scope` = enclosing class."""
        first, *rest = dotted.split(".")
        symbol = self.member(scope, first) if scope is not None else None
        symbol = symbol or self.resolve(module, first)
        if symbol is None and self.has_module(first):
            symbol = Symbol("module", first, "")
        if symbol is None:  # an absolute dotted path, e.g. "snowflake.snowpark.Session"
            for cut in range(len(dotted.split(".")) - 1, 0, -1):
                head = ".".join(dotted.split(".")[:cut])
                if self.has_module(head):
                    symbol, rest = Symbol("module", head, ""), dotted.split(".")[cut:]
                    break
        for part in rest:
            if symbol is None:
                return None
            if symbol.kind == "module":
                symbol = self.resolve(symbol.module, part)
            else:
                symbol = self.member(symbol, part)
        return symbol

    # -- classes ---------------------------------------------------------------------------------

    def bases(self, cls: Symbol) -> list[Symbol]:
        node = cls.node
        assert isinstance(node, ast.ClassDef)
        found = []
        for base in node.bases:
            text = ast.unparse(base.value if isinstance(base, ast.Subscript) else base)
            symbol = self.resolve_dotted(cls.module, text)
            if symbol is not None and symbol.kind == "class":
                found.append(symbol)
        return found

    def base_names(self, cls: Symbol) -> set[str]:
        """Unqualified names of all bases, resolved or not (BaseModel, Enum, TypedDict...)."""
        names: set[str] = set()
        node = cls.node
        assert isinstance(node, ast.ClassDef)
        for base in node.bases:
            names.add(ast.unparse(base.value if isinstance(base, ast.Subscript) else base).split(".")[-1])
        for base in self.bases(cls):
            names |= self.base_names(base)
        return names

    def member_nodes(self, cls: Symbol, name: str) -> list[tuple[ast.AST, Symbol]]:
        """Every definition of `name` in the class or its first base that has it (overloads included)."""
        node = cls.node
        assert isinstance(node, ast.ClassDef)
        hits: list[tuple[ast.AST, Symbol]] = []
        for stmt in self._statements(node.body):
            if isinstance(stmt, ast.Assign | ast.AnnAssign):
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                defined = any(isinstance(t, ast.Name) and t.id == name for t in targets)
            else:
                defined = isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and (
                    stmt.name == name
                )
            if defined:
                hits.append((stmt, cls))
        if hits:
            return hits
        for base in self.bases(cls):
            hits = self.member_nodes(base, name)
            if hits:
                return hits
        return []

    def member(self, cls: Symbol | None, name: str) -> Symbol | None:
        if cls is None or cls.kind != "class":
            return None
        hits = self.member_nodes(cls, name)
        if not hits:
            return None
        node, owner = hits[-1]
        kind = (
            "class"
            if isinstance(node, ast.ClassDef)
            else ("function" if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) else "value")
        )
        return Symbol(kind, owner.module, f"{owner.qualname}.{name}", node, owner)

    def instance_attributes(self, cls: Symbol) -> set[str]:
        """Names assigned as `self.x = ...` anywhere in the class and its bases."""
        names: set[str] = set()
        for klass in [cls, *self.bases(cls)]:
            for node in ast.walk(klass.node):  # type: ignore[arg-type]
                if (
                    isinstance(node, ast.Attribute)
                    and isinstance(node.value, ast.Name)
                    and node.value.id == "self"
                    and isinstance(node.ctx, ast.Store)
                ):
                    names.add(node.attr)
        return names

"""Does this code bind to that release's API? A static check of rendered code against package source.

Checked, for modules under `CHECKED_PREFIXES`:
* every `from X import Y`: module X exists and exports Y;
* every call whose callee can be typed (imported classes and functions, and methods of variables whose
  type follows from assignments and return/property annotations): positional count, keyword names and
  required arguments against the definition (all `@overload`s tried; pydantic models by their fields);
* every attribute read on a typed value or class (enum members, properties, methods).
Untyped expressions (pandas objects, loop variables) are skipped, and `checked` lists what was verified
so a test can prove the check did not pass vacuously.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from tests.wheelcheck.source_index import SourceIndex, Symbol

CHECKED_PREFIXES = ("snowflake.ml", "snowflake.snowpark")
_PROPERTY = {"property", "cached_property", "functools.cached_property"}


@dataclass(frozen=True)
class Typed:
    """A static value: a reference to a module/class/function, or an instance of a class."""

    kind: str  # "ref" | "instance"
    symbol: Symbol


@dataclass
class BindingReport:
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def checked_any(self, fragment: str) -> bool:
        return any(fragment in c for c in self.checked)


def _decorators(fn: ast.AST) -> set[str]:
    if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        return set()
    names = set()
    for deco in fn.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        names.add(ast.unparse(target))
    return names


def _is_overload(fn: ast.AST) -> bool:
    return bool(_decorators(fn) & {"overload", "typing.overload"})


def _is_property(fn: ast.AST) -> bool:
    return bool(_decorators(fn) & _PROPERTY)


def _mismatch(fn: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call, skip_first: bool) -> str | None:
    """Why `call` cannot bind to `fn`'s parameters, or None when it can."""
    a = fn.args
    positional = [*a.posonlyargs, *a.args]
    defaults_from = len(positional) - len(a.defaults)
    required_pos = [p.arg for i, p in enumerate(positional) if i < defaults_from]
    keyword_ok = {p.arg for p in a.args} | {p.arg for p in a.kwonlyargs}
    if skip_first and positional:
        first = positional[0].arg
        positional = positional[1:]
        required_pos = [p for p in required_pos if p != first]
        keyword_ok.discard(first)
    required_kw = [p.arg for p, d in zip(a.kwonlyargs, a.kw_defaults, strict=True) if d is None]
    n_pos = sum(not isinstance(arg, ast.Starred) for arg in call.args)
    splat = any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords)
    if n_pos > len(positional) and a.vararg is None:
        return f"takes {len(positional)} positional arguments, got {n_pos}"
    given = {p.arg for p in positional[:n_pos]}
    for kw in call.keywords:
        if kw.arg is None:
            continue
        if kw.arg not in keyword_ok and a.kwarg is None:
            return f"has no parameter {kw.arg!r}"
        given.add(kw.arg)
    missing = [p for p in [*required_pos, *required_kw] if p not in given]
    if missing and not splat:
        return f"misses required argument(s) {', '.join(missing)}"
    return None


class _Checker:
    def __init__(self, index: SourceIndex) -> None:
        self.index = index
        self.report = BindingReport()
        self.env: dict[str, Typed | None] = {}

    # -- statements ------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> BindingReport:
        self._block(tree.body)
        return self.report

    def _block(self, body: list[ast.stmt]) -> None:
        for stmt in body:
            self._statement(stmt)

    def _statement(self, stmt: ast.stmt) -> None:
        if isinstance(stmt, ast.ImportFrom):
            self._import_from(stmt)
        elif isinstance(stmt, ast.Assign):
            value = self._infer(stmt.value)
            for target in stmt.targets:
                self._bind(target, value)
        elif isinstance(stmt, ast.For):
            self._infer(stmt.iter)
            self._bind(stmt.target, None)
            self._block(stmt.body)
            self._block(stmt.orelse)
        elif isinstance(stmt, ast.Try):
            self._block(stmt.body)
            for handler in stmt.handlers:
                self._block(handler.body)
            self._block(stmt.orelse)
            self._block(stmt.finalbody)
        else:
            for child in ast.iter_child_nodes(stmt):
                if isinstance(child, ast.expr):
                    self._infer(child)
            for name in ("body", "orelse"):
                block = getattr(stmt, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    self._block(block)

    def _bind(self, target: ast.expr, value: Typed | None) -> None:
        if isinstance(target, ast.Name):
            self.env[target.id] = value
        else:
            for node in ast.walk(target):
                if isinstance(node, ast.Name):
                    self.env[node.id] = None

    def _import_from(self, stmt: ast.ImportFrom) -> None:
        module = stmt.module or ""
        checked = module.startswith(CHECKED_PREFIXES)
        if checked and not self.index.has_module(module):
            self.report.problems.append(f"line {stmt.lineno}: module {module} does not exist in this release")
        for alias in stmt.names:
            local = alias.asname or alias.name
            symbol = self.index.resolve(module, alias.name) if checked else None
            if checked and self.index.has_module(module):
                if symbol is None:
                    self.report.problems.append(f"line {stmt.lineno}: {module} has no name {alias.name}")
                else:
                    self.report.checked.append(f"import {module}.{alias.name}")
            self.env[local] = Typed("ref", symbol) if symbol is not None else None

    # -- expressions -----------------------------------------------------------------------------

    def _infer(self, expr: ast.expr) -> Typed | None:
        if isinstance(expr, ast.Name):
            return self.env.get(expr.id)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr)
        if isinstance(expr, ast.Call):
            return self._call(expr)
        for child in ast.iter_child_nodes(expr):
            if isinstance(child, ast.expr):
                self._infer(child)
            elif isinstance(child, ast.comprehension):
                self._infer(child.iter)
        return None

    def _attribute(self, expr: ast.Attribute) -> Typed | None:
        base = self._infer(expr.value)
        if base is None:
            return None
        symbol = base.symbol
        if base.kind == "ref" and symbol.kind == "module":
            found = self.index.resolve(symbol.module, expr.attr)
            if found is None:
                self._problem(expr, f"module {symbol.module} has no name {expr.attr}")
                return None
            return Typed("ref", found)
        if symbol.kind != "class":
            return None
        hits = self.index.member_nodes(symbol, expr.attr)
        if not hits:
            dynamic = self.index.member_nodes(symbol, "__getattr__")
            if base.kind == "instance" and (dynamic or expr.attr in self.index.instance_attributes(symbol)):
                return None
            self._problem(expr, f"{symbol} has no attribute {expr.attr}")
            return None
        self.report.checked.append(f"attribute {symbol}.{expr.attr}")
        properties = [(n, o) for n, o in hits if _is_property(n)]
        node, owner = (properties or hits)[0]
        member = Symbol(
            "class"
            if isinstance(node, ast.ClassDef)
            else "function"
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            else "value",
            owner.module,
            f"{owner.qualname}.{expr.attr}",
            node,
            owner,
        )
        if member.kind == "class":
            return Typed("ref", member)
        if member.kind == "function":
            if properties:
                return self._returns(node, owner)
            return Typed("instance" if base.kind == "instance" else "ref", member)
        if isinstance(node, ast.AnnAssign):
            return self._annotation(node.annotation, owner.module, owner)
        return None

    def _call(self, call: ast.Call) -> Typed | None:
        for arg in [*call.args, *(k.value for k in call.keywords)]:
            self._infer(arg.value if isinstance(arg, ast.Starred) else arg)
        callee = self._infer(call.func)
        if callee is None:
            return None
        symbol = callee.symbol
        if symbol.kind == "class" and callee.kind == "ref":
            self._check_constructor(call, symbol)
            return Typed("instance", symbol)
        if symbol.kind != "function":
            return None
        # A method read from an instance is bound: its first parameter is already given.
        bound = callee.kind == "instance" or "classmethod" in self._decorators_of(symbol)
        if "staticmethod" in self._decorators_of(symbol):
            bound = False
        self._check_function(call, symbol, skip_first=bound)
        candidates = self._candidates(symbol)
        if len({ast.unparse(fn.returns) if fn.returns else "" for fn in candidates}) != 1:
            return None  # overloads returning different types: which one applies is not static
        return self._returns(candidates[0], symbol.owner, module=symbol.module)

    def _decorators_of(self, symbol: Symbol) -> set[str]:
        return _decorators(symbol.node) if symbol.node is not None else set()

    # -- checks ----------------------------------------------------------------------------------

    def _candidates(self, symbol: Symbol) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
        if symbol.owner is not None:
            name = symbol.qualname.rsplit(".", 1)[-1]
            defs = [
                n
                for n, _ in self.index.member_nodes(symbol.owner, name)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
            ]
        else:
            defs = [
                n
                for n in self.index.tree(symbol.module).body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == symbol.qualname
            ]
            defs = defs or [symbol.node]  # type: ignore[list-item]
        overloads = [d for d in defs if _is_overload(d)]
        return overloads or defs[-1:]

    def _check_function(self, call: ast.Call, symbol: Symbol, *, skip_first: bool) -> None:
        reasons = [_mismatch(fn, call, skip_first) for fn in self._candidates(symbol)]
        if reasons and all(r is not None for r in reasons):
            self._problem(call, f"{symbol}() {'; or '.join(r for r in reasons if r)}")
        else:
            self.report.checked.append(f"call {symbol}")

    def _check_constructor(self, call: ast.Call, cls: Symbol) -> None:
        init = self.index.member(cls, "__init__")
        if init is not None:
            self._check_function(call, init, skip_first=True)
            return
        if "BaseModel" not in self.index.base_names(cls):
            return  # enums, plain classes without __init__: nothing to check
        fields, required = self._model_fields(cls)
        for kw in call.keywords:
            if kw.arg is not None and kw.arg not in fields:
                self._problem(call, f"{cls}() has no field {kw.arg!r}")
                return
        if call.args:
            self._problem(call, f"{cls}() takes keyword arguments only")
            return
        missing = [f for f in required if f not in {k.arg for k in call.keywords}]
        if missing and not any(k.arg is None for k in call.keywords):
            self._problem(call, f"{cls}() misses required field(s) {', '.join(missing)}")
            return
        self.report.checked.append(f"call {cls}")

    def _model_fields(self, cls: Symbol) -> tuple[set[str], list[str]]:
        fields: set[str] = set()
        required: list[str] = []
        for base in self.index.bases(cls):
            more, req = self._model_fields(base)
            fields |= more
            required += req
        for stmt in cls.node.body:  # type: ignore[union-attr]
            if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                name = stmt.target.id
                if name == "model_config" or "ClassVar" in ast.unparse(stmt.annotation):
                    continue
                fields.add(name)
                if stmt.value is None:
                    required.append(name)
                elif name in required:
                    required.remove(name)
        return fields, required

    # -- annotations -----------------------------------------------------------------------------

    def _returns(self, fn: ast.AST | None, owner: Symbol | None, module: str | None = None) -> Typed | None:
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef) or fn.returns is None:
            return None
        return self._annotation(fn.returns, module or (owner.module if owner else ""), owner)

    def _annotation(self, annotation: ast.expr, module: str, scope: Symbol | None) -> Typed | None:
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(annotation, ast.Subscript):
            if ast.unparse(annotation.value).split(".")[-1] in ("Optional", "Union", "List", "list", "dict"):
                return None
            annotation = annotation.value
        if not isinstance(annotation, ast.Name | ast.Attribute):
            return None
        symbol = self.index.resolve_dotted(module, ast.unparse(annotation), scope)
        return Typed("instance", symbol) if symbol is not None and symbol.kind == "class" else None

    def _problem(self, node: ast.AST, text: str) -> None:
        self.report.problems.append(f"line {getattr(node, 'lineno', '?')}: {text}")


def check_bindings(code: str, index: SourceIndex) -> BindingReport:
    """Problems found binding `code` to the API in `index`, and what was checked."""
    return _Checker(index).run(ast.parse(code))

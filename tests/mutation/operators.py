"""Realistic small bugs, made from a module's syntax tree one at a time.

Each `Mutant` is one edit of the source text (the span of one node replaced), so the rest of the file —
comments, formatting, line numbers around it — stays as it was. The operators are the bugs a person
writes: a comparison or boolean operator swapped, a `not` dropped, a constant off by one or flipped, a
short string literal cut (an escape, a quote, a separator), a call statement removed, a `raise` removed,
a guard (`if …: return/raise/continue`) that never fires, a keyword argument dropped, and
`+`/`-` swapped.

Logging calls, docstrings, annotations and f-strings are left alone: changing them is never a bug the
safety tests should notice.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
QUIET_CALLS = {"log", "logging", "logger", "print", "warnings"}  # receivers whose calls are not behaviour


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the repository root
    function: str  # qualified name of the enclosing function ("<module>" at the top level)
    line: int
    start: int  # byte offsets into the file's UTF-8 text
    end: int
    replacement: str
    kind: str
    description: str
    # without its line number, so edits elsewhere in the file keep it: `<module>:<function>:<change>`,
    # with `#2`, `#3` … for the same change again in one function (tests/mutation/equivalent.py uses it)
    name: str = ""

    @property
    def key(self) -> str:
        # the byte span tells apart two edits of one kind on one line (`max(1, … or 1)`, nested `+`)
        return f"{self.path}:{self.line}:{self.start}-{self.end}:{self.kind}:{self.description}"

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]


def _offsets(source: bytes) -> list[int]:
    starts = [0]
    for i, b in enumerate(source):
        if b == 0x0A:
            starts.append(i + 1)
    return starts


def _receiver(call: ast.Call) -> str | None:
    func = call.func
    while isinstance(func, ast.Attribute):
        func = func.value
    return func.id if isinstance(func, ast.Name) else None


def _short(node: ast.AST) -> str:
    text = ast.unparse(node).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


class _Finder(ast.NodeVisitor):
    def __init__(self, path: str, source: bytes, functions: set[str] | None) -> None:
        self.path, self.source, self.functions = path, source, functions
        self.lines = _offsets(source)
        self.scope: list[str] = []
        self.found: list[Mutant] = []
        self.skip: set[int] = set()  # ids of nodes not to mutate (docstrings, annotations, f-strings, logs)

    # --- where we are -------------------------------------------------------------------------
    @property
    def qualname(self) -> str:
        return ".".join(self.scope) or "<module>"

    def _selected(self) -> bool:
        if self.functions is None:
            return True
        name = self.qualname
        return any(name == f or name.startswith(f + ".") for f in self.functions)

    def _span(self, node: ast.AST) -> tuple[int, int]:
        start = self.lines[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]
        end = self.lines[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def _add(self, node: ast.AST, replacement: str, kind: str, description: str) -> None:
        if not self._selected():
            return
        start, end = self._span(node)
        line = node.lineno  # type: ignore[attr-defined]
        self.found.append(
            Mutant(self.path, self.qualname, line, start, end, replacement, kind, f"L{line}: {description}")
        )

    def _swap(self, node: ast.expr, changed: ast.expr, kind: str) -> None:
        self._add(node, f"({ast.unparse(changed)})", kind, f"{_short(node)}  ->  {_short(changed)}")

    def _ignore_tree(self, node: ast.AST | None) -> None:
        if node is not None:
            self.skip.update(id(n) for n in ast.walk(node))

    # --- scopes -------------------------------------------------------------------------------
    def _body_docstring(self, body: list[ast.stmt]) -> None:
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self._ignore_tree(body[0])

    def visit_Module(self, node: ast.Module) -> None:
        self._body_docstring(node.body)
        self.generic_visit(node)

    def _visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._body_docstring(node.body)
        if not isinstance(node, ast.ClassDef):
            self._ignore_tree(node.returns)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                self._ignore_tree(arg.annotation)
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_scope

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._ignore_tree(node.annotation)
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._ignore_tree(node)

    def visit_If(self, node: ast.If) -> None:
        if isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            return
        last = node.body[-1]
        if id(node) not in self.skip and isinstance(last, (ast.Return, ast.Raise, ast.Continue, ast.Break)):
            self._add(node.test, "(False)", "guard", f"`if {_short(node.test)}:` never taken")
            if len(node.body) == 1 and isinstance(last, ast.Raise):
                self.skip.add(id(last))  # removing the raise is the same bug as the guard never taken
        self.generic_visit(node)

    # --- statements ---------------------------------------------------------------------------
    def visit_Expr(self, node: ast.Expr) -> None:
        call = node.value
        if isinstance(call, ast.Call) and _receiver(call) in QUIET_CALLS:
            self._ignore_tree(node)
            return
        if isinstance(call, (ast.Call, ast.Await)) and id(node) not in self.skip:
            self._add(node, "pass", "removed-call", f"removed `{_short(call)}`")
        self.generic_visit(node)

    def visit_Raise(self, node: ast.Raise) -> None:
        if id(node) not in self.skip:
            self._add(node, "pass", "removed-raise", f"removed `raise {_short(node.exc or ast.Pass())}`")
        self.generic_visit(node)

    # --- expressions --------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        if _receiver(node) in QUIET_CALLS:
            self._ignore_tree(node)
            return
        if id(node) not in self.skip:
            for i, kw in enumerate(node.keywords):
                if kw.arg is None:
                    continue
                changed = ast.Call(node.func, node.args, node.keywords[:i] + node.keywords[i + 1 :])
                self._add(
                    node, ast.unparse(changed), "dropped-kwarg", f"dropped `{kw.arg}=` in {_short(node)}"
                )
        self.generic_visit(node)

    def visit_Compare(self, node: ast.Compare) -> None:
        if id(node) not in self.skip:
            for i, op in enumerate(node.ops):
                swap = COMPARE_SWAPS.get(type(op))
                if swap is not None:
                    ops = [*node.ops[:i], swap(), *node.ops[i + 1 :]]
                    self._swap(node, ast.Compare(node.left, ops, node.comparators), "compare")
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        if id(node) not in self.skip:
            other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self._swap(node, ast.BoolOp(other, node.values), "boolean")
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if id(node) not in self.skip and isinstance(node.op, ast.Not):
            self._swap(node, node.operand, "dropped-not")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        strings = (ast.JoinedStr,)
        textual = any(
            isinstance(s, strings) or (isinstance(s, ast.Constant) and isinstance(s.value, str))
            for s in (node.left, node.right)
        )
        if id(node) not in self.skip and not textual and isinstance(node.op, (ast.Add, ast.Sub)):
            other = ast.Sub() if isinstance(node.op, ast.Add) else ast.Add()
            self._swap(node, ast.BinOp(node.left, other, node.right), "arithmetic")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self.skip:
            return
        value = node.value
        if isinstance(value, bool):
            self._swap(node, ast.Constant(not value), "constant")
        elif isinstance(value, int):
            self._swap(node, ast.Constant(value + 1), "constant")
        elif isinstance(value, str) and len(value) <= 5:
            self._swap(node, ast.Constant(value[:-1] if value else "X"), "constant")


def mutants_of(path: str, source: bytes, functions: set[str] | None = None) -> Iterator[Mutant]:
    """Every mutant of one module (only inside `functions`, qualified names, when given) that compiles."""
    tree = ast.parse(source)
    finder = _Finder(path, source, functions)
    finder.visit(tree)
    seen: set[bytes] = set()
    names: Counter[str] = Counter()
    for mutant in finder.found:
        text = mutant.apply(source)
        if text in seen or text == source:
            continue
        seen.add(text)
        try:
            compile(text, path, "exec")
        except SyntaxError:
            continue
        change = mutant.description.split(": ", 1)[1]  # without "L<line>: "
        name = f"{path.removeprefix('server/snowbatch/')}:{mutant.function}:{change}"
        names[name] += 1
        yield replace(mutant, name=name if names[name] == 1 else f"{name}#{names[name]}")

"""Reading SQL text the way Snowflake's lexer does, to prove a hostile name cannot change a statement.

Tokens: double-quoted identifiers (`""` is a quote), single-quoted literals (`''` is a quote and a
backslash escapes the next character — Snowflake's rule, which plain SQL tokenizers miss), `$$…$$`
literals, comments (`--`, `//` to the end of the line, `/* … */`), `;`, and everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

PLAIN = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_$")


class Malformed(AssertionError):
    pass


@dataclass(frozen=True)
class Token:
    kind: str  # ident | string | comment | semi | code
    text: str


def tokenize(sql: str) -> list[Token]:
    tokens: list[Token] = []
    code: list[str] = []
    i, n = 0, len(sql)

    def flush() -> None:
        if code:
            tokens.append(Token("code", "".join(code)))
            code.clear()

    while i < n:
        ch = sql[i]
        two = sql[i : i + 2]
        if ch == '"':
            j = i + 1
            while True:
                if j >= n:
                    raise Malformed(f"unclosed double quote at {i}: {sql!r}")
                if sql[j] == '"':
                    if j + 1 < n and sql[j + 1] == '"':
                        j += 2
                        continue
                    break
                j += 1
            flush()
            tokens.append(Token("ident", sql[i : j + 1]))
            i = j + 1
        elif ch == "'":
            j = i + 1
            while True:
                if j >= n:
                    raise Malformed(f"unclosed single quote at {i}: {sql!r}")
                if sql[j] == "\\":
                    j += 2
                    continue
                if sql[j] == "'":
                    if j + 1 < n and sql[j + 1] == "'":
                        j += 2
                        continue
                    break
                j += 1
            flush()
            tokens.append(Token("string", sql[i : j + 1]))
            i = j + 1
        elif two == "$$":
            j = sql.find("$$", i + 2)
            if j < 0:
                raise Malformed(f"unclosed $$ at {i}: {sql!r}")
            flush()
            tokens.append(Token("string", sql[i : j + 2]))
            i = j + 2
        elif two in ("--", "//"):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            flush()
            tokens.append(Token("comment", sql[i:j]))
            i = j
        elif two == "/*":
            j = sql.find("*/", i + 2)
            if j < 0:
                raise Malformed(f"unclosed comment at {i}: {sql!r}")
            flush()
            tokens.append(Token("comment", sql[i : j + 2]))
            i = j + 2
        elif ch == ";":
            flush()
            tokens.append(Token("semi", ";"))
            i += 1
        else:
            code.append(ch)
            i += 1
    flush()
    return tokens


def statement_count(sql: str) -> int:
    """How many statements the text holds (empty ones between semicolons do not count)."""
    count, current = 0, False
    for t in tokenize(sql):
        if t.kind == "semi":
            count, current = count + current, False
        elif t.kind != "comment" and t.text.strip():
            current = True
    return count + current


def code_text(sql: str) -> str:
    """The text outside every quoted identifier, literal and comment."""
    return " ".join(t.text for t in tokenize(sql) if t.kind in ("code", "semi"))


def assert_safe_statement(sql: str, *, hostile: list[str]) -> None:
    """One statement, no comment, and none of the `hostile` texts outside quotes.

    A hostile text that is a plain identifier (letters, digits, _ and $) may appear unquoted: that is how
    Snowflake itself writes such names (pool names, snowflake-ml's `NAME = DB.SC.JOB`).
    """
    tokens = tokenize(sql)
    assert statement_count(sql) == 1, f"not exactly one statement: {sql!r}"
    comments = [t.text for t in tokens if t.kind == "comment"]
    assert not comments, f"comment in a statement: {comments} in {sql!r}"
    outside = code_text(sql)
    for text in hostile:
        if len(text) >= 3 and not set(text) <= PLAIN:
            assert text not in outside, f"{text!r} appears unquoted in {sql!r}"


def snowflake_quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'

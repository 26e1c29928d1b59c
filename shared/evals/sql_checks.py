"""``is-sql``: the output is SQL of a dialect, optionally touching only allowed tables and
columns, as promptfoo 0.123 checks it.

Sources: promptfoo ``src/assertions/sql.ts``;
https://www.promptfoo.dev/docs/configuration/expected-outputs/deterministic/#is-sql.

The value is optional: ``{databaseType: MySQL, allowedTables: [...], allowedColumns: [...]}``
(MySQL by default). Allowed entries use node-sql-parser's authority format, matched as
case-insensitive regular expressions over the whole entry: tables ``"select::null::users"``
(``{statement}::{database or null}::{table}``), columns ``"select::users::id"``
(``{statement}::{table or null}::{column}``; an allowed ``"select::users::id"`` also allows
the unqualified ``"select::null::id"``, and ``*`` is ``"(.*)"``).

promptfoo parses with node-sql-parser; this module parses with sqlglot in the same dialect and
keeps promptfoo's extra checks (empty output, unbalanced backticks, a likely missing comma in
``SELECT a b FROM``, ``generate_series`` in MySQL). sqlglot accepts a bare expression
(``hello world``) as SQL; only statements count here, as in node-sql-parser. The two grammars
still differ on unusual syntax.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from shared.evals._jsregex import translate
from shared.evals.results import AssertionValueError, Check, Outcome

if TYPE_CHECKING:
    from shared.domain.spec import Assertion

DIALECTS = {
    "MySQL": "mysql",
    "MariaDB": "mysql",
    "PostgresQL": "postgres",
    "Sqlite": "sqlite",
    "TransactSQL": "tsql",
    "BigQuery": "bigquery",
    "Snowflake": "snowflake",
    "Redshift": "redshift",
    "Hive": "hive",
    "Trino": "trino",
    "Athena": "athena",
    "DB2": "",
    "FlinkSQL": "",
    "Noql": "",
}
_STATEMENTS: tuple[type[exp.Expression], ...] = tuple(
    cls
    for name in (
        "Query", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "AlterTable",
        "Command", "Set", "Use", "Describe", "Show", "Transaction", "Commit", "Rollback",
        "TruncateTable", "Grant", "Analyze", "Pragma", "Cache", "Uncache", "LoadData",
        "Copy", "Replace",
    )
    if isinstance(cls := getattr(exp, name, None), type)
)  # fmt: skip

_IDENT = "[A-Za-z_][A-Za-z0-9_]*"
_STANDARD_MODIFIER = "(?:all|distinct)"
_MYSQL_MODIFIER = (
    "(?:all|distinct(?:row)?|high_priority|straight_join|sql_(?:big_result|buffer_result|cache"
    "|calc_found_rows|no_cache|small_result))"
)


def _missing_comma(modifier: str) -> re.Pattern[str]:
    return re.compile(
        rf"\bselect\s+(?:{modifier}\s+)*(?!{modifier}\b){_IDENT}\s+{_IDENT}\s+from\b",
        re.IGNORECASE | re.ASCII,
    )


_MISSING_COMMA = {
    "standard": _missing_comma(_STANDARD_MODIFIER),
    "mysql": _missing_comma(_MYSQL_MODIFIER),
}
_BRACKET_IDENTIFIERS = {"TransactSQL", "Sqlite"}


def _strip_ignored(sql: str, database: str) -> str:
    """Strings, quoted identifiers and comments blanked out (promptfoo ``stripIgnoredSqlText``)."""
    chunks: list[str] = []
    plain_start = cursor = 0
    brackets = database in _BRACKET_IDENTIFIERS
    while cursor < len(sql):
        char = sql[cursor]
        end: int | None = None
        replacement = " "
        if char in "'\"`" or (char == "[" and brackets):
            end = _quoted_end(sql, cursor, char)
            replacement = " ? "
        elif (char == "-" and sql[cursor + 1 : cursor + 2] == "-") or char == "#":
            end = cursor + 1
            while end < len(sql) and sql[end] not in "\r\n":
                end += 1
        elif char == "/" and sql[cursor + 1 : cursor + 2] == "*":
            close = sql.find("*/", cursor + 2)
            end = len(sql) if close < 0 else close + 2
        elif char == "$":
            match = re.match(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$", sql[cursor:])
            if match:
                close = sql.find(match.group(), cursor + len(match.group()))
                end = len(sql) if close < 0 else close + len(match.group())
                replacement = " ? "
        if end is None:
            cursor += 1
            continue
        chunks += [sql[plain_start:cursor], replacement]
        cursor = plain_start = end
    chunks.append(sql[plain_start:])
    return "".join(chunks)


def _quoted_end(sql: str, start: int, quote: str) -> int:
    closing = "]" if quote == "[" else quote
    cursor = start + 1
    while cursor < len(sql):
        if closing != "]" and sql[cursor] == "\\":
            cursor += 2
            continue
        if sql[cursor] == closing:
            if sql[cursor + 1 : cursor + 2] == closing:
                cursor += 2
                continue
            return cursor + 1
        cursor += 1
    return len(sql)


def _statements(sql: str, database: str) -> list[exp.Expression] | None:
    try:
        parsed = sqlglot.parse(sql, read=DIALECTS.get(database) or None)
    except SqlglotError:
        return None
    statements: list[exp.Expression] = [s for s in parsed if isinstance(s, exp.Expression)]
    if not statements or not all(isinstance(s, _STATEMENTS) for s in statements):
        return None
    return statements


def _kind(statement: exp.Expression) -> str:
    if isinstance(statement, exp.Query):
        return "select"
    return type(statement).__name__.lower().removesuffix("table")


def table_list(statements: list[exp.Expression]) -> list[str]:
    """node-sql-parser's ``tableList``: ``{statement}::{db or null}::{table}``."""
    entries: list[str] = []
    for statement in statements:
        kind = _kind(statement)
        for table in statement.find_all(exp.Table):
            if table.name:
                entry = f"{kind}::{table.db or 'null'}::{table.name}"
                if entry not in entries:
                    entries.append(entry)
    return entries


def column_list(statements: list[exp.Expression]) -> list[str]:
    """node-sql-parser's ``columnList``: ``{statement}::{table or null}::{column}``."""
    entries: list[str] = []
    for statement in statements:
        kind = _kind(statement)
        found = [
            f"{kind}::{column.table or 'null'}::{column.name}"
            for column in statement.find_all(exp.Column)
            if column.name
        ]
        if any(True for _ in statement.find_all(exp.Star)):
            found.append(f"{kind}::null::(.*)")
        for entry in found:
            if entry not in entries:
                entries.append(entry)
    return entries


def _denied(entries: list[str], allowed: list[str]) -> str | None:
    patterns = [re.compile(f"^(?:{translate(a)})$", re.IGNORECASE | re.ASCII) for a in allowed]
    for entry in entries:
        if not any(p.search(entry) for p in patterns):
            return entry
    return None


def check_is_sql(check: Check) -> Outcome:
    """The output parses as SQL (and touches only allowed tables and columns)."""
    value: dict[str, Any] = check.assertion.value or {}
    database = value.get("databaseType") or "MySQL"
    allowed_tables, allowed_columns = value.get("allowedTables"), value.get("allowedColumns")
    inverse, reasons = check.inverse, []
    syntax = f"SQL statement does not conform to the provided {database} database syntax."
    sql = check.output.strip()
    family = "mysql" if database in ("MySQL", "MariaDB") else "standard"
    if not sql:
        reasons.append(syntax)
    if sql.count("`") % 2:
        reasons.append(syntax)
    if _MISSING_COMMA[family].search(_strip_ignored(sql, database)):
        reasons.append(syntax)
    if database == "MySQL" and re.search(r"\bgenerate_series\s*\(", sql, re.IGNORECASE):
        reasons.append(syntax)
    statements = _statements(check.output, database)
    if statements is None:
        reasons.append(syntax)
    passed = (not reasons) != inverse
    if statements is not None and allowed_tables:
        tables = table_list(statements)
        if _denied(tables, allowed_tables) is not None:
            passed = inverse
            reasons.append(
                f"SQL references unauthorized table(s). Found: [{', '.join(tables)}]. "
                f"Allowed: [{', '.join(allowed_tables)}]."
            )
    if statements is not None and allowed_columns:
        allowed = list(allowed_columns)
        for item in allowed_columns:
            parts = item.split("::")
            if len(parts) == 3 and parts[1] != "null":
                alternative = f"{parts[0]}::null::{parts[2]}"
                if alternative not in allowed:
                    allowed.append(alternative)
        columns = column_list(statements)
        if _denied(columns, allowed) is not None:
            passed = inverse
            reasons.append(
                f"SQL references unauthorized column(s). Found: [{', '.join(columns)}]. "
                f"Allowed: [{', '.join(allowed_columns)}]."
            )
    if inverse and not passed and not reasons:
        reasons.append("The output SQL statement is valid")
    return Outcome.binary(passed, " ".join(reasons))


def validate_sql_value(assertion: Assertion) -> None:
    """No value, or ``{databaseType, allowedTables, allowedColumns}``."""
    value = assertion.value
    if value is None:
        return
    if not isinstance(value, dict) or set(value) - {
        "databaseType",
        "allowedTables",
        "allowedColumns",
    }:
        raise AssertionValueError(
            "is-sql value must be an object with databaseType, allowedTables, allowedColumns"
        )
    database = value.get("databaseType")
    if database is not None and database not in DIALECTS:
        raise AssertionValueError(
            f"unknown databaseType {database!r}; known: {', '.join(DIALECTS)}"
        )
    for key in ("allowedTables", "allowedColumns"):
        entries = value.get(key)
        if entries is not None and not (
            isinstance(entries, list) and all(isinstance(e, str) for e in entries)
        ):
            raise AssertionValueError(f"is-sql {key} must be a list of strings")

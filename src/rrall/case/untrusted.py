"""Case documents from text nobody checked: refused cleanly when they are built to hurt.

Every way a case comes in (`rrall assess`, `rrall report`, `rrall serve --load-cases`, the
web import, the API, batch and cohort files) reads its text here or with orjson, and every
parsed document passes `shape_problem` in `parse_case` before anything walks it. So:

- YAML aliases (`*name`) are refused while the file is composed: a 400-byte "billion
  laughs" file would otherwise expand into gigabytes as soon as anything walks it;
- nesting deeper than MAX_DEPTH is refused by the YAML composer (which would otherwise
  recurse until RecursionError) and by `shape_problem` for JSON (orjson stops at 1024);
- `!!binary` values are refused: no case field holds bytes.

Messages quote no values: a value can be huge, or hold patient data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import yaml
from yaml._yaml import CParser
from yaml.composer import Composer, ComposerError
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import Node
from yaml.resolver import Resolver

# A case is five levels deep at most (case > relapses > [0] > genetics > [0]); the limit
# leaves room for nested values in unknown fields, which are then named as unknown.
MAX_DEPTH = 32
ALLOWED_SHAPE = f"a case object nested at most {MAX_DEPTH} levels deep, each list and object written out once"


def _refuse_binary(loader: SafeConstructor, node: Node) -> bytes:
    raise ConstructorError(None, None, "binary values (!!binary) are not allowed in a case file",
                           node.start_mark)


class CaseLoader(Composer, CParser, SafeConstructor, Resolver):
    """Safe YAML for case files: libyaml parses; PyYAML's composer, which sees every
    event, builds the nodes and refuses aliases and deep nesting."""

    yaml_constructors: ClassVar[dict[Any, Any]] = {**SafeConstructor.yaml_constructors,
                                                   "tag:yaml.org,2002:binary": _refuse_binary}

    def __init__(self, stream: str | bytes) -> None:
        CParser.__init__(self, stream)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        Composer.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            raise ComposerError(None, None, "aliases (*name) are not allowed in a case file", self._mark())
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", self._mark())
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def _mark(self) -> Any:
        event = self.peek_event()
        return event.start_mark if event is not None else None


def load_yaml(text: str | bytes) -> Any:
    """One YAML (or JSON) document; yaml.YAMLError names the problem and where."""
    loader = CaseLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error in one line, with its place but without the quoted source text."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"{exc.problem or exc.context or 'not valid'}{where}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def shape_problem(value: Any) -> str | None:
    """What is wrong with a parsed document's shape, if anything: nesting deeper than
    MAX_DEPTH, or one list or object reached twice (only YAML aliases make those).
    Walks without recursion, so any depth is safe to check."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    seen: set[int] = set()
    while stack:
        node, depth = stack.pop()
        if not isinstance(node, dict | list | tuple | set | frozenset):
            continue
        if depth >= MAX_DEPTH:
            return f"nested more than {MAX_DEPTH} levels deep"
        if id(node) in seen:
            return "the same list or object appears more than once (a YAML alias?)"
        seen.add(id(node))
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children)
    return None


def as_json_document(value: Any) -> Any:
    """A parsed case file as JSON: YAML reads 2024-01-02 as a date, stored documents keep
    text; a YAML set becomes a list; binary data is refused. Check `shape_problem` first:
    this recurses once per level."""
    if isinstance(value, dict):
        return {str(k): as_json_document(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [as_json_document(v) for v in items]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        raise ValueError("binary data (!!binary) is not a case value")
    return value


def read_document(text: str | bytes) -> Any:
    """A case file's document as JSON values (JSON is YAML); ValueError with a one-line
    message, quoting nothing from the file, when it cannot be one."""
    try:
        loaded = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ValueError(yaml_problem(exc)) from None
    problem = shape_problem(loaded)
    if problem:
        raise ValueError(problem)
    return as_json_document(loaded)

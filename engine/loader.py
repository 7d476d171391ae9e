"""Load plan and scenario files with errors a person can act on.

YAML is parsed once with the safe loader (the C one when PyYAML has it), keeping the node
tree so that every schema error points at ``file:line:col``. Nothing in a file can run
code: the safe loader builds only plain mappings, lists and scalars.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from engine.memory import gc_paused
from engine.plan import Plan
from engine.scenario import Scenario

try:  # the C loader is several times faster on large scenarios
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

Kind = Literal["plan", "scenario"]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Diagnostic:
    """One problem in a file, printed as ``file:line:col: field: message``."""

    path: str
    line: int
    col: int
    field: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else "warning: "
        field = f"{self.field}: " if self.field else ""
        return f"{self.path}:{self.line}:{self.col}: {tag}{field}{self.message}"


class LoadError(Exception):
    """A file could not be loaded; ``diagnostics`` say where and why."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


@dataclass
class Document:
    """Parsed YAML with its node tree, kept for error positions."""

    path: str
    text: str
    data: Any
    root: yaml.Node | None

    def position(self, loc: Sequence[str | int], *, key: bool = False) -> tuple[int, int]:
        """1-based line and column of the node at ``loc`` (or the nearest existing parent)."""
        node = self.root
        if node is None:
            return 1, 1
        for part in loc:
            found = _child(node, part, key=key and part == loc[-1])
            if found is None:
                continue  # pydantic adds union tags to loc; they are not in the file
            node = found
        return node.start_mark.line + 1, node.start_mark.column + 1


def _child(node: yaml.Node, part: str | int, *, key: bool) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                return key_node if key else value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            child: yaml.Node = node.value[part]
            return child
    return None


def parse_yaml(text: str, path: str) -> Document:
    """Parse YAML text into data and node tree; syntax errors become diagnostics."""
    with gc_paused():
        return _parse_yaml(text, path)


def _parse_yaml(text: str, path: str) -> Document:
    try:
        loader = SafeLoader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return Document(path, text, None, None)
            _check_nodes(root, path, text)
            data = _construct(loader, root, path)
        finally:
            loader.dispose()
    except yaml.reader.ReaderError as exc:
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        # The C reader counts bytes, not characters: after any CJK text its position was
        # past the character. The first such character in the text is the one refused.
        found = text.find(chr(code))
        position = found if found >= 0 else exc.position
        line = text.count("\n", 0, position) + 1
        col = position - (text.rfind("\n", 0, position) + 1) + 1
        raise LoadError(
            [Diagnostic(path, line, col, "", f"control characters are not allowed (#x{code:04x})")]
        ) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"refused: {exc.problem} (files hold plain data only; they cannot run code)"
        raise LoadError([Diagnostic(path, line, col, "", message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise LoadError([_syntax_diagnostic(exc, path)]) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise LoadError([Diagnostic(path, 1, 1, "", f"YAML error: {message}")]) from None
    return Document(path, text, data, root)


# What PyYAML's constructors raise, besides ConstructorError, for a scalar they cannot
# build: `!!int "x"` (ValueError), `!!float ""` (IndexError), `!!bool "maybe"` (KeyError),
# `!!timestamp "nope"` (AttributeError), `2026-02-30` (ValueError from datetime).
_CONSTRUCTION_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)
_SCALAR_KINDS = {
    "tag:yaml.org,2002:int": "a whole number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:bool": "true or false",
    "tag:yaml.org,2002:timestamp": "a date (YYYY-MM-DD, optionally with a time)",
}


def _construct(loader: Any, root: yaml.Node, path: str) -> Any:
    """Build the data; a value PyYAML cannot build is reported at its node, not raised."""
    try:
        return loader.construct_document(root)
    except _CONSTRUCTION_ERRORS:
        problems = _construction_problems(root, path)
        if not problems:  # pragma: no cover - every known failure is a scalar's
            problems = [Diagnostic(path, 1, 1, "", "YAML error: a value cannot be read")]
        raise LoadError(problems) from None


def _construction_problems(root: yaml.Node, path: str) -> list[Diagnostic]:
    """Build each scalar on its own to find the ones that fail (only after a failure)."""
    constructor = yaml.constructor.SafeConstructor()
    problems: list[Diagnostic] = []
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.ScalarNode):
            try:
                constructor.construct_object(node, deep=True)
            except _CONSTRUCTION_ERRORS as exc:
                mark = node.start_mark
                message = _construction_message(node, exc)
                problems.append(Diagnostic(path, mark.line + 1, mark.column + 1, "", message))
            continue
        stack.extend(reversed(_children(node)))
    return sorted(problems, key=lambda d: (d.line, d.col))


def _construction_message(node: yaml.ScalarNode, exc: Exception) -> str:
    kind = _SCALAR_KINDS.get(node.tag, f"the type {node.tag}")
    written = _clipped(node.value)
    if node.tag == "tag:yaml.org,2002:timestamp" and isinstance(exc, ValueError):
        return f"{written} is not a real date ({exc}); correct it, or quote it to keep it as text"
    return f"cannot read {written} as {kind}; correct the value or remove its !! tag"


def _clipped(value: str, keep: int = 40) -> str:
    """A value as written, quoted, cut to one readable line (a 5,000-digit number is)."""
    if len(value) <= keep:
        return repr(value)
    return f"{value[:keep]!r}… ({len(value):,} characters)"


def _syntax_diagnostic(exc: yaml.MarkedYAMLError, path: str) -> Diagnostic:
    """Point at the problem, or at the opening bracket of a flow that is never closed."""
    problem = exc.problem or "invalid YAML"
    mark = exc.problem_mark or exc.context_mark
    context = exc.context or ""
    if "flow" in context and exc.context_mark is not None and exc.problem_mark is not None:
        what = context.replace("while parsing a ", "")
        at = exc.problem_mark
        assert at is not None
        message = (
            f"YAML syntax: this {what} is never closed ({problem} at {at.line + 1}:{at.column + 1})"
        )
        mark = exc.context_mark
    else:
        message = f"YAML syntax: {problem}" + (f" ({context})" if context else "")
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    return Diagnostic(path, line, col, "", message)


_SEXAGESIMAL = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
MAX_EXPANDED_NODES = 1_000_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_nodes(root: yaml.Node, path: str, text: str) -> None:
    """Refuse what PyYAML would accept silently or choke on.

    Duplicate keys (PyYAML keeps the last), plain ``12:30`` (YAML 1.1 reads 750),
    aliases that contain themselves and alias "bombs" that expand to millions of nodes.
    Each node is inspected once, however many aliases point at it.
    """
    problems: list[Diagnostic] = []
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            on_path.discard(key)
            size[key] = 1 + sum(size.get(id(child), 1) for child in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            line, col, anchor = _recursive_alias(text)
            raise LoadError(
                [
                    Diagnostic(
                        path, line, col, "", f"alias *{anchor} refers to a node that contains it"
                    )
                ]
            )
        on_path.add(key)
        stack.append((node, True))
        problems.extend(_inspect(node, path))
        stack.extend((child, False) for child in reversed(_children(node)))
    if size.get(id(root), 0) > MAX_EXPANDED_NODES:
        raise LoadError(
            [
                Diagnostic(
                    path, 1, 1, "", f"aliases expand to more than {MAX_EXPANDED_NODES:,} nodes"
                )
            ]
        )
    if problems:
        raise LoadError(sorted(problems, key=lambda d: (d.line, d.col)))


def _inspect(node: yaml.Node, path: str) -> list[Diagnostic]:
    problems = []
    if isinstance(node, yaml.ScalarNode):
        if node.tag in _SEXAGESIMAL and not node.style and ":" in node.value:
            mark = node.start_mark
            problems.append(
                Diagnostic(
                    path,
                    mark.line + 1,
                    mark.column + 1,
                    "",
                    f"YAML 1.1 reads {node.value} as a base-60 number; write a duration such "
                    f"as '12m30s' or quote the text ('{node.value}')",
                )
            )
    elif isinstance(node, yaml.MappingNode):
        seen: dict[str, yaml.Node] = {}
        for key_node, _ in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            if key_node.value in seen:
                first = seen[key_node.value].start_mark.line + 1
                mark = key_node.start_mark
                problems.append(
                    Diagnostic(
                        path,
                        mark.line + 1,
                        mark.column + 1,
                        key_node.value,
                        f"duplicate key (first written on line {first})",
                    )
                )
            seen[key_node.value] = key_node
    return problems


def _recursive_alias(text: str) -> tuple[int, int, str]:
    """Where an alias names an anchor whose collection is still open (events keep marks)."""
    open_anchors: list[str | None] = []
    for event in yaml.parse(text, Loader=SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_anchors.append(event.anchor)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            open_anchors.pop()
        elif isinstance(event, yaml.AliasEvent) and event.anchor in open_anchors:
            mark = event.start_mark
            if mark is not None:
                return mark.line + 1, mark.column + 1, str(event.anchor)
    return 1, 1, "?"


def read_document(path: str | Path) -> Document:
    """Read and parse a file; unreadable files become diagnostics, never tracebacks."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise LoadError([Diagnostic(name, 1, 1, "", "file not found")]) from None
    except IsADirectoryError:
        raise LoadError([Diagnostic(name, 1, 1, "", "is a directory, not a file")]) from None
    except OSError as exc:
        raise LoadError([Diagnostic(name, 1, 1, "", f"cannot read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LoadError([Diagnostic(name, line, col, "", "file is not UTF-8 text")]) from None
    return parse_yaml(text, name)


def detect_kind(doc: Document) -> Kind:
    if not isinstance(doc.data, dict):
        found = "an empty file" if doc.data is None else type(doc.data).__name__
        line, col = doc.position([])
        raise LoadError(
            [
                Diagnostic(
                    doc.path,
                    line,
                    col,
                    "",
                    f"expected a mapping (a plan or a scenario), found {found}",
                )
            ]
        )
    if "injects" in doc.data:
        return "scenario"
    if "actions" in doc.data or "rules" in doc.data:
        return "plan"
    raise LoadError(
        [
            Diagnostic(
                doc.path,
                1,
                1,
                "",
                "neither a plan (needs actions:) nor a scenario (needs injects:)",
            )
        ]
    )


_VOCABULARY: set[str] = set()


def _vocabulary() -> set[str]:
    """All field names of the file models, for "did you mean" suggestions."""
    if not _VOCABULARY:
        from engine import conditions, plan, scenario

        for module in (plan, scenario, conditions):
            for obj in vars(module).values():
                if isinstance(obj, type) and issubclass(obj, BaseModel):
                    for name, info in obj.model_fields.items():
                        _VOCABULARY.add(info.alias or name)
    return _VOCABULARY


def _message(error: Any) -> str:
    kind = error["type"]
    msg = str(error["msg"])
    if kind == "missing":
        return "required field is missing"
    if kind == "greater_than":
        return f"must be greater than {error['ctx']['gt']}"
    if kind == "extra_forbidden":
        field = str(error["loc"][-1])
        words = sorted(_vocabulary() - {field})
        close = difflib.get_close_matches(field, words, n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else " (not allowed here)"
        return f"unknown field '{field}'{hint}"
    if msg.startswith(("Value error, ", "Assertion failed, ")):
        msg = msg.split(", ", 1)[1]
    return msg


def _located(loc: Sequence[str | int], data: Any, kind: str) -> list[str | int]:
    """The part of a pydantic ``loc`` that exists in the file.

    pydantic adds union member tags (``int``, ``outcome`` ...) to ``loc``; they are not
    keys of the file, so they are dropped. A missing field keeps its own name.
    """
    parts: list[str | int] = []
    node = data
    for i, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif kind == "missing" and i == len(loc) - 1:
            pass
        else:
            continue
        parts.append(part)
    return parts


def _join(messages: list[str]) -> str:
    """Merge union-member messages ("a valid integer", "a valid string" ...) into one."""
    prefix = "Input should be a valid "
    if len(messages) > 1 and all(m.startswith(prefix) for m in messages):
        kinds = [m[len(prefix) :] for m in messages]
        return prefix + ", ".join(kinds[:-1]) + " or " + kinds[-1]
    return "; ".join(messages)


def validate_model(doc: Document, model: type[M]) -> M:
    """Validate parsed data against a model; errors carry file positions."""
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        grouped: dict[tuple[int, int, str], list[str]] = {}
        for error in exc.errors():
            raw = [p for p in error["loc"] if isinstance(p, (str, int))]
            loc = _located(raw, doc.data, error["type"])
            line, col = doc.position(loc, key=error["type"] == "extra_forbidden")
            field = ".".join(str(p) for p in loc)
            messages = grouped.setdefault((line, col, field), [])
            message = _message(error)
            if message not in messages:
                messages.append(message)
        diagnostics = [
            Diagnostic(doc.path, line, col, field, _join(messages))
            for (line, col, field), messages in sorted(grouped.items())
        ]
        raise LoadError(diagnostics) from None


def load_plan(path: str | Path) -> Plan:
    doc = read_document(path)
    return validate_model(doc, Plan)


def load_scenario(path: str | Path) -> Scenario:
    doc = read_document(path)
    return validate_model(doc, Scenario)


def load_any(path: str | Path) -> tuple[Kind, Plan | Scenario, Document]:
    """Load a file of either kind, telling which it is."""
    doc = read_document(path)
    kind = detect_kind(doc)
    if kind == "plan":
        return kind, validate_model(doc, Plan), doc
    return kind, validate_model(doc, Scenario), doc

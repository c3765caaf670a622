"""Read framework YAML into plain data while remembering where every value came from.

PyYAML's node graph (composed by the libyaml C parser, about fifteen times faster than a pure-Python parser) keeps
the line and column of every node; we build plain dicts, lists and scalars from it ourselves, so that duplicate keys
are caught and every field path gets its position in the file. A framework may be one file or a folder of files
whose lists are concatenated in file-name order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import yaml

from cxmaturity.frameworks.problems import FrameworkError, Loc, Position, Problem
from cxmaturity.json_text import refusal

#: Guards against oversized input and alias bombs ("billion laughs"): aliases are expanded while copying.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 50_000
#: A framework is about ten levels deep; far deeper input is hostile or broken and would exhaust the stack.
MAX_DEPTH = 64

#: The C parser nests its stack frames as deep as the collections (tens of thousands of levels crash the process),
#: so input that could be nested deeper than this is first checked with the flat event stream.
_DEPTH_SCAN_ABOVE = 2000
_MERGE_TAG = "tag:yaml.org,2002:merge"
#: What YAML itself does not count as printable (C0 controls but tab, line feed and carriage return; DEL; C1 controls
#: but NEL): a file may still write them as escapes ("\x07", "\e") in a double-quoted string. Refused: a name with an
#: escape sequence in it would drive the terminal that prints it, or break a document (XML) that writes it.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")

# Top-level keys whose lists several files of a folder may each contribute to.
_LIST_KEYS = ("stages", "competencies", "tracks", "actions")
_MAPPING_KEYS = ("scales",)


@dataclass
class SourceMap:
    """Positions of values (and of mapping keys) by field path."""

    values: dict[Loc, Position] = field(default_factory=dict)
    keys: dict[Loc, Position] = field(default_factory=dict)
    default_file: str = "<framework>"

    def find(self, loc: Loc, *, key: bool = False) -> Position | None:
        """Return the position of ``loc``, or of its nearest ancestor that has one."""
        if key and loc in self.keys:
            return self.keys[loc]
        for end in range(len(loc), -1, -1):
            pos = self.values.get(loc[:end])
            if pos is not None:
                return pos
        return None


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BOOL_TAG = "tag:yaml.org,2002:bool"


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]  # the C loader where libyaml is installed
    """Booleans as YAML 1.2 has them: only true and false, so that an answer label No or an option key yes stays
    text instead of becoming false or true (YAML 1.1's "Norway problem")."""

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


_Loader.add_implicit_resolver(_BOOL_TAG, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


class _Mark(Protocol):
    """A place in the text, as the pure-Python and the C parser both report it (counting from 0)."""

    @property
    def line(self) -> int: ...

    @property
    def column(self) -> int: ...


def _pos(file: str, mark: _Mark | None) -> Position:
    return Position(file, mark.line + 1, mark.column + 1) if mark else Position(file, 1, 1)


class _Builder:
    """Build plain data from YAML nodes, recording positions and rejecting duplicate keys."""

    def __init__(self, file: str, source_map: SourceMap) -> None:
        self.file = file
        self.map = source_map
        self.nodes = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            # Aliases are expanded here, so an alias bomb stops at this limit instead of exhausting memory.
            raise FrameworkError(
                [
                    Problem(
                        loc,
                        f"the file holds more than {MAX_NODES} values (aliases included); is it a framework?",
                        position=self.map.find(loc),
                    )
                ]
            )
        if len(loc) > MAX_DEPTH:
            raise FrameworkError(
                [
                    Problem(
                        loc[:MAX_DEPTH],
                        f"nested more than {MAX_DEPTH} levels deep",
                        position=_pos(self.file, node.start_mark),
                    )
                ]
            )
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE_TAG:
                    raise FrameworkError(
                        [
                            Problem(
                                loc,
                                "YAML merge keys ('<<') are not supported; write the fields out",
                                position=_pos(self.file, key_node.start_mark),
                            )
                        ]
                    )
                key = str(self.scalar(key_node)) if isinstance(key_node, yaml.ScalarNode) else "?"
                if key in out:
                    first = self.map.keys[(*loc, key)]
                    raise FrameworkError(
                        [
                            Problem(
                                (*loc, key),
                                f"duplicate key '{key}' (first defined on line {first.line})",
                                position=_pos(self.file, key_node.start_mark),
                            )
                        ]
                    )
                self.map.keys[(*loc, key)] = _pos(self.file, key_node.start_mark)
                self.map.values[(*loc, key)] = _pos(self.file, value_node.start_mark)
                out[key] = self.build(value_node, (*loc, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.map.values[(*loc, i)] = _pos(self.file, item.start_mark)
                items.append(self.build(item, (*loc, i)))
            return items
        value = self.scalar(node)
        if isinstance(value, str) and (found := _UNPRINTABLE.search(value)):
            raise FrameworkError(
                [
                    Problem(
                        loc,
                        f"contains the control character U+{ord(found.group()):04X}; a framework's texts hold "
                        "printable characters only",
                        position=_pos(self.file, node.start_mark),
                    )
                ]
            )
        return value

    def scalar(self, node: yaml.Node) -> Any:
        try:
            value = self.scalars.construct_object(node)
        except yaml.constructor.ConstructorError:
            raise FrameworkError(
                [Problem((), f"unsupported YAML tag '{node.tag}'", position=_pos(self.file, node.start_mark))]
            ) from None
        except ValueError as exc:  # a whole number of thousands of digits (the interpreter refuses to convert it)
            if (reason := refusal(exc)) is None:
                raise
            raise FrameworkError([Problem((), reason, position=_pos(self.file, node.start_mark))]) from None
        if value is None or isinstance(value, bool | int | float | str):
            return value
        return str(node.value)  # dates and other YAML types stay as written


def _check_depth(text: str, file: str) -> None:
    """Refuse collections nested deeper than MAX_DEPTH before the recursive composer sees them."""
    # Every collection opens with one of these characters (a bracket, a block entry's '-', a key's ':' or '?'), so
    # their count bounds the depth: ordinary files skip the scan.
    if sum(text.count(c) for c in "[{-:?") <= _DEPTH_SCAN_ABOVE:
        return
    try:
        _scan_depth(text, file, _Loader)
    except yaml.YAMLError:
        # libyaml reads ahead while a flow collection could still be a key, and newer releases stop at their own
        # nesting limit before handing us the events. The pure-Python parser reads at most 1,024 characters ahead, so
        # on this (error) path it finds the depth where it is first exceeded, in our words; other errors go on.
        _scan_depth(text, file, yaml.SafeLoader)
        raise


def _scan_depth(text: str, file: str, loader: type[yaml.SafeLoader]) -> None:
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise FrameworkError(
                    [Problem((), f"nested more than {MAX_DEPTH} levels deep", position=_pos(file, event.start_mark))]
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _compose(text: str, file: str) -> yaml.Node | None:
    try:
        _check_depth(text, file)
        return yaml.compose(text, Loader=_Loader)
    except RecursionError:  # the pure-Python parser, where libyaml is missing
        raise FrameworkError(
            [Problem((), f"nested more than {MAX_DEPTH} levels deep", position=Position(file, 1, 1))]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise FrameworkError(
            [Problem((), f"YAML syntax error: {exc.problem or exc.context}", position=_pos(file, mark))]
        ) from None
    except yaml.YAMLError as exc:
        raise FrameworkError([Problem((), f"YAML error: {exc}", position=Position(file, 1, 1))]) from None


def read_text(text: str, file: str = "<framework>") -> tuple[dict[str, Any], SourceMap]:
    """Parse one YAML document into plain data and its source map."""
    source_map = SourceMap(default_file=file)
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise FrameworkError(
            [Problem((), f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", position=Position(file, 1, 1))]
        )
    node = _compose(text, file)
    source_map.values[()] = Position(file, 1, 1)
    if not isinstance(node, yaml.MappingNode):
        raise FrameworkError(
            [
                Problem(
                    (),
                    "expected a mapping of framework fields (format, id, name, stages, ...)",
                    position=Position(file, 1, 1),
                )
            ]
        )
    if "*" in text and _expanded_size(node) > MAX_NODES:  # only an alias ('*name') can make the graph expand
        raise FrameworkError(
            [
                Problem(
                    (),
                    f"the file holds more than {MAX_NODES} values (aliases included); is it a framework?",
                    position=Position(file, 1, 1),
                )
            ]
        )
    data: dict[str, Any] = _Builder(file, source_map).build(node, ())
    return data, source_map


def _expanded_size(root: yaml.Node) -> int:
    """Count the values the builder would make, capped just above MAX_NODES, without expanding any alias.

    An alias bomb ("billion laughs") nests aliases so that a few hundred bytes stand for billions of values. Aliases
    share their node, so sizes memoized per node take time in proportion to the text, not to its expansion.
    """
    sizes: dict[int, int] = {}
    cap = MAX_NODES + 1

    def size(node: yaml.Node, depth: int) -> int:
        if not isinstance(node, yaml.MappingNode | yaml.SequenceNode) or depth > MAX_DEPTH:
            return 1  # the builder reports too deep a nesting, with its position
        if id(node) in sizes:
            return sizes[id(node)]
        sizes[id(node)] = 1  # a collection inside itself: the builder stops it at MAX_DEPTH
        values = [v for _, v in node.value] if isinstance(node, yaml.MappingNode) else node.value
        total = 1
        for value in values:
            total = min(cap, total + size(value, depth + 1))
        sizes[id(node)] = total
        return total

    return size(root, 0)


def _read_file(path: Path, label: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problem = Problem((), f"cannot read file: {exc.strerror}", position=Position(label, 1, 1))
        raise FrameworkError([problem]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        problem = Problem((), f"not UTF-8 text (byte {exc.start})", position=Position(label, line, 1))
        raise FrameworkError([problem]) from None


def read_path(path: Path) -> tuple[dict[str, Any], SourceMap]:
    """Read a framework file, or a folder of ``*.yaml``/``*.yml`` files merged in file-name order."""
    if not path.is_dir():
        return read_text(_read_file(path, str(path)), str(path))
    files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
    if not files:
        raise FrameworkError([Problem((), "folder holds no .yaml files", position=Position(str(path), 1, 1))])
    merged: dict[str, Any] = {}
    merged_map = SourceMap(default_file=str(path))
    merged_map.values[()] = Position(str(files[0]), 1, 1)
    problems: list[Problem] = []
    defined_in: dict[Loc, str] = {}  # top-level keys and scale names, with the file that defined them first
    for file in files:
        data, source_map = read_text(_read_file(file, str(file)), str(file))
        for key, value in data.items():
            offset = 0
            if key in _LIST_KEYS and isinstance(value, list) and isinstance(merged.get(key), list):
                offset = len(merged[key])
                merged[key] = [*merged[key], *value]
            elif key in _MAPPING_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                for name in value:
                    if name in merged[key]:
                        other = defined_in[(key, name)]
                        problems.append(
                            Problem(
                                (key, name),
                                f"'{name}' is already defined in {other}",
                                position=source_map.keys.get((key, name)),
                            )
                        )
                merged[key] = {**merged[key], **value}
            elif key in merged:
                problems.append(
                    Problem((key,), f"already defined in {defined_in[(key,)]}", position=source_map.keys.get((key,)))
                )
                continue
            else:
                merged[key] = value
            defined_in.setdefault((key,), file.name)
            if key in _MAPPING_KEYS and isinstance(value, dict):
                for name in value:
                    defined_in.setdefault((key, name), file.name)
            _shift_into(merged_map, source_map, key, offset)
    if problems:
        raise FrameworkError(problems)
    return merged, merged_map


def _shift_into(target: SourceMap, source: SourceMap, key: str, offset: int) -> None:
    """Copy the positions under ``key``, moving list indices by ``offset`` where lists were concatenated."""
    for table_name in ("values", "keys"):
        src: dict[Loc, Position] = getattr(source, table_name)
        dst: dict[Loc, Position] = getattr(target, table_name)
        for loc, pos in src.items():
            if not loc or loc[0] != key:
                continue
            if offset and len(loc) > 1 and isinstance(loc[1], int):
                loc = (key, loc[1] + offset, *loc[2:])
            dst[loc] = pos

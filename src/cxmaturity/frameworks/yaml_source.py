"""Read framework YAML into plain data while remembering where every value came from.

ruamel.yaml keeps line and column information on the nodes it builds; we copy the data into plain dicts, lists and
scalars (so the models never see YAML types) and keep a map from each field path to its position in the file.
A framework may be one file or a folder of files whose lists are concatenated in file-name order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from cxmaturity.frameworks.problems import FrameworkError, Loc, Position, Problem

#: Guards against oversized input and alias bombs ("billion laughs"): aliases are expanded while copying.
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_NODES = 200_000

# Top-level keys whose lists several files of a folder may each contribute to.
_LIST_KEYS = ("stages", "competencies", "actions")
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

    def exists(self, loc: Loc) -> bool:
        return loc in self.values


class _Copier:
    def __init__(self, file: str, source_map: SourceMap) -> None:
        self.file = file
        self.map = source_map
        self.nodes = 0

    def copy(self, node: Any, loc: Loc) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FrameworkError([Problem(loc, f"the file holds more than {MAX_NODES} values; is it a framework?",
                                          position=self.map.find(loc))])
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for k, value in node.items():
                key = str(k)
                line, col = node.lc.key(k)
                self.map.keys[(*loc, key)] = Position(self.file, line + 1, col + 1)
                vline, vcol = node.lc.value(k)
                self.map.values[(*loc, key)] = Position(self.file, vline + 1, vcol + 1)
                out[key] = self.copy(value, (*loc, key))
            return out
        if isinstance(node, CommentedSeq):
            items = []
            for i, value in enumerate(node):
                line, col = node.lc.item(i)
                self.map.values[(*loc, i)] = Position(self.file, line + 1, col + 1)
                items.append(self.copy(value, (*loc, i)))
            return items
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        return str(node)


def _parse(text: str, file: str) -> Any:
    yaml = YAML(typ="rt", pure=True)
    try:
        return yaml.load(text)
    except DuplicateKeyError as exc:
        mark = exc.problem_mark
        first = exc.context_mark
        pos = Position(file, mark.line + 1, mark.column + 1) if mark else None
        name = (exc.problem or "").split('"')[1] if '"' in (exc.problem or "") else "?"
        where = f" (first defined on line {first.line + 1})" if first else ""
        raise FrameworkError([Problem((), f"duplicate key '{name}'{where}", position=pos)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = Position(file, mark.line + 1, mark.column + 1) if mark else None
        raise FrameworkError([Problem((), f"YAML syntax error: {exc.problem or exc.context}", position=pos)]) from None
    except YAMLError as exc:
        raise FrameworkError([Problem((), f"YAML error: {exc}", position=Position(file, 1, 1))]) from None


def read_text(text: str, file: str = "<framework>") -> tuple[dict[str, Any], SourceMap]:
    """Parse one YAML document into plain data and its source map."""
    source_map = SourceMap(default_file=file)
    if len(text.encode("utf-8", errors="replace")) > MAX_FILE_BYTES:
        raise FrameworkError([Problem((), f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB",
                                      position=Position(file, 1, 1))])
    node = _parse(text, file)
    source_map.values[()] = Position(file, 1, 1)
    if not isinstance(node, CommentedMap):
        raise FrameworkError([Problem((), "expected a mapping of framework fields (format, id, name, stages, ...)",
                                      position=Position(file, 1, 1))])
    data = _Copier(file, source_map).copy(node, ())
    return data, source_map


def _read_file(path: Path, label: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise FrameworkError([Problem((), f"cannot read file: {exc.strerror}", position=Position(label, 1, 1))]) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FrameworkError([Problem((), f"not UTF-8 text (byte {exc.start})", position=Position(label, line, 1))]) from None


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
    for file in files:
        data, source_map = read_text(_read_file(file, str(file)), str(file))
        for key, value in data.items():
            offset = 0
            if key in _LIST_KEYS and isinstance(value, list) and isinstance(merged.get(key), list):
                offset = len(merged[key])
                merged[key] = [*merged[key], *value]
            elif key in _MAPPING_KEYS and isinstance(value, dict) and isinstance(merged.get(key), dict):
                clash = sorted(set(value) & set(merged[key]))
                for name in clash:
                    problems.append(Problem((key, name), f"'{name}' is already defined in another file",
                                            position=source_map.keys.get((key, name))))
                merged[key] = {**merged[key], **value}
            elif key in merged:
                problems.append(Problem((key,), "already defined in another file of this folder",
                                        position=source_map.keys.get((key,))))
                continue
            else:
                merged[key] = value
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

"""The built-in frameworks, and finding a framework by id or by path."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from cxmaturity.frameworks.loading import load_framework, load_framework_text
from cxmaturity.frameworks.model import Framework
from cxmaturity.frameworks.problems import FrameworkError, Problem


def _builtin_dir() -> Path:
    return Path(str(resources.files("cxmaturity.frameworks") / "builtin"))


def builtin_ids() -> list[str]:
    """Return the ids of the frameworks that ship with cx-maturity, sorted."""
    return sorted(p.stem for p in _builtin_dir().glob("*.yaml"))


def builtin_path(framework_id: str) -> Path:
    return _builtin_dir() / f"{framework_id}.yaml"


@lru_cache(maxsize=32)
def load_builtin(framework_id: str) -> Framework:
    path = builtin_path(framework_id)
    if not path.is_file():
        raise FrameworkError(
            [Problem((), f"no built-in framework '{framework_id}' (built in: {', '.join(builtin_ids())})")]
        )
    return load_framework_text(path.read_text(encoding="utf-8"), f"{framework_id}.yaml")


def resolve(id_or_path: str) -> Framework:
    """Return a built-in framework by id, or load the file or folder at the given path."""
    if id_or_path in builtin_ids():
        return load_builtin(id_or_path)
    path = Path(id_or_path)
    if path.exists():
        return load_framework(path)
    raise FrameworkError(
        [
            Problem(
                (),
                f"'{id_or_path}' is neither a built-in framework "
                f"({', '.join(builtin_ids())}) nor an existing file or folder",
            )
        ]
    )


def json_schema() -> dict[str, Any]:
    """Return the JSON Schema of the framework format, for editors that validate YAML as it is written."""
    schema = Framework.model_json_schema()
    # pydantic's own title ("Framework") must not replace ours, so it is set after the merge.
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema, "title": "cx-maturity framework"}


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False)


def inspect(id_or_path: str) -> tuple[Framework | None, list[Problem]]:
    """Return the framework (None if it has errors) with its errors, or with its design warnings when valid."""
    from cxmaturity.frameworks.lint import lint_framework
    from cxmaturity.frameworks.loading import parse_framework
    from cxmaturity.frameworks.yaml_source import read_path, read_text

    try:
        if id_or_path in builtin_ids():
            path = builtin_path(id_or_path)
            data, source_map = read_text(path.read_text(encoding="utf-8"), f"{id_or_path}.yaml")
        elif Path(id_or_path).exists():
            data, source_map = read_path(Path(id_or_path))
        else:
            resolve(id_or_path)  # raises the "neither built in nor a file" error
            raise AssertionError("unreachable")
        framework = parse_framework(data, source_map)
    except FrameworkError as exc:
        return None, exc.problems
    return framework, lint_framework(framework, source_map)

"""docs/cli.md must mention every command and every option of the ``cxm`` command line."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.main
from typer.core import TyperCommand, TyperGroup, TyperOption

from cxmaturity.cli import app
from cxmaturity.settings import Settings

CLI_DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
DEPLOYMENT_DOC = CLI_DOC.parent / "deployment.md"


Command = TyperCommand | TyperGroup


def walk(group: TyperGroup, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Command]]:
    """Yield every command below ``group`` (sub-groups included) with its path of names."""
    for name, sub in group.commands.items():
        assert isinstance(sub, TyperCommand | TyperGroup)
        yield (*path, name), sub
        if isinstance(sub, TyperGroup):
            yield from walk(sub, (*path, name))


def commands() -> list[tuple[tuple[str, ...], Command]]:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    return list(walk(root))


def options() -> list[tuple[str, str]]:
    """Return ``(command, --option)`` for every long option name, including the ``--no-...`` side of a flag."""
    found = []
    for path, command in commands():
        for param in command.params:
            if isinstance(param, TyperOption):
                for name in [*param.opts, *param.secondary_opts]:
                    if name.startswith("--"):
                        found.append((" ".join(path), name))
    return found


@pytest.fixture(scope="module")
def doc() -> str:
    return CLI_DOC.read_text(encoding="utf-8")


def test_it_finds_the_commands_and_options_it_checks() -> None:
    names = {" ".join(path) for path, _ in commands()}
    assert {"score", "template", "demo", "frameworks", "frameworks list", "frameworks validate"} <= names
    assert ("score", "--min-group-size") in options()
    assert ("frameworks lint", "--no-strict") in options()


@pytest.mark.parametrize("command", sorted({" ".join(path) for path, _ in commands()}))
def test_it_documents_every_command(doc: str, command: str) -> None:
    assert f"cxm {command}" in doc, f"docs/cli.md does not mention the command 'cxm {command}'"


@pytest.mark.parametrize(("command", "option"), options())
def test_it_documents_every_option(doc: str, command: str, option: str) -> None:
    # An option name must appear as a whole word: "--format" inside "--formats" would not count.
    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", doc), (
        f"docs/cli.md does not mention the option {option} of 'cxm {command}'"
    )


@pytest.mark.parametrize("setting", sorted(Settings.model_fields))
def test_it_documents_every_setting(setting: str) -> None:
    variable = f"CXM_{setting.upper()}"
    assert f"`{variable}`" in DEPLOYMENT_DOC.read_text(encoding="utf-8"), f"docs/deployment.md does not list {variable}"

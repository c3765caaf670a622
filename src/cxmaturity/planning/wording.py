"""How a plan names the framework's stages and competencies: by their names, never by their keys (a reader of a plan
never needs to know that 'a-ds-1b' exists).

One helper per kind of thing, shared by the optimizer, the report, the plan page, the CLI and the exports. A key that
the framework does not know (a typing mistake in a must-do list) is given back as typed. Sentences that quote and
shorten statements or list several things are phrases (i18n/phrase.py), written in the reader's language.
"""

from __future__ import annotations

from cxmaturity.frameworks.model import Framework


def stage_name(fw: Framework, stage: str | int) -> str:
    """Return a stage's name from its key or its number (counted from 1); an unknown key as it is."""
    if isinstance(stage, int):
        return fw.text(fw.stages[stage - 1].name)
    return fw.text(fw.stages[fw.stage_number(stage) - 1].name) if stage in fw.stage_keys else stage


def competency_name(fw: Framework, key: str) -> str:
    """Return a competency's name; an unknown key as it is."""
    for comp in fw.competencies:
        if comp.key == key:
            return fw.text(comp.name)
    return key

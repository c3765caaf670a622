"""Which results may be pooled: those of the same questions."""

from __future__ import annotations

import hashlib
import json

from cxmaturity.frameworks import Framework


def framework_key(fw: Framework) -> str:
    """Return "id@version#digest", the digest over the stage, competency, indicator and answer keys.

    Frameworks uploaded by different organizations may share an id and version yet ask different questions; a
    text edit that keeps every key keeps the key, so results stay comparable.
    """
    structure = {
        "stages": fw.stage_keys,
        "competencies": [[c.key, [[i.key, fw.answer_keys(i)] for i in c.indicators]] for c in fw.competencies],
    }
    digest = hashlib.sha256(json.dumps(structure, sort_keys=True).encode()).hexdigest()[:16]
    return f"{fw.id}@{fw.version}#{digest}"

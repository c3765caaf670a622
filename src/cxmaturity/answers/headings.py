"""The answers format's column names in the product's languages, so that a file exported with translated headers
(an XLSX workbook in the requester's language, or ``answers.csv?lang=de``) reads back as it was written.

The stable names (``respondent``, ``group``, ``K:importance``, the ``answers`` sheet) are what files are written
with by default and what scripts should use; a translated name is accepted beside them, in any language of the
catalogs. Indicator keys are never translated: they are what answers are stored and scored by.
"""

from __future__ import annotations

from functools import cache

from cxmaturity.i18n.catalogs import LOCALES, N_, translations_for

#: Stable name -> the English words a translated file writes (the msgid; translated in the catalogs).
COLUMN_WORDS = {
    "respondent": N_("Respondent"),
    "group": N_("Group"),
    "indicator": N_("Indicator"),
    "answer": N_("Answer"),
    "importance": N_("importance"),
    "comment": N_("comment"),
}
#: The answers table's sheet in a workbook.
SHEET_WORDS = {"answers": N_("Answers")}


@cache
def aliases(words: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Every language's words for the stable names (casefolded) -> the stable name."""
    found: dict[str, str] = {}
    for language in LOCALES:
        catalog = translations_for(language)
        for name, msgid in words:
            found.setdefault(" ".join(catalog.gettext(msgid).casefold().split()), name)
            found.setdefault(msgid.casefold(), name)
    return found


def column_name(header: str) -> str | None:
    """The stable name a translated column header stands for (``Gruppe`` -> ``group``); None when it is none."""
    return aliases(tuple(COLUMN_WORDS.items())).get(" ".join(header.casefold().split()))


def sheet_name(name: str) -> str | None:
    """``answers`` for the answers sheet's name in any language (``Antworten``); None for another sheet."""
    return aliases(tuple(SHEET_WORDS.items())).get(" ".join(name.casefold().split()))

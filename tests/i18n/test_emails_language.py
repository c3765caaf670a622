"""Every kind of e-mail a respondent gets (the invitation, the reminders, the closing notice), in every variant of its
wording, written in German, French and Spanish: no line of the English message is left in it but the data (the
organization, the assessment's title, the link) and blank lines, and the subject is translated too. The close date is
written the way the language writes it. (The invitation to join an organization is checked with its own change.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest

from cxmaturity.services import mail
from cxmaturity.settings import Settings

SETTINGS = Settings(mail_from="surveys@example.org")
LINK = "https://cx.example.org/r/abcdefghijklmnop"
ORG = "Beispiel GmbH"
TITLE = "Leadership 2027"
CLOSES = datetime(2031, 3, 14, 17, 30, tzinfo=UTC)
DATA = (ORG, TITLE, LINK, "Ana Example")

#: Each variant of each kind: the sentences differ by what is known (who invites, the organization, the close date).
KINDS: dict[str, Callable[[str], EmailMessage]] = {
    "invitation": lambda lang: mail.invitation_message(
        SETTINGS,
        "ana@example.com",
        LINK,
        inviter="Ana Example",
        organization=ORG,
        title=TITLE,
        minutes=12,
        language=lang,
    ),
    "invitation-one-minute": lambda lang: mail.invitation_message(
        SETTINGS, "ana@example.com", LINK, organization=ORG, title=TITLE, minutes=1, language=lang
    ),
    "invitation-bare": lambda lang: mail.invitation_message(SETTINGS, "ana@example.com", LINK, language=lang),
    "reminder": lambda lang: mail.reminder_message(
        SETTINGS, "ana@example.com", LINK, organization=ORG, title=TITLE, closes=CLOSES, language=lang
    ),
    "reminder-no-close": lambda lang: mail.reminder_message(
        SETTINGS, "ana@example.com", LINK, organization=ORG, title=TITLE, language=lang
    ),
    "reminder-no-organization": lambda lang: mail.reminder_message(
        SETTINGS, "ana@example.com", LINK, title=TITLE, closes=CLOSES, language=lang
    ),
    "reminder-bare": lambda lang: mail.reminder_message(SETTINGS, "ana@example.com", LINK, language=lang),
    "closing": lambda lang: mail.closing_message(
        SETTINGS, "ana@example.com", organization=ORG, title=TITLE, language=lang
    ),
    "closing-bare": lambda lang: mail.closing_message(SETTINGS, "ana@example.com", language=lang),
}


def _lines(message: EmailMessage) -> list[str]:
    body = message.get_content()
    assert isinstance(body, str)
    return [" ".join(line.split()) for line in [str(message["Subject"]), *body.splitlines()]]


def _left(english: list[str], other: list[str]) -> list[str]:
    """Lines of the English message still in the other one, once the data is taken out of them."""
    left = []
    for line in set(english) & set(other):
        rest = re.sub(r"\?lang=\w+", "", line)
        for data in DATA:
            rest = rest.replace(data, " ")
        if re.search(r"[^\W\d_]{2,}", rest):
            left.append(line)
    return sorted(left)


@pytest.mark.parametrize("language", ["de", "fr", "es"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_no_english_line_is_left_in_the_message(kind: str, language: str) -> None:
    english, other = _lines(KINDS[kind]("en")), _lines(KINDS[kind](language))
    assert KINDS[kind](language)["Content-Language"] == language
    # Something to compare: the message says something besides the data.
    assert len([line for line in english if line]) >= 4
    assert _left(english, other) == []
    # The subject is translated.
    assert english[0] != other[0]


def test_the_close_date_is_written_as_each_language_writes_it() -> None:
    written = {lang: "\n".join(_lines(KINDS["reminder"](lang))) for lang in ("en", "de", "fr", "es")}
    assert "March 14, 2031, 17:30 UTC" in written["en"]
    assert "14. März 2031, 17:30 UTC" in written["de"]
    assert "14 mars 2031, 17:30 UTC" in written["fr"]
    assert "14 de marzo de 2031, 17:30 UTC" in written["es"]


def test_the_sweep_would_see_an_english_line() -> None:
    english = _lines(KINDS["closing"]("en"))
    assert _left(english, [*_lines(KINDS["closing"]("de")), english[-1]]) == [english[-1]]

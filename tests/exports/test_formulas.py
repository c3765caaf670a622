"""The formula guard of CSV and XLSX exports (OWASP's CSV injection advice) and its exact inverse on reading."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxmaturity.answers.formulas import FORMULA_START, guard, unguard


@pytest.mark.parametrize(
    ("text", "guarded"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+cmd", "'+cmd"),
        ("-1+1", "'-1+1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tcalc", "'\tcalc"),
        ("\rcalc", "'\rcalc"),
        ("'=already quoted", "''=already quoted"),
        ("plain text", "plain text"),
        ("a=b", "a=b"),
        ("'just a quote", "'just a quote"),
        ("", ""),
        ("'", "'"),
    ],
)
def test_it_guards_text_a_spreadsheet_would_run(text: str, guarded: str) -> None:
    assert guard(text) == guarded
    assert unguard(guarded) == text


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", " ", "1"]), max_size=8))
def test_it_reads_back_exactly_what_it_guarded(text: str) -> None:
    assert unguard(guard(text)) == text


@given(st.text(max_size=12))
def test_no_guarded_text_starts_like_a_formula(text: str) -> None:
    assert not guard(text).startswith(FORMULA_START)

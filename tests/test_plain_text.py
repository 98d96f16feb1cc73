"""The plain-text writer of the timeline writes what rich writes, without importing rich.

`negotiation run` into a file or a pipe renders through `PlainConsole` (rich's import and its
per-line printing cost more than the rest of the rendering); these hold it to rich, byte for
byte, on markup from hostile text and on ledger tables of any widths.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.text import Text

from negotiation.render.text import (
    LedgerRows,
    NotPlain,
    PlainConsole,
    _plain_of,
    escape,
    plain_markup,
    safe,
)

TRICKY = st.lists(
    st.sampled_from([*"ab[]/\\@=:#\t\r\x07 é→", "[bold]", "[/]", "\\[", ":x:", ":smile:"]),
    max_size=30,
).map("".join)


def rich_print(markup: str, width: int = 80) -> str:
    console = Console(
        file=io.StringIO(), width=width, color_system=None, highlight=False, emoji=False
    )
    console.print(markup, soft_wrap=True)
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    return output


@given(TRICKY)
@settings(max_examples=500)
def test_escape_is_riches(text: str) -> None:
    assert escape(text) == rich_escape(text)


@given(TRICKY)
@settings(max_examples=500)
def test_plain_markup_is_riches(markup: str) -> None:
    try:
        plain = plain_markup(markup)
    except NotPlain:
        return
    assert plain == Text.from_markup(markup, emoji=False).plain
    assert _plain_of(markup) == Text.from_markup(markup).plain


@given(TRICKY, TRICKY)
@settings(max_examples=500)
def test_printed_markup_is_riches(text: str, label: str) -> None:
    markup = f"[bold]{safe(text)}[/] {safe(label)}"
    console = PlainConsole(80)
    try:
        console.print(markup, soft_wrap=True)
    except NotPlain:
        return
    assert console.text() == rich_print(markup)


@given(
    st.lists(
        st.tuples(
            st.from_regex(r"[a-z_]{1,40}( \(derived\))?", fullmatch=True),
            st.from_regex(r"[a-z0-9_,]{1,20}", fullmatch=True),
            st.from_regex(r"[a-z0-9_,]{1,20}", fullmatch=True),
        ),
        min_size=1,
        max_size=6,
    ),
    st.integers(20, 100),
)
@settings(max_examples=300)
def test_ledger_table_is_riches(rows: list[tuple[str, str, str]], width: int) -> None:
    ledger = LedgerRows([("variable", "value", "at start"), *rows])
    try:
        plain = ledger.plain(width)
    except NotPlain:
        return
    console = Console(file=io.StringIO(), width=width, color_system=None, highlight=False)
    console.print(ledger.table())
    output = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(output, str)
    strip = "".join(line.rstrip() + "\n" for line in output.splitlines())
    assert "".join(line.rstrip() + "\n" for line in plain.splitlines()) == strip

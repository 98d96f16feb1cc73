"""What the file formats convert before checking a value: YAML's reading of dates, numbers and
booleans where the formats want text. Shared by the pydantic classes (`schema`) and the fast
check (`fastspec`)."""

from __future__ import annotations

import datetime
from typing import Any


def date_text(value: Any) -> Any:
    # YAML reads an unquoted 2025-03-18 as a date; the formats keep dates as EDTF text.
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def rule_text(value: Any) -> Any:
    # `effect: 0` or `when: true` are rules too: YAML reads them as a number or a boolean.
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    return value


def cameo_text(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(
            f"write CAMEO codes in quotes, as '0871': YAML reads an unquoted code as the number "
            f"{value}"
        )
    return value

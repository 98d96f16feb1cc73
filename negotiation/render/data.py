"""JSON output: one object, stable key order, the same bytes for the same input."""

from __future__ import annotations

import json
from typing import Any


def to_json(data: Any) -> str:
    """Serialise plain data as indented JSON with a final newline; keys keep their order."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"

"""The official event-code lists analysts use: CAMEO 1.1b3 codes; PLOVER 1.3 types, modes, contexts.

The lists live as plain TSV files in `negotiation/codes/`, each headed by where it was taken from
and under which licence; they are read on first use and kept for the life of the process.

    >>> cameo_name("0871")
    'Declare truce, ceasefire'
    >>> check_cameo("0875")
    "unknown CAMEO code '0875'; did you mean '087', '0871' or '0872'?"
    >>> print(check_plover("THREATEN", mode="drone"))
    PLOVER mode 'drone' does not belong to THREATEN; it is a mode of ASSAULT
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from negotiation.errors import FileError, Location, Problem

__all__ = [
    "Codes",
    "cameo_codes",
    "cameo_name",
    "check_cameo",
    "check_plover",
    "codes_from",
    "plover_auxiliary_modes",
    "plover_contexts",
    "plover_event_types",
    "plover_modes",
]

_FOLDER = "codes"
_CAMEO_CODE = re.compile(r"\d{2,4}")


# --- CAMEO ------------------------------------------------------------------------------------


def cameo_codes() -> list[str]:
    """Every CAMEO event code (2, 3 and 4 digits, as strings), in codebook order."""
    return list(_cameo())


def cameo_name(code: str) -> str | None:
    """The codebook's name for a CAMEO event code, or None if there is no such code."""
    return _cameo().get(code)


def check_cameo(code: str) -> str | None:
    """None if `code` is a CAMEO event code, else a one-line message with the nearest codes."""
    codes = _cameo()
    if code in codes:
        return None
    return f"unknown CAMEO code '{code}'{_did_you_mean(code, list(codes))}"


# --- PLOVER -----------------------------------------------------------------------------------


def plover_event_types() -> list[str]:
    """The 16 PLOVER event types, in the manual's order."""
    return list(_plover().modes)


def plover_modes(event_type: str) -> list[str] | None:
    """The modes the manual lists for an event type ([] if it has none), or None if no such type."""
    modes = _plover().modes.get(event_type)
    return None if modes is None else list(modes)


def plover_contexts() -> list[str]:
    """The general PLOVER contexts, usable with any event type, in the manual's order."""
    return list(_plover().contexts)


def plover_auxiliary_modes() -> list[str]:
    """historical, future, hypothetical, negation: allowed with any event type.

    The manual calls them auxiliary modes but has them recorded in the context, so both
    `mode` and `context` accept them.
    """
    return list(_plover().auxiliary)


def check_plover(
    event_type: str,
    mode: str | Sequence[str] | None = None,
    context: str | Sequence[str] | None = None,
) -> str | None:
    """None if the event type, its modes and contexts are PLOVER's, else every problem, one a line.

    A mode must be one the manual lists under that event type (or an auxiliary mode): this is what
    keeps a declared ceasefire (CONCEDE) apart from one carried out (RETREAT, mode `ceasefire`).
    PLOVER records allow several modes and contexts, so either may be a list.
    """
    plover = _plover()
    problems: list[str] = []
    modes = plover.modes.get(event_type)
    if modes is None:
        suggestion = _did_you_mean(event_type, list(plover.modes))
        problems.append(f"unknown PLOVER event type '{event_type}'{suggestion}")
    else:
        problems.extend(
            _mode_problem(event_type, one, modes, plover)
            for one in _as_list(mode)
            if one not in modes and one not in plover.auxiliary
        )
    known = plover.contexts + plover.auxiliary
    problems.extend(
        f"unknown PLOVER context '{one}'{_did_you_mean(one, list(known))}"
        for one in _as_list(context)
        if one not in known
    )
    return "\n".join(problems) or None


def _mode_problem(event_type: str, mode: str, modes: tuple[str, ...], plover: _Plover) -> str:
    owners = [other for other, theirs in plover.modes.items() if mode in theirs]
    message = f"PLOVER mode '{mode}' does not belong to {event_type}"
    if not modes:
        message += f" ({event_type} has no modes)"
    elif not owners:
        message += _did_you_mean(mode, list(modes))
    if owners:
        message += f"; it is a mode of {_or(owners, quote=False)}"
    return message


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    # a str is itself a Sequence[str]: one mode, not a list of letters
    return [value] if isinstance(value, str) else list(value)


# --- "did you mean" ---------------------------------------------------------------------------


def _did_you_mean(word: str, choices: list[str], limit: int = 3) -> str:
    """'; did you mean 'a', 'b' or 'c'?' for the closest choices, or '' if none is close.

    Among the choices difflib finds close, those sharing a longer beginning with `word` come
    first: CAMEO codes are hierarchical, so '0875' should lead to 087 and its children (0871,
    0872), not to 075 or 085, which difflib scores as high. Case is ignored (`agree` finds AGREE);
    remaining ties keep the list's own order.
    """
    wanted = word.lower()
    matcher = difflib.SequenceMatcher(b=wanted)
    ranked = []
    for position, choice in enumerate(choices):
        matcher.set_seq1(choice.lower())
        score = matcher.ratio()
        if score >= 0.6:
            shared = _shared_start(wanted, choice.lower())
            ranked.append((-shared, -score, position, choice))
    best = [choice for *_, choice in sorted(ranked)[:limit]]
    return f"; did you mean {_or(best)}?" if best else ""


def _shared_start(one: str, other: str) -> int:
    for index, (left, right) in enumerate(zip(one, other, strict=False)):
        if left != right:
            return index
    return min(len(one), len(other))


def _or(words: list[str], quote: bool = True) -> str:
    shown = [f"'{word}'" if quote else word for word in words]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


# --- loading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plover:
    modes: dict[str, tuple[str, ...]]  # event type -> its modes, both in the manual's order
    contexts: tuple[str, ...]
    auxiliary: tuple[str, ...]


@cache
def _cameo() -> dict[str, str]:
    path, rows = _read_table("cameo.tsv", ("code", "name"))
    names: dict[str, str] = {}
    problems: list[Problem] = []
    for line, (code, name) in rows:
        if not _CAMEO_CODE.fullmatch(code):
            problems.append(Problem(Location(path, line), f"'{code}' is not 2-4 digits"))
        elif code in names:
            problems.append(Problem(Location(path, line), f"CAMEO code '{code}' listed twice"))
        elif len(code) > 2 and code[:-1] not in names:
            # every code sits under its parent (0871 under 087 under 08), listed before it
            problems.append(Problem(Location(path, line), f"'{code}' has no parent '{code[:-1]}'"))
        else:
            names[code] = name
    if problems:
        raise FileError(problems)
    return names


@cache
def _plover() -> _Plover:
    path, rows = _read_table("plover_event_types.tsv", ("event_type",))
    modes: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for line, (event_type,) in rows:
        if event_type in modes:
            problems.append(Problem(Location(path, line), f"event type '{event_type}' twice"))
        modes[event_type] = []
    path, rows = _read_table("plover_modes.tsv", ("event_type", "mode", "content"))
    for line, (event_type, mode, _) in rows:
        if event_type not in modes:
            problems.append(Problem(Location(path, line), f"unknown event type '{event_type}'"))
        elif mode in modes[event_type]:
            problems.append(Problem(Location(path, line), f"{event_type} mode '{mode}' twice"))
        else:
            modes[event_type].append(mode)
    path, rows = _read_table("plover_contexts.tsv", ("kind", "context", "content"))
    contexts: dict[str, list[str]] = {"general": [], "auxiliary": []}
    for line, (kind, context, _) in rows:
        if kind not in contexts:
            problems.append(Problem(Location(path, line), f"kind '{kind}' is unknown"))
        else:
            contexts[kind].append(context)
    if problems:
        raise FileError(problems)
    return _Plover(
        modes={event_type: tuple(theirs) for event_type, theirs in modes.items()},
        contexts=tuple(contexts["general"]),
        auxiliary=tuple(contexts["auxiliary"]),
    )


def _read_table(
    name: str, columns: tuple[str, ...]
) -> tuple[str, list[tuple[int, tuple[str, ...]]]]:
    """The rows of a shipped TSV file with their line numbers, below its header and column names."""
    path = f"negotiation/{_FOLDER}/{name}"
    text = files("negotiation").joinpath(_FOLDER, name).read_text(encoding="utf-8")
    return path, _parse_table(text, path, columns)


def _parse_table(
    text: str, path: str, columns: tuple[str, ...]
) -> list[tuple[int, tuple[str, ...]]]:
    rows: list[tuple[int, tuple[str, ...]]] = []
    problems: list[Problem] = []
    header_seen = False
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        cells = tuple(raw.split("\t"))
        if not header_seen:
            header_seen = True
            if cells != columns:
                expected = "\\t".join(columns)
                problems.append(Problem(Location(path, line), f"expected columns '{expected}'"))
        elif len(cells) != len(columns) or not all(cells):
            expected = f"expected {len(columns)} non-empty tab-separated cells"
            problems.append(Problem(Location(path, line), expected))
        else:
            rows.append((line, cells))
    if problems:
        raise FileError(problems)
    return rows


@dataclass(frozen=True)
class Codes:
    """An event's codes in the public ontologies: a CAMEO code, a PLOVER type, modes, contexts."""

    cameo: str | None = None
    plover: str | None = None
    plover_mode: tuple[str, ...] = ()
    plover_context: tuple[str, ...] = ()

    def __str__(self) -> str:
        parts = []
        if self.cameo:
            parts.append(f"CAMEO {self.cameo} ({cameo_name(self.cameo)})")
        if self.plover:
            detail = ", ".join([*self.plover_mode, *self.plover_context])
            parts.append(f"PLOVER {self.plover}" + (f" ({detail})" if detail else ""))
        return "; ".join(parts)

    def to_data(self) -> dict[str, object]:
        return {
            "cameo": self.cameo,
            "cameo_name": cameo_name(self.cameo) if self.cameo else None,
            "plover": (
                {
                    "event": self.plover,
                    "mode": list(self.plover_mode),
                    "context": list(self.plover_context),
                }
                if self.plover
                else None
            ),
        }


def codes_from(spec: object) -> tuple[Codes, list[tuple[str, tuple[str, ...]]]]:
    """Codes from a file's `codes:` mapping, and each problem with the keys that locate it.

    `spec` has `cameo` (text or None) and `plover` (None, or with `event`, `mode`, `context`).
    """
    problems: list[tuple[str, tuple[str, ...]]] = []
    cameo = getattr(spec, "cameo", None)
    if cameo is not None:
        message = check_cameo(cameo)
        if message:
            problems.append((message, ("cameo",)))
    plover = getattr(spec, "plover", None)
    codes = Codes(cameo=cameo)
    if plover is not None:
        mode, context = _as_list(plover.mode), _as_list(plover.context)
        message = check_plover(plover.event, mode, context)
        if message:
            problems.extend((line, ("plover",)) for line in message.splitlines())
        codes = Codes(cameo, plover.event, tuple(mode), tuple(context))
    return codes, problems

"""The official event-code lists analysts use: CAMEO codes with their PLOVER equivalents (the PLOVER
project's CAMEO to PLOVER table, 2021), and PLOVER 1.3's event types, modes and contexts.

The lists live as plain TSV files in `negotiation/codes/`, each headed by where it was taken from
and under which licence; they are read on first use and kept for the life of the process.

    >>> cameo_name("0871")
    'Declare truce, ceasefire'
    >>> check_cameo("0875")
    "unknown CAMEO code '0875'; did you mean '087', '0871' or '0872'?"
    >>> print(check_plover("THREATEN", mode="drone"))
    PLOVER mode 'drone' does not belong to THREATEN; it is a mode of ASSAULT

A CAMEO code's PLOVER equivalent can be looked up, derived for a record that gives only the
CAMEO code, and checked against the PLOVER event type a record gives:

    >>> cameo_to_plover("0841")
    [PloverMapping(event_type='RETREAT', mode=('release',), context=('legal',))]
    >>> print(Codes(cameo="192").derived_plover)
    COERCE (seize, military)
    >>> print(check_cameo_plover("0871", "CONCEDE"))
    PLOVER event 'CONCEDE' does not match CAMEO '0871', which maps to RETREAT (ceasefire, military)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from negotiation.errors import FileError, Location, Problem

__all__ = [
    "Codes",
    "PloverMapping",
    "cameo_codes",
    "cameo_name",
    "cameo_to_plover",
    "check_cameo",
    "check_cameo_plover",
    "check_plover",
    "codes_from",
    "plover_auxiliary_modes",
    "plover_contexts",
    "plover_event_types",
    "plover_modes",
]

_FOLDER = "codes"
_CAMEO_CODE = re.compile(r"\d{2,4}")
# PLOVER drops CAMEO's cue categories of comments (01) and appeals (02): the table has none of
# their codes, which a CAMEO 1.1b3 user will still reach for
_DROPPED_CUE_CATEGORIES = ("01", "02")


# --- CAMEO ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PloverMapping:
    """The PLOVER event type, modes and contexts a CAMEO code maps to."""

    event_type: str
    mode: tuple[str, ...] = ()
    context: tuple[str, ...] = ()

    def __str__(self) -> str:
        detail = ", ".join([*self.mode, *self.context])
        return self.event_type + (f" ({detail})" if detail else "")


def cameo_codes() -> list[str]:
    """Every CAMEO event code of the list (2, 3 and 4 digits, as strings), in the list's order."""
    return list(_cameo().names)


def cameo_name(code: str) -> str | None:
    """The list's name for a CAMEO event code, or None if it has no such code.

    The cue categories (2-digit codes) are nameless in the list: their name is None too.
    """
    return _cameo().names.get(code)


def cameo_to_plover(code: str) -> list[PloverMapping]:
    """The PLOVER records a CAMEO code maps to, in the list's order ([] if no such code).

    Most codes map to one; the cue category 08 (CAMEO's YIELD) maps to CONCEDE or RETREAT.
    """
    return list(_cameo().plover.get(code, ()))


def check_cameo(code: str) -> str | None:
    """None if `code` is a CAMEO event code of the list, else a one-line message saying why not."""
    codes = _cameo().names
    if code in codes:
        return None
    if code.startswith(_DROPPED_CUE_CATEGORIES):
        return (
            f"unknown CAMEO code '{code}': PLOVER drops CAMEO's cue categories 01 and 02 "
            f"(comments and appeals), so the list has none of their codes"
        )
    return f"unknown CAMEO code '{code}'{_did_you_mean(code, list(codes))}"


def check_cameo_plover(code: str, event_type: str) -> str | None:
    """None if the list maps CAMEO `code` to PLOVER `event_type`, else a one-line message.

    Only the event type is compared. The list's modes and contexts are those of PLOVER's 2021
    draft, which 1.3 refined (CAMEO 195, "Employ aerial weapons", maps to `heavy-weapons`; 1.3
    has an `aerial` mode), and a record may be more precise than its CAMEO code. An unknown code
    or event type is left to check_cameo and check_plover.
    """
    mappings = cameo_to_plover(code)
    known = mappings and event_type in _plover().modes
    if not known or event_type in {mapping.event_type for mapping in mappings}:
        return None
    shown = _or([str(mapping) for mapping in mappings], quote=False)
    return f"PLOVER event '{event_type}' does not match CAMEO '{code}', which maps to {shown}"


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


@dataclass(frozen=True)
class _Cameo:
    names: dict[str, str | None]  # code -> its name (None for a cue category), in the list's order
    plover: dict[str, tuple[PloverMapping, ...]]


@cache
def _cameo() -> _Cameo:
    columns = ("code", "name", "event_type", "mode", "context")
    path, rows = _read_table("cameo_to_plover.tsv", columns, optional=("name", "mode", "context"))
    names: dict[str, str | None] = {}
    plover: dict[str, list[PloverMapping]] = {}
    problems: list[Problem] = []
    event_types = _plover().modes
    for line, (code, name, event_type, mode, context) in rows:
        if not _CAMEO_CODE.fullmatch(code):
            problems.append(Problem(Location(path, line), f"'{code}' is not 2-4 digits"))
        elif event_type not in event_types:
            problems.append(Problem(Location(path, line), f"unknown event type '{event_type}'"))
        else:
            # a code may be listed twice (08 maps to CONCEDE and to RETREAT): the first name counts
            names.setdefault(code, name or None)
            mapping = PloverMapping(event_type, _cells(mode), _cells(context))
            if mapping not in plover.setdefault(code, []):
                plover[code].append(mapping)
    # every code sits under its parent (0871 under 087 under 08), though not always after it
    problems.extend(
        Problem(Location(path, line), f"'{code}' has no parent '{code[:-1]}'")
        for line, (code, *_) in rows
        if len(code) > 2 and code in names and code[:-1] not in names
    )
    if problems:
        raise FileError(problems)
    return _Cameo(names, {code: tuple(mappings) for code, mappings in plover.items()})


def _cells(text: str) -> tuple[str, ...]:
    """'crime; corruption' -> ('crime', 'corruption'); '' -> ()."""
    return tuple(part.strip() for part in text.split(";") if part.strip())


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
    name: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> tuple[str, list[tuple[int, tuple[str, ...]]]]:
    """The rows of a shipped TSV file with their line numbers, below its header and column names."""
    path = f"negotiation/{_FOLDER}/{name}"
    # beside the package's modules, as the built-in models are (importlib.resources would
    # cost 5 ms of start-up, for tempfile, shutil and the compression modules it imports)
    text = (Path(__file__).parent.parent / _FOLDER / name).read_text(encoding="utf-8")
    return path, _parse_table(text, path, columns, optional)


def _parse_table(
    text: str, path: str, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> list[tuple[int, tuple[str, ...]]]:
    """The rows of a TSV text; every cell must be filled except in the `optional` columns."""
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
        elif len(cells) != len(columns):
            expected = f"expected {len(columns)} tab-separated cells (got {len(cells)})"
            problems.append(Problem(Location(path, line), expected))
        elif empty := [
            c for c, v in zip(columns, cells, strict=True) if not v and c not in optional
        ]:
            problems.append(Problem(Location(path, line), f"'{empty[0]}' is empty"))
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

    @property
    def derived_plover(self) -> PloverMapping | None:
        """The PLOVER record the CAMEO code maps to, or None: no CAMEO code, or not one record.

        This is what a record giving only its CAMEO code means in PLOVER; cue category 08 maps
        to two event types, so nothing is derived from it.
        """
        mappings = cameo_to_plover(self.cameo) if self.cameo else []
        return mappings[0] if len(mappings) == 1 else None

    def __str__(self) -> str:
        parts = []
        if self.cameo:
            name = cameo_name(self.cameo)
            parts.append(f"CAMEO {self.cameo}" + (f" ({name})" if name else ""))
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
    Given both, the PLOVER event type must be one the CAMEO code maps to (`check_cameo_plover`).
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
        if cameo is not None:
            message = check_cameo_plover(cameo, plover.event)
            if message:
                problems.append((message, ("plover", "event")))
        codes = Codes(cameo, plover.event, tuple(mode), tuple(context))
    return codes, problems

"""What the searches (`explore.Search`, `frontier.Frontier`) find, and the steps they try."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from negotiation.rules.model import Value
from negotiation.semantics.outcomes import Rule
from negotiation.semantics.search import Fired

DEAD_END_EXAMPLES = 10  # dead ends kept with a path; all are counted
Step = tuple[str, dict[str, Value], Callable[..., int]]  # event, parameters, scalar code


@dataclass(frozen=True)
class Found:
    """A rule broken by a reachable step, with a shortest history that breaks it."""

    rule: Rule
    message: str
    path: tuple[Fired, ...]

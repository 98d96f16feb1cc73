"""A walkthrough: a teaching session over a scenario's replay, one step at a time.

At a *decision point* (the step before one where a counterfactual of the scenario diverges) the
student may predict what happens next, among the real event and each counterfactual's own first
event, see the answer and the rule, branch into a counterfactual, step through it and return.
At the end come debrief questions drawn from the model's and the scenarios' teaching notes.

`Walkthrough` holds what a session walks (the replays, the decision points, the questions);
`Session` is the state machine of one sitting, driven by commands as a person types them
(`n`, `b`, `j 5`, `p`, `2`, `x`, `r`, `q`) and answering with the screens to show, as data:
render/walkthrough.py draws them, the CLI reads the keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from negotiation.errors import NegotiationError, UsageError
from negotiation.files.yamlfile import read_document
from negotiation.scenarios.load import load_scenario
from negotiation.scenarios.replay import replay, until_index
from negotiation.scenarios.scenario import Scenario, ScenarioEvent
from negotiation.scenarios.trace import Trace, TraceStep

# ---------------------------------------------------------------------------------------------
# What a session walks


@dataclass(frozen=True)
class Branch:
    """A counterfactual of the walked scenario, replayed, and where it leaves it."""

    scenario: Scenario
    trace: Trace

    @property
    def at(self) -> int:
        """The index of the first step that is the counterfactual's own."""
        return self.scenario.inherited

    @property
    def alternative(self) -> ScenarioEvent | None:
        """What the counterfactual has happen instead: its first own entry."""
        own = self.scenario.own_events
        return own[0] if own else None


@dataclass(frozen=True)
class Option:
    """One answer to "what happens next?": the real event (`branch` None) or a counterfactual's
    alternative. `entry` None: the record has nothing next (it ends, or was cut, there)."""

    key: str
    entry: ScenarioEvent | None
    branch: Branch | None

    @property
    def real(self) -> bool:
        return self.branch is None


@dataclass(frozen=True)
class Decision:
    """A point where counterfactuals diverge: before the step at index `at`.

    `real` is the step the record goes on with (None if it has none), `options` the choices
    offered, ordered by the entries' ids so that the real one is not always first.
    """

    at: int
    real: TraceStep | None
    branches: tuple[Branch, ...]
    options: tuple[Option, ...]

    def option(self, key: str) -> Option | None:
        return next((option for option in self.options if option.key == key), None)


@dataclass(frozen=True)
class Question:
    """A debrief question, and where it comes from (a model's phase, a scenario's entry)."""

    text: str
    source: str


@dataclass(frozen=True)
class Unreadable:
    """A scenario file beside the walked one that could not be read as a counterfactual."""

    path: str
    reason: str


@dataclass(frozen=True)
class Walkthrough:
    """A scenario's replay, the decision points its counterfactuals make, and the debrief."""

    trace: Trace
    decisions: tuple[Decision, ...]
    questions: tuple[Question, ...]
    unreadable: tuple[Unreadable, ...] = ()

    def decision_at(self, at: int) -> Decision | None:
        return next((d for d in self.decisions if d.at == at), None)


def walkthrough(path: str | Path, until: str | None = None) -> Walkthrough:
    """Load the scenario at `path`, replay it (to `until`, if given) and find its
    counterfactuals among the scenario files beside it."""
    scenario = load_scenario(path)
    found, unreadable = counterfactuals_of(Path(path))
    return build_walkthrough(scenario, found, until, unreadable)


def build_walkthrough(
    scenario: Scenario,
    counterfactuals: Iterable[Scenario],
    until: str | None = None,
    unreadable: tuple[Unreadable, ...] = (),
) -> Walkthrough:
    """A walkthrough of `scenario` with decision points where `counterfactuals` diverge.

    Each replay records a refused event and goes on (a refusal is something to discuss); with
    `until` the walk stops there, and a decision at the cut still offers the real event, from
    the whole record.
    """
    trace = replay(scenario, on_refused="skip", until=until)
    record = replay(scenario, on_refused="skip") if trace.until is not None else trace
    branches: dict[int, list[Branch]] = {}
    for counterfactual in counterfactuals:
        branch = Branch(counterfactual, replay(counterfactual, on_refused="skip"))
        if branch.at <= len(trace.steps):
            branches.setdefault(branch.at, []).append(branch)
    decisions = tuple(_decision(at, record, tuple(found)) for at, found in sorted(branches.items()))
    traces = [trace, *(b.trace for d in decisions for b in d.branches)]
    return Walkthrough(trace, decisions, debrief_questions(traces), unreadable)


def _decision(at: int, record: Trace, branches: tuple[Branch, ...]) -> Decision:
    real = record.steps[at] if at < len(record.steps) else None
    candidates: list[tuple[str, ScenarioEvent | None, Branch | None]] = [
        (real.entry.id if real else "", real.entry if real else None, None)
    ]
    candidates += [(b.alternative.id if b.alternative else "", b.alternative, b) for b in branches]
    candidates.sort(key=lambda candidate: candidate[0])
    options = tuple(
        Option(str(number), entry, branch)
        for number, (_, entry, branch) in enumerate(candidates, start=1)
    )
    return Decision(at, real, branches, options)


def counterfactuals_of(path: Path) -> tuple[list[Scenario], tuple[Unreadable, ...]]:
    """The scenarios in `path`'s folder whose `extends:` names `path`, in file-name order, and
    the files that say so but cannot be loaded (with why)."""
    target = path.resolve()
    found: list[Scenario] = []
    unreadable: list[Unreadable] = []
    for candidate in sorted([*path.parent.glob("*.yaml"), *path.parent.glob("*.yml")]):
        if candidate.resolve() == target:
            continue
        try:
            data = read_document(candidate).data
        except NegotiationError:
            continue  # not a file this walk can read at all: no sign that it extends ours
        extends = data.get("extends") if isinstance(data, dict) else None
        if not isinstance(extends, str) or (candidate.parent / extends).resolve() != target:
            continue
        try:
            found.append(load_scenario(candidate))
        except NegotiationError as error:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            unreadable.append(Unreadable(str(candidate), first))
    return found, tuple(unreadable)


# Sentences a teaching note asks a class: questions, and the instructor's "Ask ..." and
# "Compare ..." prompts.
_SENTENCE = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"“'‘(])")
_PROMPT = re.compile(r"^(Ask|Compare|Consider|Discuss)\b")


def questions_in(text: str) -> list[str]:
    """The sentences of a teaching note that put a question to the class."""
    sentences = _SENTENCE.split(" ".join(text.split()))
    return [s for s in sentences if s.endswith("?") or _PROMPT.match(s)]


def debrief_questions(traces: Iterable[Trace]) -> tuple[Question, ...]:
    """The debrief: the questions of the teaching notes of every phase the histories pass
    through (the model's), then of the scenarios' descriptions, rationales and entries' notes,
    each once, in the order the walk meets them."""
    seen: set[str] = set()
    found: list[Question] = []

    def add(text: str, source: str) -> None:
        for question in questions_in(text):
            if question not in seen:
                seen.add(question)
                found.append(Question(question, source))

    traces = list(traces)
    for trace in traces:
        model = trace.scenario.model
        states = [trace.steps[0].before] if trace.steps else [trace.final]
        states += [step.after for step in trace.steps]
        for state in states:
            for phase in state.phases.values():
                note = model.phases[phase].teaching
                add(note, f"model {model.name}, phase {phase} ({model.phases[phase].title})")
    for trace in traces:
        scenario = trace.scenario
        add(scenario.description, f"scenario {scenario.name}, its description")
        add(scenario.rationale, f"scenario {scenario.name}, its rationale")
        for step in trace.steps:
            add(step.entry.note, f"scenario {scenario.name}, entry {step.entry.id}")
    return tuple(found)


def step_index(trace: Trace, target: str) -> int:
    """The index of the step a person names (its id, its number, or a date: the last step
    dated on or before it), within the steps `trace` holds; -1 before the first. Raise
    UsageError naming what is wrong."""
    index = until_index(trace.scenario, target)
    return min(index, len(trace.steps) - 1)


# ---------------------------------------------------------------------------------------------
# What a session shows


@dataclass(frozen=True)
class Start:
    """The scenario before its first step: its title, model and starting state."""

    walkthrough: Walkthrough


@dataclass(frozen=True)
class Step:
    """One step of the history being walked (`branch`: of a counterfactual)."""

    trace: Trace
    index: int
    branch: Branch | None = None
    decision: Decision | None = None  # a decision point follows this step

    @property
    def step(self) -> TraceStep:
        return self.trace.steps[self.index]


@dataclass(frozen=True)
class Choices:
    """What happens next? The options of a decision point, to choose among."""

    decision: Decision


@dataclass(frozen=True)
class Answer:
    """The answer to a prediction: what really happened, and what the rules said of each."""

    prediction: Prediction


@dataclass(frozen=True)
class BranchEnd:
    """The end of a counterfactual's history: its end state, and how to return."""

    branch: Branch


@dataclass(frozen=True)
class Debrief:
    """The end of the walk: the predictions made and the questions to discuss."""

    walkthrough: Walkthrough
    predictions: tuple[Prediction, ...]


@dataclass(frozen=True)
class Message:
    """A line for the student: a command that does not apply here, where they are now."""

    text: str


@dataclass(frozen=True)
class Goodbye:
    """The session is over."""

    finished: bool


Screen = Start | Step | Choices | Answer | BranchEnd | Debrief | Message | Goodbye


@dataclass(frozen=True)
class Prediction:
    """A choice made at a decision point, and whether it is what really happened."""

    decision: Decision
    chosen: Option
    scenario: str  # the name of the scenario walked when it was made

    @property
    def correct(self) -> bool:
        return self.chosen.real


# ---------------------------------------------------------------------------------------------
# A sitting


@dataclass
class Frame:
    """A history being walked: the record, or a counterfactual branched into from below it.

    `position` is the step shown: -1 the start, len(steps) the end (the debrief, or the end of
    a branch); `home` is as far back as `b` goes (a branch begins at its first own step).
    """

    trace: Trace
    decisions: tuple[Decision, ...]
    position: int
    home: int
    branch: Branch | None = None

    @property
    def at_end(self) -> bool:
        return self.position >= len(self.trace.steps)

    @property
    def decision(self) -> Decision | None:
        """The decision point that follows the step shown, if any."""
        if self.at_end:
            return None
        return next((d for d in self.decisions if d.at == self.position + 1), None)


KEYS = {
    "n": "next",
    "b": "back",
    "j": "jump (j 5, j an-id, j 2025-03-18)",
    "p": "predict",
    "x": "branch",
    "r": "return",
    "q": "quit",
}


@dataclass
class Session:
    """One sitting of a walkthrough: where the student is, the branches they are in, and the
    predictions they made. `handle` takes a command and returns the screens to show."""

    walkthrough: Walkthrough
    frames: list[Frame] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    pending: Decision | None = None
    done: bool = False

    def __post_init__(self) -> None:
        if not self.frames:
            trace = self.walkthrough.trace
            self.frames.append(Frame(trace, self.walkthrough.decisions, -1, -1))

    @property
    def frame(self) -> Frame:
        return self.frames[-1]

    def begin(self) -> tuple[Screen, ...]:
        """The first screen."""
        return (self.current(),)

    def current(self) -> Screen:
        """The screen for where the student is."""
        frame = self.frame
        if frame.position < 0:
            return Start(self.walkthrough)
        if frame.at_end:
            if frame.branch is not None:
                return BranchEnd(frame.branch)
            return Debrief(self.walkthrough, tuple(self.predictions))
        return Step(frame.trace, frame.position, frame.branch, frame.decision)

    def commands(self) -> tuple[tuple[str, str], ...]:
        """The commands that do something now, with what they do."""
        if self.done:
            return ()
        if self.pending is not None:
            last = self.pending.options[-1].key
            return (("1" if last == "1" else f"1-{last}", "your prediction"), ("q", KEYS["q"]))
        frame = self.frame
        keys = ["n", "b", "j"]
        if frame.decision is not None:
            keys += ["p", "x"]
        if len(self.frames) > 1:
            keys.append("r")
        keys.append("q")
        if frame.at_end and frame.branch is None:
            keys = ["b", "q"]
        return tuple((key, KEYS[key]) for key in keys)

    def handle(self, command: str) -> tuple[Screen, ...]:
        """Carry out one command as typed (Enter alone is `n`); return what to show."""
        if self.done:
            return (Goodbye(self.frame.at_end),)
        word, _, argument = command.strip().partition(" ")
        word, argument = word.lower(), argument.strip()
        if self.pending is not None and word.isdigit():
            return self._choose(word)
        self.pending = None
        actions = {
            "": self._next,
            "n": self._next,
            "b": self._back,
            "q": self._quit,
            "p": self._predict,
            "r": self._return,
        }
        if word in actions:
            return actions[word]()
        if word == "j":
            return self._jump(argument)
        if word == "x":
            return self._branch(argument)
        known = ", ".join(f"{key} {meaning}" for key, meaning in self.commands())
        return (Message(f"'{command.strip()}' is not a command here; {known}"),)

    def _next(self) -> tuple[Screen, ...]:
        frame = self.frame
        if frame.at_end:
            if frame.branch is not None:
                return (Message("This is where the counterfactual ends: r returns."),)
            self.done = True
            return (Goodbye(True),)
        frame.position += 1
        return (self.current(),)

    def _back(self) -> tuple[Screen, ...]:
        frame = self.frame
        if frame.position <= frame.home:
            where = "the start" if frame.branch is None else "where the counterfactual begins"
            again = "" if frame.branch is None else " (r returns to where you branched)"
            return (Message(f"This is {where}: there is no step before it{again}."),)
        frame.position = min(frame.position, len(frame.trace.steps)) - 1
        return (self.current(),)

    def _jump(self, target: str) -> tuple[Screen, ...]:
        if not target:
            return (Message("Jump where? Give a step number, an id or a date: j 5"),)
        frame = self.frame
        try:
            index = step_index(frame.trace, target)
        except UsageError as error:
            return (Message(str(error)),)
        if index < frame.home:
            return (Message("That is before this counterfactual begins: r returns first."),)
        frame.position = index
        return (self.current(),)

    def _quit(self) -> tuple[Screen, ...]:
        self.done = True
        return (Goodbye(self.frame.at_end and len(self.frames) == 1),)

    def _predict(self) -> tuple[Screen, ...]:
        decision = self.frame.decision
        if decision is None:
            return (Message("Nothing to predict here: no counterfactual diverges next."),)
        self.pending = decision
        return (Choices(decision),)

    def _choose(self, key: str) -> tuple[Screen, ...]:
        decision = self.pending
        assert decision is not None
        option = decision.option(key)
        if option is None:
            return (Message(f"Choose one of {', '.join(o.key for o in decision.options)}."),)
        self.pending = None
        prediction = Prediction(decision, option, self.frame.trace.scenario.name)
        self.predictions.append(prediction)
        return (Answer(prediction),)

    def _branch(self, argument: str) -> tuple[Screen, ...]:
        decision = self.frame.decision
        if decision is None:
            return (Message("No counterfactual diverges here: x works at a decision point."),)
        branch = self._chosen_branch(decision, argument)
        if branch is None:
            keys = ", ".join(f"x {o.key}" for o in decision.options if o.branch is not None)
            return (Message(f"Which counterfactual? {keys}"),)
        decisions = build_walkthrough_decisions(branch)
        self.frames.append(Frame(branch.trace, decisions, branch.at, branch.at, branch))
        return (self.current(),)

    def _chosen_branch(self, decision: Decision, argument: str) -> Branch | None:
        if argument:
            option = decision.option(argument)
            return option.branch if option is not None else None
        if len(decision.branches) == 1:
            return decision.branches[0]
        made = [p for p in self.predictions if p.decision is decision and not p.chosen.real]
        return made[-1].chosen.branch if made else None

    def _return(self) -> tuple[Screen, ...]:
        if len(self.frames) == 1:
            return (Message("You are in the record itself: there is nowhere to return to."),)
        left = self.frames.pop()
        assert left.branch is not None
        title = self.frame.trace.scenario.title
        return (Message(f"Back in {title}, where you left it."), self.current())


def build_walkthrough_decisions(branch: Branch) -> tuple[Decision, ...]:
    """The decision points inside a counterfactual: where counterfactuals of it diverge."""
    if not branch.scenario.path:
        return ()
    found, _ = counterfactuals_of(Path(branch.scenario.path))
    return build_walkthrough(branch.scenario, found).decisions

"""Markdown for handouts and lesson pages: a replay or a comparison as a page a class can read
(`--format markdown`), and the helpers that keep text from a file inert in Markdown."""

from __future__ import annotations

import re

from negotiation.analyses.compare import Divergence
from negotiation.errors import shown
from negotiation.render.compare import render_divergence
from negotiation.render.text import WIDTH, cited_sources, render_trace
from negotiation.scenarios.trace import Trace


def trace_markdown(trace: Trace, width: int = WIDTH) -> str:
    """A replay as a Markdown page: title, description, the timeline as the terminal shows it
    (preformatted, so the wrapping and alignment hold), and the sources as a list of links."""
    scenario = trace.scenario
    out = [f"# {md(scenario.title)}", ""]
    if scenario.description:
        out += [md(scenario.description), ""]
    out += [
        f"Scenario {code(scenario.name)}, model {code(scenario.model.name)}: {_verdict(trace)}.",
        "",
        "## Timeline",
        "",
    ]
    text = render_trace(trace, width=width)
    out += block(text.split("\nSources\n", 1)[0])
    out += _sources(trace)
    return "\n".join(out).rstrip("\n") + "\n"


def _verdict(trace: Trace) -> str:
    if not trace.ok:
        return "not everything was met"
    if trace.until is not None:
        until = shown(trace.until)
        return f"replayed until {until}, checkpoints met so far, expectations not checked"
    return "every expectation and checkpoint met"


def divergence_markdown(result: Divergence, width: int = WIDTH) -> str:
    """A comparison of two histories as a Markdown page."""
    out = [
        f"# {md(result.a.scenario.title)} and {md(result.b.scenario.title)}",
        "",
        "## Where the histories part",
        "",
    ]
    out += block(render_divergence(result, width=width))
    return "\n".join(out).rstrip("\n") + "\n"


def _sources(trace: Trace) -> list[str]:
    cited = cited_sources(trace)
    if not cited:
        return []
    out = ["## Sources", ""]
    for sid in cited:
        source = trace.scenario.sources[sid]
        title = md(source.title)
        if source.url and source.url.startswith(("https://", "http://")):
            title = f"[{title}](<{shown(source.url).replace('>', '%3E')}>)"
        grade = f", graded {md(source.grade)}" if source.grade else ""
        out.append(
            f"- {code(sid)}: {md(source.publisher)}, {title}, {md(source.date or 'undated')}"
            f"{grade}."
        )
    return [*out, ""]


def block(text: str) -> list[str]:
    """Preformatted text in a fence longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text.rstrip("\n"), fence, ""]


def code(text: str) -> str:
    """Text from a file as a Markdown code span, its delimiters longer than any backticks
    inside it."""
    text = shown(" ".join(text.split()))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{ticks}{padded}{ticks}"


_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|!])")


def md(text: str) -> str:
    """Text from a file, safe in Markdown prose: control characters escaped, markup inert."""
    return _MARKDOWN.sub(r"\\\1", shown(" ".join(text.split())))

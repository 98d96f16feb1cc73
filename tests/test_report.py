"""`negotiation report`: one self-contained HTML page of a replay, opened in headless Chromium.

The Chromium tests are skipped only where no `chromium` is installed; `.ci/run` installs it.
Their screenshots are kept under tests/artifacts/ (ignored by git), and their paths printed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from negotiation.cli import cli
from negotiation.render import report as report_module
from negotiation.render.report import NO_GRAPHVIZ, render_report
from negotiation.scenarios.load import load_scenario
from negotiation.scenarios.replay import replay

ROOT = Path(__file__).parent.parent
ARTIFACTS = Path(__file__).parent / "artifacts"
TWO_REGIONS = ROOT / "tests" / "models" / "two_regions.yaml"
RECORD = ROOT / "scenarios" / "gaza-2025-2026.yaml"

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_NOTE = '"><img src=x onerror=alert(2)>'

BASE = """\
scenario: base
title: {title}
description: A truce beside a deal, for the report's tests.
model: two_regions.yaml
sources:
  wire:
    publisher: Example Wire
    title: A made-up report
    date: 2025-03-01
    url: https://example.org/wire?a=1&b=2
    reliability: B
    credibility: 2
  blog:
    publisher: A blog
    title: Not a web address
    url: "javascript:alert(3)"
start: {{date: 2025-01-01}}
events:
  - id: a
    date: 2025-01-19
    event: ceasefire_begins
    claims:
      - {{by: the wire, source: wire, says: the guns fell silent}}
    note: '{note}'
  - {{id: b, date: 2025-02-01, event: release, params: {{count: 2}}}}
  - id: report_after_b
    date: 2025-02-02
    checkpoint:
      source: wire
      by: the wire's correspondent
      says: three still held
      values: {{held: 3}}
  - {{id: c, date: 2025-03-02, event: phase_one_expires}}
  - {{id: too_soon, date: 2025-03-10, event: end}}
  - {{id: d, date: 2025-03-18, event: strikes}}
  - {{id: e, date: 2025-03-20, event: release, params: {{count: 3}}}}
  - {{id: f, date: 2025-03-21, event: end}}
"""

COUNTERFACTUAL = """\
scenario: no_strikes
title: What if the strikes had not resumed?
model: two_regions.yaml
extends: base.yaml
diverge_at: d
events:
  - {id: e_in_ceasefire, date: 2025-03-20, event: release, params: {count: 3}}
  - {id: f_in_ceasefire, date: 2025-03-21, event: end}
"""


class Page(HTMLParser):
    """The elements of a page, each as (tag, attributes), and its text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.styles: list[str] = []
        self._in_style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        (self.styles if self._in_style else self.text).append(data)

    def tags(self, name: str) -> list[dict[str, str | None]]:
        return [attributes for tag, attributes in self.elements if tag == name]

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(TWO_REGIONS, tmp_path / "two_regions.yaml")
    (tmp_path / "base.yaml").write_text(
        BASE.format(title="A truce and a deal", note="a note for the class"), encoding="utf-8"
    )
    (tmp_path / "no-strikes.yaml").write_text(COUNTERFACTUAL, encoding="utf-8")
    return tmp_path


def make_report(*args: str) -> str:
    page = Path(args[args.index("-o") + 1])
    result = CliRunner().invoke(cli, ["report", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return page.read_text(encoding="utf-8")


def external_addresses(page: Page) -> list[str]:
    """Every address the page would fetch by itself: src and href of the elements that load
    (not of <a>, a link a reader may follow), and url() in styles."""
    found = []
    for tag, attributes in page.elements:
        for name in ("src", "href", "xlink:href", "srcset", "data", "poster"):
            value = attributes.get(name)
            if value and tag != "a" and re.search(r"(?i)^\s*(https?:)?//", value):
                found.append(f"<{tag} {name}={value}>")
        style = attributes.get("style") or ""
        found += re.findall(r"url\([^)]*\)", style)
    for style in page.styles:
        found += re.findall(r"url\([^)]*\)|@import", style)
    return found


def test_page_shows_every_timeline_row_coloured_by_phase(folder: Path) -> None:
    page = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html")))
    rows = [a["id"] for a in page.tags("tr") if (a.get("id") or "").startswith("step-")]
    assert rows == [f"step-{number}" for number in range(1, 9)]
    for entry in ("ceasefire_begins", "report_after_b", "phase_one_expires", "too_soon"):
        assert entry in page.all_text
    colours = {a["style"] for a in page.tags("td") if "phase" in (a.get("class") or "")}
    assert {"background:#dbeafe", "background:#fde68a", "background:#bbf7d0"} <= colours


def test_page_lists_sources_with_grades_and_addresses(folder: Path) -> None:
    page = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html")))
    links = [a for a in page.tags("a") if (a.get("href") or "").startswith("http")]
    assert links == [{"href": "https://example.org/wire?a=1&b=2", "rel": "noreferrer"}]
    assert "B2" in page.all_text
    assert "Example Wire" in page.all_text


def test_an_address_that_is_not_on_the_web_is_text_not_a_link(folder: Path) -> None:
    page = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html")))
    assert "javascript:alert(3)" in page.all_text
    assert not [a for a in page.tags("a") if "javascript" in (a.get("href") or "")]


def test_page_shows_checkpoints_with_who_reported_what(folder: Path) -> None:
    text = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html"))).all_text
    checkpoints = text.split("Checkpoints", 2)[2]
    assert "report_after_b" in checkpoints
    assert "the wire's correspondent" in checkpoints
    assert "three still held" in checkpoints
    assert "held reported 3 ✓" in checkpoints
    assert "met" in checkpoints


def test_page_names_every_guard_that_refused_and_why(folder: Path) -> None:
    text = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html"))).all_text
    refusals = text.split("Refusals and broken rules", 2)[2].split("Checkpoints")[0]
    assert "too_soon" in refusals
    assert "all_free : everyone freed (held=3)" in refusals  # a space where a tag ends


def test_page_draws_a_chart_for_each_int_variable_that_moves(folder: Path) -> None:
    page = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html")))
    labels = [a.get("aria-label") for a in page.tags("svg") if a.get("role") == "img"]
    assert labels == ["held over the steps", "freed over the steps"]
    assert len(page.tags("polyline")) == 2
    assert "step" in page.all_text


def test_hostile_text_is_escaped_never_markup(folder: Path) -> None:
    (folder / "base.yaml").write_text(
        BASE.format(title=json.dumps(HOSTILE_TITLE), note=HOSTILE_NOTE), encoding="utf-8"
    )
    html = make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html"))
    page = Page(html)
    assert page.tags("script") == []
    assert page.tags("img") == []
    assert not [a for _, a in page.elements if "onerror" in a]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert HOSTILE_TITLE in page.all_text and HOSTILE_NOTE in page.all_text


def test_page_loads_nothing_from_elsewhere(folder: Path) -> None:
    page = Page(make_report(str(folder / "base.yaml"), "-o", str(folder / "page.html")))
    assert external_addresses(page) == []
    assert page.tags("script") == [] and page.tags("link") == [] and page.tags("iframe") == []
    policy = [a for a in page.tags("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    assert policy and "default-src 'none'" in (policy[0]["content"] or "")


def test_same_input_gives_the_same_bytes(folder: Path) -> None:
    first = make_report(str(folder / "base.yaml"), "-o", str(folder / "one.html"))
    second = make_report(str(folder / "base.yaml"), "-o", str(folder / "two.html"))
    assert (folder / "one.html").read_bytes() == (folder / "two.html").read_bytes()
    assert first == second


def test_compare_shows_both_histories_side_by_side_from_where_they_part(folder: Path) -> None:
    html = make_report(
        str(folder / "base.yaml"),
        "--compare",
        str(folder / "no-strikes.yaml"),
        "-o",
        str(folder / "page.html"),
    )
    page = Page(html)
    compared = page.all_text.split("Compared with What if the strikes had not resumed?", 1)[1]
    assert "The first 5 steps are the same; the histories part at step 6" in compared
    a_side, b_side = compared.split("What if the strikes had not resumed?")[0:2]
    assert "A truce and a deal" in a_side and "strikes" in a_side
    assert "e_in_ceasefire" in b_side and "f_in_ceasefire" in b_side
    assert len(page.tags("table")) >= 2 and "a note for the class" in page.all_text
    dashed = [a for a in page.tags("polyline") if a.get("stroke-dasharray")]
    assert dashed, "the compared history's line is dashed on the charts"


def test_compare_of_the_same_history_says_they_do_not_differ(folder: Path) -> None:
    text = Page(
        make_report(
            str(folder / "base.yaml"),
            "--compare",
            str(folder / "base.yaml"),
            "-o",
            str(folder / "page.html"),
        )
    ).all_text
    assert "The two histories do not differ." in text


def test_report_needs_an_output_file(folder: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(folder / "base.yaml")])
    assert result.exit_code == 2
    assert "-o FILE" in result.output


def test_report_never_writes_over_the_compared_scenario(folder: Path) -> None:
    other = folder / "no-strikes.yaml"
    before = other.read_bytes()
    result = CliRunner().invoke(
        cli, ["report", str(folder / "base.yaml"), "--compare", str(other), "-o", str(other)]
    )
    assert result.exit_code == 2
    assert "is an input of this command" in result.output
    assert other.read_bytes() == before


def test_without_graphviz_the_page_says_the_diagram_is_unavailable(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_module.shutil, "which", lambda name: None)
    html = render_report(replay(load_scenario(folder / "base.yaml"), on_refused="skip"))
    assert NO_GRAPHVIZ in Page(html).all_text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_with_graphviz_the_page_holds_the_diagram_inline(folder: Path) -> None:
    html = render_report(replay(load_scenario(folder / "base.yaml"), on_refused="skip"))
    diagram = html.split('<section id="diagram"', 1)[1].split("</section>", 1)[0]
    if "this version has no diagram renderer" in diagram:
        pytest.skip("negotiation.render.diagram is not there yet")
    assert "<svg" in diagram and "<?xml" not in diagram and "<!DOCTYPE" not in diagram
    assert "ceasefire_begins" in diagram


# --- headless Chromium --------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def needs_chromium(test: Any) -> Any:
    """A test that drives a real Chromium: slow, and skipped where there is none."""
    test = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")(test)
    return pytest.mark.slow(test)


# The browser's own background requests (component updates, the clock, sign-in) are made by
# the browser, "not an origin"; everything a page asks for carries the page's origin.
BROWSER_ITSELF = "not an origin"


def chromium(page: Path, profile: Path, *options: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            *options,
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def page_requests(net_log: Path) -> list[str]:
    """The addresses of the requests a page made, from Chromium's network log."""
    log = json.loads(net_log.read_text(encoding="utf-8"))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        and "url" in event.get("params", {})
        and event["params"].get("initiator") != BROWSER_ITSELF
        and not event["params"]["url"].startswith("file:")
    ]


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(params=["two regions", "the record"])
def report_page(request: pytest.FixtureRequest, folder: Path) -> Path:
    if request.param == "two regions":
        scenario, name = folder / "base.yaml", "report-two-regions"
    else:
        scenario, name = RECORD, "report-gaza-record"
    page = folder / f"{name}.html"
    make_report(str(scenario), "-o", str(page))
    return page


@needs_chromium
def test_chromium_loads_the_page_with_no_console_message_and_no_request(
    report_page: Path, tmp_path: Path
) -> None:
    net_log = tmp_path / "net-log.json"
    loaded = chromium(report_page, tmp_path / "profile", "--dump-dom", f"--log-net-log={net_log}")
    assert loaded.returncode == 0, loaded.stderr
    assert console_messages(loaded.stderr) == []
    assert page_requests(net_log) == []
    assert 'id="timeline"' in loaded.stdout and "<table" in loaded.stdout


@needs_chromium
def test_chromium_screenshot_shows_the_page(report_page: Path, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / f"{report_page.stem}.png"
    screenshot.unlink(missing_ok=True)
    taken = chromium(
        report_page, tmp_path / "profile", f"--screenshot={screenshot}", "--window-size=1200,2000"
    )
    assert taken.returncode == 0, taken.stderr
    print(f"screenshot: {screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a blank page of that size is a few kilobytes


@needs_chromium
def test_the_browser_checks_would_catch_a_page_that_fetches(tmp_path: Path) -> None:
    """The two checks above are not vacuous: a page with a script error and an image from the
    web fails both."""
    page = tmp_path / "fetches.html"
    page.write_text(
        '<!DOCTYPE html><img src="http://example.org/x.png"><script>missing()</script>',
        encoding="utf-8",
    )
    net_log = tmp_path / "net-log.json"
    loaded = chromium(page, tmp_path / "profile", "--dump-dom", f"--log-net-log={net_log}")
    assert any("Uncaught" in line for line in console_messages(loaded.stderr))
    assert page_requests(net_log) == ["http://example.org/x.png"]

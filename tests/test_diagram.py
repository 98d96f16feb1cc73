"""`negotiation diagram`: the model drawn as Mermaid and DOT, checked by the real parsers.

DOT output is parsed by pydot (and drawn by Graphviz's `dot` where it is installed); Mermaid
output by Mermaid's own parser under node (tests/mermaid/parse.mjs, with mermaid and jsdom
installed there by `npm ci`, as .ci/run does).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pydot
import pytest
from click.testing import CliRunner

from negotiation.cli import cli
from negotiation.render.diagram import (
    CURRENT_FILL,
    MERMAID_KEYWORDS,
    VISITED_FILL,
    dot_string,
    mermaid_text,
    to_dot,
    to_mermaid,
    transitions,
)
from negotiation.rules.load import load_model

ROOT = Path(__file__).parent.parent
TWO_REGIONS = str(ROOT / "tests" / "models" / "two_regions.yaml")
TWO_REGIONS_SCENARIO = str(ROOT / "tests" / "models" / "two-regions-scenario.yaml")
CEASEFIRE = str(ROOT / "docs" / "examples" / "ceasefire-model.yaml")
CEASEFIRE_SCENARIO = str(ROOT / "docs" / "examples" / "ceasefire-scenario.yaml")
MODELS = {"two_regions": TWO_REGIONS, "ceasefire": CEASEFIRE, "yemen": "yemen_truce"}
MERMAID = ROOT / "tests" / "mermaid"

# pydot's parser calls pyparsing's old names, which warn
pytestmark = pytest.mark.filterwarnings("ignore:'\\w+' deprecated - use:DeprecationWarning")

HOSTILE = (
    'He said "stop"\n%% injected\n}; a --> b : x { direction LR [[fork]] <<choice>> '
    '%%{init: {"theme": "dark"}}%% #quot; <b>bold</b> back\\slash\\'
)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def parse_dot(text: str) -> pydot.Dot:
    graphs = pydot.graph_from_dot_data(text)
    assert graphs is not None and len(graphs) == 1, text
    return graphs[0]


def unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name


def dot_edges(graph: pydot.Dot) -> dict[tuple[str, str, str], dict[str, str]]:
    """Every edge, in the graph or its clusters, by (source, target, label)."""
    found = {}
    for part in (graph, *graph.get_subgraphs()):
        for edge in part.get_edges():
            attributes = {key: unquote(value) for key, value in edge.get_attributes().items()}
            key = (unquote(edge.get_source()), unquote(edge.get_destination()))
            found[(*key, attributes.get("label", ""))] = attributes
    return found


def dot_nodes(graph: pydot.Dot) -> dict[str, dict[str, str]]:
    found = {}
    for part in (graph, *graph.get_subgraphs()):
        for node in part.get_nodes():
            attributes = {key: unquote(value) for key, value in node.get_attributes().items()}
            if node.get_name() not in ("graph", "node", "edge"):  # pydot's defaults
                found[unquote(node.get_name())] = attributes
    return found


def mermaid_errors(texts: dict[str, str], tmp_path: Path) -> dict[str, str | None]:
    """Each diagram through Mermaid's parser: None if it accepts it, else its message."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: .ci/run installs it with the npm packages")
    if not all((MERMAID / "node_modules" / name).is_dir() for name in ("mermaid", "jsdom")):
        pytest.skip("mermaid and jsdom are not installed: run `npm ci` in tests/mermaid")
    files = {}
    for name, text in texts.items():
        files[name] = tmp_path / f"{name}.mmd"
        files[name].write_text(text, encoding="utf-8")
    done = subprocess.run(
        [node, str(MERMAID / "parse.mjs"), *map(str, files.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    results = {row["file"]: row.get("error") for row in map(json.loads, done.stdout.splitlines())}
    assert len(results) == len(files), done.stderr
    return {name: results[str(path)] for name, path in files.items()}


def write_model(folder: Path, title: str = "A loop", phase: str = "b") -> Path:
    """A one-region model whose phases go back and forth, with `title` on everything."""
    quoted = json.dumps(title)
    path = folder / "loop.yaml"
    path.write_text(
        f"model: loop\ntitle: {quoted}\ninitial: a\n"
        f"phases:\n  a: {{title: {quoted}}}\n  {phase}: {{title: {quoted}}}\n"
        f"  over: {{title: {quoted}, final: true}}\n"
        "variables:\n  n: {type: int, min: 0, max: 9, initial: 0}\n"
        "events:\n"
        f"  go: {{from: [a], to: {phase}}}\n"
        f"  back: {{from: [{phase}], to: a,\n"
        f"    guards: [{{name: ok, when: n == 0, reason: {quoted}}}]}}\n"
        f"  finish: {{from: [a, {phase}], to: over}}\n",
        encoding="utf-8",
    )
    return path


def write_regions_model(folder: Path, title: str) -> Path:
    """The two-region test model with `title` as the model's, each region's, each phase's."""
    text = Path(TWO_REGIONS).read_text(encoding="utf-8")
    quoted = json.dumps(title)
    for old in (
        "A truce with talks beside it",
        "The fighting",
        "War",
        "Ceasefire",
        "The deal",
        "No deal",
        "Phase one lapsed",
        "Phase one",
        "Done",
    ):
        text = text.replace(f"title: {old}", f"title: {quoted}")
    path = folder / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# --- what is drawn ----------------------------------------------------------------------------


def test_dot_has_a_cluster_per_region_with_its_phases_and_labelled_edges():
    graph = parse_dot(to_dot(load_model(TWO_REGIONS)))
    clusters = {unquote(sub.get_name()): sub for sub in graph.get_subgraphs()}
    assert sorted(clusters) == ["cluster_deal", "cluster_fighting"]
    assert unquote(clusters["cluster_fighting"].get_label()) == "The fighting"
    fighting = {unquote(node.get_name()) for node in clusters["cluster_fighting"].get_nodes()}
    assert {"war", "ceasefire"} <= fighting
    deal = {unquote(node.get_name()) for node in clusters["cluster_deal"].get_nodes()}
    assert {"no_deal", "phase_one", "lapsed", "done"} <= deal
    edges = dot_edges(graph)
    assert ("ceasefire", "war", "strikes [after_lapse]") in edges
    assert ("war", "ceasefire", "ceasefire_begins") in edges
    assert ("no_deal", "phase_one", "ceasefire_begins") in edges
    assert ("lapsed", "done", "end [all_free]") in edges


def test_dot_marks_initial_and_final_phases():
    graph = parse_dot(to_dot(load_model(TWO_REGIONS)))
    edges = dot_edges(graph)
    assert ("Start_fighting", "war", "") in edges
    assert ("Start_deal", "no_deal", "") in edges
    nodes = dot_nodes(graph)
    assert nodes["Start_deal"]["shape"] == "point"
    assert nodes["done"]["peripheries"] == "2"
    assert "peripheries" not in nodes["lapsed"]
    assert nodes["lapsed"]["label"] == "Phase one lapsed"


def test_mermaid_has_a_composite_state_per_region_with_initial_and_final_marked():
    text = to_mermaid(load_model(TWO_REGIONS))
    assert text.splitlines()[1] == "stateDiagram-v2"
    assert '    state "The fighting" as Region_fighting {' in text
    assert '    state "The deal" as Region_deal {' in text
    assert '        state "Phase one lapsed" as lapsed' in text
    assert "        [*] --> war" in text
    assert "        [*] --> no_deal" in text
    assert "        done --> [*]" in text
    assert "        ceasefire --> war : strikes [after_lapse]" in text


def test_one_region_model_is_drawn_without_a_cluster():
    model = load_model(CEASEFIRE)
    assert parse_dot(to_dot(model)).get_subgraphs() == []
    assert "Region_" not in to_mermaid(model)


def test_event_without_to_is_not_drawn():
    model = load_model(CEASEFIRE)  # `release` and `accepts` change only the ledger
    drawn = {transition.event for transition in transitions(model)}
    assert drawn == {"ceasefire_begins", "settlement"}
    labels = [label for _, _, label in dot_edges(parse_dot(to_dot(model)))]
    assert not [label for label in labels if label.startswith(("release", "accepts"))]
    assert " : release" not in to_mermaid(model)


def test_event_moving_a_region_it_does_not_name_is_drawn_from_each_of_its_phases():
    model = load_model("yemen_truce")  # truce_takes_effect names only the truce's phases
    found = transitions(model)
    sources = {t.source for t in found if (t.event, t.target) == ("truce_takes_effect", "halted")}
    assert sources == {"offensives", "halted", "escalation"}  # halted: a loop, entered again


@pytest.mark.parametrize("model", MODELS.values(), ids=MODELS.keys())
def test_dot_of_every_model_parses_and_has_every_transition(model):
    loaded = load_model(model)
    edges = dot_edges(parse_dot(to_dot(loaded)))
    labelled = {(source, target) for source, target, text in edges if text}
    assert labelled == {(t.source, t.target) for t in transitions(loaded)}


def test_mermaid_of_every_model_parses(tmp_path):
    texts = {name: to_mermaid(load_model(model)) for name, model in MODELS.items()}
    assert mermaid_errors(texts, tmp_path) == dict.fromkeys(texts)


def test_mermaid_parser_refuses_a_broken_diagram(tmp_path):
    # the check is real: the parser says no to what is not Mermaid
    errors = mermaid_errors({"broken": "stateDiagram-v2\n    a --> : x\n"}, tmp_path)
    assert errors["broken"] and "Parse error" in errors["broken"]


def test_phases_named_like_mermaid_keywords_get_ids_of_their_own(tmp_path):
    texts = {}
    for keyword in sorted(MERMAID_KEYWORDS):
        folder = tmp_path / keyword
        folder.mkdir()
        texts[keyword] = to_mermaid(load_model(write_model(folder, phase=keyword)))
        assert f"a --> Phase_{keyword} : go" in texts[keyword]
    assert mermaid_errors(texts, tmp_path) == dict.fromkeys(texts)


# --- escaping ---------------------------------------------------------------------------------


def test_hostile_titles_keep_dot_valid_and_come_back_whole(tmp_path):
    model = load_model(write_regions_model(tmp_path, HOSTILE))
    text = to_dot(model)
    graph = parse_dot(text)
    assert len(dot_nodes(graph)) == 2 + 6  # two start points and the six phases, no more
    assert len(graph.get_subgraphs()) == 2
    label = dot_nodes(graph)["war"]["label"]
    assert label == dot_string(HOSTILE)[1:-1]  # as written; unescaped below
    assert label.replace('\\"', '"').replace("\\\\", "\\") == HOSTILE.replace("\n", " ")
    if shutil.which("dot"):
        plain = subprocess.run(
            ["dot", "-Tplain"], input=text, capture_output=True, text=True, check=True
        ).stdout
        assert plain.count("\nnode ") == 8


def test_hostile_titles_keep_mermaid_valid_and_add_no_statement(tmp_path):
    model = load_model(write_regions_model(tmp_path, HOSTILE))
    text = to_mermaid(model)
    plain = to_mermaid(load_model(TWO_REGIONS))
    assert len(text.splitlines()) == len(plain.splitlines())  # no line break let in
    for line in text.splitlines()[1:]:  # the first is a comment, `%% two_regions: ...`
        assert "%%" not in line
        assert line.count('"') in (0, 2)  # a state's quoted title, whole
    assert "%%{" not in text
    assert "direction LR" not in text.split("\n", 1)[1]  # but in the comment, harmless
    assert mermaid_errors({"hostile": text}, tmp_path) == {"hostile": None}


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Phase one", "Phase one"),
        ('say "no"', "say #34;no#34;"),
        ("50%% off", "50#37;#37; off"),
        ("a: b; c", "a#58; b#59; c"),
        ("line\nbreak", "line break"),
        ("{x}", "#123;x#125;"),
        ("new direction LR", "new directio#110; LR"),
        ("truce's stage – 2", "truce's stage #8211; 2"),
    ],
    ids=["plain", "quote", "percent", "colon-semicolon", "newline", "braces", "direction", "dash"],
)
def test_mermaid_text_escapes(title, expected):
    assert mermaid_text(title) == expected


# --- a replay's path --------------------------------------------------------------------------


def test_scenario_marks_the_steps_in_order_on_the_transitions_taken():
    result = invoke("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--format", "dot")
    assert result.exit_code == 0, result.stderr
    edges = dot_edges(parse_dot(result.stdout))
    # steps as `run` numbers them: 2 (a release) and 3 (a report) move no phase
    taken = {key: attributes for key, attributes in edges.items() if "color" in attributes}
    assert sorted(taken) == [
        ("ceasefire", "war", "(5) strikes [after_lapse]"),
        ("lapsed", "done", "(7) end [all_free]"),
        ("no_deal", "phase_one", "(1) ceasefire_begins"),
        ("phase_one", "lapsed", "(4) phase_one_expires"),
        ("war", "ceasefire", "(1) ceasefire_begins"),
    ]
    nodes = dot_nodes(parse_dot(result.stdout))
    assert {name for name, a in nodes.items() if a.get("fillcolor") == VISITED_FILL} == {
        "war",
        "ceasefire",
        "no_deal",
        "phase_one",
        "lapsed",
        "done",
    }


@pytest.mark.slow  # node's Mermaid parser
def test_a_transition_taken_twice_shows_both_steps_in_order(tmp_path):
    write_model(tmp_path)
    scenario = tmp_path / "there-and-back.yaml"
    scenario.write_text(
        "scenario: s\ntitle: There and back\nmodel: loop.yaml\nstart: {date: 2025-01-01}\n"
        "events:\n"
        "  - {id: one, date: 2025-01-02, event: go}\n"
        "  - {id: two, date: 2025-01-03, event: back}\n"
        "  - {id: three, date: 2025-01-04, event: go}\n",
        encoding="utf-8",
    )
    result = invoke("diagram", "--scenario", str(scenario))
    assert result.exit_code == 0, result.stderr
    assert "    a --> b : (1, 3) go\n" in result.stdout
    assert "    b --> a : (2) back [ok]\n" in result.stdout
    assert "    a --> over : finish\n" in result.stdout
    assert mermaid_errors({"path": result.stdout}, tmp_path) == {"path": None}


@pytest.mark.parametrize(
    ("at", "current"),
    [("0", {"war", "no_deal"}), ("1", {"ceasefire", "phase_one"}), ("d", {"war", "lapsed"})],
    ids=["start", "step-1", "entry-id"],
)
def test_at_marks_the_phases_each_region_is_in_after_that_step(at, current):
    result = invoke("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--at", at, "--format", "dot")
    assert result.exit_code == 0, result.stderr
    nodes = dot_nodes(parse_dot(result.stdout))
    assert {name for name, a in nodes.items() if a.get("fillcolor") == CURRENT_FILL} == current


@pytest.mark.slow  # node's Mermaid parser
def test_at_marks_the_path_only_up_to_that_step(tmp_path):
    result = invoke("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--at", "c")
    assert result.exit_code == 0, result.stderr
    assert "phase_one --> lapsed : (4) phase_one_expires" in result.stdout
    assert "ceasefire --> war : strikes [after_lapse]" in result.stdout  # step 5: not yet
    assert "    class lapsed,ceasefire current" not in result.stdout
    assert "    class ceasefire,lapsed current" in result.stdout
    assert mermaid_errors({"at": result.stdout}, tmp_path) == {"at": None}


def test_at_a_step_number_and_its_entry_id_draw_the_same():
    by_number = invoke("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--at", "4").stdout
    by_id = invoke("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--at", "c").stdout
    assert by_number == by_id


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no_such_model"], "no_such_model:1:1: no built-in model 'no_such_model'"),
        (["--scenario", "no-such.yaml"], "no-such.yaml:1:1: no such file"),
        (
            ["--scenario", TWO_REGIONS_SCENARIO, "--at", "dd"],
            "Error: Invalid value for '--at': no entry 'dd' in the scenario; did you mean 'd'?",
        ),
        (
            ["--scenario", TWO_REGIONS_SCENARIO, "--at", "99"],
            "Error: Invalid value for '--at': step 99: the scenario has 7 steps",
        ),
        (["--at", "3"], "Error: --at marks a step of a replay: give --scenario too"),
        (
            ["yemen_truce", "--scenario", TWO_REGIONS_SCENARIO],
            "Error: Invalid value for '--scenario': the scenario replays the model "
            "'two_regions', not 'yemen_truce'",
        ),
    ],
    ids=["unknown-model", "unknown-scenario", "unknown-entry", "step-too-far", "at-alone", "other"],
)
def test_bad_input_is_one_located_line_and_exit_2(args, message):
    result = invoke("diagram", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines()[-1] == message


def test_at_a_step_the_replay_did_not_reach_says_where_it_stopped(tmp_path):
    scenario = tmp_path / "refused.yaml"
    scenario.write_text(
        Path(TWO_REGIONS_SCENARIO)
        .read_text(encoding="utf-8")
        .replace("model: two_regions.yaml", f"model: {json.dumps(TWO_REGIONS)}")
        .replace("event: strikes}", "event: end}"),  # refused: the deal has not lapsed... yet
        encoding="utf-8",
    )
    result = invoke("diagram", "--scenario", str(scenario), "--at", "7")
    assert result.exit_code == 2
    assert "was not reached: the replay stopped at step 5 ('d')" in result.stderr


def test_svg_without_graphviz_is_one_line_and_exit_2(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda *args, **kwargs: None)  # no dot anywhere
    result = invoke("diagram", TWO_REGIONS, "--format", "svg")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Error: Invalid value for '--format': svg is drawn by")
    assert len(result.stderr.strip().splitlines()) == 1


def test_output_over_the_scenario_is_refused(tmp_path):
    scenario = tmp_path / "s.yaml"
    shutil.copy(TWO_REGIONS_SCENARIO, scenario)
    shutil.copy(TWO_REGIONS, tmp_path / "two_regions.yaml")
    before = scenario.read_bytes()
    result = invoke("diagram", "--scenario", str(scenario), "-o", str(scenario))
    assert result.exit_code == 2
    assert "is an input of this command" in result.stderr
    assert scenario.read_bytes() == before


# --- output -----------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_is_drawn_by_graphviz(tmp_path):
    target = tmp_path / "two.svg"
    result = invoke("diagram", TWO_REGIONS, "--format", "svg", "-o", str(target))
    assert result.exit_code == 0, result.stderr
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg and "Phase one lapsed" in svg and "cluster_deal" in svg


def test_output_file_holds_what_standard_output_shows(tmp_path):
    target = tmp_path / "two.dot"
    result = invoke("diagram", TWO_REGIONS, "--format", "dot", "-o", str(target))
    assert result.exit_code == 0 and result.stdout == ""
    shown = invoke("diagram", TWO_REGIONS, "--format", "dot").stdout
    assert target.read_text(encoding="utf-8") == shown


@pytest.mark.subprocess
@pytest.mark.parametrize("output_format", ["mermaid", "dot"])
def test_same_model_gives_the_same_bytes_in_any_process(output_format):
    def draw(seed: str) -> bytes:
        command = [sys.executable, "-m", "negotiation", "diagram", "yemen_truce"]
        command += ["--format", output_format]
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        return subprocess.run(command, capture_output=True, env=environment, check=True).stdout

    first = draw("1")
    assert first and first == draw("2") == draw("3")


def test_same_replay_gives_the_same_bytes():
    args = ("diagram", "--scenario", TWO_REGIONS_SCENARIO, "--at", "4", "--format", "dot")
    assert invoke(*args).stdout == invoke(*args).stdout

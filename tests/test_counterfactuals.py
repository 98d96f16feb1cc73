"""Counterfactuals (extends, diverge_at, overrides), figures, compare, new and schema."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from negotiation import FileError, load_scenario, replay
from negotiation.cli import cli
from negotiation.files.schema import json_schema, schema_comment

ROOT = Path(__file__).parent.parent
SCENARIOS = ROOT / "scenarios"
GAZA = SCENARIOS / "gaza-2025.yaml"
COUNTERFACTUALS = sorted(SCENARIOS.glob("what-if-*.yaml"))


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_there_are_at_least_four_counterfactuals_each_with_a_rationale():
    assert len(COUNTERFACTUALS) >= 4
    bases = {"gaza-2025.yaml", "yemen-2022.yaml"}
    extended = []
    for path in COUNTERFACTUALS:
        scenario = load_scenario(path)
        assert scenario.extends in bases
        extended.append(scenario.extends)
        assert scenario.rationale
        assert "counterfactual" in scenario.title
        assert scenario.expect is not None
    assert extended.count("gaza-2025.yaml") >= 4


@pytest.mark.parametrize("path", COUNTERFACTUALS, ids=[p.stem for p in COUNTERFACTUALS])
def test_counterfactual_runs_and_meets_its_expectations(path):
    result = invoke("run", path)
    assert result.exit_code == 0, result.stdout[-2000:]
    assert "Expectations met." in result.stdout


def test_counterfactual_keeps_the_base_events_before_it_diverges():
    scenario = load_scenario(SCENARIOS / "what-if-phase-two-talks-in-february.yaml")
    base = load_scenario(GAZA)
    kept = [e.id for e in base.events][: scenario.inherited]
    assert kept[-1] == "phase_one_exchanges"
    assert [e.id for e in scenario.events[: scenario.inherited]] == kept
    assert scenario.own_events[0].id == "israel_agrees_to_phase_two_talks"


def test_compare_names_the_first_divergence_and_end_differences():
    cf = SCENARIOS / "what-if-phase-two-talks-in-february.yaml"
    result = invoke("compare", GAZA, cf)
    assert result.exit_code == 0
    assert "First divergence at step 12:" in result.stdout
    assert "israel_wants_extension" in result.stdout
    assert "israel_agrees_to_phase_two_talks" in result.stdout
    # Text into a pipe wraps at 80 columns; compare with the line breaks folded away.
    flat = " ".join(result.stdout.split())
    assert (
        "End: A in resumed_strikes, no_deal, mediated_talks, "
        "B in ceasefire, phase_one, mediated_talks" in flat
    )


def test_compare_json_gives_divergence_timelines_and_ledger_differences():
    cf = SCENARIOS / "what-if-doha-talks-succeed.yaml"
    data = json.loads(invoke("compare", GAZA, cf, "--format", "json").stdout)
    assert data["first_divergence"]["index"] == 24
    assert data["first_divergence"]["a"] is None
    assert data["first_divergence"]["b"]["id"] == "truce_proposed"
    assert data["final"] == {
        "a": "resumed_strikes, no_deal, mediated_talks",
        "b": "ceasefire, end_of_war, mediated_talks",
    }
    assert data["ledger_differences"]["hostages_held_alive"] == [24, 0]
    # the war lasts 470 days to the ceasefire; the talks open in it on a date given as a range
    war, talks = data["timelines"]["a"][:2]
    assert (war["phase"], war["days_min"], war["days_max"]) == ("war, no_deal, no_talks", 0, 466)
    assert (talks["phase"], talks["days_min"], talks["days_max"]) == (
        "war, no_deal, mediated_talks",
        4,
        470,
    )
    assert talks["to"] == "2025-01-19"


def test_compare_of_a_scenario_with_itself_finds_no_divergence():
    data = json.loads(invoke("compare", GAZA, GAZA, "--format", "json").stdout)
    assert data["first_divergence"] is None
    assert data["ledger_differences"] == {}


BASE = """\
scenario: base
title: A base (hypothetical, for tests)
model: gaza_truce
events:
  - {id: mediators, date: 2025-01-01, event: mediators_join, params: {qatar: true}}
  - {id: terms, date: 2025-01-01, event: proposal_made, params: {offer: truce, by: mediator}}
  - {id: yes_israel, date: 2025-01-01, event: proposal_answered,
     params: {party: israel, answer: accepted}}
  - {id: yes_hamas, date: 2025-01-01, event: proposal_answered,
     params: {party: hamas, answer: accepted}}
  - {id: deal, date: 2025-01-02, event: deal_announced, params: {kind: phase_one}}
  - {id: truce, date: 2025-01-03, event: ceasefire_begins}
"""


def test_overrides_of_rules_and_start_are_applied_and_listed(tmp_path):
    write(tmp_path, "base.yaml", BASE)
    cf = write(
        tmp_path,
        "cf.yaml",
        """\
scenario: cf
title: A counterfactual with overrides (hypothetical, for tests)
extends: base.yaml
diverge_at: truce
start:
  ledger: {hostages_seized: 5, hostages_held_alive: 5, rocket_fire: true}
overrides:
  guards:
    talks_stall.parties_disagree: "True"
  events:
    talks_stall: {from: [no_talks, mediated_talks]}
events:
  - {id: stall, date: 2025-01-04, event: talks_stall}
""",
    )
    scenario = load_scenario(cf)
    assert scenario.overrides == (
        "start: hostages_seized=5, hostages_held_alive=5, rocket_fire=True",
        "guard talks_stall.parties_disagree: israel_position != hamas_position "
        "or israel_answer != hamas_answer → True",
        "event talks_stall fires from: mediated_talks → no_talks, mediated_talks",
    )
    # the parties agree and no talks are open: only the two overrides let the stall fire
    trace = replay(scenario)
    assert trace.final.phases == {"fighting": "war", "deal": "no_deal", "talks": "stalled_talks"}
    assert trace.final.ledger["hostages_held_alive"] == 5
    assert trace.final.ledger["rocket_fire"] is True
    result = invoke("run", cf)
    assert "override  guard talks_stall.parties_disagree" in result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "extends: base.yaml\ndiverge_at: truse\n",
            "5:13: the base has no event 'truse'; did you mean 'truce'?",
        ),
        ("extends: missing.yaml\n", "4:10: base scenario 'missing.yaml' not found"),
        ("extends: cf.yaml\n", "4:10: 'extends' makes a cycle: cf.yaml → cf.yaml"),
        (
            "extends: base.yaml\noverrides:\n  guards:\n    talks_stall.parties_disagre: 'True'\n",
            "7:5: event 'talks_stall' has no guard 'parties_disagre'; "
            "did you mean 'parties_disagree'?",
        ),
        (
            "extends: base.yaml\noverrides:\n  guards:\n    talks_stall.parties_disagree: 'x.y'\n",
            "7:36: attribute access ('.') is not allowed",
        ),
    ],
    ids=["unknown-divergence", "missing-base", "self-cycle", "unknown-guard", "forbidden-override"],
)
def test_bad_counterfactual_is_a_located_error(tmp_path, text, message):
    write(tmp_path, "base.yaml", BASE)
    cf = write(tmp_path, "cf.yaml", "scenario: cf\ntitle: t\nevents: []\n" + text)
    with pytest.raises(FileError) as caught:
        load_scenario(cf)
    assert f"{cf}:{message}" in str(caught.value)


def test_a_cycle_through_two_files_is_a_located_error(tmp_path):
    write(tmp_path, "a.yaml", "scenario: a\ntitle: t\nextends: b.yaml\nevents: []\n")
    b = write(tmp_path, "b.yaml", "scenario: b\ntitle: t\nextends: a.yaml\nevents: []\n")
    result = invoke("run", b)
    assert result.exit_code == 2
    assert "3:10: 'extends' makes a cycle: b.yaml → a.yaml → b.yaml" in result.stderr
    assert "Traceback" not in result.stderr


FIGURES = (
    BASE
    + """\
  - id: release
    date: 2025-01-04
    event: hostages_freed
    params:
      hostages:
        best: 2
        low: 1
        high: 9
        values:
          - {source: wire, by: the wire service, value: 3}
          - {source: paper, value: 2}
sources:
  wire: {publisher: Wire, title: A report}
  paper: {publisher: Paper, title: Another report}
start:
  ledger: {hostages_seized: 5, hostages_held_alive: 5}
"""
)


def test_source_option_trusts_that_source_where_figures_disagree(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES)
    best = json.loads(invoke("run", path, "--format", "json").stdout)
    wire = json.loads(invoke("run", path, "--format", "json", "--trusted-source", "wire").stdout)
    assert best["final"]["ledger"]["hostages_returned"] == 2
    assert wire["final"]["ledger"]["hostages_returned"] == 3
    assert wire["trusted_source"] == "wire"


def test_unknown_source_option_is_a_usage_error(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES)
    result = CliRunner().invoke(cli, ["run", str(path), "--trusted-source", "wrie"])
    assert result.exit_code == 2
    assert "the scenario has no source 'wrie'; did you mean 'wire'?" in result.stderr


def test_sensitivity_reports_which_conclusions_rest_on_a_figure(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES)
    data = json.loads(invoke("run", path, "--sensitivity", "--format", "json").stdout)
    variants = {(v["value"], v["label"]): v["changes"] for v in data["variants"]}
    assert set(variants) == {(1, "low"), (9, "high"), (3, "per the wire service")}
    assert "'release' is now refused" in variants[(9, "high")]
    assert "hostages_returned ends at 1, not 2" in variants[(1, "low")]


def test_sensitivity_on_the_documented_scenario_reports_each_uncertain_figure():
    result = invoke("run", GAZA, "--sensitivity")
    assert result.exit_code == 0
    # Text into a pipe wraps at 80 columns; compare with the line breaks folded away.
    flat = " ".join(result.stdout.split())
    assert "5 figures, 6 variant replays" in flat
    assert "phase_one_exchanges.bodies" in result.stdout
    assert "at 1 (low): 1 conclusion(s) change" in result.stdout
    assert "at 32 (high): 1 conclusion(s) change" in result.stdout
    assert "hostages_returned_dead ends at 32, not 8" in result.stdout
    assert "at 16 (high): 4 conclusion(s) change" in result.stdout
    assert "at 16 (high): 8 conclusion(s) change" in result.stdout
    assert (
        "Conclusions rest on: held_before_the_war.count, phase_one_exchanges.bodies, "
        "phase_one_exchanges.from_before_the_war, returned_outside_phase_one.bodies, "
        "returned_outside_phase_one.hostages." in flat
    )


def test_sensitivity_says_when_nothing_rests_on_a_figure(tmp_path):
    path = write(
        tmp_path,
        "toll.yaml",
        """\
scenario: toll
title: A toll later superseded (hypothetical, for tests)
model: gaza_truce
events:
  - id: first_toll
    date: 2025-01-01
    event: casualties_reported
    params:
      measure: war
      killed: {best: 100, low: 90, high: 110}
  - {id: later, date: 2025-01-02, event: casualties_reported, params: {measure: war, killed: 200}}
""",
    )
    result = invoke("run", path, "--sensitivity")
    assert result.exit_code == 0
    assert "at 90 (low): nothing changes" in result.stdout
    assert "at 110 (high): nothing changes" in result.stdout
    assert "No conclusion rests on these figures." in result.stdout


def test_figure_outside_its_range_is_a_located_error(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES.replace("best: 2", "best: 12"))
    with pytest.raises(FileError) as caught:
        load_scenario(path)
    assert "figure 'hostages': best (12) must lie between low (1) and high (9)" in str(caught.value)


def test_new_writes_a_skeleton_that_loads_and_never_overwrites(tmp_path):
    out = tmp_path / "what-if.yaml"
    result = invoke("new", GAZA, "--at", "strikes_resume", "-o", out)
    assert result.exit_code == 0
    scenario = load_scenario(out)
    assert scenario.diverge_at == "strikes_resume"
    assert scenario.own_events[0].event == "strikes_resume"
    assert out.read_text(encoding="utf-8").startswith("# yaml-language-server: $schema=")
    out.write_text("mine", encoding="utf-8")
    again = CliRunner().invoke(cli, ["new", str(GAZA), "--at", "strikes_resume", "-o", str(out)])
    assert again.exit_code == 2
    assert out.read_text(encoding="utf-8") == "mine"
    forced = invoke("new", GAZA, "--at", "strikes_resume", "-o", out, "--force")
    assert forced.exit_code == 0


def test_new_at_an_unknown_event_suggests_one(tmp_path):
    result = invoke("new", GAZA, "--at", "strikes_resumed", "-o", tmp_path / "x.yaml")
    assert result.exit_code == 2
    assert "did you mean 'strikes_resume'?" in result.stderr
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.parametrize("kind", ["model", "scenario"])
def test_shipped_schema_is_the_one_the_program_prints(kind):
    # after changing negotiation/files/schema.py, regenerate with:
    #   negotiation schema model -o negotiation/schemas/model.schema.json (and scenario)
    shipped = ROOT / "negotiation" / "schemas" / f"{kind}.schema.json"
    assert json.loads(shipped.read_text(encoding="utf-8")) == json_schema(kind)
    assert json.loads(invoke("schema", kind).stdout) == json_schema(kind)


SHIPPED = [
    *[(p, "scenario") for p in sorted(SCENARIOS.glob("*.yaml"))],
    (ROOT / "negotiation" / "models" / "gaza_truce.yaml", "model"),
]


@pytest.mark.parametrize(("path", "kind"), SHIPPED, ids=[p.name for p, _ in SHIPPED])
def test_shipped_files_start_with_their_schema_comment(path, kind):
    first = path.read_text(encoding="utf-8").splitlines()[0] + "\n"
    assert first == schema_comment(kind, path)


def test_event_codes_default_from_the_model_and_show_in_the_output():
    data = json.loads(invoke("run", GAZA, "--format", "json").stdout)
    codes = {step["id"]: step["codes"] for step in data["steps"]}
    # carried out, not declared: PLOVER's RETREAT; CAMEO has only "declare truce" (0871)
    assert codes["phase_one_begins"]["cameo"] is None
    assert codes["phase_one_begins"]["plover"] == {
        "event": "RETREAT",
        "mode": ["ceasefire"],
        "context": [],
    }
    # the announcement declares a ceasefire: PLOVER codes it CONCEDE; the CAMEO list maps 0871 to
    # RETREAT (the ceasefire taking effect), so the scenario gives no CAMEO code there
    assert codes["deal_announced"]["plover"]["event"] == "CONCEDE"
    assert codes["deal_announced"]["cameo"] is None
    assert codes["toll_since_strikes_resumed"] is None


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("{cameo: '0875'}", "unknown CAMEO code '0875'; did you mean"),
        ("{cameo: 871}", "write CAMEO codes in quotes"),
        ("{plover: {event: CONCEDE, mode: ceasefire}}", "it is a mode of RETREAT"),
        ("{plover: {event: AGRE}}", "unknown PLOVER event type 'AGRE'; did you mean 'AGREE'"),
    ],
    ids=["unknown-cameo", "unquoted-cameo", "mode-of-another-type", "unknown-plover-type"],
)
def test_bad_event_codes_are_located_errors(tmp_path, codes, message):
    extra = (
        f"  - id: extra\n    date: 2025-01-04\n    event: mediators_withdraw\n    codes: {codes}\n"
    )
    path = write(tmp_path, "s.yaml", BASE + extra)
    result = invoke("check", path)
    assert result.exit_code == 2
    assert f"{path}:16:" in result.stderr
    assert message in result.stderr


def test_division_by_zero_in_an_expectation_is_a_failure_not_a_crash(tmp_path):
    path = write(tmp_path, "s.yaml", BASE + "expect:\n  holds: ['1 // hostages_seized == 0']\n")
    result = invoke("run", path)
    assert result.exit_code == 1
    assert "expected 1 // hostages_seized == 0 to hold, but it divides by zero" in result.stdout


def test_figure_values_outside_the_parameter_bounds_are_located_errors(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES.replace("high: 9", "high: 2000"))
    with pytest.raises(FileError) as caught:
        load_scenario(path)
    assert f"{path}:18:9:" in str(caught.value)
    assert "figure 'hostages': 'hostages' must be at most 1000 (got 2000)" in str(caught.value)


def test_sensitivity_exits_1_when_the_scenario_fails_as_written(tmp_path):
    path = write(tmp_path, "figures.yaml", FIGURES + "expect: {phase: end_of_war}\n")
    result = invoke("run", path, "--sensitivity")
    assert result.exit_code == 1
    assert "expectations not met" in " ".join(result.stdout.split())


def test_sensitivity_refuses_source():
    result = CliRunner().invoke(
        cli, ["run", str(GAZA), "--sensitivity", "--trusted-source", "afp_2025_03_28"]
    )
    assert result.exit_code == 2


def test_compare_refuses_two_different_models():
    other = ROOT / "docs" / "examples" / "ceasefire-scenario.yaml"
    result = CliRunner().invoke(cli, ["compare", str(GAZA), str(other)])
    assert result.exit_code == 2
    assert "only histories of one model can be compared" in result.stderr


def test_unspecified_digits_in_a_date_give_its_range():
    from negotiation.scenarios.dates import parse_date

    date = parse_date("2025-03-2X")
    assert (str(date.earliest), str(date.latest)) == ("2025-03-20", "2025-03-29")

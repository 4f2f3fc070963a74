"""`chirp simulate` through Typer's runner: JSON for scripts, one-line failures, files written."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from chirp.cli.simulate import app

runner = CliRunner()


def run(*args: str, **env: str):
    return runner.invoke(app, list(args), env=env or None)


def assert_one_line_failure(result, *words: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for word in words:
        assert word in lines[0]


def test_capacity_json_has_the_plan_and_the_inconsistencies():
    result = run("capacity", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["plan"]["load"]["writes_per_s"]["plan"] == 20_000
    assert doc["plan"]["load"]["reads_per_s"]["plan"] == 200_000
    names = {f["figure"] for f in doc["inconsistencies"]}
    assert {"storage per year", "feed cache data", "DynamoDB read capacity"} <= names
    assert all({"seed", "derived", "why"} <= set(f) for f in doc["inconsistencies"])


def test_capacity_table_lists_the_inconsistencies():
    result = run("capacity")
    assert result.exit_code == 0, result.output
    assert "Inconsistencies in the design review" in result.stdout
    assert "seed" not in result.stdout.lower()
    assert "173,610" in result.stdout


def test_capacity_options_and_settings_change_the_plan():
    doc = json.loads(
        run("capacity", "--json", "--dau", "200000000", "--set", "prices.worker_month=100").stdout
    )
    assert doc["plan"]["load"]["writes_per_s"]["plan"] == 40_000
    assert doc["assumptions"]["prices"]["worker_month"] == 100


def test_capacity_reads_the_dau_from_the_environment():
    doc = json.loads(run("capacity", "--json", CHIRP_CAPACITY_DAU="1000000").stdout)
    assert doc["assumptions"]["load"]["dau"] == 1_000_000


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("--dau", "0"), "dau"),
        (("--peak-factor", "0.5"), "peak_factor"),
        (("--set", "load.nope=1"), "load.nope"),
        (("--set", "no-equals-sign"), "--set"),
        (("--dau", "lots"), "--dau"),
        (("--daus", "5"), "No such option"),
    ],
)
def test_capacity_bad_values_fail_in_one_line(args, word):
    assert_one_line_failure(run("capacity", *args), word)


def test_capacity_bad_config_fails_in_one_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[load]\ndau = 'many'\n")
    assert_one_line_failure(run("capacity", "--config", str(config)), "bad.toml", "load.dau")
    config.write_text("not toml [")
    assert_one_line_failure(run("capacity", "--config", str(config)), "not valid TOML")


def test_capacity_from_a_bench_report(tmp_path):
    report = tmp_path / "bench.json"
    report.write_text(
        json.dumps(
            {
                "schema_version": "chirp.bench/v2",
                "feed_read_rps": 2_000,
                "post_rps": 500,
                "fanout_capacity_per_s": 40_000,
                "fanout_worker_processes": 1,
                "gateway_processes": 2,
                "ceiling_rps": 5_000,
            }
        )
    )
    result = run("capacity", "--json", "--from-report", str(report))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["plan"]["fanout"]["sized_by"] == "deliveries/s"
    assert doc["assumptions"]["units"]["gateway_feed_reads_per_s"] == 1_000
    assert doc["assumptions"]["units"]["fanout_worker_deliveries_per_s"] == 40_000
    assert doc["measured"]["posts_per_s"] == 250


def test_an_arrival_rate_is_not_read_as_fan_out_capacity(tmp_path):
    report = tmp_path / "old-bench.json"
    report.write_text(json.dumps({"feed_read_rps": 2_000, "fanout_deliveries_per_s": 1_805}))
    result = run("capacity", "--json", "--from-report", str(report))
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["measured"]["fanout_deliveries_per_s"] is None
    assert doc["plan"]["fanout"]["sized_by"] != "deliveries/s"


def test_capacity_report_missing_keys_fails_in_one_line(tmp_path):
    report = tmp_path / "empty.json"
    report.write_text(json.dumps({"ceiling_rps": 5_000}))
    assert_one_line_failure(run("capacity", "--from-report", str(report)), "feed_read_rps")


@pytest.mark.parametrize("name", ["sizes.yaml", "sizes.json"])
def test_capacity_emits_the_pulumi_config(tmp_path, name):
    target = tmp_path / name
    result = run("capacity", "--json", "--emit-pulumi-config", str(target))
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load(target.read_text())  # JSON is YAML too
    assert doc["schema"] == "chirp.sizing/v1"
    assert doc["kafka"]["partitions"] >= doc["workers"]["fanout"]["count"]


def test_capacity_pulumi_config_with_an_unknown_suffix_fails(tmp_path):
    result = run("capacity", "--emit-pulumi-config", str(tmp_path / "sizes.txt"))
    assert_one_line_failure(result, ".json")


def test_fanout_json_on_a_small_graph():
    result = run("fanout", "--users", "3000", "--json", "--no-sweep")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    results = {r["policy"]: r for r in doc["results"]}
    assert list(results) == ["push-all", "pull-all", "hybrid 1K/100K", "rate x1"]
    assert results["push-all"]["fan_in_p99"] == 1
    assert results["pull-all"]["feed_writes_per_s"] == 0
    assert doc["graph"]["users"] == 3000


def test_fanout_users_from_the_environment():
    doc = json.loads(run("fanout", "--json", "--no-sweep", CHIRP_FANOUT_USERS="2000").stdout)
    assert doc["graph"]["users"] == 2000


def test_fanout_plot_is_a_png_and_self_contained_html(tmp_path):
    result = run("fanout", "--users", "3000", "--plot", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fanout.png").read_bytes().startswith(b"\x89PNG")
    html = (tmp_path / "fanout.html").read_text()
    assert "data:image/png;base64," in html
    assert "http://" not in html and "https://" not in html
    assert "hybrid 1K/100K" in html


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("--users", "10"), "users"),
        (("--exponent", "0.5"), "exponent"),
        (("--small-max", "5000", "--celebrity-min", "10"), "hybrid"),
    ],
)
def test_fanout_bad_values_fail_in_one_line(args, word):
    assert_one_line_failure(run("fanout", *args), word)


def test_lag_json_is_scenario_3_by_default():
    result = run("lag", "--json")
    assert result.exit_code == 0, result.output
    runs = json.loads(result.stdout)["runs"]
    assert runs[0]["name"] == "no rules"
    assert runs[0]["crossings_s"] == {"1000": 0.2, "5000": 1.0, "50000": 10.0}
    assert runs[2]["max_lag"] == 100_000


def test_lag_table_and_plot(tmp_path):
    result = run("lag", "--plot", str(tmp_path), "--duration", "120")
    assert result.exit_code == 0, result.output
    assert "grows 5,000/s" in result.stdout
    assert (tmp_path / "lag.png").exists() and (tmp_path / "lag.html").exists()


def test_lag_series_on_request():
    doc = json.loads(run("lag", "--json", "--series", "--duration", "10").stdout)
    assert len(doc["runs"][0]["series"]["lag"]) == 11


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("--consumers", "-1"), "consumers"),
        (("--scale-factor", "1"), "scale factor"),
        (("--step", "-1"), "step"),
    ],
)
def test_lag_bad_values_fail_in_one_line(args, word):
    assert_one_line_failure(run("lag", *args), word)


def test_random_seed_names_the_graphs_randomness_and_seed_is_its_hidden_old_name():
    base = ("fanout", "--users", "3000", "--json", "--no-sweep")
    new = run(*base, "--random-seed", "3")
    old = run(*base, "--seed", "3")
    default = run(*base)
    assert new.exit_code == old.exit_code == default.exit_code == 0
    graph = {name: json.loads(r.stdout)["graph"] for name, r in (("new", new), ("old", old))}
    assert graph["new"]["edges"] == graph["old"]["edges"]
    assert graph["new"]["edges"] != json.loads(default.stdout)["graph"]["edges"]
    assert "--random-seed" in old.stderr and "--random-seed" not in new.stderr
    help_text = run("fanout", "--help").stdout
    assert "--random-seed" in help_text and "--seed " not in help_text

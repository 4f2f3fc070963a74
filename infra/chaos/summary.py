"""The human summary of a journal: `summary.md` next to `journal.json`, the rows the CLI
prints, and the checks as JUnit cases. Reads only the journal dict, so it works on a
stored one too."""

from __future__ import annotations

from typing import Any

from chirp.core.observe import label_text
from chirp.loadtests.junit import JUnitCase

_PHASES = ("baseline", "during", "after")
PHASE_ROWS = (
    ("requests", "requests", "{:.0f}"),
    ("errors", "errors (5xx, no answer)", "{:.0f}"),
    ("error_rate", "error rate", "{:.2%}"),
    ("p50_ms", "p50 ms", "{:.0f}"),
    ("p99_ms", "p99 ms", "{:.0f}"),
    ("refused", "refused cleanly (429, 503 JSON)", "{:.0f}"),
    ("status_429", "429", "{:.0f}"),
    ("degraded", "degraded feeds (probe)", "{:.0f}"),
    ("search_unavailable", "search 503 JSON", "{:.0f}"),
    ("peak_lag", "peak consumer lag", "{:.0f}"),
    ("last_lag", "last consumer lag", "{:.0f}"),
    ("min_feed_hit_rate", "lowest feed hit rate", "{:.1%}"),
    ("last_feed_hit_rate", "last feed hit rate", "{:.1%}"),
    ("db_degraded_reads", "degraded feed reads served (all)", "{:.0f}"),
    ("db_degraded_refused", "degraded feed reads refused (all)", "{:.0f}"),
    ("ledger_acked", "ledger acknowledged", "{:.0f}"),
    ("ledger_refused", "ledger refused", "{:.0f}"),
    ("ledger_unknown", "ledger unknown", "{:.0f}"),
)
MEASURE_ROWS = (
    ("time_to_detect_s", "time to detect (s after injection)"),
    ("time_to_recover_s", "time to recover (s after restore)"),
    ("time_to_recover_from_injection_s", "time to recover (s after injection)"),
    ("failed_requests_since_injection", "failed requests since injection"),
    ("status_429_since_injection", "429 since injection"),
    ("peak_lag", "peak consumer lag"),
    ("new_primary_s", "failover complete (s after injection)"),
)
LEDGER_ROWS = (
    "attempted",
    "acknowledged",
    "refused",
    "unknown",
    "unknown_stored",
    "unknown_absent",
    "rejected",
)


def cell(value: Any, fmt: str = "{}") -> str:
    if value is None:
        return "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    try:
        return fmt.format(value)
    except (ValueError, TypeError):
        return str(value)


def phase_rows(journal: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(figure, before, during, after) for each figure some phase has."""
    phases = journal.get("phases", {})

    def row(label: str, key: str, fmt: str = "{}") -> tuple[str, str, str, str]:
        before, during, after = (phases.get(p, {}).get(key) for p in _PHASES)
        return (label, cell(before, fmt), cell(during, fmt), cell(after, fmt))

    rows = [
        row(label, key, fmt)
        for key, label, fmt in PHASE_ROWS
        if any(phases.get(p, {}).get(key) not in (None, 0) for p in _PHASES)
    ]
    rows.append(row("answers by gateway", "answers_by_node"))
    return rows


def measure_rows(journal: dict[str, Any]) -> list[tuple[str, str]]:
    measures = journal.get("measures", {})
    return [(label, cell(measures.get(key))) for key, label in MEASURE_ROWS]


def ledger_rows(journal: dict[str, Any]) -> list[tuple[str, str]]:
    ledger = journal.get("ledger")
    if not ledger:
        return []
    rows = [(key.replace("_", " "), cell(ledger.get(key))) for key in LEDGER_ROWS]
    rows.append(("lost (acknowledged, missing)", str(len(ledger.get("lost", [])))))
    rows.append(("duplicated", str(len(ledger.get("duplicated", [])))))
    missing = ledger.get("missing_by_place") or {}
    rows.append(("missing by place", cell(missing) if missing else "none"))
    return rows + _repair_rows(journal.get("feed_repair")) + _follow_rows(journal)


def _repair_rows(repair: dict[str, Any] | None) -> list[tuple[str, str]]:
    if not repair:
        return []
    return [
        ("feed entries lost in the failover", cell(repair.get("missing_before"))),
        ("feeds regenerated", cell(repair.get("feeds_regenerated"))),
        ("feed entries missing after regeneration", cell(repair.get("missing_after"))),
    ]


def _follow_rows(journal: dict[str, Any]) -> list[tuple[str, str]]:
    follows = journal.get("follow_ledger")
    if not follows:
        return []
    rows = [(f"follows {key.replace('_', ' ')}", cell(follows.get(key))) for key in LEDGER_ROWS[:5]]
    rows.append(("follows lost (acknowledged, missing)", str(len(follows.get("lost", [])))))
    rows.append(
        (
            "write outage (s, first failed to first acknowledged after)",
            cell(follows.get("write_outage_s")),
        )
    )
    return rows


def alerts_markdown(report: dict[str, Any]) -> list[str]:
    """The alerts that fired during the run (or why that is unknown) and the Prometheus link,
    as markdown lines; `report` is a journal or anything with its alert fields."""
    alerts = report.get("alerts")
    if alerts is None:
        lines = [f"Unknown: {report.get('alerts_note') or 'not in this journal'}."]
    elif not alerts:
        lines = ["None fired during the drill."]
    else:
        lines = [
            "| severity | alert | labels | first firing | last firing | firing (s) | summary |",
            "|---|---|---|---|---|---|---|",
        ]
        for alert in alerts:
            labels = label_text(alert["labels"]) or "-"
            spells = f" in {alert['spells']} spells" if alert["spells"] > 1 else ""
            lines.append(
                f"| {alert['severity']} | {alert['name']} | {_md(labels)} "
                f"| {alert['first_firing_at']} | {alert['last_firing_at']} "
                f"| {alert['firing_s']:g}{spells} | {_md(alert['summary'])} |"
            )
    if report.get("prometheus_url"):
        lines += ["", f"[The drill's time range in Prometheus]({report['prometheus_url']})"]
    return lines


def _md(text: str) -> str:
    """A table cell: a pipe would end it."""
    return text.replace("|", "\\|")


def summary_markdown(journal: dict[str, Any]) -> str:
    """journal.json as a page a person reads: verdict, checks, phases, measures, ledger."""
    lines = [
        f"# chirp chaos {journal['drill']}: {journal['verdict']}",
        "",
        journal.get("description", ""),
        "",
        f"Started {journal['started_at']}, {journal['elapsed_s']} s; "
        f"load: {journal.get('load', {}).get('status', '-')}.",
        "",
    ]
    for reason in journal.get("reasons", []):
        lines.append(f"- {reason}")
    lines += ["", "## Checks", "", "| verdict | check | observed | wanted |", "|---|---|---|---|"]
    for check in journal.get("checks", []):
        lines.append(
            f"| {check['verdict']} | {check['name']} | {cell(check['observed'])} "
            f"| {check['bound']} |"
        )
    lines += ["", "## Phases", "", "| figure | before | during | after |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(row)} |" for row in phase_rows(journal)]
    lines += ["", "## Measures", "", "| measure | value |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in measure_rows(journal)]
    if journal.get("ledger"):
        lines += ["", "## Integrity ledger", "", "| count | value |", "|---|---|"]
        lines += [f"| {label} | {value} |" for label, value in ledger_rows(journal)]
    lines += ["", "## Alerts", "", *alerts_markdown(journal)]
    lines += [
        "",
        "## Actions",
        "",
        "| t (s) | stage | action | ok | detail |",
        "|---|---|---|---|---|",
    ]
    for action in journal.get("actions", []):
        lines.append(
            f"| {action['started_s']:.1f} | {action['stage']} | {action['description']} "
            f"| {action['ok']} | {action['detail']} |"
        )
    return "\n".join(lines) + "\n"


def junit_cases(journal: dict[str, Any]) -> list[JUnitCase]:
    """A case per check (classname `chirp.chaos.<drill>.<kind>`); a drill that did not run
    to its end (aborted, interrupted, could not run) adds a failing `drill ran to the end`."""
    drill = journal["drill"]
    cases: list[JUnitCase] = []
    for check in journal.get("checks", []):
        observed = "-" if check["observed"] is None else str(check["observed"])
        cases.append(
            JUnitCase(
                check["name"],
                f"chirp.chaos.{drill}.{check['kind']}",
                "pass" if check["verdict"] == "PASS" else "fail",
                f"observed {observed}, wanted {check['bound']}",
            )
        )
    reasons = "; ".join(journal.get("reasons", [])) or journal["verdict"]
    ran = journal["verdict"] in ("PASS", "FAIL")
    cases.append(
        JUnitCase(
            "drill ran to the end",
            f"chirp.chaos.{drill}",
            "pass" if ran else "fail",
            "" if ran else f"{journal['verdict']}: {reasons}",
            float(journal.get("elapsed_s") or 0.0),
        )
    )
    return cases

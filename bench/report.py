"""bench/results.md and bench/latency.svg from the suites' JSON results."""

import base64
from datetime import UTC, datetime

from hdrh.histogram import HdrHistogram

from bench import svg

MODES = {
    "services": "Production configuration: PostgreSQL + Redis, daphne processes and the clock worker",
    "embedded": "Embedded default: SQLite + in-memory channel layer, one daphne and the clock worker",
}
CEILING_NAMES = {"pg": "PostgreSQL hot-row ceiling", "bare": "bare broadcast ceiling"}


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        if value == float("inf"):
            return "never"
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".strip()


def _by_connections(pg: dict) -> str:
    return ", ".join(f"{n} conn: {rate:,.0f}/s" for n, rate in pg["by_connections"].items())


def judge(row: dict, ceilings: dict | None, mode: str = "services") -> tuple[str, str]:
    """(ratio text, verdict) for a row: a verdict only where the row has a target. The PostgreSQL
    ceiling does not apply to the embedded default (SQLite)."""
    ratio_text, ratio_ok = "—", True
    name = row.get("ceiling") or ""
    ceiling = None if mode == "embedded" and name == "pg" else (ceilings or {}).get(name, {}).get("value")
    if ceiling and isinstance(row["value"], int | float):
        ratio = row["value"] / ceiling
        ratio_text = f"{ratio:.2f} × {CEILING_NAMES[row['ceiling']]}"
        ratio_ok = row["ceiling_min"] is None or ratio >= row["ceiling_min"]
    if row["ok"] is None:
        return ratio_text, "—"
    return ratio_text, "PASS" if row["ok"] and ratio_ok else "FAIL"


def markdown(facts: dict, suites: list[dict], plot_name: str) -> str:
    ceilings = next((s["ceilings"] for s in suites if s.get("ceilings")), None)
    lines = [
        "# Benchmark results",
        "",
        f"Produced by one `make bench` run at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC (commit {facts['commit']}). "
        "Method and how to read this: [docs/benchmarks.md](../docs/benchmarks.md). "
        "Load generators run on the same machine as the servers (loopback only), so every number "
        "includes the cost of generating the load.",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in facts.items()],
        "",
        "## Ceilings (calibration, same run)",
        "",
    ]
    if ceilings:
        pg = ceilings["pg"]["detail"]
        lines += [
            "| ceiling | measured |",
            "|---|---|",
            f"| PostgreSQL hot-row single-statement update loop, autocommit, {pg['seconds']} s per "
            f"connection count; best of {_by_connections(pg)} | {_fmt(ceilings['pg']['value'], 'updates/s')} |",
            f"| bare `websockets` broadcast server, one process, M4's load | "
            f"{_fmt(ceilings['bare']['value'], 'deliveries/s')} |",
            "",
        ]
    else:
        lines += ["Not measured in this run.", ""]
    lines += [
        "## Summary",
        "",
        "| configuration | scenario | target | measured | ratio | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for suite in suites:
        for scenario in suite["scenarios"]:
            for row in scenario["rows"]:
                ratio, verdict = judge(row, ceilings, suite["mode"])
                if verdict != "—":
                    lines.append(
                        f"| {suite['mode']} | {scenario['id']} {row['metric']} | {row['target']} | "
                        f"{_fmt(row['value'], row['unit'])} | {ratio} | {verdict} |"
                    )
    for suite in suites:
        lines += ["", f"## {MODES[suite['mode']]}", ""]
        for scenario in suite["scenarios"]:
            lines += [f"### {scenario['title']}", ""]
            if scenario.get("setup"):
                lines += [scenario["setup"], ""]
            if scenario["rows"]:
                lines += ["| metric | target | measured | ratio to ceiling | verdict |", "|---|---|---|---|---|"]
                for row in scenario["rows"]:
                    ratio, verdict = judge(row, ceilings, suite["mode"])
                    measured = _fmt(row["value"], row["unit"])
                    lines.append(f"| {row['metric']} | {row['target']} | {measured} | {ratio} | {verdict} |")
                lines.append("")
            for problem in scenario["problems"]:
                lines += ["Problem seen:", "", "```", problem.strip()[-3000:], "```", ""]
    lines += ["## Latency percentiles", "", f"![latency percentiles]({plot_name})", ""]
    for name, summary in latency_table(suites).items():
        lines.append(f"- {name}: " + ", ".join(f"{k} {v} ms" for k, v in summary.items()))
    return "\n".join(lines) + "\n"


def _histograms(suites: list[dict]) -> dict[str, HdrHistogram]:
    out = {}
    for suite in suites:
        sources = [suite.get("ceilings") or {}] + suite["scenarios"]
        for source in sources:
            for name, blob in (source.get("latency") or {}).items():
                histogram = HdrHistogram.decode(base64.b64decode(blob))
                if histogram.get_total_count():
                    out[f"{suite['mode']}: {name}"] = histogram
    return out


def latency_table(suites: list[dict]) -> dict[str, dict]:
    return {
        name: {f"p{p:g}": round(h.get_value_at_percentile(p) / 1000, 1) for p in (50, 99, 99.9, 100)}
        for name, h in _histograms(suites).items()
    }


def plot(suites: list[dict]) -> str:
    series = {
        name: [(p, h.get_value_at_percentile(p) / 1000) for p in svg.PERCENTILES]
        for name, h in _histograms(suites).items()
        if "close lag" not in name  # seconds-scale, one value per round: in the table instead
    }
    title = "Latency percentiles (ms, log scale) — solid: PostgreSQL + Redis, dashed: embedded"
    return svg.chart(series, title, dashed=lambda name: name.startswith("embedded"))

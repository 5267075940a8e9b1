"""Results of one bench run: summary table, bench-results/ JSON, markdown and PNG chart."""
from __future__ import annotations

import json
import os
import statistics
from typing import Any, Optional

LOWER_IS_BETTER = ("ms", "s")


def median(values: list[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def rows(results: list[dict], brokers: list[str]) -> list[dict]:
    """One row per (workload, case, metric) in first-seen order, with each broker's median."""
    table: dict[tuple[str, str, str], dict] = {}
    for r in results:
        key = (r["workload"], r["case"], r["metric"])
        row = table.setdefault(key, {"workload": key[0], "case": key[1], "metric": key[2], "median": {}, "samples": {}})
        row["samples"][r["broker"]] = r["samples"]
        row["median"][r["broker"]] = median(r["samples"])
    return list(table.values())


def cell(row: dict, broker: str, spread: bool) -> str:
    samples = row["samples"].get(broker) or []
    text = fmt(row["median"].get(broker))
    if spread and len(samples) > 1:
        text += f" ({fmt(min(samples))}–{fmt(max(samples))})"
    return text


def text_table(result: dict, spread: bool = False) -> list[list[str]]:
    """Medians; with spread, each cell also shows the (min–max) of its runs."""
    brokers = result["broker_names"]
    header = ["workload", "case", "metric", *brokers]
    if "fastlog" in brokers and "kafka" in brokers:
        header.append("fastlog/kafka")
    if result.get("baseline_mb_s"):
        header.append("of baseline")
    lines = [header]
    for row in rows(result["results"], brokers):
        if row["workload"] == "baseline":   # not a broker: shown on its own line
            continue
        cells = [row["workload"], row["case"], row["metric"]] + [cell(row, b, spread) for b in brokers]
        if "fastlog/kafka" in header:
            f, k = row["median"].get("fastlog"), row["median"].get("kafka")
            cells.append(f"{f / k:.2f}x" if f is not None and k else "-")
        if "of baseline" in header:
            if row["metric"] == "MB/s" and row["workload"] in ("produce", "java-produce"):
                cells.append(" / ".join(f"{row['median'][b] / result['baseline_mb_s']:.0%}"
                                        if row["median"].get(b) else "-" for b in brokers))
            else:
                cells.append("")
        lines.append(cells)
    return lines


def render_plain(lines: list[list[str]]) -> str:
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in lines)


def render_markdown_table(lines: list[list[str]]) -> str:
    out = ["| " + " | ".join(lines[0]) + " |", "|" + "---|" * len(lines[0])]
    out += ["| " + " | ".join(str(c) for c in line) + " |" for line in lines[1:]]
    return "\n".join(out)


def busiest_cores(result: dict, broker: str) -> Optional[float]:
    """The most cores the broker kept busy in one run: its CPU seconds over the run's seconds."""
    loads = [r["broker_cpu_s"] / r["seconds"] for r in result.get("raw", [])
             if r.get("broker") == broker and r.get("broker_cpu_s") is not None and r.get("seconds")]
    return max(loads) if loads else None


def per_core_rate(cpu_s_per_gb: Optional[float]) -> Optional[float]:
    """MB moved per second of broker CPU: the rate one fully busy broker core would reach at the
    measured cost per byte. On a 2-core machine the one client process saturates the load core
    before the broker's core is full (`--pin`), so this, not the throughput, is the per-core figure."""
    return 1000 / cpu_s_per_gb if cpu_s_per_gb else None


def resources_table(result: dict) -> list[list[str]]:
    header = ["broker", "start to Metadata (s)", "peak RSS (MB)", "CPU s per GB (produce)",
              "CPU s per GB (consume)", "CPU s per GB (all)", "busiest run (cores)",
              "MB per CPU second (produce / consume)"]
    baseline = result.get("baseline_mb_s")
    if baseline:
        header.append("of baseline")
    lines = [header]
    for name in result["broker_names"]:
        b = result["brokers"][name]
        per_gb = b.get("cpu_s_per_gb", {})
        rates = [per_core_rate(per_gb.get("produce")), per_core_rate(per_gb.get("consume"))]
        line = [name, fmt(median(b.get("startup_s", []))),
                fmt(b["peak_rss_bytes"] / 1e6) if b.get("peak_rss_bytes") else "-",
                fmt(per_gb.get("produce")), fmt(per_gb.get("consume")), fmt(per_gb.get("all")),
                fmt(busiest_cores(result, name)), " / ".join(fmt(r) for r in rates)]
        if baseline:
            line.append(" / ".join(f"{r / baseline:.0%}" if r else "-" for r in rates))
        lines.append(line)
    return lines


def markdown(result: dict, png_name: Optional[str]) -> str:
    m = result["machine"]
    out = [f"# fastlog bench: {result['profile']} run, {result['started']}", ""]
    out.append(f"Machine: {m['cpu_model']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Linux {m['kernel']}, "
               f"Python {m['python']}, Apache Kafka {m['kafka_version']}, confluent-kafka {m['confluent_kafka']} "
               f"(librdkafka {m['librdkafka']}), fastlog commit {m['git_commit']} ({m.get('fastlog_build')}). "
               f"Run took {result['duration_s']:.0f} s; every number is the median of {result['reps']} runs "
               "(brokers alternated). MB = 10^6 bytes.")
    if result.get("pinning"):
        out += ["", f"Per-core mode (`--pin`): {result['pinning']}, so every broker rate is a rate per broker "
                    "core and the clients never share the broker's core; the baseline's receiver runs on the "
                    "broker CPU and its sender on the load CPU."]
    load = m.get("loadavg_start")
    if load:
        out += ["", f"Load average (1/5/15 min) at the start: {load}; at the end: {m.get('loadavg_end')}. "
                    "The table shows medians and, in brackets, the range of the runs."]
    out += ["", render_markdown_table(text_table(result, spread=True)), ""]
    out += ["Broker resources (peak RSS over the whole run; CPU of the broker process per GB moved; the most "
            "cores the broker kept busy in one run, its CPU seconds over the run's seconds; MB moved per "
            "second of broker CPU, the rate per broker core at that cost, and its share of the baseline):", "",
            render_markdown_table(resources_table(result)), ""]
    if result.get("baseline_mb_s"):
        out.append(f"Machine limit (loopback TCP into a file, no protocol, baseline.c): "
                   f"{result['baseline_mb_s']:.0f} MB/s.")
        out.append("")
    out.append("Client settings:")
    out.append("")
    for name, settings in result["settings"].items():
        out.append(f"- {name}: `{json.dumps(settings, sort_keys=True)}`")
    if result["errors"]:
        out += ["", "Errors during the run:", ""]
        out += [f"- {e}" for e in result["errors"][:30]]
    if png_name:
        out += ["", f"![chart]({png_name})"]
    return "\n".join(out) + "\n"


README_START = "<!-- bench summary: generated by `python -m fastlog.bench --readme "
README_END = "<!-- end of bench summary -->"


def readme_summary(result: dict, json_path: str, has_png: bool) -> str:
    """The README's benchmark section for a saved run, between README_START and README_END
    (inclusive); `json_path` is the results file relative to the repository root, `has_png`
    whether its chart sits beside it."""
    m = result["machine"]
    stem = json_path[:-len(".json")] if json_path.endswith(".json") else json_path
    load = f", load {m['loadavg_start'].split()[0]} at the start" if m.get("loadavg_start") else ""
    out = [f"{README_START}{json_path}` -->",
           f"Latest {result['profile']} run ({result['started']}, {m['cores']} cores{load}, Apache Kafka "
           f"{m['kafka_version']}, fastlog {m['git_commit']}; medians of {result['reps']}, brokers alternated; the "
           f"ranges, settings and machine in [{stem}.md]({stem}.md)):", "",
           render_markdown_table(text_table(result)), "", render_markdown_table(resources_table(result))]
    if result.get("baseline_mb_s"):
        out += ["", f"Machine limit (loopback TCP into a file, no protocol): {result['baseline_mb_s']:.0f} MB/s."]
    if has_png:
        out += ["", f"![bench chart]({stem}.png)"]
    out.append(README_END)
    return "\n".join(out)


def rewrite_readme(readme_text: str, result: dict, json_path: str, has_png: bool) -> str:
    """`readme_text` with its benchmark section replaced by the summary of `result`."""
    start = readme_text.index(README_START)
    end = readme_text.index(README_END, start) + len(README_END)
    return readme_text[:start] + readme_summary(result, json_path, has_png) + readme_text[end:]


def plot(result: dict, path: str) -> bool:
    """Throughput and latency, brokers side by side; False when matplotlib is missing."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    brokers = result["broker_names"]
    table = rows(result["results"], brokers)
    panels = [(r_, title, unit, log) for r_, title, unit, log in (
        ([r for r in table if r["metric"] == "MB/s" and r["workload"] not in ("latency", "baseline")],
         "Throughput (higher is better)", "MB/s", False),
        ([r for r in table if r["metric"] in ("requests/s", "records/s")],
         "Small requests (higher is better)", "per second", True),
        ([r for r in table if r["metric"].endswith("ms")], "Latency (lower is better)", "ms", True),
    ) if r_]
    if not panels:
        return False
    fig, axes = plt.subplots(1, len(panels), figsize=(8 * len(panels), 6), squeeze=False)
    for ax, (group, title, ylabel, log_scale) in zip(axes[0], panels):
        width = 0.8 / max(1, len(brokers))
        for i, broker in enumerate(brokers):
            xs = [j + i * width for j in range(len(group))]
            ys = [r["median"].get(broker) or 0 for r in group]
            ax.bar(xs, ys, width, label=broker)
        ax.set_xticks([j + width * (len(brokers) - 1) / 2 for j in range(len(group))])
        labels = [f"{r['workload']}\n{r['case']}" + ("" if ylabel == "MB/s" else f"\n{r['metric']}") for r in group]
        ax.set_xticklabels(labels, fontsize=7, rotation=30, ha="right")
        ax.set_title(title)
        ax.set_ylabel(ylabel)
        if log_scale:
            ax.set_yscale("log")
        if ylabel == "MB/s" and result.get("baseline_mb_s"):
            ax.axhline(result["baseline_mb_s"], color="grey", linestyle="--", label="machine limit (baseline)")
        ax.legend(fontsize=8)
    fig.suptitle(f"fastlog bench ({result['profile']}), {result['machine']['cpu_model']}, "
                 f"{result['machine']['cores']} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write(result: dict, out_dir: str, label: str) -> dict[str, str]:
    os.makedirs(out_dir, exist_ok=True)
    paths = {"json": os.path.join(out_dir, f"{label}.json"), "md": os.path.join(out_dir, f"{label}.md"),
             "png": os.path.join(out_dir, f"{label}.png")}
    with open(paths["json"], "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, sort_keys=False, default=_json_default)
    has_png = plot(result, paths["png"])
    if not has_png:
        del paths["png"]
    with open(paths["md"], "w", encoding="utf-8") as f:
        f.write(markdown(result, os.path.basename(paths["png"]) if has_png else None))
    return paths


def _json_default(value: Any) -> Any:
    return str(value)

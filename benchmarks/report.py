"""One table for every benchmark: each benchmark records its rows here, `make bench` prints them.

A benchmark ends with

    from benchmarks import report
    report.record("import_contacts", [
        report.Row("CSV import, 10,000 rows", rows_per_s, "rows/s", target="< 5 s (2,000 rows/s)",
                   baseline=copy_rows_per_s, baseline_name="COPY of the same rows",
                   ratio=rows_per_s / copy_rows_per_s, passed=seconds < 5.0),
    ])

which prints its rows as the table (so running one benchmark alone shows its verdicts) and
keeps them in `.run/bench/<name>.json` with the load average at that moment. After all of them,
`python -m benchmarks.report` prints the one table of every recorded benchmark and writes it,
with the machine and its load when each was measured, to `benchmarks/results.md`.

`ratio` is the figure beside its baseline in the direction the target is stated ("the gateway's
p50 is 1.2x the raw RPC's", "the import reaches 5% of COPY's speed"); `passed` is None for a
figure that only informs (no target of its own).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / ".run" / "bench"
RESULTS_MD = Path(__file__).resolve().parent / "results.md"
COLUMNS = ("figure", "value", "target", "baseline", "ratio", "pass")


@dataclass
class Row:
    figure: str
    value: float
    unit: str
    target: str = ""
    baseline: float | None = None
    baseline_name: str = ""
    ratio: float | None = None
    passed: bool | None = None
    ratio_label: str = field(default="")  # e.g. "of COPY" / "x raw RPC"; printed after the ratio


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return ""
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _cells(row: dict) -> tuple[str, ...]:
    baseline = ""
    if row.get("baseline") is not None:
        baseline = _number(row["baseline"], row["unit"])
        if row.get("baseline_name"):
            baseline += f" ({row['baseline_name']})"
    ratio = ""
    if row.get("ratio") is not None:
        ratio = f"{row['ratio']:.2f}" + (f" {row['ratio_label']}" if row.get("ratio_label") else "")
    verdict = {True: "pass", False: "FAIL", None: "-"}[row.get("passed")]
    return (
        row["figure"],
        _number(row["value"], row["unit"]),
        row.get("target", ""),
        baseline,
        ratio,
        verdict,
    )


def format_table(rows: list[dict], markdown: bool = False) -> str:
    """The rows as one aligned text table (or a Markdown table)."""
    cells = [_cells(row) for row in rows]
    if markdown:
        lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(COLUMNS)]
    line = "  ".join(h.ljust(w) for h, w in zip(COLUMNS, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def record(
    name: str, rows: list[Row], note: str = "", load: tuple[float, ...] | None = None
) -> Path:
    """Keep one benchmark's rows (replacing its previous run) and print them as the table.
    `load`: the load average when the benchmark started (`os.getloadavg()`); default now."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    entry = {
        "name": name,
        "measured_at": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average": [round(x, 2) for x in (load or os.getloadavg())],
        "note": note,
        "rows": [asdict(row) for row in rows],
    }
    path.write_text(json.dumps(entry, indent=1))
    print()
    print(format_table(entry["rows"]))
    return path


def recorded(names: list[str] | None = None) -> list[dict]:
    """The recorded benchmarks (those named, in that order; else all, by name)."""
    if names:
        paths = [RESULTS_DIR / f"{name}.json" for name in names]
    else:
        paths = sorted(RESULTS_DIR.glob("*.json"))
    return [json.loads(p.read_text()) for p in paths if p.exists()]


def machine() -> str:
    cores = os.cpu_count()
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def write_markdown(entries: list[dict], path: Path | None = None) -> None:
    rows = [row for entry in entries for row in entry["rows"]]
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.report`); each figure beside the baseline",
        "that bounds it, measured in the same run. Machine: " + machine() + ". A load average",
        "above the core count (see below) inflates every figure: compare the ratios, and measure",
        "the absolute targets on a quiet machine.",
        "",
        format_table(rows, markdown=True),
        "",
        "## When measured",
        "",
        "| benchmark | measured at | load average (1, 5, 15 min) at its start | note |",
        "|---|---|---|---|",
    ]
    for entry in entries:
        load = " ".join(f"{x:.2f}" for x in entry["load_average"])
        lines.append(f"| {entry['name']} | {entry['measured_at']} | {load} | {entry['note']} |")
    lines.append("")
    (path or RESULTS_MD).write_text("\n".join(lines))


def main(names: list[str]) -> int:
    entries = recorded(names)
    if not entries:
        print("no benchmark has recorded results yet (run `make bench`)")
        return 1
    rows = [row for entry in entries for row in entry["rows"]]
    print()
    print(f"benchmarks ({machine()}; load average when measured in {RESULTS_MD.name})")
    print(format_table(rows))
    write_markdown(entries)
    print(f"written to {RESULTS_MD}")
    return 0  # a missed target is a FAIL row to act on, not a broken `make bench`


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

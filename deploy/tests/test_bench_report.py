"""`make bench` prints one table of every benchmark: each benchmark records its rows through
benchmarks/report.py and the report gathers them, with the load when each was measured."""

from benchmarks import report


def test_every_recorded_benchmark_lands_in_one_table_and_results_md(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(report, "RESULTS_DIR", tmp_path / "bench")
    monkeypatch.setattr(report, "RESULTS_MD", tmp_path / "results.md")
    report.record(
        "import_contacts",
        [
            report.Row(
                "CSV import, 10,000 contacts",
                9290.0,
                "rows/s",
                target="10,000 in < 5 s",
                baseline=185000.0,
                baseline_name="COPY",
                ratio=9290 / 185000,
                ratio_label="of COPY",
                passed=True,
            )
        ],
        load=(1.5, 1.0, 0.5),
    )
    report.record("gateway", [report.Row("gateway p50", 14.0, "ms", passed=False)])
    assert report.main(["import_contacts", "gateway"]) == 0
    out = capsys.readouterr().out
    table = out[out.index("benchmarks (") :]
    assert "9,290 rows/s" in table and "185,000 rows/s (COPY)" in table
    assert "0.05 of COPY" in table and "pass" in table and "FAIL" in table
    markdown = (tmp_path / "results.md").read_text()
    assert "| CSV import, 10,000 contacts | 9,290 rows/s |" in markdown
    assert "| import_contacts |" in markdown and "1.50 1.00 0.50" in markdown

"""The run folder's charts: the scenario's language, one shared page, identical bytes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sim.outputs import charts
from tests.conftest import tiny_run

ROOT = Path(__file__).resolve().parents[1]


def test_run_charts_follow_the_scenarios_language_with_data_names(tmp_path: Path) -> None:
    result = tiny_run(**{"report.language": "zh"})
    names = charts.write_run_charts(result, tmp_path)
    expected = {f"{s}.{ext}" for s in charts.BASELINE_STEMS for ext in ("png", "svg")}
    assert set(names) == expected | {charts.PAGE_NAME}
    page = (tmp_path / charts.PAGE_NAME).read_text(encoding="utf-8")
    assert '<html lang="zh">' in page and page.count("window.vegaEmbed=") == 1
    svg = (tmp_path / "sector_mix.svg").read_text(encoding="utf-8")
    assert "分行业增加值" in svg
    assert "集成电路" in svg  # the sector's name_zh from sectors.csv, not its id
    specs = page.split("const zonesimSpecs")[1]
    assert "integrated_circuits" not in svg and "integrated_circuits" not in specs
    en = tiny_run()
    items = charts.run_charts(en.province, en.zones, en.sectors, en.boundaries_path, "en")
    assert [k for k, _, _ in items] == list(charts.BASELINE_STEMS)
    assert dict((k, t) for k, t, _ in items)["va_co2"] == "Value added and CO2 emissions"


_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import pandas as pd
    from sim.outputs import charts
    src, out, lang = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    frames = {t: pd.read_parquet(src / f"{t}.parquet") for t in ("province", "zones", "sectors")}
    items = charts.run_charts(frames["province"], frames["zones"], frames["sectors"], None, lang)
    charts.save_charts(items, out, lang=lang)
    """
)


@pytest.mark.slow
def test_run_charts_are_byte_identical_with_a_cold_and_a_warm_cache(tmp_path: Path) -> None:
    result = tiny_run()
    src = tmp_path / "frames"
    src.mkdir()
    for table in ("province", "zones", "sectors"):
        getattr(result, table).to_parquet(src / f"{table}.parquet")
    cache = tmp_path / "cache"
    outputs = []
    for i in range(2):  # the first starts with an empty cache, the second reuses it
        out = tmp_path / f"out{i}"
        env = {**os.environ, "ZONESIM_CACHE_DIR": str(cache)}
        subprocess.run(
            [sys.executable, "-c", _SCRIPT, str(src), str(out), "zh"],
            check=True,
            cwd=ROOT,
            env=env,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0].keys() == outputs[1].keys()
    assert len(outputs[0]) == 2 * len(charts.BASELINE_STEMS) + 1
    for name in outputs[0]:
        assert outputs[0][name] == outputs[1][name], f"{name} differs between runs"
    assert any((cache / "fonts").rglob("*.otf")) and any((cache / "vega").glob("*.js"))

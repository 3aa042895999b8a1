"""`data-to-text`: table records from vega_datasets, with templated references.

Synthetic: the references come from one fixed template per table, not from people.
Tables: cars.json (every complete record), and a hash-chosen subset of airports.csv and
seattle-weather.csv. Prompts show the record as compact JSON.
"""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from .pkgdata import package_file
from .splits import unit_hash
from .types import SuiteItem

PIN = "0.9.0"
ORIGIN = {"USA": "the USA"}  # cars.json "Origin" -> how a sentence names it
WEATHER = {"sun": "sunny", "fog": "foggy", "rain": "rainy", "drizzle": "drizzly", "snow": "snowy"}


@dataclass(frozen=True)
class DataToTextConfig:
    airports_fraction: float = 0.09  # of 3,376 records -> about 300
    weather_fraction: float = 0.2  # of 1,461 days -> about 300
    instruction: str = "Describe this record in one sentence:"
    salt: str = "data-to-text-v1"


def build(cfg: DataToTextConfig = DataToTextConfig()) -> list[SuiteItem]:
    rows = _cars() + _sample(_airports(), cfg.airports_fraction, cfg) \
        + _sample(_weather(), cfg.weather_fraction, cfg)
    items = [_item(table, key, record, ref, cfg) for table, key, record, ref in rows]
    return sorted(items, key=lambda it: unit_hash(it.id, cfg.salt))


def _item(table: str, key: str, record: dict, reference: str, cfg) -> SuiteItem:
    text = json.dumps(record, ensure_ascii=False)
    meta = {"table": table, "record": record}
    return SuiteItem(f"data-to-text/{table}/{key}", f"{cfg.instruction} {text}", reference, meta)


def _sample(rows: list, fraction: float, cfg: DataToTextConfig) -> list:
    return [r for r in rows if unit_hash(f"{r[0]}/{r[1]}", cfg.salt) < fraction]


def _path(name: str) -> Path:
    return package_file("vega_datasets", "vega_datasets", PIN, f"_data/{name}")


def _cars() -> list[tuple[str, str, dict, str]]:
    rows, seen = [], {}
    for r in json.loads(_path("cars.json").read_text(encoding="utf-8")):
        if any(v is None for v in r.values()):
            continue  # 14 cars lack mpg or horsepower
        r = {**r, "Year": int(r["Year"][:4])}  # "1970-01-01" -> 1970
        key = f"{r['Name']} {r['Year']}".replace(" ", "_")
        seen[key] = seen.get(key, 0) + 1  # a few models appear twice in one year
        key += f"_{seen[key]}" if seen[key] > 1 else ""
        origin = ORIGIN.get(r["Origin"], r["Origin"])
        ref = (f"The {r['Year']} {r['Name']} from {origin} has {r['Cylinders']} cylinders, "
               f"a {r['Displacement']} cubic-inch engine and {r['Horsepower']} horsepower, "
               f"weighs {r['Weight_in_lbs']} lbs, accelerates in {r['Acceleration']} s "
               f"and does {r['Miles_per_Gallon']} miles per gallon.")
        rows.append(("cars", key, r, ref))
    return rows


def _airports() -> list[tuple[str, str, dict, str]]:
    rows = []
    with _path("airports.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if not all(r.values()) or r["state"] == "NA":
                continue
            r = {**r, "latitude": round(float(r["latitude"]), 4),
                 "longitude": round(float(r["longitude"]), 4)}
            ref = (f"{r['name']} ({r['iata']}) is an airport in {r['city']}, {r['state']}, "
                   f"{r['country']}, at latitude {r['latitude']} and longitude {r['longitude']}.")
            rows.append(("airports", r["iata"], r, ref))
    return rows


def _weather() -> list[tuple[str, str, dict, str]]:
    rows = []
    with _path("seattle-weather.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            r = {"date": r["date"].replace("/", "-"), "weather": r["weather"],
                 **{k: float(r[k]) for k in ("temp_max", "temp_min", "precipitation", "wind")}}
            sky = WEATHER.get(r["weather"], r["weather"])
            ref = (f"On {r['date']} Seattle was {sky}, with a high of {r['temp_max']} °C, "
                   f"a low of {r['temp_min']} °C, {r['precipitation']} mm of precipitation "
                   f"and wind at {r['wind']} m/s.")
            rows.append(("seattle-weather", r["date"], r, ref))
    return rows

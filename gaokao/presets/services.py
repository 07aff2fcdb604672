"""Presets: a province's regions, code tables and season schedule shipped as data files.

A preset is a folder beside this module with `regions.csv`, `codes.csv` and `season.toml`.
Loading creates what is missing and leaves what exists alone, so loading twice changes
nothing and a province's later edits (a renamed code, a changed city-county code) survive.
"""

import csv
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from gaokao.codes.fees import seed_fees
from gaokao.codes.models import Code
from gaokao.professional.models import Category
from gaokao.regions.models import Region
from gaokao.seasons.models import Phase, Season, day_end, day_start

PRESETS_DIR = Path(__file__).resolve().parent


class PresetError(Exception):
    pass


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, created: bool) -> None:
        target = self.created if created else self.existing
        target[kind] = target.get(kind, 0) + 1


def available() -> list[str]:
    return sorted(p.name for p in PRESETS_DIR.iterdir() if (p / "season.toml").is_file())


@transaction.atomic
def load_preset(name: str) -> LoadReport:
    folder = PRESETS_DIR / name
    if name not in available():
        raise PresetError(f"unknown preset {name!r}; available: {', '.join(available())}")
    report = LoadReport()
    load_regions(folder / "regions.csv", report)
    load_codes(folder / "codes.csv", report)
    load_season(folder / "season.toml", report)
    return report


def load_regions(path: Path, report: LoadReport) -> None:
    by_code: dict[str, Region] = {r.code: r for r in Region.objects.all()}
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    # The file is sorted by code, so a parent always comes before its children.
    for row in rows:
        code = row["code"]
        if code in by_code:
            report.count("regions", False)
            continue
        parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
        if row["parent_code"] and parent is None:
            raise PresetError(f"region {code}: parent {row['parent_code']} is not in the file")
        region = Region(code=code, name=row["name"], level=row["level"], parent=parent)
        if region.level == Region.Level.COUNTY:
            region.registration_code = Region.default_registration_code(code)
        region.full_clean()
        region.save()
        by_code[code] = region
        report.count("regions", True)


def load_codes(path: Path, report: LoadReport) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            _, created = Code.objects.get_or_create(
                table=row["table"],
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "sort_order": int(row["sort_order"]),
                    "attrs": json.loads(row["attrs"]) if row["attrs"] else {},
                },
            )
            report.count("codes", created)


def load_season(path: Path, report: LoadReport) -> Season:
    with path.open("rb") as f:
        spec = tomllib.load(f)
    province = Region.objects.get(code=spec["province"], level=Region.Level.PROVINCE)
    season, created = Season.objects.get_or_create(
        province=province, name=spec["name"], defaults={"year": spec["year"]}
    )
    report.count("seasons", created)
    for kind, window in spec["phases"].items():
        _, created = Phase.objects.get_or_create(
            season=season,
            kind=kind,
            defaults={
                "starts_at": day_start(window["opens"]),
                "ends_at": day_end(window["closes"]),
                # Cut-offs per level (issue 19): the last instant of each day given.
                **{f"{lv}_cutoff": day_end(d) for lv, d in window.get("cutoffs", {}).items()},
            },
        )
        report.count("phases", created)
    load_categories(season, spec.get("categories", {}), report)
    load_fees(season, spec.get("fees", {}), report)
    return season


def load_fees(season: Season, fees: dict, report: LoadReport) -> None:
    """The season's registration fee per subject track in fen (S5, `[fees]`); a track that
    already has a fee keeps it."""
    added = seed_fees(season, fees)
    for created in [True] * added + [False] * (len(fees) - added):
        report.count("fees", created)


def load_categories(season: Season, specs: dict, report: LoadReport) -> None:
    """The season's professional exam categories (S6); existing ones are left alone."""
    for order, (code, category) in enumerate(specs.items(), start=1):
        _, created = Category.objects.get_or_create(
            season=season,
            code=code,
            defaults={
                "name": category["name"],
                "kind": category["kind"],
                "fee_fen": category.get("fee_fen", 0),
                "tracks": category["tracks"],
                "main_items": category.get("main_items", []),
                "secondary_items": category.get("secondary_items", []),
                "sort_order": order * 10,
            },
        )
        report.count("categories", created)


def preset_categories(name: str) -> dict:
    with (PRESETS_DIR / name / "season.toml").open("rb") as f:
        return tomllib.load(f).get("categories", {})

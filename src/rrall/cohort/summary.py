"""The cohort summary: counts by framework and group, agreement between frameworks
(each pair's cross-table, and Cohen's kappa on the tiers of the cross-walk), timing and
site distributions, and how often each field was missing. Written as summary.html
(self-contained, no external assets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from typing import Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from rrall.assessment import NOTICE

FRAMEWORKS = ("bfm", "intreall", "cog", "uk")
# The cross-walk of the first-relapse schemes (brief section 3.1, [Hunger-table]): each
# framework's groups placed on one three-tier scale so that agreement can be measured.
# IntReALL has two groups, and its standard risk spans BFM S1 and S2 (brief section 3.3),
# so a pair with IntReALL is compared on two tiers: high, and not high ("standard").
TIER = {
    "bfm": {"S1": "standard", "S2": "intermediate", "S3": "high", "S4": "high"},
    "intreall": {"standard": "standard", "high": "high"},
    "cog": {"low": "standard", "intermediate": "intermediate", "high": "high"},
    "uk": {"standard": "standard", "intermediate": "intermediate", "high": "high"},
}
TIERS = ("standard", "intermediate", "high")
TWO_TIERS = {"standard": "standard", "intermediate": "standard", "high": "high"}


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa for paired labels; None when undefined (no pairs, or chance agreement 1)."""
    return kappa_of_counts(Counter(pairs))


def kappa_of_counts(counts: Mapping[tuple[str, str], int]) -> float | None:
    """Cohen's kappa from the count of each (left label, right label) pair."""
    n = sum(counts.values())
    if n == 0:
        return None
    observed = sum(k for (a, b), k in counts.items() if a == b) / n
    left: Counter[str] = Counter()
    right: Counter[str] = Counter()
    for (a, b), k in counts.items():
        left[a] += k
        right[b] += k
    expected = sum(left[k] * right[k] for k in left) / (n * n)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Agreement:
    left: str
    right: str
    n: int
    kappa: float | None  # Cohen's kappa on `scale`
    observed: float | None  # the share of cases on the same tier of `scale`
    scale: tuple[str, ...]  # the tiers compared
    rows: list[str]  # the left framework's own groups
    columns: list[str]  # the right framework's own groups
    table: list[list[int]]  # cases by left group (rows) and right group (columns)
    single_tier: bool = False  # one of the pair put every case on one tier: kappa is 0 by construction


def agreement(frame: pl.DataFrame) -> list[Agreement]:
    """Pairwise agreement over the cases both frameworks assigned a group: the cross-table
    of their own groups, and Cohen's kappa with the observed agreement on the tiers of
    the cross-walk (two tiers when one of the pair has only two)."""
    out = []
    for left, right in combinations(FRAMEWORKS, 2):
        both = frame.select(pl.col(f"{left}_group").cast(pl.String).alias("a"),
                            pl.col(f"{right}_group").cast(pl.String).alias("b")).drop_nulls()
        native = {(a, b): n for a, b, n in both.group_by("a", "b").len().rows()}
        two = len(set(TIER[left].values())) == 2 or len(set(TIER[right].values())) == 2
        scale = ("standard", "high") if two else TIERS

        def tier(framework: str, group: str, two: bool = two) -> str | None:
            placed = TIER[framework].get(group)
            return TWO_TIERS[placed] if two and placed else placed

        tiers: Counter[tuple[str, str]] = Counter()
        for (a, b), n in native.items():
            ta, tb = tier(left, a), tier(right, b)
            if ta and tb:
                tiers[(ta, tb)] += n
        placed = sum(tiers.values())
        rows, columns = _order(left, {a for a, _ in native}), _order(right, {b for _, b in native})
        out.append(Agreement(
            left, right, placed, kappa_of_counts(tiers),
            sum(n for (a, b), n in tiers.items() if a == b) / placed if placed else None,
            scale, rows, columns, [[native.get((r, c), 0) for c in columns] for r in rows],
            placed > 0 and min(len({a for a, _ in tiers}), len({b for _, b in tiers})) == 1))
    return out


def _order(framework: str, groups: set[str]) -> list[str]:
    """A framework's groups in the order of its scheme, then any others by name."""
    known = [g for g in TIER[framework] if g in groups]
    return known + sorted(groups - set(known))


def distribution(frame: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    return ranked(frame[column].cast(pl.String).fill_null("not given"))


def ranked(values: pl.Series) -> list[tuple[str, int]]:
    """(value, count), most frequent first, ties in the order first seen."""
    counted = (values.to_frame("v").with_row_index("i").group_by("v")
               .agg(pl.len().alias("n"), pl.col("i").min()).sort(["n", "i"], descending=[True, False]))
    return [(v, n) for v, n, _ in counted.rows()]


def summarise(frame: pl.DataFrame, errors: int, knowledge_version: str,
              engine_version: str, figures: Path | None = None) -> dict[str, Any]:
    """Everything the report shows; survival only when follow-up columns are present."""
    from rrall.cohort.survival import by_group, follow_up

    ok = frame.filter(pl.col("error").is_null())
    data, problems = follow_up(frame)
    survival = [by_group(data, fw, figures) for fw in FRAMEWORKS] if data.height else []
    fields = ok["missing_fields"].filter(ok["missing_fields"].fill_null("") != "").str.split(";").explode()
    return {
        "notice": NOTICE,
        "engine_version": engine_version,
        "knowledge_version": knowledge_version,
        "assessed": ok.height,
        "errors": errors,
        "groups": {fw: distribution(ok, f"{fw}_group") for fw in FRAMEWORKS},
        "statuses": {fw: distribution(ok, f"{fw}_status") for fw in FRAMEWORKS},
        "agreement": agreement(ok),
        "distributions": {name: distribution(ok, name) for name in
                          ("disease_state", "immunophenotype", "site", "timing_bfm", "timing_cog")},
        "missing": ranked(fields),
        "survival": survival,
        "follow_up_n": data.height,
        "follow_up_os_only": int(data["code"].is_null().sum()) if data.height else 0,
        "follow_up_none": ok.height - data.height - len(problems),
        "follow_up_problems": problems,
    }


def write_html(summary: dict[str, Any], path: Path) -> None:
    env = Environment(loader=PackageLoader("rrall.cohort", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["kappa"] = lambda k: "not defined" if k is None else f"{Decimal(k):.2f}"
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f}"
    path.write_text(env.get_template("summary.html.j2").render(**summary), encoding="utf-8")

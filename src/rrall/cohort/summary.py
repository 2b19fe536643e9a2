"""The cohort summary: counts by framework and group, agreement between frameworks
(Cohen's kappa on a shared three-tier scale), timing and site distributions, and how often
each field was missing. Written as summary.html (self-contained, no external assets).
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
TIER = {
    "bfm": {"S1": "standard", "S2": "intermediate", "S3": "high", "S4": "high"},
    "intreall": {"standard": "standard", "high": "high"},
    "cog": {"low": "standard", "intermediate": "intermediate", "high": "high"},
    "uk": {"standard": "standard", "intermediate": "intermediate", "high": "high"},
}
TIERS = ("standard", "intermediate", "high")


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
    kappa: float | None
    table: list[list[int]]  # rows: left tiers, columns: right tiers


def agreement(frame: pl.DataFrame) -> list[Agreement]:
    """Pairwise agreement over cases both frameworks assigned."""
    out = []
    for left, right in combinations(FRAMEWORKS, 2):
        both = frame.select(_tier(left).alias("a"), _tier(right).alias("b")).drop_nulls()
        counts = {(a, b): n for a, b, n in both.group_by("a", "b").len().rows()}
        table = [[counts.get((r, c), 0) for c in TIERS] for r in TIERS]
        out.append(Agreement(left, right, both.height, kappa_of_counts(counts), table))
    return out


def _tier(framework: str) -> pl.Expr:
    column = pl.col(f"{framework}_group").cast(pl.String)
    return column.replace_strict(TIER[framework], default=None, return_dtype=pl.String)


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
        "tiers": TIERS,
        "distributions": {name: distribution(ok, name) for name in
                          ("disease_state", "immunophenotype", "site", "timing_bfm", "timing_cog")},
        "missing": ranked(fields),
        "survival": survival,
        "follow_up_n": data.height,
        "follow_up_problems": problems,
    }


def write_html(summary: dict[str, Any], path: Path) -> None:
    env = Environment(loader=PackageLoader("rrall.cohort", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["kappa"] = lambda k: "not defined" if k is None else f"{Decimal(k):.2f}"
    env.filters["pct"] = lambda v: "-" if v is None else f"{100 * v:.1f}"
    path.write_text(env.get_template("summary.html.j2").render(**summary), encoding="utf-8")

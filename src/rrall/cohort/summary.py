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
from typing import TYPE_CHECKING, Any

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape

from rrall.assessment import NOTICE
from rrall.knowledge.load import KnowledgeBase
from rrall.knowledge.model import Framework

if TYPE_CHECKING:
    from rrall.cohort.survival_workers import SurvivalWorkers

TIERS = ("standard", "intermediate", "high")
# A pair in which one framework has no intermediate tier is compared on high / not high.
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


def agreement(frame: pl.DataFrame, frameworks: Mapping[str, Framework]) -> list[Agreement]:
    """Pairwise agreement over the cases both frameworks assigned a group: the cross-table
    of their own groups, and Cohen's kappa with the observed agreement on the tiers of
    each framework's cross-walk (knowledge/frameworks/*.yaml; high / not high when one of
    the pair has no intermediate tier)."""
    out = []
    for left, right in combinations(frameworks, 2):
        both = frame.select(pl.col(f"{left}_group").cast(pl.String).alias("a"),
                            pl.col(f"{right}_group").cast(pl.String).alias("b")).drop_nulls()
        native = {(a, b): n for a, b, n in both.group_by("a", "b").len().rows()}
        walks = frameworks[left].crosswalk.tiers, frameworks[right].crosswalk.tiers
        two = any("intermediate" not in walk.values() for walk in walks)
        scale = ("standard", "high") if two else TIERS
        placing = [{g: TWO_TIERS[t] if two else t for g, t in walk.items()} for walk in walks]
        tiers: Counter[tuple[str, str]] = Counter()
        for (a, b), n in native.items():
            ta, tb = placing[0].get(a), placing[1].get(b)
            if ta and tb:
                tiers[(ta, tb)] += n
        placed = sum(tiers.values())
        rows = _order(frameworks[left], {a for a, _ in native})
        columns = _order(frameworks[right], {b for _, b in native})
        out.append(Agreement(
            left, right, placed, kappa_of_counts(tiers),
            sum(n for (a, b), n in tiers.items() if a == b) / placed if placed else None,
            scale, rows, columns, [[native.get((r, c), 0) for c in columns] for r in rows],
            placed > 0 and min(len({a for a, _ in tiers}), len({b for _, b in tiers})) == 1))
    return out


def _order(framework: Framework, groups: set[str]) -> list[str]:
    """A framework's groups in the order of its scheme, then any others by name."""
    known = [g for g in framework.groups if g in groups]
    return known + sorted(groups - set(known))


def distribution(frame: pl.DataFrame, column: str) -> list[tuple[str, int]]:
    return ranked(frame[column].cast(pl.String).fill_null("not given"))


def ranked(values: pl.Series) -> list[tuple[str, int]]:
    """(value, count), most frequent first, ties in the order first seen."""
    counted = (values.to_frame("v").with_row_index("i").group_by("v")
               .agg(pl.len().alias("n"), pl.col("i").min()).sort(["n", "i"], descending=[True, False]))
    return [(v, n) for v, n, _ in counted.rows()]


def crosswalk(kb: KnowledgeBase) -> dict[str, Any]:
    """What the report says of the cross-walk it compares on: each tier's groups, the
    sources, and the placements flagged uncertain."""
    fws = kb.frameworks.values()
    cited = dict.fromkeys(c for fw in fws for c in fw.crosswalk.citations)
    return {
        "tiers": {t: [f"{fw.short_name} {g}" for fw in fws for g, placed in fw.crosswalk.tiers.items()
                      if placed == t] for t in TIERS},
        "references": [kb.references[c].citation for c in cited],
        "cautions": [f"{fw.short_name}: {fw.crosswalk.note}" for fw in fws
                     if fw.crosswalk.uncertain and fw.crosswalk.note],
    }


def summarise(frame: pl.DataFrame, errors: int, kb: KnowledgeBase,
              engine_version: str, figures: Path | None = None, synthetic: bool = False,
              workers: SurvivalWorkers | None = None) -> dict[str, Any]:
    """Everything the report shows; survival only when follow-up columns are present.
    `synthetic`: the cohort is SYNTHETIC (rrall synth's sidecar, or every id SYNTHETIC-...),
    which the report says at the top. `workers`: processes that fit and draw each framework's
    curves in parallel (else here, one after the other)."""
    from rrall.cohort.survival import by_group, follow_up
    from rrall.report.words import field_words

    ok = frame.filter(pl.col("error").is_null())
    data, problems = follow_up(frame)
    jobs = [(fw, kb.frameworks[fw].short_name) for fw in kb.frameworks] if data.height else []
    survival = workers.by_group(data, jobs, figures) if workers is not None and jobs else [
        by_group(data, fw, figures, label) for fw, label in jobs]
    synthetic = synthetic or (frame.height > 0 and bool(
        frame["case_id"].cast(pl.String).fill_null("").str.starts_with("SYNTHETIC-").all()))
    words = kb.glossary
    fields = ok["missing_fields"].filter(ok["missing_fields"].fill_null("") != "").str.split(";").explode()
    return {
        "notice": NOTICE,
        "engine_version": engine_version,
        "knowledge_version": kb.version,
        "assessed": ok.height,
        "errors": errors,
        "groups": {fw: distribution(ok, f"{fw}_group") for fw in kb.frameworks},
        "statuses": {fw: [(words.value("framework_status", v) if v != "not given" else v, n)
                          for v, n in distribution(ok, f"{fw}_status")] for fw in kb.frameworks},
        "agreement": agreement(ok, kb.frameworks),
        "crosswalk": crosswalk(kb),
        "distributions": {title: [(words.value(vocabulary, v) if v != "not given" else v, n)
                                   for v, n in distribution(ok, column)]
                          for title, column, vocabulary in DISTRIBUTIONS},
        "missing": [(field_words(name, words), n) for name, n in ranked(fields)],
        "names": {fid: fw.short_name for fid, fw in kb.frameworks.items()},
        "full_names": {fid: fw.name for fid, fw in kb.frameworks.items()},
        "synthetic": synthetic,
        "survival": survival,
        "follow_up_n": data.height,
        "follow_up_os_only": int(data["code"].is_null().sum()) if data.height else 0,
        "follow_up_none": ok.height - data.height - len(problems),
        "follow_up_problems": problems,
    }


DISTRIBUTIONS = (  # (heading, column, glossary vocabulary)
    ("Disease state", "disease_state", "disease_state"), ("Lineage", "immunophenotype", "immunophenotype"),
    ("Site", "site", "site_category"), ("Timing (BFM, IntReALL, UK)", "timing_bfm", "timing"),
    ("Timing (COG)", "timing_cog", "timing"))


def estimate(e: Any) -> str:
    """A percentage with its 95 % interval: '45.2 (38.1–52.0)'; '–' when not estimated,
    and no empty interval when the band is not defined."""
    if e.value is None:
        return "–"
    text = f"{100 * e.value:.1f}"
    if e.low is None or e.high is None:
        return text
    return f"{text} ({100 * e.low:.1f}–{100 * e.high:.1f})"


def write_html(summary: dict[str, Any], path: Path) -> None:
    env = Environment(loader=PackageLoader("rrall.cohort", "templates"), autoescape=select_autoescape(),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["kappa"] = lambda k: "not defined" if k is None else f"{Decimal(k):.2f}"
    env.filters["pct"] = lambda v: "–" if v is None else f"{100 * v:.1f}"
    env.filters["estimate"] = estimate
    path.write_text(env.get_template("summary.html.j2").render(**summary), encoding="utf-8")

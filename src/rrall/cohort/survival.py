"""Survival after relapse by risk group: Kaplan-Meier overall survival and event-free
survival with numbers at risk, and the cumulative incidence of a second relapse with death
as a competing risk (Aalen-Johansen), using lifelines. Figures are written as SVG and PNG.

Follow-up conventions (docs/cohort.md): time is counted from the relapse date; for a child
who died, `last_follow_up_date` is the date of death; `event_date`/`event_type` give the
first event after the relapse (`second_relapse` or `death`), else the child is censored at
the last follow-up.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

DAYS_PER_MONTH = 30.4375
YEARS = (1, 3, 5)


@dataclass(frozen=True)
class Estimate:
    years: int
    value: float | None
    low: float | None
    high: float | None


@dataclass
class GroupCurve:
    group: str
    n: int
    os: list[Estimate]
    efs: list[Estimate]
    cir: list[Estimate]
    at_risk: list[int]  # at 0, 1, 2, 3, 4, 5 years


@dataclass
class Survival:
    framework: str
    groups: list[GroupCurve] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


class _Bad(ValueError):
    pass


def _date(value: Any, name: str) -> date | None:
    """A date cell: empty is None; a date-time keeps its date; anything else is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) > 10 and text[10] in " T":
        text = text[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _Bad(f"{name} {value!r} is not a date (YYYY-MM-DD)") from None


VITAL = {"alive", "dead"}
EVENTS = {"second_relapse", "death", "none"}


def follow_up(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One row per assessed child with usable follow-up: months to OS/EFS event or censoring,
    and the competing-risk code (1 second relapse, 2 death first, 0 censored). Rows whose
    dates contradict each other are left out and counted in the problems.

    Rows written plainly (YYYY-MM-DD dates, the listed words) are worked out column by
    column; the others row by row with the same rules, which also word their problems."""
    if "last_follow_up_date" not in frame.columns:
        return pl.DataFrame(), []
    start_column = "first_relapse_date" if "first_relapse_date" in frame.columns else "relapse_date"
    assessed = frame.filter(pl.col("error").is_null()).with_row_index("_i")
    plain = assessed.with_columns(
        _start=_plain_date(assessed, start_column), _last=_plain_date(assessed, "last_follow_up_date"),
        _when=_plain_date(assessed, "event_date"), _vital=_word(assessed, "vital_status"),
        _kind=_word(assessed, "event_type").fill_null("none"))
    clean = (pl.col("_start").is_not_null() | _blank(assessed, start_column)) & (
        pl.col("_last").is_not_null() | _blank(assessed, "last_follow_up_date")) & (
        pl.col("_when").is_not_null() | _blank(assessed, "event_date")) & (
        pl.col("_vital").is_in(sorted(VITAL)) | pl.col("_start").is_null() | pl.col("_last").is_null()) & (
        pl.col("_kind").is_in(sorted(EVENTS)) | pl.col("_start").is_null() | pl.col("_last").is_null())
    plain = plain.filter(clean.fill_null(False))
    rows, problems = _by_columns(plain.filter(pl.col("_start").is_not_null() & pl.col("_last").is_not_null()))
    others = assessed.join(plain.select("_i"), on="_i", how="anti")
    more_rows, more_problems = _by_row(others, start_column)
    parts = [p for p in (rows, more_rows) if p.height]
    data = pl.concat(parts, how="vertical_relaxed").sort("_i").drop("_i") if parts else pl.DataFrame()
    return data, [text for _, text in sorted(problems + more_problems)]


def _blank(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(True)
    return pl.col(name).is_null() | (pl.col(name).cast(pl.String).str.strip_chars(" ") == "")


def _plain_date(frame: pl.DataFrame, name: str) -> pl.Expr:
    """A Date column, or text that is exactly YYYY-MM-DD (possibly with spaces around)."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Date)
    if frame.schema[name] == pl.Date:
        return pl.col(name)
    text = pl.col(name).cast(pl.String).str.strip_chars(" ")
    parsed = text.str.to_date("%Y-%m-%d", strict=False)
    return pl.when(text.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$") & (parsed.dt.year() >= 1)).then(parsed)


def _word(frame: pl.DataFrame, name: str) -> pl.Expr:
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.String)
    text = pl.col(name).cast(pl.String).str.strip_chars(" ").str.to_lowercase()
    return pl.when(text != "").then(text)


def _by_columns(plain: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    dead = pl.col("_vital") == "dead"
    event = pl.col("_kind").is_in(["second_relapse", "death"])
    alive_but_died = (pl.col("_kind") == "death") & ~dead
    wrong = (pl.when(alive_but_died).then(pl.lit("event_type death but vital_status alive"))
             .when(pl.col("_last") < pl.col("_start")).then(pl.lit("last follow-up before the relapse"))
             .when(event & (pl.col("_when").is_null() | (pl.col("_when") < pl.col("_start"))
                            | (pl.col("_when") > pl.col("_last"))))
             .then(pl.lit("event_date missing or outside relapse..last follow-up")))
    marked = plain.with_columns(_wrong=wrong)
    problems = marked.filter(pl.col("_wrong").is_not_null()).select(
        "_i", pl.format("{}: {}", pl.col("case_id").cast(pl.String).fill_null("None"), "_wrong"))
    good = marked.filter(pl.col("_wrong").is_null())
    os_days = (pl.col("_last") - pl.col("_start")).dt.total_days()
    timed = event & pl.col("_when").is_not_null()
    data = good.select(
        "_i", "case_id", os_days.alias("os_months"), dead.alias("os_event"),
        pl.when(timed).then((pl.col("_when") - pl.col("_start")).dt.total_days())
        .otherwise(os_days).alias("efs_months"),
        pl.when(timed).then(True).otherwise(dead).alias("efs_event"),
        pl.when(timed & (pl.col("_kind") == "second_relapse")).then(1).when(timed | dead).then(2).otherwise(0)
        .cast(pl.Int64).alias("code"),
        *[(pl.col(f"{fw}_group") if f"{fw}_group" in good.columns else pl.lit(None, dtype=pl.String))
          .alias(f"{fw}_group") for fw in ("bfm", "intreall", "cog", "uk")])
    # Days to months by numpy's division, which rounds exactly as Python's (polars may
    # multiply by the reciprocal instead, a last-bit difference).
    data = data.with_columns(pl.Series(c, data[c].cast(pl.Float64).to_numpy() / DAYS_PER_MONTH)
                             for c in ("os_months", "efs_months"))
    return data, [(i, text) for i, text in problems.rows()]


def _by_row(frame: pl.DataFrame, start_column: str) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    rows: list[dict[str, Any]] = []
    problems: list[tuple[int, str]] = []
    for r in frame.iter_rows(named=True):
        try:
            start = _date(r.get(start_column), "relapse date")
            last = _date(r.get("last_follow_up_date"), "last_follow_up_date")
            when = _date(r.get("event_date"), "event_date")
        except _Bad as exc:
            problems.append((r["_i"], f"{r['case_id']}: {exc}"))
            continue
        if start is None or last is None:
            continue
        vital = str(r.get("vital_status") or "").strip().lower()
        kind = str(r.get("event_type") or "").strip().lower() or "none"
        if vital not in VITAL or kind not in EVENTS:
            problems.append((r["_i"], f"{r['case_id']}: vital_status {r.get('vital_status')!r} / event_type "
                             f"{r.get('event_type')!r} not in alive|dead / second_relapse|death|none"))
            continue
        dead = vital == "dead"
        if kind == "death" and not dead:
            problems.append((r["_i"], f"{r['case_id']}: event_type death but vital_status alive"))
            continue
        if last < start:
            problems.append((r["_i"], f"{r['case_id']}: last follow-up before the relapse"))
            continue
        if kind in ("second_relapse", "death") and (when is None or when < start or when > last):
            outside = "event_date missing or outside relapse..last follow-up"
            problems.append((r["_i"], f"{r['case_id']}: {outside}"))
            continue
        os_months = (last - start).days / DAYS_PER_MONTH
        if kind in ("second_relapse", "death") and when is not None:
            efs_months, efs_event = (when - start).days / DAYS_PER_MONTH, True
            code = 1 if kind == "second_relapse" else 2
        else:
            efs_months, efs_event, code = os_months, dead, 2 if dead else 0
        row = {"_i": r["_i"], "case_id": r["case_id"], "os_months": os_months, "os_event": dead,
               "efs_months": efs_months, "efs_event": efs_event, "code": code}
        row.update({f"{fw}_group": r.get(f"{fw}_group") for fw in ("bfm", "intreall", "cog", "uk")})
        rows.append(row)
    return pl.from_dicts(rows) if rows else pl.DataFrame(), problems


def _at(fitter: Any, column: str, months: float) -> tuple[float | None, float | None, float | None]:
    """The curve and its 95 % band at a time, or None past the last observation."""
    timeline = fitter.timeline
    if len(timeline) == 0 or months > timeline[-1]:
        return None, None, None
    value = float(fitter.predict(months)) if column == "km" else float(
        fitter.cumulative_density_.loc[:months].iloc[-1, 0])
    band = fitter.confidence_interval_.loc[:months].iloc[-1]
    low, high = float(band.iloc[0]), float(band.iloc[1])
    return value, (None if math.isnan(low) else low), (None if math.isnan(high) else high)


def by_group(data: pl.DataFrame, framework: str, figures: Path | None) -> Survival:
    from lifelines import AalenJohansenFitter, KaplanMeierFitter

    result = Survival(framework)
    column = f"{framework}_group"
    groups = sorted(g for g in data[column].unique().to_list() if g is not None)
    fits = []
    for group in groups:
        part = data.filter(pl.col(column) == group)
        # Children with the same time and outcome are fitted as one weighted row (lifelines
        # treats an integer weight as that many children), so a million rows cost as much
        # as their distinct follow-up times.
        os_rows = part.group_by("os_months", "os_event").len().sort("os_months", "os_event")
        efs_rows = part.group_by("efs_months", "efs_event").len().sort("efs_months", "efs_event")
        cir_rows = part.group_by("efs_months", "code").len().sort("efs_months", "code")
        os_fit = KaplanMeierFitter(label=f"{framework} {group}").fit(
            os_rows["os_months"].to_list(), os_rows["os_event"].to_list(), weights=os_rows["len"].to_list())
        efs_fit = KaplanMeierFitter(label=f"{framework} {group}").fit(
            efs_rows["efs_months"].to_list(), efs_rows["efs_event"].to_list(),
            weights=efs_rows["len"].to_list())
        with warnings.catch_warnings():
            # Tied event times are jittered by 1e-6 months with a fixed seed (documented);
            # lifelines says so in a warning on every tie.
            warnings.filterwarnings("ignore", message=".*[Tt]ied event times.*")
            warnings.filterwarnings("ignore", message=".*randomly jittered.*")
            cir_fit = AalenJohansenFitter(calculate_variance=True, jitter_level=1e-6, seed=0).fit(
                cir_rows["efs_months"].to_list(), cir_rows["code"].to_list(), event_of_interest=1,
                label=f"{framework} {group}", weights=cir_rows["len"].to_list())
        at_risk = [int((part["os_months"] >= 12 * y).sum()) for y in range(6)]
        result.groups.append(GroupCurve(
            group=group, n=part.height,
            os=[Estimate(y, *_at(os_fit, "km", 12 * y)) for y in YEARS],
            efs=[Estimate(y, *_at(efs_fit, "km", 12 * y)) for y in YEARS],
            cir=[Estimate(y, *_at(cir_fit, "cif", 12 * y)) for y in YEARS],
            at_risk=at_risk))
        fits.append((os_fit, cir_fit))
    if figures is not None and fits:
        result.figures = _plot(framework, fits, figures)
    return result


def _plot(framework: str, fits: list[tuple[Any, Any]], folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from lifelines.plotting import add_at_risk_counts

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for os_fit, _ in fits:
        os_fit.plot_survival_function(ax=ax, ci_show=True)
    ax.set_xlabel("months after relapse")
    ax.set_ylabel("overall survival")
    ax.set_title(f"Overall survival after relapse by {framework} group")
    add_at_risk_counts(*[f for f, _ in fits], ax=ax, rows_to_show=["At risk"])
    fig.tight_layout()
    for suffix in ("svg", "png"):
        name = f"os_by_{framework}.{suffix}"
        fig.savefig(folder / name)
        written.append(name)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 5))
    for _, cir_fit in fits:
        cir_fit.plot_cumulative_density(ax=ax)
    ax.set_xlabel("months after relapse")
    ax.set_ylabel("cumulative incidence of second relapse")
    ax.set_title(f"Second relapse (death as competing risk) by {framework} group")
    fig.tight_layout()
    for suffix in ("svg", "png"):
        name = f"cir_by_{framework}.{suffix}"
        fig.savefig(folder / name)
        written.append(name)
    plt.close(fig)
    return written

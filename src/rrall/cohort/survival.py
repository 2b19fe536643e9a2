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
import re
import warnings
from dataclasses import dataclass, field
from datetime import date, datetime
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
    n_events_known: int  # children with an event_type, the ones EFS and CIR are fitted on
    os: list[Estimate]
    efs: list[Estimate]
    cir: list[Estimate]
    at_risk: list[int]  # at 0, 1, 2, 3, 4, 5 years


@dataclass
class Survival:
    framework: str
    label: str = ""  # the framework's name for a reader (BFM, IntReALL...)
    groups: list[GroupCurve] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)


class _Bad(ValueError):
    pass


def _date(value: Any, name: str) -> date | None:
    """A date cell: empty is None; a date, or text written exactly YYYY-MM-DD (spaces
    around allowed), is its date; anything else, a time of day included, is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    text = str(value).strip()
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _Bad(f"{name} {value!r} is not a date (YYYY-MM-DD)")


VITAL = {"alive", "dead"}
EVENTS = {"second_relapse", "death", "none"}


def follow_up(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[str]]:
    """One row per assessed child with usable follow-up: months to the OS event or
    censoring and, when event_type is given, to the EFS event or censoring with the
    competing-risk code (1 second relapse, 2 death first, 0 censored); without event_type
    these are null, since whether a second relapse came is not known. Rows whose dates
    contradict each other are left out and listed in the problems.

    Rows written plainly (YYYY-MM-DD dates, the listed words) are worked out column by
    column; the others row by row with the same rules, which also word their problems."""
    if "last_follow_up_date" not in frame.columns:
        return pl.DataFrame(), []
    start_column = "first_relapse_date" if "first_relapse_date" in frame.columns else "relapse_date"
    assessed = frame.filter(pl.col("error").is_null()).with_row_index("_i")
    plain = assessed.with_columns(
        _start=_plain_date(assessed, start_column), _last=_plain_date(assessed, "last_follow_up_date"),
        _when=_plain_date(assessed, "event_date"), _vital=_word(assessed, "vital_status"),
        _kind=_word(assessed, "event_type"))
    clean = (pl.col("_start").is_not_null() | _blank(assessed, start_column)) & (
        pl.col("_last").is_not_null() | _blank(assessed, "last_follow_up_date")) & (
        pl.col("_when").is_not_null() | _blank(assessed, "event_date")) & (
        pl.col("_vital").is_in(sorted(VITAL)) | pl.col("_start").is_null() | pl.col("_last").is_null()) & (
        pl.col("_kind").is_in(sorted(EVENTS)) | pl.col("_kind").is_null() | pl.col("_start").is_null()
        | pl.col("_last").is_null())
    plain = plain.filter(clean.fill_null(False))
    rows, problems = _by_columns(plain.filter(pl.col("_start").is_not_null() & pl.col("_last").is_not_null()))
    others = assessed.join(plain.select("_i"), on="_i", how="anti")
    more_rows, more_problems = _by_row(others, start_column)
    parts = [p for p in (rows, more_rows) if p.height]
    data = pl.concat(parts, how="vertical_relaxed").sort("_i").drop("_i") if parts else pl.DataFrame()
    return data, [text for _, text in sorted(problems + more_problems)]


def group_columns(frame: pl.DataFrame) -> list[str]:
    """Each framework's group column of the results table, in its order (one per framework
    of the knowledge base: never a list written here)."""
    return [c for c in frame.columns if c.endswith("_group") and not c.startswith("_")]


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


# Problems that leave a row out of the survival analysis, in the order they are checked.
DEATH_NOT_DEAD = "event_type death but vital_status alive"
BEFORE_RELAPSE = "last follow-up before the relapse"
OUTSIDE = "event_date missing or outside relapse..last follow-up"
DEATH_NOT_LAST = ("event_date of the death is not last_follow_up_date (for a child who died, "
                  "last_follow_up_date is the date of death)")
NONE_WITH_DATE = "event_type none but an event_date is given"
NONE_BUT_DEAD = "vital_status dead but event_type none (a death is an event: death, or second_relapse first)"
DATE_WITHOUT_TYPE = "event_date given without event_type (second_relapse or death)"


def _by_columns(plain: pl.DataFrame) -> tuple[pl.DataFrame, list[tuple[int, str]]]:
    dead = pl.col("_vital") == "dead"
    kind = pl.col("_kind")
    event = kind.is_in(["second_relapse", "death"])
    wrong = (pl.when((kind == "death") & ~dead).then(pl.lit(DEATH_NOT_DEAD))
             .when(pl.col("_last") < pl.col("_start")).then(pl.lit(BEFORE_RELAPSE))
             .when(event & (pl.col("_when").is_null() | (pl.col("_when") < pl.col("_start"))
                            | (pl.col("_when") > pl.col("_last"))))
             .then(pl.lit(OUTSIDE))
             .when((kind == "death") & (pl.col("_when") != pl.col("_last"))).then(pl.lit(DEATH_NOT_LAST))
             .when((kind == "none") & pl.col("_when").is_not_null()).then(pl.lit(NONE_WITH_DATE))
             .when((kind == "none") & dead).then(pl.lit(NONE_BUT_DEAD))
             .when(kind.is_null() & pl.col("_when").is_not_null()).then(pl.lit(DATE_WITHOUT_TYPE)))
    marked = plain.with_columns(_wrong=wrong)
    problems = marked.filter(pl.col("_wrong").is_not_null()).select(
        "_i", pl.format("{}: {}", pl.col("case_id").cast(pl.String).fill_null("None"), "_wrong"))
    good = marked.filter(pl.col("_wrong").is_null())
    known = kind.is_not_null()
    os_days = (pl.col("_last") - pl.col("_start")).dt.total_days()
    data = good.select(
        "_i", "case_id", os_days.alias("os_months"), dead.alias("os_event"),
        pl.when(known).then(pl.when(event).then((pl.col("_when") - pl.col("_start")).dt.total_days())
                            .otherwise(os_days)).alias("efs_months"),
        pl.when(known).then(event).alias("efs_event"),
        pl.when(known).then(pl.when(kind == "second_relapse").then(1).when(event).then(2).otherwise(0))
        .cast(pl.Int64).alias("code"),
        *[pl.col(column) for column in group_columns(good)])
    # Days to months by numpy's division, which rounds exactly as Python's (polars may
    # multiply by the reciprocal instead, a last-bit difference); numpy's NaN is polars' null.
    data = data.with_columns(pl.Series(c, data[c].cast(pl.Float64).to_numpy() / DAYS_PER_MONTH).fill_nan(None)
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
        kind = str(r.get("event_type") or "").strip().lower() or None
        if vital not in VITAL or (kind is not None and kind not in EVENTS):
            problems.append((r["_i"], f"{r['case_id']}: vital_status {r.get('vital_status')!r} / event_type "
                             f"{r.get('event_type')!r} not in alive|dead / second_relapse|death|none"))
            continue
        dead = vital == "dead"
        event = kind in ("second_relapse", "death")
        wrong = _contradiction(kind, dead, start, last, when)
        if wrong:
            problems.append((r["_i"], f"{r['case_id']}: {wrong}"))
            continue
        os_months = (last - start).days / DAYS_PER_MONTH
        efs_months: float | None = None
        efs_event: bool | None = None
        code: int | None = None
        if kind is not None:  # without event_type, EFS and CIR are unknown (OS is not)
            efs_months = (when - start).days / DAYS_PER_MONTH if event and when else os_months
            efs_event, code = event, 1 if kind == "second_relapse" else 2 if event else 0
        row = {"_i": r["_i"], "case_id": r["case_id"], "os_months": os_months, "os_event": dead,
               "efs_months": efs_months, "efs_event": efs_event, "code": code}
        row.update({column: r.get(column) for column in group_columns(frame)})
        rows.append(row)
    schema = {"_i": pl.UInt32, "case_id": pl.String, "os_months": pl.Float64, "os_event": pl.Boolean,
              "efs_months": pl.Float64, "efs_event": pl.Boolean, "code": pl.Int64,
              **dict.fromkeys(group_columns(frame), pl.String)}
    return pl.from_dicts(rows, schema=schema) if rows else pl.DataFrame(), problems


def _contradiction(kind: str | None, dead: bool, start: date, last: date, when: date | None) -> str | None:
    """The first contradiction among a row's follow-up values, in the order _by_columns checks them."""
    if kind == "death" and not dead:
        return DEATH_NOT_DEAD
    if last < start:
        return BEFORE_RELAPSE
    if kind in ("second_relapse", "death") and (when is None or when < start or when > last):
        return OUTSIDE
    if kind == "death" and when != last:
        return DEATH_NOT_LAST
    if kind == "none" and when is not None:
        return NONE_WITH_DATE
    if kind == "none" and dead:
        return NONE_BUT_DEAD
    if kind is None and when is not None:
        return DATE_WITHOUT_TYPE
    return None


def _at(fitter: Any, column: str, months: float) -> tuple[float | None, float | None, float | None]:
    """The curve and its 95 % band at a time, or None past the last observation (or
    without a fit)."""
    if fitter is None:
        return None, None, None
    timeline = fitter.timeline
    if len(timeline) == 0 or months > timeline[-1]:
        return None, None, None
    value = float(fitter.predict(months)) if column == "km" else float(
        fitter.cumulative_density_.loc[:months].iloc[-1, 0])
    band = fitter.confidence_interval_.loc[:months].iloc[-1]
    low, high = float(band.iloc[0]), float(band.iloc[1])
    return value, (None if math.isnan(low) else low), (None if math.isnan(high) else high)


def by_group(data: pl.DataFrame, framework: str, figures: Path | None, label: str = "") -> Survival:
    """Survival by the groups of one framework (`label`: its name as a reader knows it)."""
    from lifelines import KaplanMeierFitter

    from rrall.cohort.cif import CumulativeIncidence

    result = Survival(framework, label=label or framework)
    label = result.label
    column = f"{framework}_group"
    if column not in data.columns:  # the table has no group column for this framework: no estimate
        return result
    groups = sorted(g for g in data[column].unique().to_list() if g is not None)
    fits = []
    for group in groups:
        part = data.filter(pl.col(column) == group)
        # Children with the same time and outcome are fitted as one weighted row (lifelines
        # treats an integer weight as that many children), so a million rows cost as much
        # as their distinct follow-up times.
        os_rows = part.group_by("os_months", "os_event").len().sort("os_months", "os_event")
        known = part.filter(pl.col("code").is_not_null())  # EFS and CIR need the event_type
        efs_rows = known.group_by("efs_months", "efs_event").len().sort("efs_months", "efs_event")
        cir_rows = known.group_by("efs_months", "code").len().sort("efs_months", "code")
        os_fit = KaplanMeierFitter(label=f"{label} {group}").fit(
            os_rows["os_months"].to_list(), os_rows["os_event"].to_list(), weights=os_rows["len"].to_list())
        efs_fit = cir_fit = None  # None when nobody in the group has an event_type: unknown
        if known.height:
            efs_fit = KaplanMeierFitter(label=f"{label} {group}").fit(
                efs_rows["efs_months"].to_list(), efs_rows["efs_event"].to_list(),
                weights=efs_rows["len"].to_list())
            with warnings.catch_warnings():
                # Tied event times are jittered by 1e-6 months with a fixed seed (documented);
                # lifelines says so in a warning on every tie.
                warnings.filterwarnings("ignore", message=".*[Tt]ied event times.*")
                warnings.filterwarnings("ignore", message=".*randomly jittered.*")
                cir_fit = CumulativeIncidence(calculate_variance=True, jitter_level=1e-6, seed=0).fit(
                    cir_rows["efs_months"].to_list(), cir_rows["code"].to_list(), event_of_interest=1,
                    label=f"{label} {group}", weights=cir_rows["len"].to_list())
        result.groups.append(GroupCurve(
            group=group, n=part.height, n_events_known=known.height,
            os=[Estimate(y, *_at(os_fit, "km", 12 * y)) for y in YEARS],
            efs=[Estimate(y, *_at(efs_fit, "km", 12 * y)) for y in YEARS],
            cir=[Estimate(y, *_at(cir_fit, "cif", 12 * y)) for y in YEARS],
            at_risk=[number_at_risk(part["os_months"], 12 * y) for y in range(6)]))
        fits.append((f"{label} {group}", part["os_months"], os_fit, cir_fit))
    if figures is not None and fits:
        result.figures = _plot(framework, label, fits, figures)
    return result


def number_at_risk(months: pl.Series, at: float) -> int:
    """Children still followed at a time: their follow-up time is at least that long (so a
    child who dies or is censored exactly then still counts, as usual for these tables)."""
    return int((months >= at).sum())


def _plot(framework: str, label: str, fits: list[tuple[str, pl.Series, Any, Any | None]],
          folder: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.transforms import blended_transform_factory

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    longest = max(float(months.max() or 0) for _, months, _, _ in fits)  # type: ignore[arg-type]
    ticks = [12 * y for y in range(int(longest // 12) + 1)]
    rows = len(fits)
    line = 0.25  # inches per line of the numbers at risk, at a readable 10 pt
    height = 4.8 + line * (rows + 1)  # inches: the plot, then one line per group at risk
    bottom, top = (0.85 + line * (rows + 1)) / height, 1 - 0.45 / height
    fig, ax = plt.subplots(figsize=(8, height))
    fig.subplots_adjust(left=0.22, right=0.97, bottom=bottom, top=top)
    for _, _, os_fit, _ in fits:
        os_fit.plot_survival_function(ax=ax, ci_show=True)
    ax.set_xticks(ticks)
    ax.set_xlabel("months after relapse", fontsize=10)
    ax.set_ylabel("overall survival", fontsize=10)
    ax.set_title(f"Overall survival after relapse by {label} group", fontsize=12)
    # The numbers at risk under the axis, at the ticks, counted as in the report's table.
    below = blended_transform_factory(ax.transData, ax.transAxes)
    axis_inches = height * (top - bottom)
    ax.text(-0.02, -0.75 / axis_inches, "Number at risk", transform=ax.transAxes, ha="right", fontsize=10,
            fontweight="bold")
    for row, (name, months, _, _) in enumerate(fits, start=1):
        y = -(0.75 + line * row) / axis_inches
        ax.text(-0.02, y, name, transform=ax.transAxes, ha="right", fontsize=10)
        for tick in ticks:
            ax.text(tick, y, str(number_at_risk(months, tick)), transform=below, ha="center", fontsize=10)
    for suffix in ("svg", "png"):
        name = f"os_by_{framework}.{suffix}"
        fig.savefig(folder / name)
        written.append(name)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(8, 5))
    for _, _, _, cir_fit in fits:
        if cir_fit is not None:  # None: no child of the group has an event_type
            cir_fit.plot_cumulative_density(ax=ax)
    ax.set_xticks(ticks)
    ax.set_xlabel("months after relapse")
    ax.set_ylabel("cumulative incidence of second relapse")
    ax.set_title(f"Second relapse (death as competing risk) by {label} group", fontsize=12)
    fig.tight_layout()
    for suffix in ("svg", "png"):
        name = f"cir_by_{framework}.{suffix}"
        fig.savefig(folder / name)
        written.append(name)
    plt.close(fig)
    return written

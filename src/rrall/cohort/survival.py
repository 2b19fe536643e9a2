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
    dates contradict each other are left out and counted in the problems."""
    if "last_follow_up_date" not in frame.columns:
        return pl.DataFrame(), []
    start_column = "first_relapse_date" if "first_relapse_date" in frame.columns else "relapse_date"
    rows, problems = [], []
    for r in frame.filter(pl.col("error").is_null()).iter_rows(named=True):
        try:
            start = _date(r.get(start_column), "relapse date")
            last = _date(r.get("last_follow_up_date"), "last_follow_up_date")
            when = _date(r.get("event_date"), "event_date")
        except _Bad as exc:
            problems.append(f"{r['case_id']}: {exc}")
            continue
        if start is None or last is None:
            continue
        vital = str(r.get("vital_status") or "").strip().lower()
        kind = str(r.get("event_type") or "").strip().lower() or "none"
        if vital not in VITAL or kind not in EVENTS:
            problems.append(f"{r['case_id']}: vital_status {r.get('vital_status')!r} / event_type "
                            f"{r.get('event_type')!r} not in alive|dead / second_relapse|death|none")
            continue
        dead = vital == "dead"
        if kind == "death" and not dead:
            problems.append(f"{r['case_id']}: event_type death but vital_status alive")
            continue
        if last < start:
            problems.append(f"{r['case_id']}: last follow-up before the relapse")
            continue
        if kind in ("second_relapse", "death") and (when is None or when < start or when > last):
            problems.append(f"{r['case_id']}: event_date missing or outside relapse..last follow-up")
            continue
        os_months = (last - start).days / DAYS_PER_MONTH
        if kind in ("second_relapse", "death") and when is not None:
            efs_months, efs_event = (when - start).days / DAYS_PER_MONTH, True
            code = 1 if kind == "second_relapse" else 2
        else:
            efs_months, efs_event, code = os_months, dead, 2 if dead else 0
        row = {"case_id": r["case_id"], "os_months": os_months, "os_event": dead,
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

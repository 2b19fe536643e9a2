"""The history timeline and the MRD chart, drawn by matplotlib as SVG with the text as
outlines, so the page, the HTML report and the PDF show the same picture whatever fonts
or CSS the viewer has. Pure functions of the stored case and result.

matplotlib is imported only when a chart is drawn: the command line never pays for it.
"""

from __future__ import annotations

import base64
import io
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from rrall.report.words import fraction_words, power_of_ten, upper_first

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from rrall.knowledge.load import KnowledgeBase

COLOURS = {"diagnosis": "#0b4f8a", "end": "#0b4f8a", "relapse": "#a4161a", "hsct": "#1b5e20",
           "agent": "#6a1b9a", "assessed": "#444444"}
FLOOR = -6  # the MRD axis runs from 10⁻⁶ to 1; "not detected" is drawn below it
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Event:
    when: date
    label: str
    kind: str  # diagnosis|end|relapse|hsct|agent|assessed


@dataclass(frozen=True)
class Chart:
    kind: str  # timeline | mrd
    svg: bytes
    description: str  # the chart in words, for alt text and screen readers

    def data_uri(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg).decode()


def day(value: date) -> str:
    """14 Sep 2021: a date no reader can take for another."""
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def events(document: dict[str, Any], result: dict[str, Any], words: Any) -> list[Event]:
    found: list[Event] = []
    diagnosis = document.get("diagnosis", {})
    lineage = words.value("immunophenotype", diagnosis.get("immunophenotype", "")) or "ALL"
    _add(found, diagnosis.get("date"), f"Diagnosis, {lineage} ALL", "diagnosis")
    _add(found, diagnosis.get("frontline_end_date"), "End of front-line therapy", "end")
    after_induction = diagnosis.get("refractory_disease") or {}
    _add(found, after_induction.get("date"), "Refractory disease after induction", "relapse")
    for i, relapse in enumerate(document.get("relapses", []), start=1):
        sites = ", ".join(words.value("relapse_site", s) for s in relapse.get("sites", []))
        _add(found, relapse.get("date"), f"Relapse {i}: {sites}" if sites else f"Relapse {i}", "relapse")
    prior = document.get("prior_therapy", {})
    for hsct in prior.get("hsct", []):
        kind = words.value("hsct_type", hsct.get("type", "")) if hsct.get("type") else ""
        _add(found, hsct.get("date"), upper_first(f"{kind} stem-cell transplant".strip()), "hsct")
    for agent in prior.get("agents", []):
        _add(found, agent.get("start_date"), upper_first(words.value("prior_agent", agent.get("agent", ""))),
             "agent")
    _add(found, result.get("assessment_date"), "Assessed", "assessed")
    return sorted(found, key=lambda e: e.when)


def _add(found: list[Event], value: Any, label: str, kind: str) -> None:
    if isinstance(value, str):
        with suppress(ValueError):
            found.append(Event(date.fromisoformat(value), label, kind))


def timeline(document: dict[str, Any], result: dict[str, Any], words: Any) -> Chart | None:
    """One row per event, in order, on a shared time axis: labels never overlap."""
    items = events(document, result, words)
    if not items:
        return None
    fig = _figure(7.6, 0.55 + 0.3 * len(items))
    ax = fig.add_axes((0.02, 0.55 / (0.55 + 0.3 * len(items)), 0.96, 1 - 0.6 / (0.55 + 0.3 * len(items))))
    first, last = float(items[0].when.toordinal()), float(items[-1].when.toordinal())
    span = max(last - first, 1.0)
    ax.set_xlim(first - 0.03 * span, last + 0.03 * span)
    ax.set_ylim(len(items) - 0.5, -0.5)
    for row, event in enumerate(items):
        x = float(event.when.toordinal())
        ax.plot([x], [row], "o", color=COLOURS[event.kind], markersize=7, zorder=3)
        text = f"{event.label} · {day(event.when)}"
        right = (x - first) / span > 0.5
        ax.annotate(text, (x, row), xytext=(-9 if right else 9, 0), textcoords="offset points",
                    ha="right" if right else "left", va="center", fontsize=9, color="#111111",
                    bbox={"boxstyle": "square,pad=0.15", "facecolor": "white", "edgecolor": "none"})
    start = items[0].when
    years = range(start.year + (start.month > 1 or start.day > 1), items[-1].when.year + 1)
    ax.set_xticks([float(date(year, 1, 1).toordinal()) for year in years], [str(year) for year in years])
    ax.grid(axis="x", color="#dddddd", linewidth=0.8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.tick_params(axis="x", labelsize=8.5, colors="#333333")
    description = "Timeline: " + "; ".join(f"{day(e.when)} {e.label}" for e in items)
    return Chart("timeline", _svg(fig), description)


def mrd_points(document: dict[str, Any], words: Any) -> list[tuple[str, Decimal]]:
    points = []
    for m in document.get("mrd", []):
        try:
            value = Decimal(str(m["value"]))
        except (InvalidOperation, KeyError):
            continue
        fraction = value / 100 if m.get("unit") == "percent" else value
        label = upper_first(words.value("mrd_timepoint", m.get("timepoint", "other")))
        if isinstance(m.get("relapse"), int):
            label += f", relapse {m['relapse']}"
        if m.get("date"):
            with suppress(ValueError):
                label += f"\n{day(date.fromisoformat(str(m['date'])))}"
        points.append((label, fraction))
    return points


def threshold_names(kb: KnowledgeBase) -> dict[Decimal, list[str]]:
    """Each MRD bound the frameworks compare against, with the frameworks that use it."""
    from rrall.engine import engine_for

    return engine_for(kb).framework_bounds("mrd_end_of_reinduction")


def mrd(document: dict[str, Any], kb: KnowledgeBase, words: Any) -> Chart | None:
    """MRD on a log scale from 10⁻⁶ to 1, the frameworks' bounds as labelled dashed lines;
    each value is written under its time point, so no label sits on a line."""
    points = mrd_points(document, words)
    if not points:
        return None
    fig = _figure(7.6, 3.4)
    ax = fig.add_axes((0.17, 0.3, 0.56, 0.64))
    ax.set_yscale("log")
    ax.set_ylim(10.0 ** (FLOOR - 1), 1.5)
    ticks = [10.0 ** e for e in range(0, FLOOR - 1, -1)]
    ax.set_yticks([*ticks, 10.0 ** (FLOOR - 0.6)])
    ax.set_yticklabels([f"{power_of_ten(e) if e else '1'} ({_percent(e)})" for e in range(0, FLOOR - 1, -1)]
                       + ["not detected"])
    ax.minorticks_off()
    ax.grid(axis="y", color="#e4e4e4", linewidth=0.8)
    for bound, names in threshold_names(kb).items():
        ax.axhline(float(bound), color="#a4161a", linestyle=(0, (5, 3)), linewidth=1.2)
        ax.annotate(f"{power_of_ten(bound.adjusted())}: {', '.join(names)}", (1.01, float(bound)),
                    xycoords=("axes fraction", "data"), va="center", fontsize=8.5, color="#a4161a")
    xs = list(range(len(points)))
    ys = [float(f) if f > 0 else 10.0 ** (FLOOR - 0.6) for _, f in points]
    ax.plot(xs, ys, "-o", color="#0b4f8a", linewidth=2, markersize=7, zorder=3)
    ax.set_xlim(-0.6, len(points) - 0.4)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{label}\n{fraction_words(f)}" for label, f in points], fontsize=8.5)
    ax.tick_params(axis="y", labelsize=8.5)
    ax.set_ylabel("MRD (fraction of cells)", fontsize=9)
    for side in ("right", "top"):
        ax.spines[side].set_visible(False)
    description = "MRD: " + "; ".join(f"{label.replace(chr(10), ' ')}: {fraction_words(f)}"
                                      for label, f in points)
    return Chart("mrd", _svg(fig), description)


def _percent(exponent: int) -> str:
    return f"{Decimal(10) ** (exponent + 2):f}".rstrip("0").rstrip(".") + " %" if exponent < -2 \
        else f"{10 ** (exponent + 2)} %"


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _svg(fig: Figure) -> bytes:
    """SVG with text as paths (no font needed to show it) and stable ids, so the same
    chart is the same bytes."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "rrall",
                                "font.family": "DejaVu Sans"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()

"""SVG drawings for the assessment page and the reports: a timeline of the history and
a chart of MRD values on a log scale. Pure functions of the stored case and result."""

from __future__ import annotations

import math
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from markupsafe import Markup, escape

WIDTH = 760
CHAR = 6.4  # average label width per character at 11px


@dataclass(frozen=True)
class Event:
    when: date
    label: str
    kind: str  # diagnosis|end|relapse|hsct|agent|mrd|assessed


def events(document: dict[str, Any], result: dict[str, Any]) -> list[Event]:
    found: list[Event] = []
    diagnosis = document.get("diagnosis", {})
    lineage = diagnosis.get("immunophenotype", "?")
    _add(found, diagnosis.get("date"), f"Diagnosis ({lineage}-ALL)", "diagnosis")
    _add(found, diagnosis.get("frontline_end_date"), "End of front-line therapy", "end")
    for i, relapse in enumerate(document.get("relapses", []), start=1):
        sites = ", ".join(s.replace("_", " ") for s in relapse.get("sites", []))
        _add(found, relapse.get("date"), f"Relapse {i}: {sites}", "relapse")
    prior = document.get("prior_therapy", {})
    for hsct in prior.get("hsct", []):
        _add(found, hsct.get("date"), f"HSCT ({hsct.get('type', '')})", "hsct")
    for agent in prior.get("agents", []):
        _add(found, agent.get("start_date"), str(agent.get("agent", "")).replace("_", " "), "agent")
    _add(found, result.get("assessment_date"), "Assessed", "assessed")
    return sorted(found, key=lambda e: e.when)


def _add(found: list[Event], value: Any, label: str, kind: str) -> None:
    if isinstance(value, str):
        with suppress(ValueError):
            found.append(Event(date.fromisoformat(value), label, kind))


def timeline_svg(document: dict[str, Any], result: dict[str, Any]) -> Markup:
    items = events(document, result)
    if not items:
        return Markup("<p>No dated events to draw.</p>")
    start, end = items[0].when.toordinal(), items[-1].when.toordinal()
    span = max(end - start, 1)
    left, right = 20, WIDTH - 20

    def x(d: date) -> float:
        return left + (d.toordinal() - start) / span * (right - left)

    lanes: list[float] = []  # right edge of the last label in each lane
    placed = []
    for event in items:
        px = x(event.when)
        text = f"{event.when.isoformat()} {event.label}"
        width = len(text) * CHAR
        lx = min(px, right - width)
        lane = next((i for i, edge in enumerate(lanes) if lx > edge + 8), len(lanes))
        if lane == len(lanes):
            lanes.append(0)
        lanes[lane] = lx + width
        placed.append((event, px, lx, lane, text))
    height = 60 + 18 * len(lanes)
    axis = 36
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="timeline" '
             f'role="img" aria-labelledby="tl-title"><title id="tl-title">Timeline: '
             f'{escape("; ".join(t for *_, t in placed))}</title>',
             f'<line x1="{left}" y1="{axis}" x2="{right}" y2="{axis}" class="axis"/>']
    for year in range(items[0].when.year + 1, items[-1].when.year + 1):
        yx = x(date(year, 1, 1))
        parts.append(f'<line x1="{yx:.1f}" y1="{axis - 4}" x2="{yx:.1f}" y2="{axis + 4}" class="tick"/>'
                     f'<text x="{yx:.1f}" y="{axis - 8}" class="year">{year}</text>')
    for event, px, lx, lane, text in placed:
        ly = axis + 22 + 18 * lane
        parts.append(f'<circle cx="{px:.1f}" cy="{axis}" r="5" class="ev {event.kind}"/>'
                     f'<line x1="{px:.1f}" y1="{axis + 5}" x2="{px:.1f}" y2="{ly - 10}" class="lead"/>'
                     f'<text x="{lx:.1f}" y="{ly}" class="label {event.kind}">{escape(text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def mrd_svg(document: dict[str, Any], thresholds: tuple[Decimal, ...] = ()) -> Markup:
    """MRD as a fraction of nucleated cells, log scale 10^-6 to 1; 0 is drawn as
    'not detected' below the scale. Dashed lines: thresholds the knowledge base's rules use."""
    points = []
    for i, m in enumerate(document.get("mrd", [])):
        try:
            value = Decimal(str(m["value"]))
        except (InvalidOperation, KeyError):
            continue
        fraction = value / 100 if m.get("unit") == "percent" else value
        label = f"{m.get('timepoint', '').replace('_', ' ')}{' ' + m['date'] if m.get('date') else ''}"
        points.append((i, fraction, label))
    if not points:
        return Markup("<p>No MRD values recorded.</p>")
    left, right, top, bottom = 70, WIDTH - 20, 20, 200
    height = bottom + 70

    def y(f: Decimal) -> float:
        if f <= 0:
            return bottom + 18
        lg = max(min(float(f.log10()), 0.0), -6.0)  # Decimal: no underflow for tiny values
        return top + (-lg) / 6 * (bottom - top)

    step = (right - left) / max(len(points), 1)
    desc = "; ".join(f"{lab}: {_sci(f)}" for _, f, lab in points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="mrd" role="img" '
             f'aria-labelledby="mrd-title"><title id="mrd-title">MRD values: {escape(desc)}</title>']
    for exp in range(0, -7, -1):
        gy = y(Decimal(10) ** exp)
        parts.append(f'<line x1="{left}" y1="{gy:.1f}" x2="{right}" y2="{gy:.1f}" class="grid"/>'
                     f'<text x="{left - 8}" y="{gy + 4:.1f}" class="ylab">10^{exp}</text>')
    parts.append(f'<text x="{left - 8}" y="{bottom + 22}" class="ylab">n.d.</text>')
    for t in thresholds:
        if t > 0:
            ty = y(t)
            parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{right}" y2="{ty:.1f}" class="threshold"/>'
                         f'<text x="{right}" y="{ty - 4:.1f}" class="tlab">rule threshold {_sci(t)}</text>')
    previous = None
    for n, (_, fraction, label) in enumerate(points):
        px, py = left + step * (n + 0.5), y(fraction)
        if previous:
            parts.append(f'<line x1="{previous[0]:.1f}" y1="{previous[1]:.1f}" x2="{px:.1f}" y2="{py:.1f}" '
                         'class="trend"/>')
        parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="5" class="pt"/>'
                     f'<text x="{px:.1f}" y="{py - 9:.1f}" class="val">{escape(_sci(fraction))}</text>'
                     f'<text x="{px:.1f}" y="{bottom + 44}" class="xlab">{escape(label)}</text>')
        previous = (px, py)
    parts.append("</svg>")
    return Markup("".join(parts))


def _sci(fraction: Decimal) -> str:
    if fraction <= 0:
        return "not detected"
    exp = math.floor(fraction.log10())
    mantissa = fraction.scaleb(-exp)
    return f"10^{exp}" if mantissa == 1 else f"{float(mantissa):.1f}×10^{exp}"

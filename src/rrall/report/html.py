"""HTML and PDF reports: the clinician report (everything, with versions and citations)
and the family summary (plain language, no figures). Renderers only: they decide nothing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from rrall import __version__
from rrall.report.charts import mrd_svg, timeline_svg

HERE = Path(__file__).parent
MAIN_STATUSES = ("standard", "consider")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def human(value: Any) -> str:
    return str(value).replace("_", " ") if value is not None else "–"


@cache
def environment(extra: tuple[Path, ...] = ()) -> Environment:
    loader = ChoiceLoader([FileSystemLoader([*extra, HERE / "templates"])])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["human"] = human
    env.filters["ref"] = lambda c: f"#ref-{c}"
    env.globals["engine_version"] = __version__
    return env


@cache
def family_text() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((HERE / "family.yaml").read_text(encoding="utf-8"))
    return loaded


@dataclass(frozen=True)
class ReportContext:
    """What a report shows: the stored result and case, and who decided what (if anything)."""

    result: dict[str, Any]
    document: dict[str, Any]
    thresholds: tuple[Decimal, ...] = ()
    decisions: tuple[dict[str, Any], ...] = ()
    case_url: str = ""

    def charts(self) -> dict[str, Markup]:
        return {"timeline": timeline_svg(self.document, self.result),
                "mrd": mrd_svg(self.document, self.thresholds)}


def clinician_html(ctx: ReportContext) -> str:
    return environment().get_template("clinician.html.j2").render(
        r=ctx.result, doc=ctx.document, decisions=ctx.decisions, case_url=ctx.case_url, **ctx.charts())


def family_summary(result: dict[str, Any]) -> dict[str, Any]:
    """The family summary's content: plain sentences chosen by the assessment's facts."""
    text = family_text()
    c = result["classification"]
    about = [text["state"].get(c["disease_state"])]
    if c.get("refractory") and c["disease_state"] != "primary_refractory":
        about.append(text["state"]["refractory"])
    if c.get("post_hsct"):
        about.append(text["state"]["post_hsct"])
    about.append(text["lineage"].get(c.get("immunophenotype") or ""))
    about.append(text["site"].get(c.get("site") or ""))
    timing = (c.get("timing") or {}).get("bfm")
    about.append(text["timing"].get(timing or ""))
    options = [o for o in result["options"] if o["status"] in MAIN_STATUSES and o["phase"] != "supportive"]
    support = [o for o in result["options"] if o["status"] in MAIN_STATUSES and o["phase"] == "supportive"]
    in_trials = [o for o in result["options"] if o["status"] == "clinical_trial"]
    return {
        "about": [s for s in about if s],
        "options": list(dict.fromkeys(text["options"][o["id"]] for o in options)),
        "support": list(dict.fromkeys(text["options"][o["id"]] for o in support)),
        "in_trials": list(dict.fromkeys(text["options"][o["id"]] for o in in_trials)),
        "tests_needed": text["tests_needed"] if result["missing_data"] else None,
        "next_steps": text["next_steps"],
        "questions": text["questions"],
    }


def family_html(result: dict[str, Any]) -> str:
    return environment().get_template("family.html.j2").render(r=result, s=family_summary(result))


def to_pdf(html: str) -> bytes:
    from rrall.report.pdf import to_pdf as render

    return render(html, base_url=str(HERE))

"""HTML and PDF reports: the clinician report (the one-screen summary first, the evidence
as an appendix) and the family summary (plain language, no figures). Renderers only: they
decide nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from rrall._version import __version__
from rrall.report.words import (
    age_words,
    field_words,
    fraction_words,
    labels_after,
    months_words,
    prose,
    short_name,
    until_recorded,
    upper_first,
)

if TYPE_CHECKING:
    from rrall.knowledge.glossary import Glossary
    from rrall.knowledge.load import KnowledgeBase
    from rrall.report.charts import Chart

HERE = Path(__file__).parent
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def human(value: Any) -> str:
    return str(value).replace("_", " ") if value is not None else "–"


def _words(context: Context) -> Glossary:
    found = context.get("words")
    if found is None:
        from rrall.knowledge.load import default_knowledge

        return default_knowledge().glossary
    glossary: Glossary = found
    return glossary


def install_words(env: Environment) -> None:
    """Filters that word values through the glossary in the template's `words`:
    `value("vocabulary")`, `field` (a case path), `prose` (text from the engine or the
    knowledge base), and plain formatting of fractions, ages and months."""

    @pass_context
    def value(context: Context, raw: Any, vocabulary: str) -> str:
        if raw is None:
            return "not known"
        return _words(context).value(vocabulary, raw)

    @pass_context
    def field_label(context: Context, path: str) -> str:
        return field_words(path, _words(context))

    @pass_context
    def plain(context: Context, text: Any) -> str:
        return prose(str(text), _words(context))

    @pass_context
    def label(context: Context, path: str) -> str:
        """A form field's label: the glossary's words for its path (list positions aside)."""
        return _words(context).field(path)

    @pass_context
    def choice(context: Context, raw: str, options: tuple[str, ...]) -> str:
        """A choice of a closed vocabulary in words: the glossary vocabulary holding all the options."""
        words = _words(context)
        for values in words.values.values():
            if set(options) <= set(values):
                return values.get(raw, raw.replace("_", " "))
        return raw.replace("_", " ")

    @pass_context
    def fact(context: Context, name: str) -> str:
        """What a trial criterion tests (a fact), in words."""
        kb = context.get("kb")
        if kb is None:
            from rrall.knowledge.load import default_knowledge

            kb = default_knowledge()
        from rrall.engine import engine_for

        return engine_for(kb).fact_label(name)

    @pass_context
    def grouped(context: Context, items: Any, attribute: str, vocabulary: str) -> list[tuple[str, list[Any]]]:
        """Items grouped by a coded attribute, the groups in the vocabulary's order (the phases
        of treatment in the order they are given, as the text output lists them; jinja's
        groupby would sort the codes alphabetically)."""
        groups: dict[str, list[Any]] = {code: [] for code in _words(context).values.get(vocabulary, {})}
        for item in items:
            groups.setdefault(item[attribute], []).append(item)  # results as JSON (dicts)
        return [(code, found) for code, found in groups.items() if found]

    def option_name(option_id: str, result: dict[str, Any]) -> str:
        names = {str(o["id"]): short_name(str(o["name"])) for o in result.get("options", [])}
        return names.get(option_id, option_id.replace("_", " "))

    env.filters.update(value=value, field=field_label, prose=plain, option_name=option_name, label=label,
                       choice=choice, fraction=fraction_words, age=age_words,
                       months=months_words, short=lambda name: short_name(str(name)), human=human,
                       fact=fact, until_recorded=until_recorded, labels_after=labels_after, grouped=grouped,
                       upper_first=lambda text: upper_first(str(text)))


@cache
def environment(extra: tuple[Path, ...] = ()) -> Environment:
    loader = ChoiceLoader([FileSystemLoader([*extra, HERE / "templates"])])
    env = Environment(loader=loader, autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    install_words(env)
    env.filters["ref"] = lambda c: f"#ref-{c}"
    env.globals["engine_version"] = __version__
    return env


@dataclass(frozen=True)
class Identifiers:
    """What the user entered to identify the child on a report; never in the Case, the
    input hash or a log."""

    name: str = ""
    mrn: str = ""

    def __bool__(self) -> bool:
        return bool(self.name or self.mrn)


@dataclass(frozen=True)
class ReportContext:
    """What a report shows: the stored result and case, and who decided what (if anything)."""

    result: dict[str, Any]
    document: dict[str, Any]
    kb: KnowledgeBase
    decisions: tuple[dict[str, Any], ...] = ()
    case_url: str = ""
    identifiers: Identifiers = field(default_factory=Identifiers)
    region: str = "US"  # the region whose label status leads where labels differ

    def charts(self) -> dict[str, Chart | None]:
        from rrall.report import charts

        words = self.kb.glossary
        return {"timeline": charts.timeline(self.document, self.result, words),
                "mrd": charts.mrd(self.document, self.kb, words)}

    def page(self, drawn: dict[str, Chart | None] | None = None) -> dict[str, Any]:
        """The template context shared by the clinician report and the assessment page
        (`drawn`: charts already drawn for this assessment)."""
        from rrall.report.summary import decision_view, summarise

        words = self.kb.glossary
        decisions = tuple(decision_view(d, self.result) for d in self.decisions)
        return {"r": _region_first(self.result, self.region), "doc": self.document, "words": words,
                "kb": self.kb,
                "s": summarise(self.result, self.kb, self.decisions, words),
                "decisions": decisions, "who": self.identifiers, "region": self.region,
                **(drawn or self.charts())}


def _region_first(result: dict[str, Any], region: str) -> dict[str, Any]:
    """The result with each option's labels in reading order: the chosen region first."""
    options = [{**o, "labels": sorted(o.get("labels") or [], key=lambda x: x["region"] != region)}
               for o in result.get("options", [])]
    return {**result, "options": options}


def clinician_html(ctx: ReportContext, *, appendix: bool = True) -> str:
    """The board-ready report: the summary with the child's identifiers, the frameworks side
    by side and the decision, then (unless `appendix` is false) the full evidence."""
    return environment().get_template("clinician.html.j2").render(
        case_url=ctx.case_url, chart_src=lambda chart: chart.data_uri(), decide_link="", appendix=appendix,
        **ctx.page())


def to_pdf(html: str) -> bytes:
    from rrall.report.pdf import to_pdf as render

    return render(html, base_url=str(HERE))

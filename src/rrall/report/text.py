"""A readable summary for a person: the frameworks side by side, then reasons and gaps."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from collections.abc import Callable

    from rrall.assessment import Assessment
    from rrall.errors import CaseInputError
    from rrall.results import Classification, FrameworkResult


PHASES = ("reinduction", "consolidation", "definitive", "targeted", "site_directed", "supportive")
STATUS_STYLE = {"standard": "bold green", "consider": "green", "clinical_trial": "cyan",
                "insufficient_data": "magenta", "not_recommended": "red", "not_eligible": "dim"}


def _label(value: object) -> str:
    if value is None:
        return "-"
    return str(value).replace("_", " ")


class TextRenderer:
    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(highlight=False, soft_wrap=False, emoji=False)
        self.errors = Console(file=sys.stderr, highlight=False)
        self.first = True

    def assessment(self, a: Assessment) -> None:
        out = self.console
        if self.first:
            out.print(f"[dim]{a.notice}[/dim]")
            self.first = False
        out.print()
        out.rule(f"[bold]{a.case_id}[/bold]  assessed {a.assessment_date}")
        out.print(f"[dim]engine {a.engine_version} · knowledge {a.knowledge_version} · "
                  f"input sha256 {a.input_sha256[:12]}…[/dim]")
        out.print(_summary(a.classification))
        out.print(self._frameworks(a))
        for name, result in a.risk.items():
            out.print(f"\n[bold]{name.upper()}[/bold] · {result.name}")
            for reason in result.reasons:
                out.print(f"  • {reason}")
            for caution in result.cautions:
                keys = ", ".join(caution.citations)
                out.print(f"  [yellow]! {_escape(caution.text)}[/yellow] [dim]\\[{keys}][/dim]")
            out.print(f"  [dim]sources: {', '.join(result.citations)}[/dim]")
        self._options(a)
        self._anthracycline(a)
        self._prognosis(a)
        self._trials(a)
        if a.missing_data:
            out.print("\n[bold]Missing data that would change a result, and work-up not yet reported[/bold]")
            for item in a.missing_data:
                test = f"  [dim]({item.test})[/dim]" if item.test else ""
                out.print(f"  • [cyan]{item.field}[/cyan]{test}")
                for text in item.decides:
                    out.print(f"      {_escape(text)}")
        for warning in a.warnings:
            out.print(f"[yellow]warning ({warning.code}):[/yellow] {warning.message}")
        out.print("\n[bold]References[/bold]")
        for ref in a.references.values():
            ids = " ".join(f"{k.upper()} {v}" for k, v in
                           (("pmid", ref.pmid), ("doi", ref.doi), ("nct", ref.nct)) if v)
            out.print(_escape(f"  [{ref.id}] {ref.citation} {ids}".rstrip()))

    def _options(self, a: Assessment) -> None:
        lines = ["", "[bold]Treatment options[/bold] [dim](status · one-line reason · sources; "
                 "? marks what the brief calls uncertain)[/dim]"]
        for phase in PHASES:
            shown = [o for o in a.options if o.phase == phase]
            if not shown:
                continue
            lines.append(f"  [underline]{_label(phase)}[/underline]")
            for option in shown:
                if option.status == "not_eligible":
                    continue
                style = STATUS_STYLE[option.status]
                lines.append(f"    [{style}]{_label(option.status):<17}[/{style}] {option.name}")
                sources = ", ".join(option.citations[:4])
                lines.append(f"{'':22}[dim]{_escape(option.reasons[0])} \\[{sources}][/dim]")
                for caution in option.cautions:
                    mark = "? " if caution.uncertain else "! "
                    lines.append(f"{'':22}[yellow]{mark}{_escape(caution.text)}[/yellow]")
            excluded = [o for o in shown if o.status == "not_eligible"]
            if excluded:
                lines.append("    [dim]not eligible: " + "; ".join(
                    f"{o.name} ({_escape(o.reasons[0].removeprefix('Not eligible: '))})" for o in excluded)
                    + "[/dim]")
        self.console.print("\n".join(lines))

    def _anthracycline(self, a: Assessment) -> None:
        dose = a.cumulative_anthracycline
        out = self.console
        if dose.doxorubicin_equivalent_mg_per_m2 is not None:
            value = f"{dose.doxorubicin_equivalent_mg_per_m2:f} mg/m²"
        elif dose.range_mg_per_m2 is not None:
            value = f"{dose.range_mg_per_m2[0]:f}-{dose.range_mg_per_m2[1]:f} mg/m²"
        else:
            value = _label(dose.status)
        out.print(f"\n[bold]Cumulative anthracycline[/bold] (doxorubicin equivalent, {dose.table_name}): "
                  f"{value}")
        for agent in dose.by_agent:
            factor = agent.factor or "no factor"
            out.print(f"  • {agent.agent} {agent.cumulative_mg_per_m2:f} mg/m² × {factor}"
                      f" = {agent.doxorubicin_equivalent_mg_per_m2 or '?'}")
        for caution in dose.cautions:
            sources = ", ".join(caution.citations)
            out.print(f"  [yellow]! {_escape(caution.text)}[/yellow] [dim]\\[{sources}][/dim]")

    def _prognosis(self, a: Assessment) -> None:
        out = self.console
        out.print("\n[bold]Prognosis in the literature[/bold] [dim](published figures for populations like"
                  " this case; not a prediction for this child)[/dim]")
        if not a.prognosis:
            out.print("  none of the recorded figures matches this case")
        for item in a.prognosis:
            conditions = [*item.missing, *([f"if {item.unchecked}"] if item.unchecked else [])]
            shown = _escape("; ".join(conditions))
            flag = "" if item.match == "applies" else f" [dim](may apply: {shown})[/dim]"
            mark = " [yellow]?[/yellow]" if item.uncertain else ""
            out.print(f"  • {item.figure}{mark} · {_escape(item.population)} · {item.cohort}"
                      f"{f' ({item.era})' if item.era else ''} [dim]\\[{item.citation}][/dim]{flag}")

    def _trials(self, a: Assessment) -> None:
        lines = ["", "[bold]Clinical trials open to enrolment[/bold] [dim](structured criteria only; "
                 "free-text criteria are for review with the trial team; statuses are dated)[/dim]"]
        if not a.trials:
            lines.append("  none in the registry")
        counts = {s: sum(t.status == s for t in a.trials)
                  for s in ("potentially_eligible", "needs_data", "ineligible")}
        for trial in a.trials:
            if trial.status == "ineligible":
                continue
            as_of = f"as of {trial.status_as_of.isoformat()}" if trial.status_as_of else "status undated"
            lines.append(f"  {_label(trial.status):<21} {trial.id} · {trial.phase or '-'} · "
                         f"{_label(trial.trial_status)} {as_of}")
            lines.append(f"{'':24}[dim]{_escape(trial.title)}[/dim]")
            if trial.missing:
                lines.append(f"{'':24}[magenta]would decide: {', '.join(trial.missing)}[/magenta]")
        if counts["ineligible"]:
            lines.append(f"  [dim]{counts['ineligible']} open trial(s) ineligible; "
                         "`rrall trials match CASE` shows every criterion[/dim]")
        self.console.print("\n".join(lines))

    def _frameworks(self, a: Assessment) -> Table:
        table = Table(title="First-relapse frameworks", title_justify="left", expand=False)
        table.add_column("")
        for name in a.risk:
            table.add_column(name.upper() if name != "intreall" else "IntReALL")
        rows: tuple[tuple[str, Callable[[FrameworkResult], str]], ...] = (
            ("status", lambda r: _label(r.status)),
            ("group", lambda r: r.group or "-"),
            ("HSCT in CR2", lambda r: _label(r.hsct_in_cr2)),
            ("missing", lambda r: "\n".join(m.field for m in r.missing) or "-"),
            ("cautions", lambda r: str(len(r.cautions)) if r.cautions else "-"),
        )
        for title, get in rows:
            table.add_row(title, *(get(r) for r in a.risk.values()))
        return table

    def error(self, error: CaseInputError) -> None:
        self.errors.print(f"[red]error:[/red] {_escape(str(error))}")

    def close(self) -> None:
        self.console.file.flush()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def _summary(c: Classification) -> str:
    if c.disease_state == "primary_refractory":
        return f"{c.immunophenotype}-lineage ALL, primary refractory (no remission after induction)."
    parts = [f"{c.immunophenotype}-lineage ALL, {_label(c.disease_state)} (relapse {c.relapse_number})",
             f"on {c.relapse_date}", f"site: {_label(c.site) if c.site else 'unknown'}"]
    if c.extramedullary_sites:
        parts.append(f"extramedullary: {', '.join(c.extramedullary_sites)}")
    parts.append(f"{c.months_from_diagnosis} months from diagnosis")
    if c.months_from_frontline_end is not None:
        parts.append(f"{c.months_from_frontline_end} months after end of front-line therapy")
    elif c.frontline_end == "not_completed":
        parts.append("during front-line therapy")
    else:
        parts.append("end of front-line therapy unknown")
    if c.timing:
        parts.append(f"timing BFM/IntReALL/UK {_label(c.timing.bfm)}, COG {_label(c.timing.cog)}")
    flags = [f for f, on in (("after allogeneic HSCT", c.post_hsct), ("refractory", c.refractory),
                             ("BCR::ABL1+", c.bcr_abl1)) if on]
    return "; ".join(parts) + (f". [bold]{', '.join(flags)}[/bold]" if flags else ".")

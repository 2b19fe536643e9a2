"""The assessment as text for a person: the one-screen summary by default (frameworks in
one row, whether they agree on HSCT, the options, the missing tests), everything with
`full` (reasons, every option, anthracyclines, prognosis, trials, missing data, sources).
A batch ends with a closing summary: cases, errors, groups."""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING, Any

import orjson
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rrall.report.fastjson import assessment_json
from rrall.report.summary import OptionLine, Summary, summarise
from rrall.report.words import (
    field_words,
    fraction_words,
    label_words,
    late_regions,
    prose,
    short_name,
    until_recorded,
)

if TYPE_CHECKING:
    from rrall.assessment import Assessment
    from rrall.errors import CaseInputError
    from rrall.knowledge.glossary import Glossary
    from rrall.knowledge.load import KnowledgeBase

def _source_tag(o: OptionLine) -> str:
    """An option line's lead source, dimmed: " [Locatelli 2021]"."""
    return f" [dim]{escape('[' + o.source + ']')}[/dim]" if o.source else ""


STATUS_STYLE = {"standard": "bold green", "consider": "cyan", "clinical_trial": "blue",
                "insufficient_data": "magenta", "not_recommended": "red", "not_eligible": "dim"}


class TextRenderer:
    def __init__(self, kb: KnowledgeBase, console: Console | None = None, *, full: bool = False,
                 region: str = "US") -> None:
        self.kb = kb
        self.region = region
        self.words: Glossary = kb.glossary
        self.full = full
        self.console = console or Console(highlight=False, soft_wrap=False, emoji=False)
        self.errors = Console(file=sys.stderr, highlight=False)
        self.first = True
        self.assessed = 0
        self.failed = 0
        self.groups: dict[str, Counter[str]] = {fid: Counter() for fid in kb.frameworks}

    def assessment(self, a: Assessment) -> None:
        result: dict[str, Any] = orjson.loads(assessment_json(a))
        s = summarise(result, self.kb, (), self.words)
        self.assessed += 1
        for fid, r in result["risk"].items():
            if fid in self.groups:
                self.groups[fid][r.get("group") or self.words.value("framework_status", r["status"])] += 1
        out = self.console
        if self.first:
            out.print(f"[dim]{escape(a.notice)}[/dim]")
            self.first = False
        out.print()
        out.rule(f"[bold]{escape(a.case_id)}[/bold]  assessed {a.assessment_date}")
        out.print(f"[dim]rrall {a.engine_version} · knowledge base {a.knowledge_version} · "
                  f"input SHA-256 {a.input_sha256[:12]}…[/dim]")
        self._summary(s)
        self._labels(result)
        if self.full:
            self._details(result)
        else:
            out.print("[dim]Reasons, every option, prognosis, trials and sources: rrall assess --full[/dim]")

    def _labels(self, r: dict[str, Any]) -> None:
        """Options to weigh whose label status differs between regions (the chosen region
        first), then in one line the labels dated after the assessment (a past case assessed
        again)."""
        late: list[str] = []
        for o in r["options"]:
            labels = o.get("labels") or []
            if o["status"] == "not_eligible" or o["phase"] == "supportive" or not labels:
                continue
            ordered = sorted(labels, key=lambda x: x["region"] != self.region)
            after = late_regions(ordered, r["assessment_date"])
            unlabelled = self.region not in {x["region"] for x in labels}  # none read for this region
            if len({x["status"] for x in labels}) > 1 or unlabelled:
                # The option's status for this child beside its labels: a label does not make
                # an option (the dates and indications are in --full and the reports).
                said = "; ".join(label_words(x, self.words, short=True) for x in ordered)
                if unlabelled:
                    said += f"; no {self.region} label in the knowledge base"
                status = self.words.value("option_status", o["status"]).lower()
                name = escape(f"{short_name(o['name'])} ({status} here)")
                self.console.print(f"[yellow]Label differs by region:[/yellow] {name}: {escape(said)}")
            if after:
                late.append(f"{short_name(o['name'])} ({', '.join(after)})")
        if late:
            self.console.print(f"[yellow]Labels dated after {r['assessment_date']} (check those in force "
                               f"then):[/yellow] {escape('; '.join(late))}")

    def _summary(self, s: Summary) -> None:
        out = self.console
        out.print(f"[bold]{escape(s.headline)}[/bold]")
        for warning in s.warnings:
            out.print(f"[yellow]Warning:[/yellow] {escape(warning)}")
        if all(f.status == "not_applicable" for f in s.frameworks):
            self._options_summary(s)
            return
        table = Table(title="First-relapse frameworks", title_justify="left", expand=False)
        table.add_column("")
        for f in s.frameworks:
            table.add_column(f.short_name)
        table.add_row("Group", *(escape("\n".join([f.group, *f.conditions])) for f in s.frameworks))
        table.add_row("HSCT in second remission", *(escape(f.hsct) for f in s.frameworks))
        if any(f.missing and not f.conditions for f in s.frameworks):
            table.add_row("Needs", *(escape(", ".join(f.missing)) or "–" for f in s.frameworks))
        if any(f.could_change for f in s.frameworks):
            table.add_row("Could change",
                          *(escape(", ".join(f.could_change)) or "–" for f in s.frameworks))
        out.print(table)
        self._options_summary(s)

    def _options_summary(self, s: Summary) -> None:
        out = self.console
        out.print(f"[bold]Transplant:[/bold] {escape(s.hsct)}")
        for note in s.notes:
            out.print(f"[yellow]Caution:[/yellow] {escape(note)}")
        out.print("\n[bold]Treatment to weigh (standard or consider)[/bold]")
        for o in s.treatment:
            style = STATUS_STYLE[o.status]
            extra = f": {o.conditions}" if o.conditions else ""
            out.print(f"  [{style}]{o.status_words:<9}[/{style}] {escape(o.name + extra)}{_source_tag(o)}")
        if not s.treatment:
            out.print("  none: every disease-directed option is undecided, for a trial only, or not advised")
        for o in s.undecided:
            out.print(f"  [magenta]{'Undecided':<9}[/magenta] {escape(o.name)}: "
                      f"{escape(o.conditions or 'needs ' + ', '.join(o.needs))}{_source_tag(o)}")
        for caution in s.cautions:
            out.print(f"[yellow]For this child:[/yellow] {escape(caution)}")
        if s.cautions_total > len(s.cautions):
            out.print(f"  [dim]{s.cautions_total - len(s.cautions)} more with --full[/dim]")
        if s.supportive:
            named = [o.name + ("" if o.status == "standard" else f", {o.status_words.lower()}")
                     + (f" [{o.source}]" if o.source else "") for o in s.supportive]
            out.print("[bold]Supportive care:[/bold] " + escape("; ".join(named)))
        if s.missing:
            # Those that would change an answer come first; the rest are the relapse work-up.
            out.print("[bold]Tests still to do[/bold]")
            for n, m in enumerate(s.missing, start=1):
                test = "" if m.test == m.label else f": {m.test}"
                changes = "work-up" if m.changes == "work-up" else f"changes {m.changes}"
                if m.uses:
                    changes += f"; {until_recorded(m.uses)}"
                changes = f" [dim]({escape(changes)})[/dim]"
                out.print(f"  {n}. {escape(m.label + test)}{changes}")
            if s.missing_total > len(s.missing):
                out.print(f"  [dim]{s.missing_total - len(s.missing)} more with --full[/dim]")

    def _details(self, r: dict[str, Any]) -> None:
        out, words = self.console, self.words
        for fid, fw in self.kb.frameworks.items():
            x = r["risk"].get(fid)
            if x is None:
                continue
            out.print(f"\n[bold]{escape(fw.name)}[/bold]")
            for reason in x["reasons"]:
                out.print(f"  • {self._prose(reason)}")
            for m in x["missing"]:
                label = escape(field_words(m["field"], words))
                out.print(f"  [magenta]needs {label}[/magenta]: {self._prose(m['decides'])}")
            for caution in x["cautions"]:
                mark = "uncertain: " if caution["uncertain"] and "Unverified" not in caution["text"] else ""
                out.print(f"  [yellow]! {mark}{self._prose(caution['text'])}[/yellow]")
            out.print(f"  [dim]sources: {escape(', '.join(x['citations']))}[/dim]")
        self._options(r)
        self._rest(r)

    def _options(self, r: dict[str, Any]) -> None:
        out, words = self.console, self.words
        out.print("\n[bold]Every treatment option[/bold] [dim](status · reason · cautions · sources)[/dim]")
        for phase in words.values.get("phase", {}):
            shown = [o for o in r["options"] if o["phase"] == phase]
            if not shown:
                continue
            out.print(f"  [underline]{escape(words.value('phase', phase))}[/underline]")
            for o in shown:
                if o["status"] == "not_eligible":
                    continue
                style = STATUS_STYLE[o["status"]]
                said = words.value("option_status", o["status"])
                out.print(f"    [{style}]{said:<19}[/{style}] {escape(o['name'])}")
                if o["reasons"]:
                    sources = escape(", ".join(o["citations"][:4]))
                    first, *more = o["reasons"]  # several where every reading of the missing data agrees
                    out.print(f"{'':24}{self._prose(first)} [dim]\\[{sources}][/dim]")
                    for reason in more:
                        out.print(f"{'':24}· {self._prose(reason)}")
                for caution in o["cautions"]:
                    mark = "? " if caution["uncertain"] else "! "
                    out.print(f"{'':24}[yellow]{mark}{self._prose(caution['text'])}[/yellow]")
            excluded = [o for o in shown if o["status"] == "not_eligible"]
            if excluded:
                why = [f"{escape(short_name(o['name']))} "
                       f"({self._prose(o['reasons'][0].removeprefix('Not eligible: '))})"
                       for o in excluded if o["reasons"]]
                out.print("    [dim]not eligible: " + "; ".join(why) + "[/dim]")

    def _rest(self, r: dict[str, Any]) -> None:
        out, words = self.console, self.words
        dose = r["cumulative_anthracycline"]
        if dose["doxorubicin_equivalent_mg_per_m2"] is not None:
            value = f"{dose['doxorubicin_equivalent_mg_per_m2']} mg/m²"
        elif dose["range_mg_per_m2"]:
            value = f"{dose['range_mg_per_m2'][0]} to {dose['range_mg_per_m2'][1]} mg/m²"
        else:
            value = words.value("anthracycline_status", dose["status"])
        table = escape(dose["table_name"])
        out.print(f"\n[bold]Cumulative anthracycline[/bold] (doxorubicin equivalent, {table}): {value}")
        out.print("\n[bold]Prognosis in the literature[/bold] [dim](figures for populations like this case; "
                  "not a prediction for this child)[/dim]")
        if not r["prognosis"]:
            out.print("  No published figure fits this case.")
        for p in r["prognosis"]:
            unknown = "; ".join(filter(None, [p.get("unchecked"), ", ".join(field_words(f, words)
                                                                             for f in p["missing"])]))
            fit = "" if p["match"] == "applies" else \
                f" [dim](may apply; not checked: {self._prose(unknown)})[/dim]"
            era = f", {p['era']}" if p.get("era") else ""
            cohort = escape(p["cohort"] + era)
            # As the reports mark it: the figure or its population's mapping is not settled. The
            # note says what else the source found (factors that made outcomes better or worse).
            note = f" [dim]({self._prose(p['note'])})[/dim]" if p.get("note") else ""
            unsure = " [yellow]? unverified[/yellow]" + note if p.get("uncertain") else note
            out.print(f"  • {escape(p['figure'])} · {self._prose(p['population'])} · {cohort} "
                      f"[dim]\\[{escape(p['citation'])}][/dim]{fit}{unsure}")
        self._trials(r["trials"])
        if r["missing_data"]:
            out.print("\n[bold]Missing data and work-up[/bold]")
            for m in r["missing_data"]:
                label = field_words(m["field"], words)
                test = m.get("test")  # named once where the test is the field's own name
                out.print(f"  • [cyan]{escape(label)}[/cyan]"
                          f"{' (' + escape(test) + ')' if test and test != label else ''}")
                for text in m["decides"]:
                    out.print(f"      {self._prose(text)}")
                if m.get("uses"):
                    out.print(f"      {escape(until_recorded(m['uses'], sentence=True))}")
        for w in r["warnings"]:
            out.print(f"[yellow]warning:[/yellow] {self._prose(w['message'])}")
        out.print("\n[bold]References[/bold]")
        for ref in r["references"].values():
            ids = " ".join(f"{k.upper()} {ref[k]}" for k in ("pmid", "doi", "nct") if ref.get(k))
            out.print(escape(f"  [{ref['id']}] {ref['citation']} {ids}".rstrip()))

    def _trials(self, trials: list[dict[str, Any]]) -> None:
        """Open trials, then those of unknown status (marked); each not-ineligible trial with
        its dated status and the criteria still to check, in the trial's own words."""
        out, words = self.console, self.words
        for group, title in (("open", "Clinical trials open to enrolment"),
                             ("status_unknown", "Clinical trials of unknown status (confirm it first)")):
            listed = [t for t in trials if t.get("status_group", "open") == group]
            if not listed and group != "open":
                continue
            out.print(f"\n[bold]{title}[/bold]")
            for t in listed:
                if t["status"] == "ineligible":
                    continue
                fit = words.value("trial_fit", t["status"])
                out.print(f"  {fit:<16} {escape(t['id'])} · {self._prose(t['title'])}")
                if t.get("status_warning"):
                    out.print(f"      [yellow]{self._prose(t['status_warning'])}[/yellow]")
                for c in t["criteria"]:
                    if c["result"] == "unknown":
                        out.print(f"      ? {self._prose(c['detail'])}")
            ineligible = sum(t["status"] == "ineligible" for t in listed)
            if ineligible:
                said = (f"{ineligible} more not eligible" if ineligible < len(listed)
                        else f"None fits this case: {ineligible} {'trial' if ineligible == 1 else 'trials'}, "
                             "each not eligible")
                out.print(f"  [dim]{said}; rrall trials match CASE shows every criterion[/dim]")

    def _prose(self, text: str) -> str:
        return escape(prose(text, self.words))

    def error(self, error: CaseInputError) -> None:
        self.failed += 1
        self.errors.print(f"[red]error:[/red] {escape(str(error))}")

    def close(self) -> None:
        """After several cases (or any error), a closing summary: cases, errors, groups."""
        if self.assessed + self.failed > 1:
            out = self.console
            out.print()
            out.rule("[bold]Batch summary[/bold]")
            out.print(f"{self.assessed} case(s) assessed, {self.failed} could not be assessed"
                      + (" (errors above)" if self.failed else "") + ".")
            for fid, counts in self.groups.items():
                shown = ", ".join(f"{g} {n}" for g, n in sorted(counts.items()))
                out.print(f"  {escape(self.kb.frameworks[fid].short_name)}: {escape(shown) or '–'}")
        self.console.file.flush()


__all__ = ["TextRenderer", "fraction_words"]

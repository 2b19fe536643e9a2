"""Print the knowledge behind the options: one therapy in full, or the reference list."""

from __future__ import annotations

import sys

import orjson
from rich.console import Console

from rrall.engine import engine_for
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase
from rrall.report.words import prose


def find_therapy(kb: KnowledgeBase, asked: str) -> str | None:
    """A therapy's id from its id or name in any capitalisation (spaces, dashes and
    underscores alike): 'Blinatumomab', 'allogeneic-hsct', 'Allogeneic HSCT'."""
    def key(text: str) -> str:
        return "".join(ch for ch in text.lower() if ch.isalnum())

    wanted = key(asked)
    for therapy in kb.therapies.values():
        if wanted in (key(therapy.id), key(therapy.name), key(therapy.name.split(" (")[0])):
            return therapy.id
    return None


def _criteria(kb: KnowledgeBase, when: When) -> str:
    """A criterion in a clinician's words ("always" when it has none)."""
    return engine_for(kb).in_words(when)


def show_therapy(kb: KnowledgeBase, therapy_id: str, *, as_json: bool) -> None:
    therapy = kb.therapies[therapy_id]
    evidence = kb.evidence_for(therapy_id)
    cited = set(therapy.requires_citations) | {c for r in therapy.rules for c in r.citations}
    cited |= set(therapy.default.citations) | {c for k in therapy.cautions for c in k.citations}
    cited |= {e.citation for e in evidence}
    refs = [kb.references[c] for c in sorted(cited) if c in kb.references]
    if as_json:
        data = {"knowledge_version": kb.version, "therapy": therapy.model_dump(mode="json"),
                "evidence": [e.model_dump(mode="json") for e in evidence],
                "references": [r.model_dump(mode="json", exclude_none=True) for r in refs]}
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return
    out = Console(highlight=False)
    words = kb.glossary

    def status(value: str) -> str:
        return words.value("option_status", value)

    out.print(f"[bold]{_escape(therapy.name)}[/bold] · {words.value('phase', therapy.phase)} · "
              f"knowledge base {kb.version}")
    out.print(_escape(prose(therapy.description, words)))
    requires = _escape(_criteria(kb, therapy.requires))
    out.print(f"\n[bold]Requires[/bold] (else not eligible): {requires} "
              f"[dim]\\[{', '.join(therapy.requires_citations)}][/dim]")
    out.print("\n[bold]Decision list[/bold] (the first rule whose conditions all hold gives the status)")
    for n, rule in enumerate(therapy.rules, start=1):
        flag = " [yellow](uncertain)[/yellow]" if rule.uncertain else ""
        when = _escape(_criteria(kb, rule.when))
        phase = f", as {words.value('phase', rule.phase).lower()}" if rule.phase else ""
        out.print(f"  {n}. [bold]{status(rule.status)}[/bold]{phase} when {when}{flag}")
        out.print(f"      {_escape(prose(rule.reason, words))} [dim]\\[{', '.join(rule.citations)}][/dim]")
    out.print(f"  Otherwise [bold]{status(therapy.default.status)}[/bold]: "
              f"{_escape(prose(therapy.default.reason, words))} "
              f"[dim]\\[{', '.join(therapy.default.citations)}][/dim]")
    if therapy.cautions:
        out.print("\n[bold]Cautions[/bold]")
        for caution in therapy.cautions:
            flag = " [yellow](uncertain)[/yellow]" if caution.uncertain else ""
            when = _criteria(kb, caution.when)
            shown = "" if when == "always" else f"When {_escape(when)}: "
            out.print(f"  • {shown}{_escape(prose(caution.text, words))}{flag} "
                      f"[dim]\\[{', '.join(caution.citations)}][/dim]")
    out.print("\n[bold]Evidence[/bold]")
    for item in evidence:
        flag = " [yellow](uncertain)[/yellow]" if item.uncertain else ""
        level = words.value("evidence_level", item.level)
        out.print(f"  • Level {_escape(level)} · {item.design.replace('_', ' ')}{flag}")
        out.print(f"      {_escape(prose(item.statement, words))} [dim]\\[{item.citation}][/dim]")
    out.print("\n[bold]References[/bold]")
    for ref in refs:
        out.print(_escape(f"  [{ref.id}] {ref.citation} {_identifiers(ref)}".rstrip()))


def _identifiers(ref: object) -> str:
    return " ".join(f"{k.upper()} {getattr(ref, k)}" for k in ("pmid", "pmcid", "doi", "nct", "other_id")
                    if getattr(ref, k, None))


def show_references(kb: KnowledgeBase, *, as_json: bool) -> None:
    refs = list(kb.references.values())
    if as_json:
        data = {"knowledge_version": kb.version,
                "references": [r.model_dump(mode="json", exclude_none=True) for r in refs]}
        sys.stdout.buffer.write(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
        return
    out = Console(highlight=False)
    out.print(f"[bold]{len(refs)} references[/bold] · knowledge {kb.version}")
    for ref in refs:
        out.print(f"\n[bold]{ref.id}[/bold] {ref.citation}")
        ids = _identifiers(ref)
        if ids:
            out.print(f"  {ids}")
        out.print(f"  [dim]read at {ref.url}[/dim]")
        out.print(f"  supports: {ref.supports}")
        if ref.note:
            out.print(f"  [yellow]note: {ref.note}[/yellow]")


def _escape(text: str) -> str:
    """Source keys in square brackets are text, not rich markup."""
    return text.replace("[", r"\[")

"""Print the knowledge behind the options: one therapy in full, or the reference list."""

from __future__ import annotations

import sys

import orjson
from rich.console import Console

from rrall.engine import engine_for
from rrall.knowledge.facts import When
from rrall.knowledge.load import KnowledgeBase


def _criteria(kb: KnowledgeBase, when: When) -> str:
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
    out.print(f"[bold]{therapy.name}[/bold] ({therapy.id}) · phase {therapy.phase} · knowledge {kb.version}")
    out.print(therapy.description)
    out.print(f"\n[bold]Requires[/bold] (else not eligible): {_criteria(kb, therapy.requires)} "
              f"[dim]{' '.join(therapy.requires_citations)}[/dim]")
    out.print("\n[bold]Decision list[/bold] (first rule whose criteria all hold)")
    for rule in therapy.rules:
        flag = " [yellow]UNCERTAIN[/yellow]" if rule.uncertain else ""
        out.print(f"  {rule.id}: [bold]{rule.status}[/bold] when {_criteria(kb, rule.when)}{flag}")
        out.print(f"      {rule.reason} [dim]\\[{', '.join(rule.citations)}][/dim]")
    out.print(f"  otherwise: [bold]{therapy.default.status}[/bold]: {therapy.default.reason} "
              f"[dim]\\[{', '.join(therapy.default.citations)}][/dim]")
    if therapy.cautions:
        out.print("\n[bold]Cautions[/bold]")
        for caution in therapy.cautions:
            flag = " [yellow]UNCERTAIN[/yellow]" if caution.uncertain else ""
            out.print(f"  {caution.id} (when {_criteria(kb, caution.when)}){flag}: {caution.text} "
                      f"[dim]\\[{', '.join(caution.citations)}][/dim]")
    out.print("\n[bold]Evidence[/bold]")
    for item in evidence:
        flag = " [yellow]UNCERTAIN[/yellow]" if item.uncertain else ""
        out.print(f"  {item.id} · level {item.level} · {item.design.replace('_', ' ')}{flag}")
        out.print(f"      {item.statement} [dim]\\[{item.citation}][/dim]")
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

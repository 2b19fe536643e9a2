"""Print the knowledge behind the options: one therapy in full, or the reference list."""

from __future__ import annotations

import sys

import orjson
from rich.console import Console

from rrall.knowledge.glossary import Glossary
from rrall.knowledge.load import KnowledgeBase
from rrall.report.words import fraction_words, prose
from rrall.rules.criteria import Criteria


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


def _value(words: Glossary, value: object, names: dict[str, str]) -> str:
    """One criterion value in words: a boolean as yes/no, a vocabulary value by the glossary,
    a mapping (framework -> groups) as 'BFM S3 or S4; COG high'."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "model_dump"):
        value = value.model_dump(exclude_defaults=True)
    if isinstance(value, dict):
        return "; ".join(f"{names.get(k, k)} {_value(words, v, names)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return " or ".join(_value(words, v, names) for v in value)
    return prose(str(value), words)


def _criteria(c: Criteria, words: Glossary, names: dict[str, str]) -> str:
    """A block of criteria in words; `names`: each framework's short name by id."""
    parts = []
    for name in c.given():
        value = getattr(c, name)
        shown = fraction_words(value) if "mrd" in name and not isinstance(value, list | dict | bool) \
            else _value(words, value, names)
        parts.append(f"{words.value('criterion', name)}: {shown}")
    return "; ".join(parts) or "always"


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
    names = {fid: fw.short_name for fid, fw in kb.frameworks.items()}

    def status(value: str) -> str:
        return words.value("option_status", value)

    out.print(f"[bold]{_escape(therapy.name)}[/bold] · {words.value('phase', therapy.phase)} · "
              f"knowledge base {kb.version}")
    out.print(_escape(prose(therapy.description, words)))
    requires = _escape(_criteria(therapy.requires, words, names))
    out.print(f"\n[bold]Requires[/bold] (else not eligible): {requires} "
              f"[dim]\\[{', '.join(therapy.requires_citations)}][/dim]")
    out.print("\n[bold]Decision list[/bold] (the first rule whose conditions all hold gives the status)")
    for n, rule in enumerate(therapy.rules, start=1):
        flag = " [yellow](uncertain)[/yellow]" if rule.uncertain else ""
        when = _escape(_criteria(rule.when, words, names))
        out.print(f"  {n}. [bold]{status(rule.status)}[/bold] when {when}{flag}")
        out.print(f"      {_escape(prose(rule.reason, words))} [dim]\\[{', '.join(rule.citations)}][/dim]")
    out.print(f"  Otherwise [bold]{status(therapy.default.status)}[/bold]: "
              f"{_escape(prose(therapy.default.reason, words))} "
              f"[dim]\\[{', '.join(therapy.default.citations)}][/dim]")
    if therapy.cautions:
        out.print("\n[bold]Cautions[/bold]")
        for caution in therapy.cautions:
            flag = " [yellow](uncertain)[/yellow]" if caution.uncertain else ""
            when = _criteria(caution.when, words, names)
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

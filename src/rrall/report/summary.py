"""The one-screen answer every surface shows first: the frameworks in one row, whether
they agree on HSCT, the missing tests that would change an answer, the board's decision
and the options that are standard or to consider.

Built from the stored result (the JSON of an assessment) and the knowledge base's words;
it selects and words what the engine concluded, and decides nothing itself. Conditional
answers (`branches`, given by the engine for an answer that depends on a missing fact)
are read tolerantly: a result without them is shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rrall.knowledge.glossary import Glossary
from rrall.knowledge.load import KnowledgeBase
from rrall.report.words import age_words, field_words, join_words, months_words, prose, short_name, shortened

MAIN = ("standard", "consider")
TOP_MISSING = 5
TOP_CAUTIONS = 3


@dataclass(frozen=True)
class FrameworkLine:
    id: str
    short_name: str
    name: str
    status: str  # the engine's status value (for styling)
    group: str  # the group, or what stands in its place ("needs more data", "does not apply")
    hsct: str  # the HSCT rule in words
    conditions: tuple[str, ...] = ()  # "S2 (no HSCT) if MRD below 10⁻³", from branches
    missing: tuple[str, ...] = ()  # labels of the fields that would settle it
    # A settled answer a pending test could still change (a lumbar puncture showing CNS3):
    # the test's name, so that the group is never shown as final while it waits.
    could_change: tuple[str, ...] = ()


@dataclass(frozen=True)
class OptionLine:
    id: str
    name: str
    status: str
    status_words: str
    conditions: str = ""  # "standard if BCR::ABL1 negative; consider if BCR::ABL1 positive"
    needs: tuple[str, ...] = ()  # fields that would settle an undecided option
    # The lead source of the rule that decided the status, as a one-line summary names it
    # ("Locatelli 2021"): every line that recommends something says on what it rests.
    source: str = ""


@dataclass(frozen=True)
class MissingLine:
    label: str
    test: str
    changes: str  # what it would change, named by framework and option
    uses: tuple[str, ...] = ()  # what the assessment reads until the test is recorded, in words


@dataclass(frozen=True)
class Summary:
    headline: str
    frameworks: tuple[FrameworkLine, ...]
    hsct: str
    missing: tuple[MissingLine, ...]
    missing_total: int
    decision: dict[str, Any] | None
    treatment: tuple[OptionLine, ...]
    supportive: tuple[OptionLine, ...]
    undecided: tuple[OptionLine, ...]
    notes: tuple[str, ...] = ()  # the frameworks' cautions (not the encoding doubts), each once
    # Cautions that hold because of this child's own facts, on the options to weigh (the
    # first few; cautions_total counts them all).
    cautions: tuple[str, ...] = ()
    cautions_total: int = 0
    warnings: tuple[str, ...] = ()  # what the classification warns about (a lineage switch, ...)
    extra: dict[str, Any] = field(default_factory=dict)


def summarise(result: dict[str, Any], kb: KnowledgeBase, decisions: tuple[dict[str, Any], ...] = (),
              glossary: Glossary | None = None) -> Summary:
    words = glossary or kb.glossary
    lines = tuple(_framework(kb, words, fid, result["risk"].get(fid), result.get("missing_data") or [])
                  for fid in kb.frameworks if fid in result["risk"])
    options = [_option(words, o, lead_source(result, kb, o)) for o in result["options"]]
    main = [o for o in options if o.status in MAIN]
    phases = {o["id"]: o["phase"] for o in result["options"]}
    undecided = [o for o in options if o.status == "insufficient_data"
                 and (o.needs or o.conditions) and phases[o.id] != "supportive"]
    missing = _missing(result, kb, words)
    treatment = tuple(o for o in main if phases[o.id] != "supportive")
    cautions = _child_cautions(result, kb, words, {o.id for o in treatment})
    return Summary(
        headline=headline(result["classification"], words),
        frameworks=lines,
        hsct=hsct_line(lines, result["classification"], words),
        missing=tuple(missing[:TOP_MISSING]),
        missing_total=len(missing),
        decision=decision_view(decisions[-1], result) if decisions else None,
        treatment=treatment,
        supportive=tuple(o for o in main if phases[o.id] == "supportive"),
        undecided=tuple(undecided),
        notes=_notes(result, kb, words),
        warnings=tuple(prose(w["message"], words) for w in result.get("warnings") or []),
        cautions=cautions[:TOP_CAUTIONS],
        cautions_total=len(cautions),
    )


def _child_cautions(result: dict[str, Any], kb: KnowledgeBase, words: Glossary,
                    weighed: set[str]) -> tuple[str, ...]:
    """The cautions on the options to weigh that hold because of this child's own facts
    (conditions on more than the relapse's course, knowledge/facts.yaml `course`: Down
    syndrome, the anthracycline dose already given, a prior response, a lesion), each once
    with the options it concerns: the dose's first, then those on the child's constitution
    (a syndrome or germline predisposition, recorded under `constitutional`), then those
    concerning most options. Those conditional on missing data ("may apply") and unverified
    ones stay in the full view."""
    facts = kb.facts.facts
    # Facts a knowledge file does not define (timing, a framework's group) describe the course.
    general = {f for f, spec in facts.items() if spec.course}
    constitution = {f for f, spec in facts.items() if spec.field.startswith("constitutional.")}
    reads = {c.id: set(c.when.reads) for t in kb.therapies.values() for c in t.cautions}
    dose = [prose(c["text"], words)
            for c in (result.get("cumulative_anthracycline") or {}).get("cautions") or []]
    found: dict[str, list[str]] = {text: [] for text in dose}
    first: set[str] = set()
    for o in result["options"]:
        if o["id"] not in weighed:
            continue
        for c in o["cautions"]:
            read = reads.get(c["rule"], set())
            if c["uncertain"] or c["text"].startswith("May apply") or not any(
                    f in facts and f not in general for f in read):
                continue
            text = prose(c["text"], words)
            found.setdefault(text, []).append(short_name(o["name"]))
            if read & constitution:
                first.add(text)
    rest = sorted((t for t in found if t not in dose), key=lambda t: (t not in first, -len(found[t])))
    return tuple(_concerning(text, found[text]) for text in [*dose, *rest])


def _concerning(text: str, options: list[str]) -> str:
    named = list(dict.fromkeys(options))
    if not named:
        return text
    shown = named if len(named) <= 2 else [named[0], f"{len(named) - 1} more options"]
    return f"{text} ({join_words(shown)})"


def _notes(result: dict[str, Any], kb: KnowledgeBase, words: Glossary) -> tuple[str, ...]:
    """Each framework caution a clinician must see beside the groups (a Ph+ relapse's group
    is for reference only...), with the frameworks that give it; the doubts about how a
    table was encoded stay with the frameworks' details."""
    found: dict[str, list[str]] = {}
    for fid, fw in kb.frameworks.items():
        for caution in (result["risk"].get(fid) or {}).get("cautions") or []:
            if not caution.get("uncertain"):
                found.setdefault(prose(caution["text"], words), []).append(fw.short_name)
    return tuple(f"{join_words(names)}: {text}" for text, names in found.items())


def headline(c: dict[str, Any], words: Glossary) -> str:
    """One sentence: lineage, disease state, site, timing, clocks, age."""
    lineage = words.value("immunophenotype", c["immunophenotype"])
    if c["disease_state"] == "primary_refractory":
        return f"{lineage} ALL, primary refractory (no remission after induction); " \
               f"age {age_words(c.get('age_at_assessment_years'))}."
    parts = [f"{lineage} ALL, {words.value('disease_state', c['disease_state'])}"]
    if c.get("relapse_number", 0) > 1:
        parts[0] += f" (relapse {c['relapse_number']})"
    site = c.get("site")
    em = ", ".join(words.value("relapse_site", s) for s in c.get("extramedullary_sites") or [])
    if site:
        parts.append(words.value("site_category", site) + (f" ({em})" if em else ""))
    else:  # an extramedullary site with no marrow blast count: isolated or combined is open
        parts.append(f"{em or 'extramedullary'} relapse, isolated or combined not known "
                     "(no marrow blast count)")
    timing = c.get("timing") or {}
    if timing.get("bfm") or timing.get("cog"):
        bfm = words.value("timing", timing.get("bfm") or "unknown")
        cog = words.value("timing", timing.get("cog") or "unknown")
        parts.append(f"{bfm} (BFM and COG timing)" if bfm == cog
                     else f"{bfm} (BFM timing), {cog} (COG timing)")
    if c.get("months_from_diagnosis") is not None:
        parts.append(f"{months_words(c['months_from_diagnosis'])} from diagnosis")
    if c.get("months_from_frontline_end") is not None:
        ended = f"{months_words(c['months_from_frontline_end'])} after the end of front-line therapy"
        if str(c.get("frontline_end_source") or "").startswith("prior_therapy.hsct"):
            # An HSCT in first remission ends front-line therapy: say the date came from it.
            ended += f" (ended by the HSCT in first remission, {c['frontline_end']})"
        parts.append(ended)
    elif c.get("frontline_end") == "not_completed":
        parts.append("during front-line therapy")
    flags = [text for text, on in (("after allogeneic HSCT", c.get("post_hsct")),
                                   ("refractory", c.get("refractory")),
                                   ("BCR::ABL1 positive", c.get("bcr_abl1"))) if on]
    parts.extend(flags)
    parts.append(f"age {age_words(c.get('age_at_assessment_years'))}")
    return "; ".join(parts) + "."


def _framework(kb: KnowledgeBase, words: Glossary, fid: str, r: dict[str, Any] | None,
               pending: list[dict[str, Any]]) -> FrameworkLine:
    fw = kb.frameworks[fid]
    if r is None:
        return FrameworkLine(fid, fw.short_name, fw.name, "missing", "not assessed", "–")
    status = r["status"]
    group = r.get("group") or words.value("framework_status", status)
    hsct = words.value("hsct_short", r["hsct_in_cr2"]) if r.get("hsct_in_cr2") else (
        "does not apply" if status == "not_applicable" else "not known yet")
    # Conditional groups when the group itself is open; a settled group whose HSCT rule waits
    # for the MRD after reinduction says so in its HSCT row.
    branches = (r.get("branches") or []) if status == "insufficient_data" else []
    conditions = tuple(_branch_words(words, b, framework=True) for b in branches)
    missing = tuple(dict.fromkeys(field_words(m["field"], words) for m in r.get("missing") or []))
    could = tuple(dict.fromkeys(
        m.get("test") or words.test(m["field"]) or field_words(m["field"], words)
        for m in pending if fid in (m.get("affects") or []) and field_words(m["field"], words) not in missing
    ))
    return FrameworkLine(fid, fw.short_name, fw.name, status, group, hsct, conditions, missing, could)


def _branch_words(words: Glossary, branch: dict[str, Any], *, framework: bool) -> str:
    when = " and ".join(str(w.get("label") or field_words(str(w.get("field", "")), words))
                        for w in branch.get("when") or [])
    if framework:
        head = branch.get("group") or words.value("framework_status", branch.get("status", ""))
        hsct = branch.get("hsct_in_cr2")
        if hsct:
            head += f" ({words.value('hsct_short', hsct)})"
    else:
        head = words.value("option_status", branch.get("status", "")).lower()
    return f"{head} if {when}" if when else head


def lead_source(result: dict[str, Any], kb: KnowledgeBase, o: dict[str, Any]) -> str:
    """The short name of the lead source of an option's status, from the assessment's own
    references: the first citation of the rule that decided it (its decision list's row, its
    default, or its requirement). Where no one rule decided it (an undecided option, or
    several agreeing rows), the option's first citation that is not its requirement's (the
    label notices that say who may get the drug), so that a conditional line rests on the
    rows it quotes."""
    cited = o.get("citations") or []
    therapy, decided_by = kb.therapies.get(o["id"]), o.get("rule")
    rule: list[str] = []
    required: list[str] = []
    if therapy is not None:
        required = therapy.requires_citations
        rule = next((r.citations for r in therapy.rules if r.id == decided_by),
                    required if decided_by == "requires"
                    else therapy.default.citations if decided_by == "default" else [])
    lead = next((c for c in rule if c in cited), None)
    lead = lead or next((c for c in cited if c not in required), cited[0] if cited else None)
    if lead is None:
        return ""
    return source_name(lead, (result.get("references") or {}).get(lead), kb)


def source_name(key: str, stored: dict[str, Any] | None, kb: KnowledgeBase) -> str:
    """A source's short name: as the assessment stored it, else this knowledge base's, else
    the start of its citation (an assessment or knowledge folder from before short names)."""
    if stored and stored.get("short"):
        return str(stored["short"])
    known = kb.references.get(key)
    if known is not None and known.short:
        return known.short
    citation = str((stored or {}).get("citation") or (known.citation if known else ""))
    return shortened(citation, 40)


def _option(words: Glossary, o: dict[str, Any], source: str = "") -> OptionLine:
    branches = o.get("branches") or []
    conditions = "; ".join(_branch_words(words, b, framework=False) for b in branches)
    needs = tuple(dict.fromkeys(field_words(m["field"], words) for m in o.get("missing") or []))
    return OptionLine(o["id"], o["name"], o["status"], words.value("option_status", o["status"]),
                      conditions, needs, source)


def hsct_line(lines: tuple[FrameworkLine, ...], c: dict[str, Any], words: Glossary) -> str:
    """Whether the applicable frameworks agree on HSCT in second remission, and if not,
    which say what."""
    applicable = [f for f in lines if f.status != "not_applicable"]
    if not applicable:
        why = "relapse after allogeneic HSCT" if c.get("post_hsct") else words.value("disease_state",
                                                                                     c["disease_state"])
        return (f"The first-relapse frameworks do not apply ({why}); the transplant options among the "
                "treatments say what applies instead.")
    by_answer: dict[str, list[str]] = {}
    for f in applicable:
        by_answer.setdefault(f.hsct, []).append(f.short_name)
    skipped = [f.short_name for f in lines if f.status == "not_applicable"]
    tail = f" ({join_words(skipped)} {'does' if len(skipped) == 1 else 'do'} not apply.)" if skipped else ""
    if len(by_answer) == 1:
        answer, names = next(iter(by_answer.items()))
        if not skipped and answer in _NONE:  # never "All four ... do not" (read as "not all")
            return f"The {_count(len(names))} frameworks agree: {_NONE[answer]}."
        who = f"All {_count(len(names))} frameworks" if not skipped else f"{join_words(names)}"
        return f"{who} {_AGREE.get(answer, 'say: HSCT in second remission ' + answer)}.{tail}"
    said = "; ".join(f"{answer} under {join_words(names)}" for answer, names in by_answer.items())
    return f"The frameworks differ on HSCT in second remission: {said}.{tail}"


_NONE = {"not indicated": "HSCT in second remission is not indicated",
         "not known yet": "none can yet say whether HSCT in second remission is indicated"}
_AGREE = {"indicated": "indicate HSCT in second remission",
          "not indicated": "do not indicate HSCT in second remission",
          "not known yet": "cannot yet say whether HSCT in second remission is indicated"}


def _count(n: int) -> str:
    return {1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}.get(n, str(n))


def _missing(result: dict[str, Any], kb: KnowledgeBase, words: Glossary) -> list[MissingLine]:
    """Every missing item in clinical words, those that change a framework first, then
    those that change an option's status, then the work-up."""
    names = {o["id"]: short_name(o["name"]) for o in result["options"]}
    ranked = []
    for item in result.get("missing_data") or []:
        affects = item.get("affects") or []
        frameworks = [kb.frameworks[a].short_name for a in affects if a in kb.frameworks]
        options = [names.get(a.removeprefix("option:"), a) for a in affects if a.startswith("option:")]
        parts = []
        if frameworks:
            parts.append(f"the group or HSCT rule under {join_words(frameworks)}")
        if options:
            shown = options if len(options) <= 3 else [*options[:2], f"{len(options) - 2} more"]
            parts.append(f"the status of {join_words(shown)}")
        changes = "; ".join(parts) or "work-up"
        test = item.get("test") or words.test(item["field"]) or "–"
        rank = (0 if frameworks else 1 if options else 2, -len(affects))
        uses = tuple(item.get("uses") or ())
        ranked.append((rank, MissingLine(field_words(item["field"], words), test, changes, uses)))
    ranked.sort(key=lambda pair: pair[0])
    return [line for _, line in ranked]


def decision_view(decision: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
    """A recorded decision with the chosen options by name (ids stay in the record)."""
    names = {o["id"]: short_name(o["name"]) for o in result["options"]}
    chosen = [names.get(str(c), str(c).replace("_", " ")) for c in decision.get("chosen_options") or []]
    return {**decision, "chosen_names": chosen}

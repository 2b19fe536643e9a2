"""Cumulative anthracycline exposure as doxorubicin equivalents, by a versioned factor table."""

from __future__ import annotations

from decimal import Decimal

from rrall.case.model import AnthracyclineDose, Case
from rrall.knowledge.clinical import AnthracyclineFile, ConversionTable
from rrall.knowledge.glossary import Glossary
from rrall.results import AgentDose, Caution, CumulativeAnthracycline


def table(data: AnthracyclineFile, table_id: str | None = None) -> ConversionTable:
    wanted = table_id or data.default_table
    for candidate in data.tables:
        if candidate.id == wanted:
            return candidate
    raise KeyError(wanted)


def cumulative(case: Case, data: AnthracyclineFile, glossary: Glossary,
               table_id: str | None = None) -> CumulativeAnthracycline:
    """The doses as doxorubicin equivalents by the chosen table (the default when None)."""
    return _cumulative(case.prior_therapy.anthracyclines, data, glossary, table_id)


def _cumulative(doses: list[AnthracyclineDose], data: AnthracyclineFile, glossary: Glossary,
                table_id: str | None) -> CumulativeAnthracycline:
    used = table(data, table_id)
    by_agent, low, high, convertible = [], Decimal(0), Decimal(0), True
    for dose in doses:
        amount = Decimal(str(dose.cumulative_mg_per_m2))
        factor = used.factors.get(dose.agent)
        if factor is None:
            convertible = False
            by_agent.append(AgentDose(agent=dose.agent, cumulative_mg_per_m2=amount, factor=None,
                                      doxorubicin_equivalent_mg_per_m2=None))
            continue
        f_low, f_high = factor if isinstance(factor, tuple) else (factor, factor)
        low += amount * f_low
        high += amount * f_high
        shown = f"{f_low:f}" if f_low == f_high else f"{f_low:f}-{f_high:f}"
        equivalent = _num(amount * f_low)
        if f_low != f_high:
            equivalent += f"-{_num(amount * f_high)}"
        by_agent.append(AgentDose(agent=dose.agent, cumulative_mg_per_m2=amount, factor=shown,
                                  doxorubicin_equivalent_mg_per_m2=equivalent))
    citations = list(used.citations)
    cautions: list[Caution] = []
    if used.uncertain:
        text = f"The {used.name} factors are marked uncertain: {used.note or ''}".strip()
        cautions.append(Caution(text=text, uncertain=True, rule=used.id, citations=tuple(used.citations)))
    if not doses:
        status, value, span = "not_recorded", None, None
        note = data.not_recorded
        cautions.append(Caution(text=note.text.strip(), uncertain=False, rule="anthracycline.not_recorded",
                                citations=tuple(note.citations)))
    elif not convertible:
        status, value, span = "not_convertible", None, None
        agents = ", ".join(glossary.value("anthracycline", a.agent) for a in by_agent if a.factor is None)
        note = data.not_convertible
        cautions.append(Caution(text=note.text.strip().format(table=used.name, agents=agents),
                                uncertain=True, rule=used.id, citations=tuple(note.citations)))
    elif low == high:
        status, value, span = "calculated", _round(low), None
    else:
        status, value, span = "range", None, (_round(low), _round(high))
    if status in ("calculated", "range"):
        for threshold in data.thresholds:
            if high >= threshold.at_least_mg_per_m2:
                certain = low >= threshold.at_least_mg_per_m2
                prefix = "" if certain else "Possibly (depending on the factor): "
                cautions.append(Caution(text=prefix + threshold.text,
                                        uncertain=threshold.uncertain or not certain,
                                        rule=threshold.id, citations=tuple(threshold.citations)))
                citations.extend(threshold.citations)
    return CumulativeAnthracycline(
        status=status, doxorubicin_equivalent_mg_per_m2=value, range_mg_per_m2=span, table=used.id,
        table_name=used.name, by_agent=tuple(by_agent), cautions=tuple(cautions),
        citations=tuple(dict.fromkeys(citations)))


def _round(value: Decimal) -> Decimal:
    """One decimal place, without a trailing zero or an exponent (150, not 1.5E+2)."""
    rounded = value.quantize(Decimal("0.1"))
    return rounded.quantize(Decimal(1)) if rounded == rounded.to_integral_value() else rounded


def _num(value: Decimal) -> str:
    return f"{_round(value):f}"

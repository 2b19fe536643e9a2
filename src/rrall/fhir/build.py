"""Small builders for FHIR JSON, shared by the export of cases and of assessments."""

from __future__ import annotations

import re
import uuid
from typing import Any

from rrall.fhir.codes import RRALL, UCUM, display

NAMESPACE = uuid.UUID("6f6c2a52-7d5e-4a3c-9a55-72726c6c0001")
AMINO_ACIDS = {"A": "Ala", "R": "Arg", "N": "Asn", "D": "Asp", "C": "Cys", "Q": "Gln", "E": "Glu",
               "G": "Gly", "H": "His", "I": "Ile", "L": "Leu", "K": "Lys", "M": "Met", "F": "Phe",
               "P": "Pro", "S": "Ser", "T": "Thr", "W": "Trp", "Y": "Tyr", "V": "Val"}
ONE_LETTER = {three: one for one, three in AMINO_ACIDS.items()}


def rid(scope: str, name: str) -> str:
    """A stable resource id: the same case gives the same ids."""
    return str(uuid.uuid5(NAMESPACE, f"{scope}/{name}"))


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(*codes: tuple[str, ...], text: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(*c) for c in codes]}
    if text:
        out["text"] = text
    return out


def own(code: str) -> tuple[str, str, str]:
    """A code of rrall's `case` CodeSystem, with that CodeSystem's display."""
    return (RRALL, code, display(code))


def quantity(value: float | int | str, unit: str, code: str | None = None) -> dict[str, Any]:
    number = float(value)
    return {"value": int(number) if number.is_integer() and "." not in str(value) else number,
            "unit": unit, "system": UCUM, "code": code or unit}


def ref(kind: str, ident: str) -> dict[str, str]:
    return {"reference": f"urn:uuid:{ident}"} if kind == "" else {"reference": f"{kind}/{ident}"}


def hgvs_protein(short: str) -> str:
    """T315I -> p.Thr315Ile (HGVS protein notation with three-letter amino acids)."""
    return f"p.{AMINO_ACIDS[short[0]]}{short[1:-1]}{AMINO_ACIDS[short[-1]]}"


def short_protein(hgvs: str) -> str | None:
    """p.Thr315Ile or p.T315I -> T315I; None when it is not a single amino-acid change."""
    text = hgvs.removeprefix("p.").strip("()")
    if len(text) >= 7 and text[:3] in ONE_LETTER and text[-3:] in ONE_LETTER and text[3:-3].isdigit():
        return ONE_LETTER[text[:3]] + text[3:-3] + ONE_LETTER[text[-3:]]
    if len(text) >= 3 and text[0] in AMINO_ACIDS and text[-1] in AMINO_ACIDS and text[1:-1].isdigit():
        return text
    return None


FLAG = re.compile(r"^UNCERTAIN\s*(\([^)]*\))?\s*:\s*")


def caution_line(caution: dict[str, Any]) -> str:
    """A caution as the report gives it, for a FHIR note or a card: "Unverified: ..." (or
    "Uncertain: ..." where the knowledge's text does not say so itself), "May apply ..." as
    it is, otherwise "Caution: ..."; the knowledge's old UNCERTAIN flag is not repeated."""
    text = FLAG.sub("", caution["text"]) if caution["uncertain"] else caution["text"]
    if caution["uncertain"]:
        return text if "Unverified:" in text else f"Uncertain: {text}"
    return text if text.startswith("May apply") else f"Caution: {text}"

"""Reading a patient's record from the EHR's FHIR server (when a CDS client sends no prefetch)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

MAX_PAGES = 20


class FetchError(Exception):
    pass


def fetch(base: str, token: str | None, patient_id: str, templates: dict[str, str],
          transport: httpx.BaseTransport | None = None) -> list[dict[str, Any]]:
    """Every resource the prefetch templates name, following `next` links."""
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found: list[dict[str, Any]] = []
    with httpx.Client(base_url=base.rstrip("/") + "/", headers=headers, timeout=10,
                      transport=transport) as client:
        for template in templates.values():
            url: str | None = template.replace("{{context.patientId}}", quote(patient_id, safe=""))
            for _ in range(MAX_PAGES):
                if url is None:
                    break
                try:
                    response = client.get(url)
                except httpx.HTTPError as exc:
                    raise FetchError(f"the FHIR server did not answer: {type(exc).__name__}") from None
                if response.status_code != 200:
                    raise FetchError(f"the FHIR server answered {response.status_code} to a read")
                data = response.json()
                url = None
                if data.get("resourceType") == "Bundle":
                    found.extend(e["resource"] for e in data.get("entry") or [] if "resource" in e)
                    pages = [link["url"] for link in data.get("link") or [] if link.get("relation") == "next"]
                    url = pages[0] if pages else None
                else:
                    found.append(data)
    return found

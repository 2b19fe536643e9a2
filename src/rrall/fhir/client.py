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
    """Every entry (resource with its fullUrl) the prefetch templates name, following
    `next` links on the same server only: the token is never sent anywhere else."""
    root = base.rstrip("/") + "/"
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    found: list[dict[str, Any]] = []
    with httpx.Client(base_url=root, headers=headers, timeout=10, transport=transport) as client:
        for template in templates.values():
            url: str | None = template.replace("{{context.patientId}}", quote(patient_id, safe=""))
            pages = 0
            while url is not None:
                pages += 1
                if pages > MAX_PAGES:
                    raise FetchError(f"more than {MAX_PAGES} pages for {template}: the record was not "
                                     "read whole")
                data = _get(client, url)
                url = None
                if data.get("resourceType") == "Bundle":
                    found.extend({"fullUrl": e.get("fullUrl"), "resource": e["resource"]}
                                 for e in data.get("entry") or [] if isinstance(e, dict) and "resource" in e)
                    links = data.get("link") or []
                    nexts = [link.get("url") for link in links if link.get("relation") == "next"]
                    if nexts and isinstance(nexts[0], str):
                        if not nexts[0].startswith(root) and "://" in nexts[0]:
                            raise FetchError("a 'next' page on another server: not followed (the token stays "
                                             "with the FHIR server it was issued for)")
                        url = nexts[0]
                else:
                    found.append({"resource": data})
    return found


def _get(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        raise FetchError(f"the FHIR server did not answer: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise FetchError(f"the FHIR server answered {response.status_code} to a read")
    try:
        data = response.json()
    except ValueError:
        raise FetchError("the FHIR server answered with something that is not JSON") from None
    if not isinstance(data, dict):
        raise FetchError("the FHIR server answered with JSON that is not a resource or Bundle")
    return data

"""Reading a patient's record from the EHR's FHIR server (when a CDS client sends no prefetch),
and the one check of whether an address is on a given FHIR server."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote, unquote

import httpx

from rrall.errors import FetchError, UnsafeServer

MAX_PAGES = 20
DEFAULT_PORTS = {"http": 80, "https": 443}


def server_parts(url: str) -> tuple[str, str, int, tuple[str, ...]]:
    """Scheme, host, port and path segments of a FHIR server's base address, parsed the way
    the HTTP client parses it (so the check and the request cannot disagree). Refused: other
    schemes, a user name or password (`http://allowed@other/`), a query or fragment, a port
    out of range, and path segments that are or hide `.`, `..` or a slash."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise UnsafeServer("not a valid address") from None
    if parsed.scheme not in DEFAULT_PORTS:
        raise UnsafeServer("only http and https addresses are read")
    if parsed.userinfo:
        raise UnsafeServer("an address with a user name or password (user@host) is refused")
    if not parsed.host:
        raise UnsafeServer("the address names no host")
    if parsed.query or parsed.fragment:
        raise UnsafeServer("a FHIR base address has no query (?) or fragment (#)")
    port = parsed.port or DEFAULT_PORTS[parsed.scheme]
    if not 0 < port < 65536:
        raise UnsafeServer(f"port {port} is out of range")
    segments = tuple(s for s in parsed.raw_path.decode("ascii").split("/") if s)
    for segment in segments:
        plain = unquote(segment)
        if plain in (".", "..") or "/" in plain or "\\" in plain:
            raise UnsafeServer("the path holds '.', '..' or an encoded slash")
    return parsed.scheme, parsed.host.lower().rstrip("."), port, segments


def within(url: str, base: str) -> bool:
    """Whether `url` is on the server `base` names: same scheme, host and port, and its path
    starts with the base's path on a segment boundary (/fhir holds /fhir/x, not /fhir-x)."""
    try:
        scheme, host, port, path = server_parts(url)
        b_scheme, b_host, b_port, b_path = server_parts(base)
    except UnsafeServer:
        return False
    return (scheme, host, port) == (b_scheme, b_host, b_port) and path[:len(b_path)] == b_path


def fetch(base: str, token: str | None, patient_id: str, templates: dict[str, str],
          transport: httpx.BaseTransport | None = None) -> list[dict[str, Any]]:
    """Every entry (resource with its fullUrl) the prefetch templates name, following
    `next` links on the same server only: the token is never sent anywhere else."""
    _quiet_http_logs()
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
                        url = _next_page(nexts[0], root)
                else:
                    found.append({"resource": data})
    return found


def _quiet_http_logs() -> None:
    """httpx logs every request's full URL at INFO and a FHIR search URL names the patient
    (`Condition?patient=...`): its and httpcore's loggers are kept at WARNING, whatever the
    root logger's level, so no patient id reaches a log through them."""
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _next_page(link: str, root: str) -> str:
    """A `next` link, followed only on the server the token was issued for."""
    try:
        absolute = httpx.URL(link).is_absolute_url
    except httpx.InvalidURL:
        raise FetchError("a 'next' link that is not a valid address") from None
    if absolute and not within(link.split("?")[0].split("#")[0], root):
        raise FetchError("a 'next' page on another server: not followed (the token stays with the FHIR "
                         "server it was issued for)")
    return link


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

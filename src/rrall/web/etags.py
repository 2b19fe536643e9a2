"""Entity tags for stored cases and the If-Match precondition (RFC 9110, 8.8.3 and 13.1.1).

A case's entity tag is its latest version number, quoted: `"3"`. It is strong (each
version is one exact document), so If-Match compares strongly: a weak tag (`W/"3"`)
never matches; `*` matches any stored case; a list matches when one of its tags is the
latest version. A failed precondition is 412; a header that is not an entity-tag list is
400.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rrall.errors import ApiError

# One list element: optional W/, a quoted opaque tag (RFC 9110 etagc), then "," or the end.
_ELEMENT = re.compile(r'[ \t]*(W/)?"([\x21\x23-\x7e\x80-\U0010ffff]*)"[ \t]*(,|$)')
_VERSION = re.compile(r"[0-9]{1,10}")


def etag(version: int) -> str:
    return f'"{version}"'


@dataclass(frozen=True)
class IfMatch:
    any: bool  # `*`
    versions: frozenset[int]  # the strong tags that name a version


def parse_if_match(header: str) -> IfMatch:
    if header.strip() == "*":
        return IfMatch(True, frozenset())
    versions: set[int] = set()
    position, found = 0, 0
    while position < len(header):
        element = _ELEMENT.match(header, position)
        if element is None:
            if header[position:].strip(" \t,") == "":  # empty list elements are allowed
                break
            raise ApiError(400, 'If-Match must be "*" or entity tags such as "3" (the case version '
                                "the change is based on), comma-separated")
        found += 1
        if element.group(1) is None and _VERSION.fullmatch(element.group(2)):
            versions.add(int(element.group(2)))
        position = element.end()
    if not found:
        raise ApiError(400, 'If-Match is empty: send "*" or the version the change is based on, e.g. "3"')
    return IfMatch(False, frozenset(versions))


def base_version(condition: IfMatch, latest: int) -> int | None:
    """The version a change under `condition` must be based on (None: any), or 412."""
    if condition.any:
        return None
    if latest in condition.versions:
        return latest
    raise ApiError(412, f"the case is at version {latest} (ETag \"{latest}\"), which If-Match does not name "
                        "(a weak tag W/\"...\" never matches): reload it and enter your changes again",
                   "precondition_failed")

"""The log scanner itself: each kind of leak is caught, the test client's own lines are not."""

from __future__ import annotations

import logging

from tests.logscan import scanning


def test_each_kind_of_leak_is_caught() -> None:
    log = logging.getLogger("rrall.test")
    with scanning(["MRN-0012345", "病例7"]) as scan:
        log.debug("nothing here: GET /cases/{pk} 200 3.1ms")
        log.info("read case %s", "MRN-0012345")
        log.warning("glyph %s", "病")
        log.info("GET https://ehr.example/fhir/Condition?patient=1dd9 200")
        log.info("GET https://ehr.example/fhir/Patient/1dd9 200")
        log.info("sent Authorization: Bearer abcdefgh12345")
        log.info("user added, password=hunter2")
        try:
            raise ValueError("MRN-0012345")
        except ValueError:
            log.exception("failed")  # the traceback is scanned too
        logging.getLogger("httpx").info("HTTP Request: GET http://testserver/cases?q=MRN-0012345 200")
    leaks = scan.leaks()
    assert len(leaks) == 7, leaks
    assert "the value 'MRN-0012345'" in leaks[0] and "the character '病'" in leaks[1]
    assert all("a FHIR URL with a patient" in leak for leak in leaks[2:4])
    assert "a bearer token" in leaks[4] and "a password" in leaks[5] and "failed" in leaks[6]
    assert logging.getLogger().handlers == [h for h in logging.getLogger().handlers if h is not scan]

"""JSON and JSON Lines output: assessments and error records, in input order."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import orjson

if TYPE_CHECKING:
    from rrall.assessment import Assessment
    from rrall.errors import CaseInputError


class JsonRenderer:
    """`lines=True`: one object per line. Otherwise one object, or an array for several."""

    def __init__(self, lines: bool, detail: str = "full") -> None:
        self.lines = lines
        self.detail = detail  # full, or summary (report/detail.py)
        self.items: list[bytes] = []
        self.out = sys.stdout.buffer

    def assessment(self, assessment: Assessment) -> None:
        if self.detail == "summary":
            from rrall.report.detail import summary_json

            self._emit(summary_json(assessment))
        else:
            from rrall.report.fastjson import assessment_json

            self._emit(assessment_json(assessment))

    def error(self, error: CaseInputError) -> None:
        self._emit(orjson.dumps(error.record()))
        sys.stderr.write(f"{error}\n")

    def _emit(self, data: bytes) -> None:
        if self.lines:
            self.out.write(data + b"\n")
        else:
            self.items.append(data)

    def close(self) -> None:
        if not self.lines:
            if len(self.items) == 1:
                body = orjson.dumps(orjson.loads(self.items[0]), option=orjson.OPT_INDENT_2)
            else:
                body = orjson.dumps([orjson.loads(i) for i in self.items], option=orjson.OPT_INDENT_2)
            self.out.write(body + b"\n")
        self.out.flush()

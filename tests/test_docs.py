"""The documented full example is a valid case."""

import re

import yaml

from rrall import assess
from rrall.case.load import parse_case
from tests.conftest import ROOT, TODAY


def test_case_format_example_is_valid() -> None:
    text = (ROOT / "docs" / "case-format.md").read_text()
    block = re.search(r"## A full example\n\n```yaml\n(.*?)```", text, re.S)
    assert block
    result = assess(parse_case(yaml.safe_load(block.group(1)), today=TODAY))
    assert result.risk["bfm"].group == "S2" and result.risk["bfm"].hsct_in_cr2 == "indicated"

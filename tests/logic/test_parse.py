"""The YAML shorthand parses into the same criteria as the explicit form; units convert;
unknown keys, facts, values and units are refused with the path to the offending part."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import yaml

from rrall.logic.criteria import All, AtLeast, AtMost, Below, Equals, Has, Not, OneOf
from rrall.logic.criteria import Any as AnyOf
from rrall.logic.parse import CriterionError
from rrall.logic.values import ANY
from tests.logic.toy import GRAMMAR


def parse(text: str) -> Any:
    return GRAMMAR.parse(yaml.safe_load(text))


@pytest.mark.parametrize(
    ("shorthand", "explicit"),
    [
        ("colour: red", "{type: equals, fact: colour, value: red}"),
        ("colour: [red, blue]", "{type: in, fact: colour, values: [red, blue]}"),
        ("length: {at_least: 2}", "{type: at_least, fact: length, value: 2}"),
        ("length: {below: 20 cm}", "{type: below, fact: length, value: 20 cm}"),
        ("tags: {has: [round, sharp]}", "{type: has, fact: tags, values: [round, sharp]}"),
        (
            "any: [{colour: red}, {shiny: true}]",
            "{type: any, items: [{type: equals, fact: colour, value: red},"
            " {type: equals, fact: shiny, value: true}]}",
        ),
        ("not: {shiny: true}", "{type: not, item: {type: equals, fact: shiny, value: true}}"),
    ],
)
def test_shorthand_equals_explicit_form(shorthand: str, explicit: str) -> None:
    assert parse(shorthand) == parse(explicit)


def test_kinds_parsed() -> None:
    assert parse("colour: red") == Equals("colour", value="red")
    assert parse("colour: [red, blue]") == OneOf("colour", values=("red", "blue"))
    assert parse("tags: any") == Has("tags", (ANY,))
    both = parse("{colour: red, shiny: true}")
    assert isinstance(both, All) and len(both.items) == 2
    assert isinstance(parse("any: [{colour: red}, {colour: blue}]"), AnyOf)
    assert isinstance(parse("not: {colour: red}"), Not)


def test_units_convert_and_keep_the_authors_words() -> None:
    rule = parse("length: {below: 20 cm}")
    assert isinstance(rule, Below)
    assert rule.bound == Decimal("0.20") and rule.shown == "20 cm"
    plain = parse("length: {at_least: 2}")
    assert isinstance(plain, AtLeast) and plain.shown == "2 m"


def test_at_most_on_whole_units_admits_until_the_next_unit() -> None:
    rule = parse("count: {at_most: 21 years}")
    assert isinstance(rule, AtMost) and rule.limit == Decimal(22) and not rule.inclusive
    measured = parse("length: {at_most: 2}")
    assert isinstance(measured, AtMost) and measured.inclusive and measured.limit == Decimal(2)


def test_a_range_is_two_bounds() -> None:
    rule = parse("count: {at_least: 1 years, at_most: 21 years}")
    assert isinstance(rule, All) and [type(i) for i in rule.items] == [AtLeast, AtMost]


def test_groups_expand_every_and_some() -> None:
    every = parse("every_box: {size: big}")
    assert every == All((Equals("a.size", value="big"), Equals("b.size", value="big")))
    some = parse("some_box: {not: {size: small}}")
    assert isinstance(some, AnyOf) and some.reads == {"a.size", "b.size"}


@pytest.mark.parametrize(
    ("text", "path", "says"),
    [
        ("weight: 3", "weight", "unknown fact 'weight'"),
        ("colour: purple", "colour", "'purple' is not one of blue, green, red"),
        ("length: {around: 3}", "length.around", "unknown operator 'around'"),
        ("length: {at_least: 3 miles}", "length.at_least", "unit 'miles' is not one of m, cm"),
        ("colour: {at_least: 3}", "colour.at_least", "colour is not a number"),
        ("shiny: yes please", "shiny", "is not true or false"),
        ("all: []", "all", "non-empty list"),
        ("any: [{colour: red}, {weight: 2}]", "any[1].weight", "unknown fact"),
        ("{type: equals, fact: colour}", "", "type equals takes exactly fact, value"),
        ("{type: about, fact: colour}", "", "unknown type 'about'"),
        ("length: {}", "length", "an empty mapping tests nothing"),
        ("colour: {has: red}", "colour.has", "not a list fact"),
        ("- colour: red", "", "a criterion is a mapping"),
    ],
)
def test_bad_criteria_name_the_path(text: str, path: str, says: str) -> None:
    with pytest.raises(CriterionError) as error:
        parse(text)
    assert error.value.path == path
    assert says in error.value.message

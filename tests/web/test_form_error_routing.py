"""Form errors are routed by where they are and what kind they are, never by the words of a message (issue 15,
part 7): a guard over every module of the pages, shown to catch planted examples, and the incident form's routes
that typing cannot reach (an end before the start, no position at all) checked on the form itself."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import truce.web
from truce import translation
from truce.errors import Invalid, Message
from truce.incidents.schemas import IncidentIn
from truce.web.forms import Form
from truce.web.pages import entry

WEB = Path(truce.web.__file__).parent
# The words of a refusal: an error's `detail`, `message`, `msg`, `args` or its Message's `msgid`; `x["msg"]`.
TEXT_ATTRIBUTES = {"detail", "message", "msg", "msgid", "args"}
# What the pages call an error, besides the names `except ... as` binds and those an error's list is walked with.
ERROR_NAMES = {"exc", "error", "err", "e", "problem", "raised"}
MATCHERS = {"startswith", "endswith", "find", "rfind"}
PATTERNS = {"match", "search", "fullmatch", "findall"}


def _root(node: ast.AST) -> str | None:
    """The name an attribute chain starts from: `exc` of `exc.message.msgid`."""
    while isinstance(node, ast.Attribute | ast.Subscript | ast.Call):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _reads_text(node: ast.AST, tainted: set[str], errors: set[str]) -> bool:
    """Whether the expression holds (or is made from) the words of an error."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in TEXT_ATTRIBUTES and _root(sub) in errors:
            return True
        if isinstance(sub, ast.Constant) and sub.value == "msg":
            return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Name)
            and sub.func.id in ("str", "repr")
            and any(isinstance(arg, ast.Name) and arg.id in errors for arg in sub.args)
        ):
            return True
    return False


def _key(node: ast.AST, tainted: set[str], errors: set[str]) -> bool:
    """Whether a lookup's key is an error's words (the constant "msg" itself is how they are read, not a key)."""
    return not isinstance(node, ast.Constant) and _reads_text(node, tainted, errors)


def _errors(tree: ast.AST) -> set[str]:
    """The names that hold an error: the usual ones, `except ... as` names and `for x in exc.errors()` targets."""
    names = set(ERROR_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.For | ast.comprehension) and isinstance(node.iter, ast.Call):
            called = node.iter.func
            if isinstance(called, ast.Attribute) and called.attr == "errors":
                names |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    return names


def routed_by_text(tree: ast.AST) -> list[int]:
    """The lines that decide something by an error's words: a prefix or pattern test, a comparison or `in`, or a
    lookup (a dict keyed by English text) on an error's `detail`, `message`, `msg`, `msgid`, `args`, on `str(exc)`
    or on a name assigned from one of them."""
    errors = _errors(tree)
    tainted: set[str] = set()
    for _ in range(3):  # names assigned from names assigned from the words, and so on
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value is not None:
                if _reads_text(node.value, tainted, errors):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    tainted |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            elif isinstance(node, ast.For | ast.comprehension) and _reads_text(node.iter, tainted, errors):
                tainted |= {n.id for n in ast.walk(node.target) if isinstance(n, ast.Name)}
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if name in MATCHERS and _reads_text(owner, tainted, errors):
                lines.add(node.lineno)
            elif name in PATTERNS and isinstance(owner, ast.Name) and owner.id == "re":
                if any(_reads_text(arg, tainted, errors) for arg in node.args[1:2]):
                    lines.add(node.lineno)
            elif name == "get" and node.args and _key(node.args[0], tainted, errors):
                lines.add(node.lineno)
        elif isinstance(node, ast.Compare):
            plain = any(isinstance(op, ast.Eq | ast.NotEq | ast.In | ast.NotIn) for op in node.ops)
            if plain and any(_reads_text(side, tainted, errors) for side in [node.left, *node.comparators]):
                lines.add(node.lineno)
        elif isinstance(node, ast.Subscript) and _key(node.slice, tainted, errors):
            lines.add(node.lineno)
    return sorted(lines)


def test_no_page_routes_an_error_by_its_words() -> None:
    found = {
        str(path.relative_to(WEB)): lines
        for path in sorted(WEB.rglob("*.py"))
        if (lines := routed_by_text(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert found == {}, "route by the error's field and kind (forms.located, Invalid.field and .code), not its words"


PLANTED = {
    "a model's message by its prefix": (
        'message = str(error.get("msg", ""))\nif message.startswith("subtype"):\n    pass'
    ),
    "words looked for in a refusal": 'if "outside the mission\'s area" in exc.detail:\n    pass',
    "a table of English prefixes": (
        'detail = exc.detail.removeprefix("x: ")\n'
        "for start, said in REFUSALS.items():\n"
        "    if detail.startswith(start):\n"
        "        pass"
    ),
    "a lookup by the message": 'form.add_error("date", WORDS.get(exc.message, "?"))',
    "a subscript by the message": 'said = WORDS[error["msg"]]',
    "the exception's text compared": (
        'try:\n    pass\nexcept Invalid as exc:\n    if str(exc) == "end is before start":\n        pass'
    ),
    "a pattern over the words": 'if re.search("future", exc.detail):\n    pass',
    "the msgid compared": 'if exc.message.msgid == "is in the future":\n    pass',
    "a message picked from the errors": (
        'for said in [e["msg"] for e in exc.errors()]:\n    if "end" in said:\n        pass'
    ),
}
CLEAN = {
    "a sentence of the page's own": "if lines and lines[-1].message == VERDICT:\n    pass",
    "by field and code": 'if exc.field == "geometry" and exc.code == "far_outside_area":\n    pass',
    "the message shown, not read": 'form.add_error(field_for(exc.field or "", FIELDS, "_form"), exc.message)',
    "Pydantic's words shown": (
        'message = str(error.get("msg", "?")).removeprefix("Value error, ")\nform.add_error("a", message)'
    ),
    "a path tested": 'if path.startswith("geometry"):\n    pass',
    "words chosen by place and kind": "path, code = located(error)\nsaid = WORDS.get((path, code), message)",
}


@pytest.mark.parametrize("sample", PLANTED.values(), ids=PLANTED.keys())
def test_the_guard_catches_routing_by_words(sample: str) -> None:
    assert routed_by_text(ast.parse(sample)), sample


@pytest.mark.parametrize("sample", CLEAN.values(), ids=CLEAN.keys())
def test_the_guard_lets_routing_by_place_and_kind_pass(sample: str) -> None:
    assert routed_by_text(ast.parse(sample)) == [], sample


FEATURE: dict[str, Any] = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [46.8, 39.9]},
    "properties": {"type": "fire", "subtype": "sniper", "start": "2020-11-21T10:00:00+04:00", "source": "post"},
}


def refused(feature: dict[str, Any]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        IncidentIn.model_validate(feature)
    return caught.value


def said(message: str, locale: str) -> str:
    return translation.translate(locale, getattr(message, "msgid", message), getattr(message, "params", None))


@pytest.mark.parametrize(
    ("feature", "field", "english", "russian"),
    [
        (
            {**FEATURE, "properties": {**FEATURE["properties"], "end": "2020-11-20T10:00:00+04:00"}},
            "date",
            "The end date is before the start date.",
            "Дата окончания раньше даты начала.",
        ),
        (
            {**FEATURE, "geometry": None},
            "lat",
            "Click the map, type the position, or give a post, a bearing and a distance.",
            "Щёлкните по карте, введите координаты или укажите пост, азимут и расстояние.",
        ),
        (
            {**FEATURE, "properties": {**FEATURE["properties"], "counts": {"bogus": 1}}},
            "_form",
            "counts may hold events, impacts, airbursts, outgoing, undetermined; not bogus",
            "",
        ),
    ],
    ids=["end_before_start", "geometry_missing", "counts_unknown"],
)
def test_the_models_checks_the_form_cannot_reach_land_on_their_field(
    feature: dict[str, Any], field: str, english: str, russian: str
) -> None:
    form = Form(values={"placement": "map"})
    entry.place_error(form, refused(feature))
    assert list(form.errors) == [field]
    assert said(form.errors[field], "en") == english
    if russian:
        assert said(form.errors[field], "ru") == russian
    else:
        # No words of the page's own: the model's message, still said in Russian by the catalogue.
        assert said(form.errors[field], "ru") != english


def test_a_far_position_by_bearing_lands_on_the_distance() -> None:
    form = Form(values={"placement": "post"})
    far = Invalid(Message("is %(km)s km outside the mission's area", km="40"), "geometry", code="far_outside_area")
    entry.refusal(form, far)
    assert list(form.errors) == ["distance_km"]
    assert form.values["_far_outside"] == "1"
    assert said(form.errors["distance_km"], "ru").startswith("Это место далеко за пределами района миссии")

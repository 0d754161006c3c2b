"""Role rules live in `policy.py` only: no other module of Truce compares a role (issue R)."""

from __future__ import annotations

import ast
from pathlib import Path

import truce

SOURCE = Path(truce.__file__).parent
# The one module that may ask what a role is.
POLICY = SOURCE / "policy.py"
# Modules allowed to compare a role anyway, each with its reason. Keep it empty unless truly needed.
ALLOWED: dict[str, str] = {}


def _names_a_role(node: ast.AST) -> bool:
    """Whether an expression reads a role: `x.role`, `x.roles`, or a variable called `role`."""
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in ("role", "roles"):
            return True
        if isinstance(part, ast.Name) and part.id in ("role", "roles"):
            return True
    return False


def _looks_up_by_role(node: ast.AST) -> bool:
    """Whether an expression finds a rule keyed by role: `RULES[actor.role]`, `RULES.get(actor.role, ...)`."""
    if isinstance(node, ast.Subscript):
        return _names_a_role(node.slice)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        return bool(node.args) and _names_a_role(node.args[0])
    return False


def role_comparisons(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a module compares a role (`==`, `in`, `is`... with a role on either side, `match`) or keys a rule by it."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(_names_a_role(side) for side in (node.left, *node.comparators)):
            found.append((node.lineno, ast.unparse(node)))
        elif isinstance(node, ast.Match) and _names_a_role(node.subject):
            found.append((node.lineno, f"match {ast.unparse(node.subject)}"))
        elif _looks_up_by_role(node):
            found.append((node.lineno, ast.unparse(node)))
    return found


def test_no_module_but_policy_compares_a_role() -> None:
    offenders = []
    for path in sorted(SOURCE.rglob("*.py")):
        name = path.relative_to(SOURCE).as_posix()
        if path == POLICY or name in ALLOWED:
            continue
        for line, text in role_comparisons(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{name}:{line}: {text}")
    assert offenders == [], "ask policy.py with a named predicate instead:\n" + "\n".join(offenders)


def test_the_guard_sees_each_form_of_comparison() -> None:
    samples = [
        'actor.role == "liaison"',
        "actor.role != policy.SYSTEM and x",
        "actor.role in READERS",
        "role not in ROLES",
        "x if page.actor.role == 'admin' else y",
        "'admin' in item.roles",
        "match actor.role:\n    case _:\n        pass",
        "FORMS_BY_ROLE.get(caller.actor.role, KINDS)",
        "READABLE[actor.role]",
    ]
    for sample in samples:
        assert role_comparisons(ast.parse(sample)), sample
    harmless_samples = [
        "Membership.role",
        "select(Membership.role)",
        "actor.role",
        "policy.files_allegations(actor)",
        '{"role": membership.role}',
        "options.get(name)",
    ]
    for harmless in harmless_samples:
        assert role_comparisons(ast.parse(harmless)) == [], harmless


def test_policy_itself_is_where_roles_are_compared() -> None:
    assert role_comparisons(ast.parse(POLICY.read_text(encoding="utf-8")))

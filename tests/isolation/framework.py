"""The isolation matrix's machinery: a case per URL name, the rules that decide each outcome, the runner."""

from __future__ import annotations

import copy
import importlib
import json
import pkgutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from .world import (
    ALL_CANDIDATE_MARKERS,
    REFERENCE_MARKERS,
    ROLES,
    VISIBLE_CANDIDATES,
    VISIBLE_REFERENCES,
    World,
)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ALL_SIGNED_IN = frozenset(ROLES) - {"anonymous"}
ANYONE = frozenset(ROLES)

# URL names the matrix does not walk, each with its reason.
EXEMPT_PREFIXES: dict[str, str] = {
    "admin:": "Django admin: national administrators only, guarded by is_staff (tested in tests/test_admin.py)",
}
EXEMPT_NAMES: dict[str, str] = {
    "set_language": "Django's language switch: stores a preference, reads no object",
}

# Tables whose rows a refused request may change: the trail of refusals and sessions.
VOLATILE_APPS = frozenset({"audit", "sessions", "axes", "admin", "contenttypes", "knox"})


URLBuilder = Callable[[World], str]


@dataclass(frozen=True)
class Case:
    """How the matrix exercises one URL name.

    `targets` maps a label to the URL of an object: "a" is an object of branch A (home of
    most roles), "b" the same kind of object in branch B; a URL without an object uses
    one target, "list". Other labels ("other_candidate", "other_evaluator") name an object
    of the same branch that belongs to someone else and need an explicit `allow` entry.

    `read` / `write` are the roles that succeed with safe / unsafe methods on target "a"
    (or "list"); on target "b" the mirror applies (staff B if staff A, the national
    administrator always, the COC observer if it reads "a"). Every other role is refused
    (403 or 404; staff of one branch get exactly 404 on the other's objects) and a refused
    request changes nothing in the database.
    """

    name: str
    targets: Mapping[str, URLBuilder]
    methods: tuple[str, ...] = ("GET",)
    read: frozenset[str] = frozenset()
    write: frozenset[str] = frozenset()
    allow: Mapping[str, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    data: Callable[[World, str], dict[str, Any]] | None = None
    public: bool = False
    # Statuses that still mean "served" (e.g. 409 "being generated", 410 "withdrawn").
    ok_statuses: frozenset[int] = frozenset()
    # An API endpoint: unsigned requests get 401/403 (not the login page), bodies are JSON,
    # and PUT, PATCH and DELETE are probed as well as GET and POST.
    api: bool = False
    # A GET whose successful run may legitimately write (rare: say why in the case).
    get_writes: bool = False
    # Targets run for some roles only (e.g. a form posted with another branch's ids).
    only_roles: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Targets where nobody, allowed or not, may change the database.
    inert: frozenset[str] = frozenset()
    # False where showing a person's name to anyone is the point (public verification).
    check_markers: bool = True
    # How a refusal may look: an API that resolves body ids through the user's scope
    # answers 400 ("invalid choice") for an id the user may not see.
    refused_statuses: frozenset[int] = frozenset({403, 404})

    def allowed(self, target: str, method: str) -> frozenset[str]:
        if target in self.allow and method in self.allow[target]:
            return self.allow[target][method]
        if self.public:
            return ANYONE
        base = self.read if method in SAFE_METHODS else self.write
        if target in ("a", "list"):
            return base
        if target == "b":
            return mirror(base)
        raise AssertionError(f"{self.name}: target {target!r} needs an explicit allow entry")


def mirror(roles: frozenset[str]) -> frozenset[str]:
    """Who may act on branch B's object, given who may act on branch A's."""
    result = {"admin"} & roles
    if "staff_a" in roles:
        result.add("staff_b")
    if "coc" in roles:
        result.add("coc")
    return frozenset(result)


def url(name: str, *args: Any) -> URLBuilder:
    """A target whose URL is `name` reversed with attributes of the world (dotted paths)."""

    def build(world: World) -> str:
        values = []
        for arg in args:
            value: Any = world
            for part in arg.split("."):
                value = getattr(value, part)
            values.append(value.pk if hasattr(value, "pk") else value)
        return resolve_url(name, *values)

    return build


def sides(name: str, *paths: str) -> dict[str, URLBuilder]:
    """Targets "a" and "b": the same attribute path on each side of the world."""
    return {
        "a": url(name, *(f"a.{p}" for p in paths)),
        "b": url(name, *(f"b.{p}" for p in paths)),
    }


def listing(name: str, *args: Any) -> dict[str, URLBuilder]:
    return {"list": lambda world: resolve_url(name, *args)}


# --- Registry -------------------------------------------------------------------


def load_cases() -> dict[str, Case]:
    """Every `CASES` list of the modules `tests/isolation/cases_*.py`, by URL name."""
    from tests import isolation

    cases: dict[str, Case] = {}
    for module in pkgutil.iter_modules(isolation.__path__):
        if not module.name.startswith("cases_"):
            continue
        loaded = importlib.import_module(f"tests.isolation.{module.name}")
        for case in loaded.CASES:
            if case.name in cases:
                raise AssertionError(f"URL name {case.name} has two cases")
            cases[case.name] = case
    return cases


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    """Every named URL pattern, nested includes too, as "namespace:name"."""
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}{entry.namespace}:"
            names |= url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def is_exempt(name: str) -> bool:
    return name in EXEMPT_NAMES or any(name.startswith(p) for p in EXEMPT_PREFIXES)


# --- Database fingerprint ---------------------------------------------------------


def _fingerprint_sql() -> str:
    tables = sorted(
        {
            model._meta.db_table
            for model in apps.get_models(include_auto_created=True)
            if model._meta.app_label not in VOLATILE_APPS and model._meta.managed
        }
        & set(connection.introspection.table_names())
    )
    parts = [
        # Table names come from the models' metadata, never from a request.
        f"SELECT '{table}', md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
        f'FROM "{table}" t'
        for table in tables
    ]
    return " UNION ALL ".join(parts)


class Fingerprint:
    """One query that hashes every row of the project's tables.

    Every case runs inside a savepoint rolled back afterwards, so the state before each
    case is the same: it is hashed once (`baseline`) and each case hashes only after.
    """

    def __init__(self) -> None:
        self.sql = _fingerprint_sql()
        self.baseline = self.take()

    def take(self) -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql)
            return dict(cursor.fetchall())

    @staticmethod
    def diff(before: dict[str, str], after: dict[str, str]) -> list[str]:
        return sorted(t for t in before if before[t] != after.get(t))


# --- Runner ------------------------------------------------------------------------


@dataclass
class Outcome:
    ran: int = 0
    failures: list[str] = field(default_factory=list)


def _forbidden_markers(role: str) -> list[str]:
    return [m for m in ALL_CANDIDATE_MARKERS if m not in VISIBLE_CANDIDATES[role]]


def _readable_body(response: Any) -> str | None:
    if getattr(response, "streaming", False):
        return None
    kind = response.get("Content-Type", "")
    if "html" not in kind and "json" not in kind and "text" not in kind:
        return None
    return response.content.decode("utf-8", "replace")


def _is_login_redirect(response: Any) -> bool:
    login = resolve_url(settings.LOGIN_URL)
    return response.status_code == 302 and response["Location"].startswith(login)


def run_case(
    case: Case,
    world: World,
    fingerprint: Fingerprint,
    clients: Mapping[str, Client],
    roles: Iterable[str] = ROLES,
) -> Outcome:
    outcome = Outcome()
    outcome.ran += 1
    undeclared = _answered_undeclared_methods(case, world, clients["admin"])
    for target, build in case.targets.items():
        address = build(world)
        for method in (*case.methods, *undeclared):
            as_read = method not in case.methods
            allowed = case.allowed(target, "GET" if as_read else method)
            # Who acts on the same kind of object in the other branch: for them this one
            # is another branch's object, hence a 404.
            twin = {"a": "b", "b": "a"}.get(target)
            at_home = case.allowed(twin, "GET" if as_read else method) if twin else frozenset()
            for role in roles:
                if target in case.only_roles and role not in case.only_roles[target]:
                    continue
                outcome.ran += 1
                # Rate limits count per client address in the cache, and every role here comes
                # from the same one: each request starts with none spent (the matrix checks
                # access, not rates).
                cache.clear()
                problem = _run_one(
                    case,
                    clients[role],
                    fingerprint,
                    address,
                    target,
                    method,
                    role,
                    allowed,
                    must_404=role in at_home - allowed,
                    inert=as_read,
                    data=case.data(world, target) if case.data else {},
                )
                if problem:
                    outcome.failures.append(
                        f"{case.name} [{target}] {method} {address} as {role}: {problem}"
                    )
    return outcome


def _answered_undeclared_methods(case: Case, world: World, client: Client) -> list[str]:
    """GET or POST that the case does not declare but the URL answers (not with 405), as
    seen by the national administrator, whom no role check stops. The matrix runs them
    too, as reads: allowed to the `read` roles, changing nothing for anyone."""
    address = next(iter(case.targets.values()))(world)
    answered = []
    probed = ("GET", "POST", "PUT", "PATCH", "DELETE") if case.api else ("GET", "POST")
    for method in probed:
        if method in case.methods:
            continue
        sid = transaction.savepoint()
        cookies = copy.deepcopy(client.cookies)
        try:
            status = client.generic(method, address).status_code
        finally:
            transaction.savepoint_rollback(sid)
            client.cookies = cookies
        if status != 405:
            answered.append(method)
    return answered


def signed_in_clients(world: World) -> dict[str, Client]:
    """One client per role, signed in once: sessions made before the cases' savepoints stay."""
    clients: dict[str, Client] = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(world.user(role))
        clients[role] = client
    return clients


def _run_one(
    case: Case,
    client: Client,
    fingerprint: Fingerprint,
    address: str,
    target: str,
    method: str,
    role: str,
    allowed: frozenset[str],
    *,
    must_404: bool,
    data: dict[str, Any],
    inert: bool = False,
) -> str | None:
    sid = transaction.savepoint()
    # Logging out (or a rotated session) must not sign the role out for the next cases.
    cookies = copy.deepcopy(client.cookies)
    try:
        before = fingerprint.baseline
        try:
            response = client.generic(
                method,
                address,
                data=_body(data, api=case.api) if method not in SAFE_METHODS else "",
                content_type="application/json"
                if case.api
                else "application/x-www-form-urlencoded",
            )
        except Exception as exc:
            return f"raised {type(exc).__name__}: {exc}"
        after = fingerprint.take()
        status = response.status_code
        changed = Fingerprint.diff(before, after)
        if role in allowed:
            if status >= 400 and status not in case.ok_statuses:
                return f"expected success, got {status}"
            if method in SAFE_METHODS and changed and not case.get_writes:
                return f"a {method} changed {changed}"
            if (inert or target in case.inert) and changed:
                return f"a request with foreign ids changed {changed}"
        elif role == "anonymous":
            if case.api:
                if status not in (401, 403):
                    return f"expected 401/403, got {status}"
            elif not _is_login_redirect(response):
                return f"expected the login redirect, got {status}"
            if changed:
                return f"an anonymous request changed {changed}"
        else:
            if status not in case.refused_statuses:
                return f"expected one of {sorted(case.refused_statuses)}, got {status}"
            if must_404 and status != 404:
                return f"another branch's object must be a 404, got {status}"
            if changed:
                return f"a refused request changed {changed}"
        if status < 400 and case.check_markers:
            body = _readable_body(response)
            if body is not None:
                lowered = body.lower()
                leaked = [m for m in _forbidden_markers(role) if m.lower() in lowered]
                leaked += [
                    m for m in REFERENCE_MARKERS if m in body and m not in VISIBLE_REFERENCES[role]
                ]
                if leaked:
                    return f"the page shows foreign rows: {leaked}"
        return None
    finally:
        transaction.savepoint_rollback(sid)
        client.cookies = cookies


def _body(data: dict[str, Any], *, api: bool) -> str:
    return json.dumps(data) if api else urlencode(data, doseq=True)

"""One feature, one place: a `Feature` subclass declares everything a feature brings to the bot.

    class Polls(Feature):
        name = "polls"
        tables = (polls, poll_ballots, poll_choices)
        compose_actions = (ComposeAction("createPoll", "polls.me.title", "polls.me.description"),)
        introduction = "polls.introduction"                     # one line for newcomers (welcome, help)

        def __init__(self, ctx: Context) -> None: ...          # built once per app, with a narrow context

        @command("投票", "poll", help="polls.command.poll", offer=EVERYWHERE)
        async def start(self, turn: Turn) -> Outcome: ...

        @verb("polls.vote")
        async def vote(self, turn: Turn) -> Outcome: ...

        @dialog("createPoll", "fetch") / @dialog("createPoll", "submit")
        @timed("polls.close")                                   # a stable name, stored in the database
        async def close_due(self, item: DueItem) -> datetime | None: ...

        @http("GET", "/polls/{poll_id}/export.csv")
        async def export(self, request: HttpRequest) -> HttpResponse: ...

        async def start_up(self) -> None: ...                   # e.g. close polls whose deadline passed
        async def shut_down(self) -> None: ...

Adding a feature is its own files plus one line in the feature list (`dialogs.FEATURES`): the platform routes
its commands, verbs, dialogs and invokes, runs its timed work, serves its HTTP routes, migrates its tables and
offers its commands in the Teams manifest (`make package`), all from this declaration. Its `introduction` is how
the welcome card, the help card and the app's description present it: a feature that isn't running is never
promised.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

from sqlalchemy import Table

from bot.permissions import Role
from bot.routes import RouteTable
from bot.settings import EnvSettings

if TYPE_CHECKING:
    from bot.context import Context

F = TypeVar("F", bound=Callable[..., Any])
Scope = Literal["personal", "team", "groupChat"]
EVERYWHERE: tuple[Scope, ...] = ("personal", "team", "groupChat")
PERSONAL: tuple[Scope, ...] = ("personal",)


@dataclass(frozen=True)
class Mark:
    """What a decorated method is: kind (command, verb, dialog, invoke, timed, http) and its options."""

    kind: str
    key: str
    options: Mapping[str, Any] = field(default_factory=dict)


def _mark(kind: str, key: str, **options: Any) -> Callable[[F], F]:
    def decorate(function: F) -> F:
        marks: list[Mark] = function.__dict__.setdefault("__feature_marks__", [])
        marks.append(Mark(kind, key, options))
        return function

    return decorate


def command(
    *names: str, help: str | None = None, offer: tuple[Scope, ...] = (), audience: Role | None = None
) -> Callable[[F], F]:
    """A typed command, matched by any of `names` (Japanese first, then English). `help` is its description's
    catalog key (shown in the help card); `offer` lists the scopes whose Teams command menu offers it; a command
    for an `audience` (reviewers, admins) is in no menu — Teams menus are the same for everyone — and the help
    card lists it only to them."""
    return _mark("command", names[0], names=names, help=help, offer=offer, audience=audience)


def verb(name: str) -> Callable[[F], F]:
    """A card action (Action.Execute verb, or its Action.Submit fallback's `verb` field)."""
    return _mark("verb", name)


def invoke(name: str) -> Callable[[F], F]:
    """Any other invoke, by its name."""
    return _mark("invoke", name)


def dialog(name: str, phase: Literal["fetch", "submit"]) -> Callable[[F], F]:
    """A Teams dialog's form (`fetch`) or its submission (`submit`); also a message extension of the same id."""
    return _mark("dialog", name, phase=phase)


def otherwise(function: F) -> F:
    """What the bot answers to text that is no command (one feature declares it)."""
    return _mark("fallback", "")(function)


def timed(name: str) -> Callable[[F], F]:
    """The handler of timed work `name` (a stable name: it is stored with every planned item)."""
    return _mark("timed", name)


def http(method: str, path: str) -> Callable[[F], F]:
    """An HTTP route of the bot's web server (e.g. a download link)."""
    return _mark("http", path, method=method.upper())


@dataclass(frozen=True)
class ComposeAction:
    """A message extension action the manifest offers (compose box, command box, or a message's ... menu)."""

    id: str
    title_key: str
    description_key: str
    context: tuple[str, ...] = ("compose", "commandBox")


@dataclass(frozen=True)
class HttpRequest:
    """What an HTTP route handler gets: no web framework types."""

    path: Mapping[str, str]
    query: Mapping[str, str]


@dataclass(frozen=True)
class HttpResponse:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/plain"
    headers: Mapping[str, str] = field(default_factory=dict)
    charset: str = "utf-8"


class Feature:
    """Base of every feature. Subclasses set `name` and declare the rest with the decorators above."""

    name: ClassVar[str]
    tables: ClassVar[tuple[Table, ...]] = ()
    settings: ClassVar[type[EnvSettings] | None] = None  # its environment variables (documented, validated at start)
    compose_actions: ClassVar[tuple[ComposeAction, ...]] = ()
    introduction: ClassVar[str | None] = None  # catalog key: what it offers, in one line, for newcomers

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def start_up(self) -> None:
        """Runs once the platform is up, before the first turn (recover what a crash left behind)."""

    async def shut_down(self) -> None:
        """Runs when the bot stops, before the platform closes (write the final state of shared cards)."""

    @classmethod
    def marked(cls) -> list[tuple[str, Mark]]:
        """(method name, mark) for every decorated method, in definition order (a feature made of parts: the
        parts its class lists first come first, each in its own order)."""
        found = []
        for attribute, value in inspect.getmembers(cls, inspect.isfunction):
            for mark in value.__dict__.get("__feature_marks__", []):
                found.append((attribute, mark))
        parts = list(reversed(cls.__mro__))

        def position(pair: tuple[str, Mark]) -> tuple[int, int]:
            owner = next(part for part in reversed(parts) if pair[0] in part.__dict__)
            return -parts.index(owner), getattr(cls, pair[0]).__code__.co_firstlineno

        return sorted(found, key=position)

    def handlers(self) -> list[tuple[Mark, Callable[..., Awaitable[Any]]]]:
        """Every declared handler, bound to this instance."""
        return [(mark, getattr(self, attribute)) for attribute, mark in self.marked()]


def fill_routes(
    routes: RouteTable,
    handlers: Iterable[tuple[Mark, Callable[..., Awaitable[Any]]]],
    timed_work: Callable[[str, Callable[..., Awaitable[Any]]], None] | None = None,
) -> None:
    """Route what one feature declares: commands, verbs, dialogs (fetch and submit), invokes, the fallback, and
    (given `timed_work`) its timed work handlers."""
    dialogs: dict[str, dict[str, Any]] = {}
    for mark, handler in handlers:
        if mark.kind == "command":
            options = mark.options
            routes.command(
                *options["names"], help_key=options["help"], offer=options["offer"], audience=options["audience"]
            )(handler)
        elif mark.kind == "verb":
            routes.verb(mark.key)(handler)
        elif mark.kind == "invoke":
            routes.invoke(mark.key)(handler)
        elif mark.kind == "fallback":
            routes.otherwise(handler)
        elif mark.kind == "dialog":
            dialogs.setdefault(mark.key, {})[mark.options["phase"]] = handler
        elif mark.kind == "timed" and timed_work is not None:
            timed_work(mark.key, handler)
    for name, phases in dialogs.items():
        if set(phases) != {"fetch", "submit"}:
            raise ValueError(f"dialog {name!r} needs both a fetch and a submit handler")
        routes.dialog(name, fetch=phases["fetch"], submit=phases["submit"])


def introductions(feature_types: Iterable[type[Feature]]) -> tuple[str, ...]:
    """The catalog keys of what the features offer newcomers, in feature order."""
    return tuple(feature.introduction for feature in feature_types if feature.introduction)


def declared_routes(feature_types: Iterable[type[Feature]]) -> RouteTable:
    """The route table the features declare, without building them (tests, the manifest generator)."""
    routes = RouteTable()
    for feature_type in feature_types:
        fill_routes(routes, [(mark, getattr(feature_type, attribute)) for attribute, mark in feature_type.marked()])
    return routes

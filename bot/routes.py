"""The route table: the one way in from Teams to a feature.

Four kinds of route — a typed command (Japanese and English names), a card action verb (Action.Execute or its
Action.Submit fallback), a dialog (a Teams task module: its fetch and submit, also reached from a message
extension command of the same name) and any other invoke name — plus the fallback for text that is no command.
The platform fills the table from each feature's declaration (`bot.feature`); tests ask the table which handler
a text, verb or dialog reaches.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from bot.text import katakana

if TYPE_CHECKING:
    from bot.permissions import Role
    from bot.turn import Turn

Card = dict[str, Any]


@dataclass(frozen=True)
class Say:
    """Post a new message (a card, or plain text) into the conversation."""

    card: Card | None = None
    text: str | None = None


@dataclass(frozen=True)
class Refresh:
    """Replace the card the user clicked with this one.

    By default the new card is the clicker's own view (Teams shows an Action.Execute answer to the clicker
    only). `shared=True` says it is the conversation's state (a list everyone sees): it replaces the message
    for everyone.
    """

    card: Card
    shared: bool = False


@dataclass(frozen=True)
class Notify:
    """A short answer to a click, shown by Teams without posting a new message."""

    text: str


@dataclass(frozen=True)
class InvokeBody:
    """A raw invoke answer (task modules, message extensions): HTTP status and JSON body."""

    body: dict[str, Any] | None
    status: int = 200


Outcome = Say | Refresh | Notify | InvokeBody
Handler = Callable[["Turn"], Awaitable[Outcome | list[Outcome] | None]]


def normalize(text: str) -> str:
    """Fold full-width forms, case, spacing and hiragana so 'ＨＥＬＰ', 'Help ' and 'help' are one command, and
    so are 「ヒント」 and 「ひんと」."""
    return katakana(" ".join(unicodedata.normalize("NFKC", text).split()).casefold())


@dataclass(frozen=True)
class Command:
    names: tuple[str, ...]
    handler: Handler
    help_key: str | None = None  # its description in the catalogs (help card, Teams command menu)
    offer: tuple[str, ...] = ()  # scopes whose Teams command menu offers it: personal, team, groupChat
    audience: Role | None = None  # only for these roles: no menu offers it, the help card lists it to them only

    @property
    def display_names(self) -> str:
        return " / ".join(self.names)


@dataclass(frozen=True)
class Dialog:
    """A Teams dialog: `fetch` answers task/fetch with the form, `submit` checks and acts on task/submit."""

    fetch: Handler
    submit: Handler


@dataclass
class RouteTable:
    _commands: list[Command] = field(default_factory=list)
    _verbs: dict[str, Handler] = field(default_factory=dict)
    _invokes: dict[str, Handler] = field(default_factory=dict)
    _dialogs: dict[str, Dialog] = field(default_factory=dict)
    _fallback: Handler | None = None

    def command(
        self, *names: str, help_key: str | None = None, offer: tuple[str, ...] = (), audience: Role | None = None
    ) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            taken = {normalize(n) for c in self._commands for n in c.names}
            clash = taken & {normalize(n) for n in names}
            if clash:
                raise ValueError(f"command name(s) already routed: {sorted(clash)}")
            if offer and audience is not None:
                raise ValueError(f"{names[0]}: a command for some roles only is offered in no menu")
            self._commands.append(Command(tuple(names), handler, help_key, offer, audience))
            return handler

        return add

    def otherwise(self, handler: Handler) -> Handler:
        """The handler of text that is no command (one per bot)."""
        if self._fallback is not None:
            raise ValueError("the fallback is already routed")
        self._fallback = handler
        return handler

    @property
    def fallback(self) -> Handler:
        if self._fallback is None:
            raise LookupError("no feature routes text that is no command")
        return self._fallback

    def verb(self, name: str) -> Callable[[Handler], Handler]:
        return self._add(self._verbs, name)

    def invoke(self, name: str) -> Callable[[Handler], Handler]:
        return self._add(self._invokes, name)

    def dialog(self, name: str, *, fetch: Handler, submit: Handler) -> None:
        """Route task/fetch and task/submit whose data carries `{"dialog": name}` (and message extension
        commands with this command id) to the dialog's two handlers."""
        if name in self._dialogs:
            raise ValueError(f"dialog already routed: {name}")
        self._dialogs[name] = Dialog(fetch, submit)

    @staticmethod
    def _add(table: dict[str, Handler], key: str) -> Callable[[Handler], Handler]:
        def add(handler: Handler) -> Handler:
            if key in table:
                raise ValueError(f"already routed: {key}")
            table[key] = handler
            return handler

        return add

    def match_command(self, text: str) -> tuple[Command, str] | None:
        """The command a typed text starts with (longest name wins) and the rest of the text as its argument."""
        typed = normalize(text)
        best: tuple[Command, str, int] | None = None
        for command in self._commands:
            for name in command.names:
                key = normalize(name)
                matches = typed == key or typed.startswith(key + " ")
                if matches and (best is None or len(key) > best[2]):
                    best = (command, typed[len(key) :].strip(), len(key))
        if best is None:
            return None
        command, _, length = best
        # Keep the argument's original characters (the user's own spelling), not the folded copy.
        original = " ".join(unicodedata.normalize("NFKC", text).split())
        return command, original[length:].strip()

    def match_verb(self, verb: str) -> Handler | None:
        return self._verbs.get(verb)

    def match_invoke(self, name: str) -> Handler | None:
        return self._invokes.get(name)

    def match_dialog(self, name: str) -> Dialog | None:
        return self._dialogs.get(name)

    def dialogs(self) -> list[str]:
        return sorted(self._dialogs)

    def commands(self) -> list[Command]:
        return list(self._commands)

    def verbs(self) -> list[str]:
        return sorted(self._verbs)

    def invokes(self) -> list[str]:
        return sorted(self._invokes)

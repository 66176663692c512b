import pytest

from bot.feature import declared_routes
from bot.i18n import t
from bot.permissions import Role
from bot.routes import RouteTable
from dialogs import FEATURES


def test_route_table_is_inspectable_and_commands_work_in_both_languages() -> None:
    routes = declared_routes(FEATURES)
    for typed in ("ヘルプ", "help", "HELP", "ＨＥＬＰ", " help  ", "使い方", "?"):
        match = routes.match_command(typed)
        assert match is not None and match[0].handler.__name__ == "show_help", typed
    command, argument = routes.match_command("言語  英語") or (None, None)
    assert command is not None and argument == "英語"
    assert routes.match_command("helpful tips") is None
    assert routes.match_command("こんにちは") is None
    assert "help" in routes.verbs()


async def _noop(turn):  # type: ignore[no-untyped-def]
    return None


def test_a_command_name_cannot_be_routed_twice() -> None:
    routes = RouteTable()
    routes.command("ヘルプ", "help")(_noop)
    with pytest.raises(ValueError):
        routes.command("HELP")(_noop)
    routes.verb("vote")(_noop)
    with pytest.raises(ValueError):
        routes.verb("vote")(_noop)


def test_longest_command_name_wins() -> None:
    routes = RouteTable()
    routes.command("tip")(_noop)

    async def categories(turn):  # type: ignore[no-untyped-def]
        return None

    routes.command("tip categories")(categories)
    assert routes.match_command("tip categories")[0].handler is categories  # type: ignore[index]
    assert routes.match_command("tip paperless")[1] == "paperless"  # type: ignore[index]


@pytest.mark.parametrize(
    ("typed", "handler", "argument"),
    [
        ("ひんと", "tip", ""),
        ("ひんと いちらん", "tip", "いちらん"),
        ("へるぷ", "show_help", ""),
        ("なっじ", "show_entry", ""),
        ("ＨＥＬＰ", "show_help", ""),
    ],
)
def test_hiragana_reaches_the_katakana_command(typed: str, handler: str, argument: str) -> None:
    """An IME left unconverted still reaches the command; the argument keeps what was typed."""
    match = declared_routes(FEATURES).match_command(typed)
    assert match is not None and (match[0].handler.__name__, match[1]) == (handler, argument), typed


ROLE_PREFIXES = {"ja": ("管理者: ", "審査担当: "), "en": ("Admins: ", "Reviewers: ")}


def test_help_rows_of_role_limited_commands_start_with_the_role() -> None:
    """The help card lists them to those roles only; each row says whose it is, first, the same way."""
    limited = [command for command in declared_routes(FEATURES).commands() if command.audience is not None]
    assert limited
    for command in limited:
        assert command.help_key is not None
        for lang, prefixes in ROLE_PREFIXES.items():
            shown = t(command.help_key, lang)
            assert shown.startswith(prefixes), (command.names, shown)
            if command.audience == Role.ADMIN:
                assert shown.startswith(prefixes[0]), (command.names, shown)
    assert t("broadcasts.command.broadcast").startswith("管理者: お知らせ配信")

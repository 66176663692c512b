"""The Teams app manifest's command menus and message extensions, generated from what the features declare.

`manifest/manifest.json` and its `ja.json` / `en.json` hold what no feature knows (the app's name, icons,
developer, the first sentence of its description). The description goes on with what each feature offers
(`Feature.introduction`), so the app promises only what runs. Each command a feature offers
(`@command(..., offer=scopes)`) becomes an entry of the command list of those scopes, titled by its first
Japanese and first English name and described by its help text, and each `ComposeAction` an action command.
The localization files' position-keyed strings are written here too, so they can never drift from the entries
they translate.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from bot.feature import ComposeAction, Feature, declared_routes, introductions
from bot.i18n import t
from bot.routes import Command

SCOPES = ("personal", "team", "groupChat")
MAX_COMMANDS = 10  # per scope: Teams refuses a longer command list
TITLE_MAX, DESCRIPTION_MAX, DESCRIPTION_FULL_MAX = 32, 128, 4000  # characters (Teams' schema)


class ManifestError(ValueError):
    """The features offer something Teams would refuse; the message says what."""


def english_name(command: Command) -> str:
    """The name an English user types: the first ASCII one."""
    return next((name for name in command.names if name.isascii()), command.names[0])


def _fit(text: str, limit: int, what: str) -> str:
    if len(text) > limit:
        raise ManifestError(f"{what} is {len(text)} characters; Teams allows {limit}: {text!r}")
    return text


def offered(feature_types: Iterable[type[Feature]]) -> dict[str, list[Command]]:
    """Per scope, the commands its menu offers, in feature order."""
    commands = declared_routes(feature_types).commands()
    lists = {scope: [command for command in commands if scope in command.offer] for scope in SCOPES}
    for scope, entries in lists.items():
        if len(entries) > MAX_COMMANDS:
            names = ", ".join(command.names[0] for command in entries)
            raise ManifestError(f"the {scope} command menu offers {len(entries)} commands, Teams allows 10: {names}")
    return {scope: entries for scope, entries in lists.items() if entries}


def compose_actions(feature_types: Iterable[type[Feature]]) -> list[ComposeAction]:
    return [action for feature in feature_types for action in feature.compose_actions]


def build(
    base: dict[str, Any], localizations: dict[str, dict[str, str]], feature_types: Sequence[type[Feature]]
) -> tuple[dict[str, Any], dict[str, dict[str, str]]]:
    """The manifest and its localization files (by language: ja, en) with the features' offers filled in."""
    manifest = copy.deepcopy(base)
    strings = {lang: dict(values) for lang, values in localizations.items()}
    for lang in strings:
        offers = "".join(t("offer.sentence", lang, text=t(key, lang)) for key in introductions(feature_types))
        full = t("app.description.full", lang, intro=strings[lang]["description.full"], offers=offers)
        strings[lang]["description.full"] = _fit(full, DESCRIPTION_FULL_MAX, "the app's full description")
    manifest["description"]["full"] = strings["ja"]["description.full"]
    menus = offered(feature_types)
    bot = manifest["bots"][0]
    bot["commandLists"] = []
    for i, (scope, commands) in enumerate(menus.items()):
        entries = []
        for j, command in enumerate(commands):
            assert command.help_key is not None, f"{command.names[0]} is offered without a help text"
            prefix = f"bots[0].commandLists[{i}].commands[{j}]"
            for lang in strings:
                title = command.names[0] if lang == "ja" else english_name(command)
                strings[lang][f"{prefix}.title"] = _fit(title, TITLE_MAX, f"the title of {title}")
                description = t(command.help_key, lang)
                strings[lang][f"{prefix}.description"] = _fit(description, DESCRIPTION_MAX, f"the help of {title}")
            entries.append(
                {"title": strings["ja"][f"{prefix}.title"], "description": strings["ja"][f"{prefix}.description"]}
            )
        bot["commandLists"].append({"scopes": [scope], "commands": entries})
    actions = compose_actions(feature_types)
    if actions:
        extension = {"botId": bot["botId"], "commands": []}
        for j, action in enumerate(actions):
            prefix = f"composeExtensions[0].commands[{j}]"
            for lang in strings:
                strings[lang][f"{prefix}.title"] = _fit(t(action.title_key, lang), TITLE_MAX, action.title_key)
                strings[lang][f"{prefix}.description"] = _fit(
                    t(action.description_key, lang), DESCRIPTION_MAX, action.description_key
                )
            extension["commands"].append(
                {
                    "id": action.id,
                    "type": "action",
                    "title": strings["ja"][f"{prefix}.title"],
                    "description": strings["ja"][f"{prefix}.description"],
                    "context": list(action.context),
                    "fetchTask": True,
                }
            )
        manifest["composeExtensions"] = [extension]
    return manifest, strings

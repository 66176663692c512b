"""The Teams app package: a manifest Teams accepts (checked offline by @microsoft/app-manifest, after the app id
is filled in), icons of the sizes and kinds Teams demands, localization files that cover every string, a zip
with everything at its root, and command lists that only offer commands the bot understands."""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from bot.feature import declared_routes
from dialogs import FEATURES
from tests.cardcheck.manifest import manifest_problems

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = ROOT / "manifest"
APP_ID = "11111111-2222-4333-8444-555555555555"
BOT_ID = "66666666-7777-4888-9999-000000000000"
EXPECTED_FILES = {"manifest.json", "ja.json", "en.json", "color.png", "outline.png"}


def _load(name: str) -> dict[str, Any]:
    """A committed file of manifest/ (the parts no feature declares)."""
    return json.loads((MANIFEST_DIR / name).read_text(encoding="utf-8"))


def _generated(name: str) -> dict[str, Any]:
    """A file as `make package` generates it, with every feature's command menus and extensions."""
    with zipfile.ZipFile(_built()) as archive:
        return json.loads(archive.read(name))


@functools.cache
def _built() -> Path:
    out = Path(tempfile.mkdtemp()) / "appPackage.zip"
    result = _package(out, "--app-id", APP_ID, "--bot-id", BOT_ID)
    assert result.returncode == 0, result.stderr
    return out


def _package(out: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package.py"), "--out", str(out), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("package") / "appPackage.zip"
    result = _package(out, "--app-id", APP_ID, "--bot-id", BOT_ID)
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def schema_results(package: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """One node run over the packaged files and two deliberately broken ones (proof the check bites)."""
    folder = tmp_path_factory.mktemp("unpacked")
    with zipfile.ZipFile(package) as archive:
        archive.extractall(folder)
    broken_manifest = {**_generated("manifest.json"), "id": "not-a-guid", "accentColor": "blue"}
    (folder / "broken-manifest.json").write_text(json.dumps(broken_manifest), encoding="utf-8")
    (folder / "broken-en.json").write_text(json.dumps({**_generated("en.json"), "bots[0].typo": "x"}), encoding="utf-8")
    files = sorted(folder.glob("*.json"))
    return {path.name: problems for path, problems in manifest_problems(files).items()}


@pytest.mark.parametrize("name", ["manifest.json", "ja.json", "en.json"])
def test_packaged_files_pass_the_teams_schema(schema_results: dict[str, list[str]], name: str) -> None:
    assert schema_results[name] == []


def test_the_schema_check_rejects_broken_files(schema_results: dict[str, list[str]]) -> None:
    assert any("/id" in error for error in schema_results["broken-manifest.json"])
    assert any("/accentColor" in error for error in schema_results["broken-manifest.json"])
    assert any("bots[0].typo" in error for error in schema_results["broken-en.json"])


def test_manifest_uses_one_offline_schema_version_for_all_files() -> None:
    manifest = _load("manifest.json")
    version = manifest["manifestVersion"]
    assert tuple(map(int, version.split("."))) >= (1, 19), "@microsoft/app-manifest bundles no 1.18 schema"
    assert f"/v{version}/MicrosoftTeams.schema.json" in manifest["$schema"]
    for name in ("ja.json", "en.json"):
        assert f"/v{version}/MicrosoftTeams.Localization.schema.json" in _load(name)["$schema"], name


def test_package_holds_the_filled_manifest_and_its_files_at_the_root(package: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        assert set(archive.namelist()) == EXPECTED_FILES
        manifest = json.loads(archive.read("manifest.json"))
        for name in ("color.png", "outline.png"):
            assert archive.read(name) == (MANIFEST_DIR / name).read_bytes(), name
    assert manifest["id"] == APP_ID
    assert manifest["bots"][0]["botId"] == BOT_ID and manifest["composeExtensions"][0]["botId"] == BOT_ID
    assert "{{" not in json.dumps(manifest)


def test_package_without_an_app_id_fails_and_says_how_to_fix_it(tmp_path: Path) -> None:
    env = {**os.environ, "MicrosoftAppId": ""}
    result = _package(tmp_path / "appPackage.zip", env=env)
    assert result.returncode == 1
    assert "MicrosoftAppId" in result.stderr and "--app-id" in result.stderr
    assert not (tmp_path / "appPackage.zip").exists()


def test_package_takes_the_app_id_from_configuration_without_needing_the_secret(tmp_path: Path) -> None:
    app_id = "11111111-2222-3333-4444-555555555555"
    env = {**os.environ, "MicrosoftAppId": app_id, "MicrosoftAppPassword": ""}
    result = _package(tmp_path / "appPackage.zip", env=env)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(tmp_path / "appPackage.zip") as package:
        assert json.loads(package.read("manifest.json"))["id"] == app_id


def test_package_rejects_an_app_id_that_is_not_a_guid(tmp_path: Path) -> None:
    result = _package(tmp_path / "appPackage.zip", "--app-id", "my-bot")
    assert result.returncode == 1 and "GUID" in result.stderr


def test_manifest_basics() -> None:
    manifest = _generated("manifest.json")
    assert manifest["name"]["short"] == "オープン&フラットBot"
    assert manifest["localizationInfo"]["defaultLanguageTag"] == "ja-JP"
    bot = manifest["bots"][0]
    assert sorted(bot["scopes"]) == ["groupChat", "personal", "team"]
    assert sorted(scope for command_list in bot["commandLists"] for scope in command_list["scopes"]) == sorted(
        bot["scopes"]
    )
    commands = {command["id"]: command for command in manifest["composeExtensions"][0]["commands"]}
    assert all(command["type"] == "action" and command["fetchTask"] is True for command in commands.values())
    assert set(commands["createPoll"]["context"]) == {"compose", "commandBox"}
    assert set(commands["ideas.submit"]["context"]) == {"compose", "commandBox"}
    assert commands["ideas.fromMessage"]["context"] == ["message"], "'Turn this message into an idea' is on messages"


def _manifest_strings(manifest: dict[str, Any]) -> dict[str, str]:
    """The manifest's translatable strings under their localization-file keys."""
    strings = {
        f"{field}.{part}": manifest[field][part] for field in ("name", "description") for part in ("short", "full")
    }
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(command_list["commands"]):
            for part in ("title", "description"):
                strings[f"bots[0].commandLists[{i}].commands[{j}].{part}"] = command[part]
    for j, command in enumerate(manifest["composeExtensions"][0]["commands"]):
        for part in ("title", "description"):
            strings[f"composeExtensions[0].commands[{j}].{part}"] = command[part]
    return strings


def test_localization_files_cover_every_manifest_string() -> None:
    manifest = _generated("manifest.json")
    localization = manifest["localizationInfo"]
    assert localization["defaultLanguageFile"] == "ja.json"
    assert localization["additionalLanguages"] == [{"languageTag": "en", "file": "en.json"}]
    strings = _manifest_strings(manifest)
    ja = {key: value for key, value in _generated("ja.json").items() if key != "$schema"}
    en = {key: value for key, value in _generated("en.json").items() if key != "$schema"}
    assert ja == strings, "ja.json (the default language file) must repeat manifest.json's strings exactly"
    assert en.keys() == ja.keys()
    assert all(en[key] and en[key] != ja[key] for key in en if key.endswith(".title")), "untranslated titles"


def _command_titles() -> list[tuple[str, str]]:
    manifest, en = _generated("manifest.json"), _generated("en.json")
    titles: set[tuple[str, str]] = set()
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(command_list["commands"]):
            titles |= {("ja", command["title"]), ("en", en[f"bots[0].commandLists[{i}].commands[{j}].title"])}
    return sorted(titles)


@pytest.mark.parametrize(("lang", "title"), _command_titles())
def test_every_command_in_the_command_lists_is_routed(lang: str, title: str) -> None:
    match = declared_routes(FEATURES).match_command(title)
    assert match is not None, f"the manifest offers {title!r} ({lang}) but no route handles it"
    assert match[1] == "", f"{title!r} reaches a shorter command with {match[1]!r} as its argument"


def test_every_message_extension_command_is_routed() -> None:
    for command in _generated("manifest.json")["composeExtensions"][0]["commands"]:
        routed = declared_routes(FEATURES).match_dialog(command["id"])
        assert routed is not None, f"no routes.dialog({command['id']!r}, …)"


def _png(path: Path) -> tuple[int, int, int, list[bytes]]:
    """Width, height, colour type and unfiltered pixel rows of an 8-bit, non-interlaced PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    chunks: dict[bytes, bytes] = {}
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        chunks[kind] = chunks.get(kind, b"") + data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    width, height, depth, color_type, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and interlace == 0, f"{path.name}: only 8-bit non-interlaced PNGs are checked"
    channels = {2: 3, 6: 4}[color_type]
    return width, height, color_type, _unfilter(zlib.decompress(chunks[b"IDAT"]), width * channels, channels)


def _unfilter(raw: bytes, stride: int, bpp: int) -> list[bytes]:
    rows: list[bytes] = []
    previous = bytes(stride)
    for start in range(0, len(raw), stride + 1):
        kind, line, row = raw[start], raw[start + 1 : start + 1 + stride], bytearray(stride)
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            b, c = previous[i], previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            paeth = min((abs(p - a), 0, a), (abs(p - b), 1, b), (abs(p - c), 2, c))[2]
            row[i] = (line[i] + (0, a, b, (a + b) // 2, paeth)[kind]) & 0xFF
        rows.append(previous := bytes(row))
    return rows


def test_color_icon_is_192_full_color() -> None:
    width, height, color_type, _ = _png(MANIFEST_DIR / "color.png")
    assert (width, height) == (192, 192) and color_type in (2, 6)


def test_outline_icon_is_32_white_on_transparent() -> None:
    width, height, color_type, rows = _png(MANIFEST_DIR / "outline.png")
    assert (width, height, color_type) == (32, 32, 6), "the outline icon needs an alpha channel"
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    alphas = {pixel[3] for pixel in pixels}
    assert 0 in alphas and 255 in alphas, "the outline must have both transparent and opaque pixels"
    assert all(pixel[:3] == b"\xff\xff\xff" for pixel in pixels if pixel[3]), "visible outline pixels must be white"


def test_committed_icons_are_what_the_generator_draws() -> None:
    spec = importlib.util.spec_from_file_location("make_icons", MANIFEST_DIR / "make_icons.py")
    assert spec and spec.loader
    make_icons = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_icons)
    assert make_icons.color_icon() == (MANIFEST_DIR / "color.png").read_bytes()
    assert make_icons.outline_icon() == (MANIFEST_DIR / "outline.png").read_bytes()


def test_every_routed_command_is_offered_or_is_a_word_after_an_offered_one() -> None:
    """Routed but not offered (and nobody could find it) fails; 「ナッジ 一覧」 belongs to the offered 「ナッジ」;
    a command for reviewers or admins is in their help card instead."""
    routes = declared_routes(FEATURES)
    offered = [command for command in routes.commands() if command.offer]
    for command in routes.commands():
        assert (
            command.offer
            or (command.audience and command.help_key)
            or any(command.names[0].startswith(parent.names[0] + " ") for parent in offered)
        ), f"{command.names[0]!r} is routed but no command menu offers it (or the command it belongs to)"


def test_a_menu_longer_than_teams_allows_is_refused_with_the_names() -> None:
    from bot.feature import EVERYWHERE, Feature, command
    from bot.manifest import ManifestError, offered

    class Crowded(Feature):
        name = "crowded"

    for number in range(11):

        async def handler(self: Feature, turn: object) -> None:
            return None

        setattr(
            Crowded,
            f"c{number}",
            command(f"コマンド{number}", f"command{number}", help="help.command.help", offer=EVERYWHERE)(handler),
        )
    with pytest.raises(ManifestError, match="Teams allows 10"):
        offered([Crowded])

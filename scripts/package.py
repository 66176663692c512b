#!/usr/bin/env python3
"""Build the Teams app package (`make package` → build/appPackage.zip) from `manifest/`.

The committed manifest holds what no feature knows (name, icons, developer); the command menus and message
extensions, and their Japanese and English strings, are generated from the features (`bot.manifest`). It keeps
`{{APP_ID}}` and `{{BOT_ID}}` placeholders so no deployment's id is committed; they are filled here from the bot's
own configuration (`MicrosoftAppId`, via `.env` or the environment) unless `--app-id` is given. The zip holds, at
its root, manifest.json plus exactly the files the manifest names (icons and localization files) — Teams rejects
packages with anything nested or missing.

    python scripts/package.py [--app-id GUID] [--bot-id GUID] [--out build/appPackage.zip]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MANIFEST_DIR = ROOT / "manifest"
DEFAULT_OUT = ROOT / "build" / "appPackage.zip"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(Exception):
    """Something the person running `make package` must fix; the message says what."""


def filled_manifest(app_id: str, bot_id: str | None = None, manifest_dir: Path = MANIFEST_DIR) -> dict[str, Any]:
    """manifest.json with the placeholders replaced (the bot id defaults to the app id)."""
    bot_id = bot_id or app_id
    for name, value in (("app id", app_id), ("bot id", bot_id)):
        if not GUID.match(value):
            raise PackageError(f"the {name} must be a GUID like 00000000-0000-0000-0000-000000000000, got {value!r}")
    text = (manifest_dir / "manifest.json").read_text(encoding="utf-8")
    text = text.replace("{{APP_ID}}", app_id).replace("{{BOT_ID}}", bot_id)
    leftover = sorted(set(re.findall(r"\{\{[A-Z_]+\}\}", text)))
    if leftover:
        raise PackageError(f"manifest.json has placeholders this script does not fill: {', '.join(leftover)}")
    return json.loads(text)


def package_files(manifest: dict[str, Any]) -> list[str]:
    """The files the manifest refers to: its icons and its localization files."""
    localization = manifest.get("localizationInfo", {})
    files = [manifest["icons"]["color"], manifest["icons"]["outline"]]
    if "defaultLanguageFile" in localization:
        files.append(localization["defaultLanguageFile"])
    files += [language["file"] for language in localization.get("additionalLanguages", [])]
    return files


def generated(app_id: str, bot_id: str | None = None) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The filled manifest and its localization files, with every feature's command menus and extensions."""
    sys.path.insert(0, str(ROOT))
    from bot.manifest import ManifestError, build
    from dialogs import FEATURES

    base = filled_manifest(app_id, bot_id)
    localization = base["localizationInfo"]
    files = {"ja": localization["defaultLanguageFile"], "en": localization["additionalLanguages"][0]["file"]}
    strings = {lang: json.loads((MANIFEST_DIR / name).read_text(encoding="utf-8")) for lang, name in files.items()}
    try:
        manifest, localized = build(base, strings, FEATURES)
    except ManifestError as error:
        raise PackageError(str(error)) from None
    return manifest, {files[lang]: values for lang, values in localized.items()}


def build_package(app_id: str, out: Path = DEFAULT_OUT, bot_id: str | None = None) -> Path:
    manifest, localizations = generated(app_id, bot_id)
    files = package_files(manifest)
    missing = [name for name in files if not (MANIFEST_DIR / name).is_file()]
    if missing:
        raise PackageError(f"manifest.json refers to files missing from manifest/: {', '.join(missing)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        for name in files:
            if name in localizations:
                archive.writestr(name, json.dumps(localizations[name], ensure_ascii=False, indent=2) + "\n")
            else:
                archive.write(MANIFEST_DIR / name, arcname=name)
    return out


def configured_app_id() -> str:
    """`MicrosoftAppId` from the bot's settings (.env overlaid by the environment)."""
    sys.path.insert(0, str(ROOT))
    from bot.settings import Settings

    return Settings.from_env(validate=False).app_id


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-id", help="the Teams app id (default: MicrosoftAppId from .env or the environment)")
    parser.add_argument("--bot-id", help="the bot's Microsoft App ID (default: the app id)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    app_id = (args.app_id or configured_app_id()).strip()
    try:
        if not app_id:
            raise PackageError(
                "no app id: set MicrosoftAppId in .env or the environment (the bot's Azure app registration id), "
                "or pass --app-id GUID"
            )
        out = build_package(app_id, args.out, args.bot_id)
    except PackageError as error:
        print(f"package: {error}", file=sys.stderr)
        return 1
    print(f"package: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Makes Debian's Chromium, a Japanese font and a colour emoji font (the cards' 👍 and 💬, as Teams draws them)
# available for the browser tests, the card gallery and the guide (Playwright drives this Chromium; it never
# downloads a browser of its own). Prints the browser's path.
# Idempotent: when both are present it only prints the path. When missing, root installs them with apt-get (CI
# runs as root on a clean machine); anyone else gets a non-zero exit and the reason, which the tests report as
# a loud skip.
set -euo pipefail
cd "$(dirname "$0")/.."

have_chromium() { command -v chromium >/dev/null 2>&1; }
have_japanese_font() { command -v fc-list >/dev/null 2>&1 && [ -n "$(fc-list :lang=ja family)" ]; }
have_emoji_font() { command -v fc-list >/dev/null 2>&1 && fc-list | grep -qi "color emoji"; }
have_all() { have_chromium && have_japanese_font && have_emoji_font; }

if have_all; then
  command -v chromium
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium_tools: Chromium or a Japanese font is missing and cannot be installed here (needs root and" \
    "apt-get); install them with: sudo apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji" >&2
  exit 1
fi

# One installer at a time (two test runs may start together); re-check once we hold the lock.
mkdir -p .tmp
exec 9>.tmp/chromium_tools.lock
flock 9
if ! have_all; then
  echo "chromium_tools: installing Debian's chromium, fonts-noto-cjk and fonts-noto-color-emoji (one time)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk fonts-noto-color-emoji >&2
fi
command -v chromium

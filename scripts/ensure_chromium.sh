#!/usr/bin/env bash
# The page tests drive Debian's Chromium through Playwright (Playwright cannot download its own
# browser here). Install it, with Chinese fonts and an emoji font (👍/👎, 🔊 on the page), when missing.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk" \
  && fc-list 2>/dev/null | grep -qi "color emoji"; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium (or its fonts) are missing and this is not root: the browser tests may be skipped." >&2
  echo "Install them with: sudo apt-get install chromium fonts-noto-cjk fonts-noto-color-emoji" >&2
  exit 0
fi
echo "installing Chromium, CJK and emoji fonts for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null

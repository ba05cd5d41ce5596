#!/usr/bin/env bash
# The page tests drive Debian's Chromium through Playwright (Playwright cannot download its own
# browser here). Install it, with Chinese fonts, when it is missing.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "noto.*cjk"; then exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium (and fonts-noto-cjk) are missing and this is not root: the browser tests will be skipped." >&2
  echo "Install them with: sudo apt-get install chromium fonts-noto-cjk" >&2
  exit 0
fi
echo "installing Chromium and CJK fonts for the browser tests"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium fonts-noto-cjk >/dev/null

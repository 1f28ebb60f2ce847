#!/usr/bin/env bash
# Install what the web application needs on this machine: npm (Debian's package) to fetch
# its browser libraries (web/package-lock.json); with --browser also Chromium and a CJK font
# for the browser tests and `make screenshots` (Playwright's own browser download is not
# used).
set -euo pipefail

missing=()
command -v npm >/dev/null || missing+=(npm)
if [[ "${1:-}" == "--browser" ]]; then
  command -v chromium >/dev/null || missing+=(chromium)
  fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk' || missing+=(fonts-wqy-microhei)
fi
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

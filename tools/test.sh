#!/usr/bin/env bash
# Install everything LANBoard's tests need on a fresh Debian machine, then run the whole suite.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)     # browser end-to-end tests
command -v zbarimg >/dev/null 2>&1 || need+=(zbar-tools)    # decoding QR codes
command -v ip >/dev/null 2>&1 || need+=(iproute2)           # two-host mDNS test in namespaces
command -v node >/dev/null 2>&1 || need+=(nodejs)           # node --test of the JS modules
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "not installed: ${need[*]} (run as root to install; tests needing them will skip)" >&2
  fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test,build]'
exec python3 -m pytest "$@"

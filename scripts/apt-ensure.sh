#!/usr/bin/env bash
# Install Debian packages that are missing (root only); refresh the package lists once if needed.
# Usage: scripts/apt-ensure.sh package...
set -euo pipefail

missing=()
for package in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "error: missing Debian packages: ${missing[*]}" >&2
    echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "==> apt-get install ${missing[*]}"
if ! apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; then
    # A fresh machine has no package lists yet.
    apt-get update -q </dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
fi

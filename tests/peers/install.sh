#!/usr/bin/env bash
# Install what the loopback test peers need (Debian, as root). Idempotent: every
# step runs only when its result is missing, so calling it on each test run is cheap.
#   - Debian packages: dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl
#   - npm ci in as/ (the OpenID provider) when node_modules is missing or older than the lockfile
#   - the system user vmail that owns the Dovecot maildirs
# Node >= 20 must already be on the machine (tests/run-all.sh installs it when missing).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export DEBIAN_FRONTEND=noninteractive
t0=$(date +%s.%N)

# 1. Debian packages, installed only when one of them is missing.
pkgs=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install.sh: apt-get install ${missing[*]}"
  apt-get update -q
  # In containers policy-rc.d keeps the packages' own services from starting; on a
  # systemd host the default Dovecot/Postfix instances start on the standard ports
  # (not ours: ours listen on 101xx/104xx/105xx), stop them if unwanted.
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
t1=$(date +%s.%N)

# 2. The OpenID provider's node modules (pinned by package-lock.json, no resolved URLs).
command -v node >/dev/null || { echo "install.sh: node >= 20 is required (apt-get install nodejs npm)" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "install.sh: node >= 20 is required, found $(node --version)" >&2; exit 1; }
if [ ! -d "$HERE/as/node_modules" ] || [ "$HERE/as/package-lock.json" -nt "$HERE/as/node_modules" ]; then
  echo "install.sh: npm ci in tests/peers/as"
  (cd "$HERE/as" && npm ci --no-audit --no-fund --loglevel=error)
  touch "$HERE/as/node_modules"    # npm ci may keep the directory's old mtime
fi
t2=$(date +%s.%N)

# 3. The mailbox owner.
getent passwd vmail >/dev/null ||
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vmail

awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN{printf "install.sh: ok (apt %.1fs, npm %.1fs)\n", b-a, c-b}'

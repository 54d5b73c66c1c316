#!/usr/bin/env bash
# Start the loopback test peers (127.0.0.1 only):
#   AS       oidc-provider, issuer http://127.0.0.1:10090
#   Dovecot  IMAP 10143 (STARTTLS) / 10993 (TLS), POP3 10110 (STLS) / 10995 (TLS), LMTP + auth sockets
#   Postfix  submission 10587 (STARTTLS) / 10465 (TLS), plain inbound 10025 (example.test only)
# Usage: up.sh [--as-only]     (default: the full stack; --as-only: only the OpenID provider)
# State (configs, TLS test CA, logs, mailboxes, pid files, the AS's codes, tokens and
# grants in as-state/ so that a restarted AS keeps them) lives in
# $PEERS_ROOT, default ${TMPDIR:-/tmp}/mail-oauth-peers; keep it short (unix socket paths).
# Safe to call again: components already up and answering are left alone
# ("already up"); missing ones are started. Readiness is awaited by polling ports.
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
P=${PEERS_ROOT:-${TMPDIR:-/tmp}/mail-oauth-peers}
AS_ONLY=0
case "${1:-}" in
  "") ;;
  --as-only) AS_ONLY=1 ;;
  *) echo "usage: $0 [--as-only]" >&2; exit 2 ;;
esac
AS_PORT=10090
DOVECOT_PORTS=(10143 10993 10110 10995)
POSTFIX_PORTS=(10587 10465 10025)

# Install only when something is missing (install.sh is idempotent but apt-get update is slow).
if ! { [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/lmtp ] && [ -x /usr/sbin/postfix ] &&
       command -v openssl >/dev/null && getent passwd vmail >/dev/null &&
       [ -d "$SRC/as/node_modules" ] && ! [ "$SRC/as/package-lock.json" -nt "$SRC/as/node_modules" ]; }; then
  "$SRC/install.sh"
fi

mkdir -p "$P"
cd "$P"
mkdir -p conf/postfix log run mail run/postfix-queue run/postfix-data tls

alive() { # pidfile: the process it names runs (and is not a zombie)
  local p; [ -f "$1" ] || return 1; p=$(tr -d ' \n' < "$1")
  [ -n "$p" ] && [ -d "/proc/$p" ] && ! grep -q '^[^ ]* ([^)]*) Z' "/proc/$p/stat"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # port timeout_s pidfile: poll until the port accepts, fail early if the process died
  local i
  for ((i = 0; i < $2 * 50; i++)); do
    port_open "$1" && return 0
    if [ -n "${3:-}" ] && [ -f "$3" ] && ! alive "$3"; then echo "up.sh: process of $3 exited" >&2; return 1; fi
    sleep 0.02
  done
  echo "up.sh: timeout waiting for 127.0.0.1:$1" >&2; return 1
}
as_healthy() { # the discovery document is served with our issuer
  node -e '
    fetch("http://127.0.0.1:'"$AS_PORT"'/.well-known/openid-configuration", { signal: AbortSignal.timeout(3000) })
      .then((r) => r.json()).then((d) => process.exit(d.issuer === "http://127.0.0.1:'"$AS_PORT"'" ? 0 : 1))
      .catch(() => process.exit(1));' 2>/dev/null
}
all_open() { local p; for p in "$@"; do port_open "$p" || return 1; done; }
refuse_foreign() { # pidfile ports...: a port held by someone else would fool the readiness poll
  local f=$1 p; shift
  alive "$f" && return 0
  for p in "$@"; do
    if port_open "$p"; then echo "up.sh: 127.0.0.1:$p is in use by another process (not ours: $P/$f)" >&2; exit 1; fi
  done
}
now() { date +%s.%N; }
dt() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a-b}'; }

need_as=1 need_dovecot=$((1 - AS_ONLY)) need_postfix=$((1 - AS_ONLY))
start_as=0 start_dovecot=0 start_postfix=0
check() { # name pidfile healthcheck...: decide whether to start it
  local name=$1 f=$2; shift 2
  if alive "$f"; then
    if "$@"; then return 1; fi
    echo "up.sh: $name runs (pid $(tr -d ' \n' < "$f")) but does not answer; run tests/peers/down.sh first" >&2
    exit 1
  fi
  return 0
}
[ $need_as = 1 ] && check as run/as.pid as_healthy && start_as=1
[ $need_dovecot = 1 ] && check dovecot run/dovecot/master.pid all_open "${DOVECOT_PORTS[@]}" && start_dovecot=1
[ $need_postfix = 1 ] && check postfix run/postfix-queue/pid/master.pid all_open "${POSTFIX_PORTS[@]}" && start_postfix=1
if [ $((start_as + start_dovecot + start_postfix)) = 0 ]; then
  echo "up.sh: already up ($P)"
  exit 0
fi
[ $start_as = 1 ] && refuse_foreign run/as.pid "$AS_PORT"
[ $start_dovecot = 1 ] && refuse_foreign run/dovecot/master.pid "${DOVECOT_PORTS[@]}"
[ $start_postfix = 1 ] && refuse_foreign run/postfix-queue/pid/master.pid "${POSTFIX_PORTS[@]}"

trap 'echo "up.sh failed at line $LINENO; last log lines:" >&2; tail -n 5 log/*.log >&2 || true; "$SRC/down.sh" >&2' ERR
T0=$(now)
# Configs rendered from the templates (@ROOT@ = the state folder).
for f in dovecot.conf dovecot-oauth2.conf.ext users postfix/main.cf postfix/master.cf postfix/sender_login_maps; do
  sed "s#@ROOT@#$P#g" "$SRC/conf/$f" > "conf/$f"
done
chown vmail:vmail mail
chown -R postfix:postfix run/postfix-data
# TLS: private test CA + server cert (CN=localhost, SAN localhost/127.0.0.1/::1); tests trust tls/ca.crt.
if [ ! -s tls/server.crt ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mail-oauth peers local test CA" \
    -keyout tls/ca.key -out tls/ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout tls/server.key -out tls/server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\n' > tls/ext.cnf
  openssl x509 -req -in tls/server.csr -CA tls/ca.crt -CAkey tls/ca.key -CAcreateserial -days 3650 \
    -extfile tls/ext.cnf -out tls/server.crt 2>/dev/null
  chmod 600 tls/*.key
fi
msg=()
# 1. The authorization server, in its own session like the daemons (survives the caller's shell).
if [ $start_as = 1 ]; then
  AS_STATE_DIR="$P/as-state" setsid node "$SRC/as/server.mjs" >> log/as.log 2>&1 < /dev/null &
  echo $! > run/as.pid
  wait_port "$AS_PORT" 20 run/as.pid
  as_healthy
  msg+=("as $(dt "$(now)" "$T0")s")
fi
T1=$(now)
# 2. Dovecot (daemonizes; pid in run/dovecot/master.pid).
if [ $start_dovecot = 1 ]; then
  # Daemons must not keep our stdout/stderr: a caller reading up.sh's output
  # through a pipe or $(...) would otherwise wait for them forever.
  dovecot -c "$P/conf/dovecot.conf" < /dev/null >> log/dovecot-start.log 2>&1
  for port in "${DOVECOT_PORTS[@]}"; do wait_port "$port" 20; done
  for ((i = 0; i < 250; i++)); do [ -S run/dovecot/auth-smtp ] && [ -S run/dovecot/lmtp ] && break; sleep 0.02; done
  [ -S run/dovecot/auth-smtp ] && [ -S run/dovecot/lmtp ]
  msg+=("dovecot $(dt "$(now)" "$T1")s")
fi
T2=$(now)
# 3. Postfix (daemonizes; pid in run/postfix-queue/pid/master.pid).
if [ $start_postfix = 1 ]; then
  postfix -c "$P/conf/postfix" set-permissions >/dev/null 2>&1 || true   # owner fix if postfix's uid changed
  postfix -c "$P/conf/postfix" check
  postfix -c "$P/conf/postfix" start < /dev/null >> log/postfix-start.log 2>&1
  for port in "${POSTFIX_PORTS[@]}"; do wait_port "$port" 20; done
  msg+=("postfix $(dt "$(now)" "$T2")s")
fi
trap - ERR
joined=$(printf '%s, ' "${msg[@]}")
echo "up.sh: up ($P): ${joined%, }; total $(dt "$(now)" "$T0")s"

#!/usr/bin/env bash
# Stop only the processes started by up.sh, found through their pid files in
# $PEERS_ROOT (default ${TMPDIR:-/tmp}/mail-oauth-peers). Safe when nothing runs.
# The state folder is kept (logs, test CA); remove it by hand for a clean slate.
set -uo pipefail
cd "${PEERS_ROOT:-${TMPDIR:-/tmp}/mail-oauth-peers}" 2>/dev/null || exit 0
running() { [ -d "/proc/$1" ] && ! grep -q '^[^ ]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
stop() { # name pidfile
  [ -f "$2" ] || return 0
  local p i; p=$(tr -d ' \n' < "$2")
  if [ -n "$p" ] && running "$p"; then
    kill -TERM "$p" 2>/dev/null
    for ((i = 0; i < 200; i++)); do running "$p" || break; sleep 0.05; done   # poll, up to 10 s
    if running "$p"; then kill -KILL "$p"; echo "down.sh: $1 killed -9 ($p)"; else echo "down.sh: $1 stopped ($p)"; fi
  fi
  rm -f "$2"
}
stop postfix run/postfix-queue/pid/master.pid   # the master stops its children on SIGTERM
stop dovecot run/dovecot/master.pid             # idem
stop as run/as.pid
exit 0

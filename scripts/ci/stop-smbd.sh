#!/usr/bin/env bash
# Stop the smbd started by start-smbd.sh (same SMB_BASE). Usage: stop-smbd.sh [--kill]
#   --kill: SIGKILL the server's process group at once (simulates a crash; start again with SMB_KEEP=1).
# smbd is its own process-group leader, so signalling -PID reaches its children and never our caller.
set -uo pipefail
BASE=${SMB_BASE:-${TMPDIR:-/tmp}/usmt-steps-smb-$(id -u)}
[ -f "$BASE/smbd.pid" ] || exit 0
pid=$(cat "$BASE/smbd.pid")
if [ "${1:-}" = --kill ]; then
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
else
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$pid" 2>/dev/null || true
fi
for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
rm -f "$BASE/smbd.pid"
# smbd starts samba-dcerpcd (and its rpcd_* helpers) on demand in their own session, so the group signal above
# does not reach them: end every process started with this server's configuration, or they outlive the test.
pkill -TERM -f -- "--configfile=$BASE/smb.conf" 2>/dev/null || true
for _ in $(seq 1 20); do pgrep -f -- "--configfile=$BASE/smb.conf" >/dev/null 2>&1 || break; sleep 0.05; done
pkill -KILL -f -- "--configfile=$BASE/smb.conf" 2>/dev/null || true
exit 0

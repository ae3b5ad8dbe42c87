#!/usr/bin/env bash
# Stops the Samba AD DC started by start-samba-ad.sh (by its pid file only) and removes its state folder.
#   env: AD_BASE (same as the start script); AD_KEEP=1 keeps the folder for inspection.
BASE=${AD_BASE:-${TMPDIR:-/tmp}/usmt-steps-ad}
if [ -f "$BASE/samba.pid" ]; then
  pid=$(cat "$BASE/samba.pid"); kill -TERM "$pid" 2>/dev/null || true
  stopped=0
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || { stopped=1; break; }; sleep 0.1; done
  # samba was started with setsid, so its pid is its process group: kill the group it owns, never ours
  [ "$stopped" = 1 ] || kill -KILL "$pid" 2>/dev/null || true
  kill -KILL -- "-$pid" 2>/dev/null || true   # leftover children in the group samba owns
  rm -f "$BASE/samba.pid"
fi
[ "${AD_KEEP:-0}" = 1 ] || rm -rf "$BASE"
exit 0

#!/usr/bin/env bash
# Isolated Samba file server (smbd only) for tests and benchmarks: 127.0.0.1:${SMB_PORT:-4450}, all state under $SMB_BASE.
# Usage: start-smbd.sh [mandatory|default|disabled]   (value for "server signing"; default: mandatory)
#   env: SMB_BASE      state folder (default ${TMPDIR:-/tmp}/usmt-steps-smb-$UID); wiped unless SMB_KEEP=1
#        SMB_PORT      TCP port (default 4450)
#        SMB_USER      test user (root only; unprivileged runs serve as the invoking user)
#        SMB_PASS      its password (default Passw0rd!); read from the environment, never put in argv
#        SMB_SHARES    space-separated share names (default "migstore"); share N is $SMB_BASE/shares/N
#        SMB_MIN_PROTOCOL  server min protocol (default SMB3)
#        SMB_EXTRA     extra [global] lines ('\n'-separated)
#        SMB_KEEP=1    restart on an existing $SMB_BASE (keeps shares, users and config: used to restart after a kill)
#        SMB_ACCOUNTS  more accounts (root only), space-separated, same password: e.g. computers' stand-ins
#        SMB_GROUP     root only: "group:member,member" — a unix group (SID S-1-22-2-gid, "Unix Group\group")
#        SMB_ACL=1     NT ACLs on the shares: vfs_acl_xattr (the ACL in security.NTACL, enforced by smbd alone),
#                      nt acl support, inherit acls, so smbcacls can read and set them
#        SMB_NETNS=1   root only: run smbd in its own network namespace on 127.0.0.1:445 (smbcacls and rpcclient
#                      have no port option); clients run through `nsenter --net=/proc/PID/ns/net`
# Needs the Debian packages samba and smbclient (apt-get install -y --no-install-recommends samba smbclient).
# Works as root (creates a nologin unix user) or as an unprivileged user on a port above 1024.
# Prints "smbd pid N listening on 127.0.0.1:PORT ..." and leaves the pid in $SMB_BASE/smbd.pid.
set -euo pipefail
BASE=${SMB_BASE:-${TMPDIR:-/tmp}/usmt-steps-smb-$(id -u)}
PORT=${SMB_PORT:-4450}
SMB_PASS=${SMB_PASS:-Passw0rd!}
SIGNING=${1:-mandatory}
MINPROTO=${SMB_MIN_PROTOCOL:-SMB3}
SHARES=${SMB_SHARES:-migstore}
if [ "$(id -u)" = 0 ]; then SMB_USER=${SMB_USER:-smbtest}; else SMB_USER=$(id -un); fi
for bin in smbd testparm pdbedit; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || { echo "$bin not found: apt-get install -y --no-install-recommends samba smbclient" >&2; exit 1; }
done
export PATH="$PATH:/usr/sbin"
if [ "${SMB_KEEP:-0}" != 1 ] || [ ! -f "$BASE/smb.conf" ]; then
  rm -rf "$BASE"; mkdir -p "$BASE"/{lock,state,cache,private,pid,ncalrpc,log,shares}
  if [ "$(id -u)" = 0 ]; then
    for u in "$SMB_USER" ${SMB_ACCOUNTS:-}; do id "$u" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$u"; done
    if [ -n "${SMB_GROUP:-}" ]; then
      g=${SMB_GROUP%%:*}
      getent group "$g" >/dev/null 2>&1 || groupadd "$g"
      for m in $(echo "${SMB_GROUP#*:}" | tr ',' ' '); do usermod -aG "$g" "$m"; done
    fi
  elif [ -n "${SMB_ACCOUNTS:-}${SMB_GROUP:-}${SMB_NETNS:-}" ]; then
    echo "SMB_ACCOUNTS, SMB_GROUP and SMB_NETNS need root" >&2; exit 1
  fi
  ACL_LINES=""
  if [ "${SMB_ACL:-0}" = 1 ]; then
    ACL_LINES='  vfs objects = acl_xattr\n  acl_xattr:ignore system acls = yes\n  nt acl support = yes\n  inherit acls = yes\n  map acl inherit = yes\n'
  fi
  {
    cat <<CONF
[global]
  server role = standalone server
  workgroup = WORKGROUP
  netbios name = SMBTEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $PORT
  disable netbios = yes
  lock directory = $BASE/lock
  state directory = $BASE/state
  cache directory = $BASE/cache
  private dir = $BASE/private
  pid directory = $BASE/pid
  ncalrpc dir = $BASE/ncalrpc
  binddns dir = $BASE/private/bind-dns
  log file = $BASE/log/log.%m
  log level = 1
  max log size = 0
  passdb backend = tdbsam:$BASE/private/passdb.tdb
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  map to guest = never
  server signing = $SIGNING
  server min protocol = $MINPROTO
$(printf '%b' "$ACL_LINES")
$(printf '%b' "${SMB_EXTRA:-}")
CONF
    for share in $SHARES; do
      mkdir -p "$BASE/shares/$share"; chmod 0777 "$BASE/shares/$share"
      if [ "$(id -u)" = 0 ]; then chown "$SMB_USER" "$BASE/shares/$share"; fi
      cat <<CONF

[$share]
  path = $BASE/shares/$share
  read only = no
  valid users = $SMB_USER ${SMB_ACCOUNTS:-}
  create mask = 0660
  directory mask = 0770
CONF
    done
  } > "$BASE/smb.conf"
  testparm -s "$BASE/smb.conf" >/dev/null 2>"$BASE/testparm.err" || { cat "$BASE/testparm.err" >&2; exit 1; }
  # pdbedit works without root (smbpasswd -a refuses to run unprivileged); the password goes through stdin.
  for u in "$SMB_USER" ${SMB_ACCOUNTS:-}; do
    printf '%s\n%s\n' "$SMB_PASS" "$SMB_PASS" | pdbedit -s "$BASE/smb.conf" -t -a -u "$u" >/dev/null 2>&1
  done
fi
start=$(date +%s%N)
# NB: never add --no-process-group and never wrap in setsid: smbd makes itself session and process-group
# leader (pid = pgid), and on SIGTERM it signals its whole group, which must not include our caller.
if [ "${SMB_NETNS:-0}" = 1 ]; then
  # unshare execs in place (same pid), then sh execs smbd: the pid is smbd's, and its namespace lives as long as it.
  unshare --net -- sh -c 'ip link set lo up && exec smbd --foreground --debug-stdout --configfile="$1"' sh "$BASE/smb.conf" </dev/null >>"$BASE/log/smbd.stdout" 2>&1 &
else
  smbd --foreground --debug-stdout --configfile="$BASE/smb.conf" </dev/null >>"$BASE/log/smbd.stdout" 2>&1 &
fi
echo $! > "$BASE/smbd.pid"
probe() {
  if [ "${SMB_NETNS:-0}" = 1 ]; then nsenter --net="/proc/$(cat "$BASE/smbd.pid")/ns/net" bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null
  else (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; fi
}
for _ in $(seq 1 200); do
  if probe; then
    echo "smbd pid $(cat "$BASE/smbd.pid") listening on 127.0.0.1:$PORT after $(( ($(date +%s%N)-start)/1000000 )) ms (user $SMB_USER, shares: $SHARES, signing $SIGNING, min protocol $MINPROTO)"; exit 0
  fi
  kill -0 "$(cat "$BASE/smbd.pid")" 2>/dev/null || break
  sleep 0.05
done
echo "smbd failed to start" >&2; tail -n 50 "$BASE/log/smbd.stdout" >&2; exit 1

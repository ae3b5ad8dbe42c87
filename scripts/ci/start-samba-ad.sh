#!/usr/bin/env bash
# Isolated Samba AD DC for the directory tests and the demo, bound to 127.0.0.1 only.
# Needs root: Samba's LDAP 389/636, GC 3268/3269, KDC 88 and kpasswd 464 ports are fixed.
# Provisions once (15-17 s) and caches the result as a snapshot tarball; later starts restore it (~0.2 s).
#   env: AD_BASE        state folder (default $TMPDIR/usmt-steps-ad-$$ parent-chosen; one DC per machine)
#        AD_ADMIN_PW    Administrator password (default Adm1nPassw0rd!)
#        AD_SNAPSHOT    snapshot tarball to restore/create (default $TMPDIR/usmt-steps-samba-ad-<samba version>.tgz)
#        AD_TLS_CERT AD_TLS_KEY AD_TLS_CA   PEM files for LDAPS/StartTLS (default: Samba's self-signed certificate)
#        AD_STRONG_AUTH yes|no  "ldap server require strong auth" (default yes, like a current Windows DC)
#        AD_LDIF        LDIF loaded over ldaps after start (as Administrator)
# Prints "samba AD pid N LDAP ready after X ms" and exits 0 when LDAP answers.
set -euo pipefail
BASE=${AD_BASE:-${TMPDIR:-/tmp}/usmt-steps-ad}
ADMIN_PW=${AD_ADMIN_PW:-Adm1nPassw0rd!}
VERSION=$(samba -V 2>/dev/null | tr -c 'A-Za-z0-9.\n' '_' | head -1)
SNAPSHOT=${AD_SNAPSHOT:-${TMPDIR:-/tmp}/usmt-steps-samba-ad-${VERSION}.tgz}
if [ "$(id -u)" != 0 ]; then echo "start-samba-ad.sh needs root (Samba AD uses fixed ports 389/636/88/464)"; exit 2; fi
for port in 389 636 88; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port 127.0.0.1:$port is already in use (another directory server?); stop it first"; exit 3
  fi
done
rm -rf "$BASE"; mkdir -p "$BASE"
t=$(date +%s%N)
if [ -f "$SNAPSHOT" ]; then
  tar xzf "$SNAPSHOT" -C "$BASE"
  old=$(sed -n 's#^\s*private dir = \(.*\)/prov/private$#\1#p' "$BASE/prov/etc/smb.conf")
  sed -i "s#$old/prov#$BASE/prov#g" "$BASE/prov/etc/smb.conf"   # every path, including "lock directory = …/prov"
  echo "restored snapshot $SNAPSHOT in $(( ($(date +%s%N)-t)/1000000 )) ms"
else
  samba-tool domain provision --targetdir="$BASE/prov" --use-rfc2307 --server-role=dc --dns-backend=NONE \
    --realm=CORP.EXAMPLE.COM --domain=CORP --host-name=dc1 --adminpass="$ADMIN_PW" \
    --option="interfaces=127.0.0.1" --option="bind interfaces only=yes" \
    --option="log file=$BASE/prov/log/log.%m" --option="pid directory=$BASE/prov/run" \
    --option="ncalrpc dir=$BASE/prov/run/ncalrpc" --option="winbindd socket directory=$BASE/prov/run/winbindd" \
    --option="ntp signd socket directory=$BASE/prov/run/ntp_signd" \
    --option="server services=ldap kdc" >"$BASE/provision.log" 2>&1 || { tail -30 "$BASE/provision.log"; exit 1; }
  echo "provisioned in $(( ($(date +%s%N)-t)/1000000 )) ms"
  # Cache the freshly provisioned (never started) domain; write to a temp name, then rename (concurrent runs).
  (cd "$BASE" && tar czf "$SNAPSHOT.$$" --exclude='*/msg.sock' --exclude='*/ldapi' prov) && mv -f "$SNAPSHOT.$$" "$SNAPSHOT"
fi
mkdir -p "$BASE/prov/log" "$BASE/prov/run"
TLS_OPTS=()
if [ -n "${AD_TLS_CERT:-}" ]; then
  mkdir -p "$BASE/tls"; install -m 0600 "$AD_TLS_KEY" "$BASE/tls/key.pem"
  install -m 0644 "$AD_TLS_CERT" "$BASE/tls/cert.pem"; install -m 0644 "${AD_TLS_CA:-$AD_TLS_CERT}" "$BASE/tls/ca.pem"
  TLS_OPTS=(--option="tls enabled=yes" --option="tls keyfile=$BASE/tls/key.pem" --option="tls certfile=$BASE/tls/cert.pem" --option="tls cafile=$BASE/tls/ca.pem")
fi
t=$(date +%s%N)
# setsid: samba gets its own session/process group, so signals it sends to its group never reach the caller
setsid samba --foreground --debug-stdout -s "$BASE/prov/etc/smb.conf" \
  --option="ldap server require strong auth=${AD_STRONG_AUTH:-yes}" "${TLS_OPTS[@]}" </dev/null >"$BASE/samba.out" 2>&1 &
echo $! > "$BASE/samba.pid"
for _ in $(seq 1 600); do
  if ldapsearch -x -H ldap://127.0.0.1 -s base -b "" defaultNamingContext >/dev/null 2>&1; then
    echo "samba AD pid $(cat "$BASE/samba.pid") LDAP ready after $(( ($(date +%s%N)-t)/1000000 )) ms"
    if [ -n "${AD_LDIF:-}" ]; then   # unicodePwd needs an encrypted connection -> ldaps
      t=$(date +%s%N)
      if [ -n "${AD_TLS_CERT:-}" ]; then export LDAPTLS_CACERT="$BASE/tls/ca.pem"; else export LDAPTLS_REQCERT=never; fi
      ldapadd -x -H ldaps://127.0.0.1 -D 'CORP\Administrator' -y <(printf '%s' "$ADMIN_PW") -f "$AD_LDIF" >"$BASE/ldapadd.log" 2>&1 \
        || { cat "$BASE/ldapadd.log"; exit 1; }
      echo "loaded $AD_LDIF in $(( ($(date +%s%N)-t)/1000000 )) ms"
    fi
    exit 0
  fi
  kill -0 "$(cat "$BASE/samba.pid")" 2>/dev/null || break
  sleep 0.05
done
echo "samba AD did not start"; tail -20 "$BASE/samba.out"; exit 1

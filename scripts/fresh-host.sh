#!/usr/bin/env bash
# Runs a command (CI: `npm test`) the way a fresh machine would see it, and fails if it leaves paths on the host.
# - Inside a private mount namespace (root + unshare), every container path that pods use and that an earlier
#   session may have left on this host (/data, /auth, ...) is covered by an empty read-only tmpfs: a test that needs
#   its contents, or writes to it instead of to its own temp dir, fails here as it would on a fresh machine.
# - Afterwards, no new entry may have appeared at the top of / or at those paths: the sandbox creates nothing on the
#   host outside its own dir (its pods' paths exist only inside their mount namespaces).
set -euo pipefail

CONTAINER_PATHS=(/data /auth /info /etc/redis-tls /etc/redis-client-ca /var/run/secrets/redwing /run/redwing-sandbox)

if [ "${1:-}" = "--inside" ]; then
  shift
  for path in "${CONTAINER_PATHS[@]}"; do
    if [ -d "$path" ]; then mount -t tmpfs -o ro,size=64k,mode=755 redwing-fresh-host "$path"; fi
  done
  exec "$@"
fi

snapshot() {
  ls -A / | sed 's#^#/#'
  for path in "${CONTAINER_PATHS[@]}"; do [ -e "$path" ] && echo "$path"; done
  true
}
before=$(snapshot | sort -u)

status=0
if [ "$(id -u)" = 0 ] && unshare --mount --propagation private true 2>/dev/null; then
  unshare --mount --propagation private "$0" --inside "$@" || status=$?
else
  echo "[fresh-host] not root or no mount namespaces: running without hiding host paths" >&2
  "$@" || status=$?
fi

after=$(snapshot | sort -u)
created=$(comm -13 <(echo "$before") <(echo "$after"))
if [ -n "$created" ]; then
  echo "[fresh-host] the run created host paths outside its own dirs (a fresh machine would not have them):" >&2
  echo "$created" | sed 's/^/  /' >&2
  [ "$status" = 0 ] && status=1
fi
exit "$status"

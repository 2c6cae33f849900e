#!/usr/bin/env bash
# Shared helpers for the tiersplit lab and test scripts. Sourced, not run.
# Everything here is idempotent: a second call finds the work done and returns.
set -euo pipefail

TS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TS_VENV="${TS_VENV:-$TS_ROOT/.venv}"
TS_IMAGE="${TS_IMAGE:-tiersplit/debian12-systemd:latest}"
TS_APP_IMAGE="${TS_APP_IMAGE:-tiersplit/debian12-monolith:latest}"
TS_MYSQL_IMAGE="${TS_MYSQL_IMAGE:-tiersplit/debian13-mysql:latest}"
TS_APT_CACHE_PORT=3142
export TS_ROOT TS_VENV TS_IMAGE TS_APP_IMAGE TS_MYSQL_IMAGE

# release_image RELEASE: the base image of the test hosts for a Debian release.
release_image() {
  case "$1" in
    bookworm) echo "$TS_IMAGE" ;;
    bullseye) echo "tiersplit/debian11-systemd:latest" ;;
    trixie) echo "tiersplit/debian13-systemd:latest" ;;
    *) die "no base image for Debian release '$1' (bullseye, bookworm, trixie)" ;;
  esac
}

log() { printf '\033[1m[tiersplit %s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[tiersplit] ERROR: %s\n' "$*" >&2; exit 1; }

# stage NAME CMD...: run one stage of a longer job and print how long it took.
STAGE_REPORT="${STAGE_REPORT:-}"
stage() {
  local name="$1"; shift
  local t0 t1 rc=0
  t0=$(date +%s)
  log "stage ${name}: start"
  "$@" || rc=$?
  t1=$(date +%s)
  log "stage ${name}: $([ $rc -eq 0 ] && echo ok || echo "FAILED (exit $rc)") in $((t1 - t0)) s"
  if [ -n "$STAGE_REPORT" ]; then
    printf '%-28s %-8s %5d s\n' "$name" "$([ $rc -eq 0 ] && echo ok || echo FAILED)" "$((t1 - t0))" >>"$STAGE_REPORT"
  fi
  return $rc
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run this as root (it installs Debian packages and starts a Docker engine)"
}

# apt_install PKG...: install the Debian packages that are missing.
APT_UPDATED=0
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  if [ $APT_UPDATED -eq 0 ]; then apt-get update -q >/dev/null; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

host_packages() {
  require_root
  apt_install docker.io debootstrap apt-cacher-ng python3 python3-venv git ca-certificates rsync openssh-client \
    php-cli  # php -l and a unit test that has PHP read an edited config
}

# image_current IMAGE RECIPE_HASH: true, and says so, when IMAGE exists and
# was built from that recipe (its label tiersplit.recipe).
image_current() {
  local have
  have=$(docker image inspect -f '{{ index .Config.Labels "tiersplit.recipe" }}' "$1" 2>/dev/null || true)
  [ "$have" = "$2" ] || return 1
  log "image $1 is up to date (recipe $2)"
}

# The first Debian mirror named in this machine's apt sources (never hard-coded).
debian_mirror() {
  local m=""
  if compgen -G "/etc/apt/sources.list.d/*.sources" >/dev/null; then
    m=$(awk 'tolower($1)=="uris:" {print $2}' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | grep -v -e security -e '^$' | grep -E '/debian/?$' | head -n1 || true)
  fi
  if [ -z "$m" ] && [ -f /etc/apt/sources.list ]; then
    m=$(awk '$1=="deb" && $0 !~ /security/ {for (i=2;i<=NF;i++) if ($i ~ /^(https?|file):/) {print $i; exit}}' /etc/apt/sources.list || true)
  fi
  [ -n "$m" ] || die "no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources"
  echo "${m%/}"
}

debian_security_mirror() {
  local m=""
  m=$(cat /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null \
      | grep -v '^[[:space:]]*#' | grep -oE 'https?://[^ ]*security[^ ]*' | head -n1 || true)
  echo "${m%/}"
}

# A shared apt cache (apt-cacher-ng) on this machine: every test host fetches a
# package from the mirror once per machine, and every role still runs its real
# apt install path. The hosts find it through their default gateway.
ensure_apt_cache() {
  if (exec 3<>/dev/tcp/127.0.0.1/$TS_APT_CACHE_PORT) 2>/dev/null; then return 0; fi
  log "starting apt-cacher-ng on port $TS_APT_CACHE_PORT"
  install -d -o apt-cacher-ng -g apt-cacher-ng /var/run/apt-cacher-ng /var/cache/apt-cacher-ng /var/log/apt-cacher-ng
  # Our own minimal configuration: the package's default remaps send Debian
  # requests to a backend list of its own instead of the mirror asked for.
  install -d -m 0755 /etc/tiersplit-apt-cache
  printf '%s\n' 'CacheDir: /var/cache/apt-cacher-ng' 'LogDir: /var/log/apt-cacher-ng' \
    'SupportDir: /usr/lib/apt-cacher-ng' "Port: $TS_APT_CACHE_PORT" 'ExThreshold: 4' \
    >/etc/tiersplit-apt-cache/acng.conf
  su -s /bin/sh apt-cacher-ng -c "/usr/sbin/apt-cacher-ng -c /etc/tiersplit-apt-cache \
    pidfile=/var/run/apt-cacher-ng/pid SocketPath=/var/run/apt-cacher-ng/socket ForeGround=0"
  local i
  for i in $(seq 1 30); do
    (exec 3<>/dev/tcp/127.0.0.1/$TS_APT_CACHE_PORT) 2>/dev/null && return 0
    sleep 0.5
  done
  die "apt-cacher-ng did not start; see /var/log/apt-cacher-ng/"
}

ensure_docker() {
  if docker info >/dev/null 2>&1; then return 0; fi
  command -v dockerd >/dev/null || apt_install docker.io
  log "no Docker engine answers: starting dockerd (log: /var/log/dockerd.log)"
  # Started from a subshell that exits at once: dockerd is not a child of the
  # calling script (whose "wait" would otherwise wait for it) and outlives it.
  (setsid nohup dockerd >/var/log/dockerd.log 2>&1 </dev/null &)
  local i
  for i in $(seq 1 60); do
    docker info >/dev/null 2>&1 && return 0
    sleep 1
  done
  die "dockerd did not answer within 60 s; see /var/log/dockerd.log"
}

ensure_venv() {
  local stamp="$TS_VENV/.requirements.sha256" want
  want=$(sha256sum "$TS_ROOT/requirements.txt" | cut -d' ' -f1)
  if [ -x "$TS_VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    return 0
  fi
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt_install python3-venv
  fi
  log "creating the Python virtual environment in $TS_VENV"
  [ -x "$TS_VENV/bin/python" ] || python3 -m venv "$TS_VENV"
  "$TS_VENV/bin/pip" install -q --upgrade pip >/dev/null
  "$TS_VENV/bin/pip" install -q -r "$TS_ROOT/requirements.txt"
  echo "$want" >"$stamp"
}

# ansible-core finds this collection at .collections/ansible_collections/tiersplit/maintenance
# (ansible.cfg sets collections_path); the link is made here, never committed.
ensure_collection_link() {
  local d="$TS_ROOT/.collections/ansible_collections/tiersplit"
  mkdir -p "$d"
  [ -L "$d/maintenance" ] || ln -sfn ../../.. "$d/maintenance"
}

activate() {
  # shellcheck disable=SC1091
  . "$TS_VENV/bin/activate"
  export ANSIBLE_CONFIG="$TS_ROOT/ansible.cfg"
  export ANSIBLE_COLLECTIONS_PATH="$TS_ROOT/.collections"
  export ANSIBLE_FORCE_COLOR="${ANSIBLE_FORCE_COLOR:-0}"
  export PY_COLORS=0
}

# The base image of every lab host, then the application server's image on it.
ensure_image() { "$TS_ROOT/scripts/base-image.sh" && "$TS_ROOT/scripts/monolith-image.sh"; }

# The lab's images, and those only scenarios of the test suite use: the
# Debian 13 base image and the MySQL test host's image on it.
ensure_test_images() {
  ensure_image && "$TS_ROOT/scripts/base-image.sh" trixie && "$TS_ROOT/scripts/mysql-image.sh"
}

# The tools: Debian packages, Docker engine, apt cache, venv (activated).
prepare_tools() {
  host_packages
  ensure_docker
  ensure_apt_cache
  ensure_venv
  ensure_collection_link
  activate
}

# Everything a lab or test run needs on this machine.
prepare_machine() {
  prepare_tools
  ensure_image
}

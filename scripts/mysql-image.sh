#!/usr/bin/env bash
# Build the image of a MySQL test host: the Debian 13 (trixie) base image with
# Debian unstable added at pin priority 100, where Oracle MySQL (9.7, with the
# clone plugin) is packaged. Nothing comes from unstable unless asked for
# (apt-get -t sid, or the database role's database_mysql_release: sid); the
# database role installs mysql-server itself. Unstable's Release file may be
# past its Valid-Until date on a mirror that is not refreshed: apt does not
# check that date for unstable here. For test hosts only, never for a
# production path. Rebuilt only when the base image or this recipe changes
# (label tiersplit.recipe).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

base=$(release_image trixie)
mirror=$(debian_mirror)
base_id=$(docker image inspect -f '{{ .Id }}' "$base") || die "no base image $base: run scripts/base-image.sh trixie"
recipe_hash=$( { cat "$0"; echo "$base_id $mirror"; } | sha256sum | cut -c1-16)

image_current "$TS_MYSQL_IMAGE" "$recipe_hash" && exit 0

name="tiersplit-mysql-build-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
log "building MySQL test-host image $TS_MYSQL_IMAGE (recipe $recipe_hash)"
docker run --name "$name" --network none "$base" bash -euc '
  echo "deb $1 sid main" >/etc/apt/sources.list.d/tiersplit-unstable.list
  printf "%s\n" "Package: *" "Pin: release n=sid" "Pin-Priority: 100" >/etc/apt/preferences.d/tiersplit-unstable
  printf "%s\n" "Acquire::Check-Valid-Until \"false\";" >/etc/apt/apt.conf.d/99tiersplit-unstable
  chmod 0644 /etc/apt/sources.list.d/tiersplit-unstable.list /etc/apt/preferences.d/tiersplit-unstable \
    /etc/apt/apt.conf.d/99tiersplit-unstable
' mysql-image "$mirror" >/dev/null
# The base image's command (PID 1: systemd, with its cgroup argument).
cmd=$(docker image inspect -f '{{ json .Config.Cmd }}' "$base")
docker commit \
  --change "CMD $cmd" \
  --change "LABEL tiersplit.recipe=$recipe_hash" \
  "$name" "$TS_MYSQL_IMAGE" >/dev/null
log "MySQL test-host image $TS_MYSQL_IMAGE built"

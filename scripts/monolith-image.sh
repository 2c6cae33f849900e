#!/usr/bin/env bash
# Build the image of the lab's application server: the base image with the
# monolith's packages (lab/monolith-packages.txt) already installed, as the
# 2018 server had them. lab/provision.yml still asks for each of them (state
# present) and configures everything else. Services are not started while the
# image is built (policy-rc.d); systemd starts them when a lab host boots.
# Rebuilt only when the base image or the package list changes: the recipe's
# hash is kept in the image label tiersplit.recipe.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

list="$TS_ROOT/lab/monolith-packages.txt"
packages=$(grep -Ev '^[[:space:]]*(#|$)' "$list" | tr '\n' ' ')
base_id=$(docker image inspect -f '{{ .Id }}' "$TS_IMAGE") || die "no base image $TS_IMAGE: run scripts/base-image.sh"
recipe_hash=$( { cat "$0"; echo "$base_id $packages"; } | sha256sum | cut -c1-16)

image_current "$TS_APP_IMAGE" "$recipe_hash" && exit 0

ensure_apt_cache
name="tiersplit-monolith-build-$$"
trap 'docker rm -f "$name" >/dev/null 2>&1 || true' EXIT
log "building monolith image $TS_APP_IMAGE (recipe $recipe_hash): $packages"
# shellcheck disable=SC2086  # the package list is split on purpose
docker run --name "$name" --network bridge -e DEBIAN_FRONTEND=noninteractive "$TS_IMAGE" bash -euc '
  printf "#!/bin/sh\nexit 101\n" >/usr/sbin/policy-rc.d; chmod 0755 /usr/sbin/policy-rc.d
  apt-get update -q
  apt-get install -y -q "$@"
  rm -f /usr/sbin/policy-rc.d
  apt-get clean
  rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/lib/apt/periodic/update-success-stamp
  touch -d "2000-01-01 00:00:00" /var/lib/apt/lists
' monolith $packages >/var/tmp/tiersplit-monolith-build.log 2>&1 \
  || { tail -n 30 /var/tmp/tiersplit-monolith-build.log >&2; die "the monolith's packages could not be installed (log above)"; }
rm -f /var/tmp/tiersplit-monolith-build.log
docker commit \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change "LABEL tiersplit.recipe=$recipe_hash" \
  "$name" "$TS_APP_IMAGE" >/dev/null
log "monolith image $TS_APP_IMAGE built"

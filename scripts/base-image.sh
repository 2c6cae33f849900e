#!/usr/bin/env bash
# Build the systemd base image of the test hosts with debootstrap, for one
# Debian release: scripts/base-image.sh [bookworm|trixie|bullseye] (default
# bookworm, the image $TS_IMAGE; the others are tiersplit/debian<N>-systemd).
# The mirror comes from this machine's apt sources. The image is rebuilt only
# when its recipe (this script, scripts/image/ and the mirrors) changes: the recipe's hash
# is kept in the image label tiersplit.recipe.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

release="${1:-bookworm}"
TS_IMAGE=$(release_image "$release")
# PID 1's command. This kernel has cgroup v1: trixie's systemd (257) runs on it
# only when told to, as an argument of PID 1.
case "$release" in
  trixie) cmd='["/lib/systemd/systemd", "SYSTEMD_CGROUP_ENABLE_LEGACY_FORCE=1"]' ;;
  *) cmd='["/lib/systemd/systemd"]' ;;
esac

PACKAGES=systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,openssh-server,openssh-client,curl,less,gnupg
mirror=$(debian_mirror)
security=$(debian_security_mirror)
recipe_hash=$( { cat "$0"; cat "$TS_ROOT"/scripts/image/*; echo "$release $cmd $PACKAGES $mirror $security"; } | sha256sum | cut -c1-16)

image_current "$TS_IMAGE" "$recipe_hash" && exit 0

ensure_apt_cache
rootfs=$(mktemp -d /var/tmp/tiersplit-rootfs.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
log "building base image $TS_IMAGE (recipe $recipe_hash) with debootstrap"
http_proxy="http://127.0.0.1:$TS_APT_CACHE_PORT" \
  debootstrap --variant=minbase --include="$PACKAGES" "$release" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -n 30 "$rootfs.log" >&2; die "debootstrap failed (log above)"; }
rm -f "$rootfs.log"

{
  echo "deb $mirror $release main"
  echo "deb $mirror $release-updates main"
  [ -n "$security" ] && echo "deb $security $release-security main"
} >"$rootfs/etc/apt/sources.list"
install -D -m 0755 "$TS_ROOT/scripts/image/apt-proxy-detect" "$rootfs/usr/local/lib/tiersplit/apt-proxy-detect"
echo 'Acquire::http::Proxy-Auto-Detect "/usr/local/lib/tiersplit/apt-proxy-detect";' \
  >"$rootfs/etc/apt/apt.conf.d/01tiersplit-proxy"
install -m 0644 "$TS_ROOT/scripts/image/ssh-hostkeys.service" "$rootfs/etc/systemd/system/ssh-hostkeys.service"
chroot "$rootfs" systemctl enable ssh-hostkeys.service >/dev/null 2>&1
# Every container gets its own host keys and machine id at first boot.
rm -f "$rootfs"/etc/ssh/ssh_host_*
: >"$rootfs/etc/machine-id"
# Units that have no job in a container.
for u in getty@tty1.service console-getty.service systemd-logind.service \
         systemd-remount-fs.service sys-kernel-debug.mount sys-kernel-tracing.mount \
         apt-daily.timer apt-daily-upgrade.timer; do
  ln -sfn /dev/null "$rootfs/etc/systemd/system/$u"
done
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
# No package lists in the image: make them look stale, so that apt's
# cache_valid_time in a role updates them on the first run.
rm -f "$rootfs"/var/lib/apt/periodic/update-success-stamp
touch -d '2000-01-01 00:00:00' "$rootfs"/var/lib/apt/lists

tar -C "$rootfs" -c . | docker import \
  --change "CMD $cmd" \
  --change 'ENV container=docker' \
  --change "LABEL tiersplit.recipe=$recipe_hash" \
  - "$TS_IMAGE" >/dev/null
log "base image $TS_IMAGE built"

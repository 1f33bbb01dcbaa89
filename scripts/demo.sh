#!/usr/bin/env bash
# The main job on the built-in sample image: build it with the project's fixture builder (three
# layers with whiteouts, an opaque directory, hardlinks, devices, xattrs), mount it, list it,
# unmount it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release
work=$(mktemp -d /tmp/imgmount-demo.XXXXXX)
mnt="$work/mnt"
trap '"$bin/tools/imgmount" -u "$mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
"$bin/tests/tools/imgmount-fixture" sample docker-oci gzip "$work/sample.tar"
mkdir "$mnt"
"$bin/tools/imgmount" "$work/sample.tar" "$mnt"
echo "== ls -la $mnt"
ls -la "$mnt"
echo "== find $mnt | head"
find "$mnt" | head -20
"$bin/tools/imgmount" -u "$mnt"
echo "demo: mounted, listed and unmounted $work/sample.tar"

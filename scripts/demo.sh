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
echo "== find $mnt (first 20)"
# sed reads to the end: head would close the pipe early and pipefail would end the demo.
find "$mnt" | sed -n '1,20p'
"$bin/tools/imgmount" -u "$mnt"
echo "demo: mounted, listed and unmounted $work/sample.tar"

#!/bin/sh
# Build the engine tests' image without a registry: a rootfs holding only Debian's static
# busybox, packed as an OCI image layout archive that both podman and containerd load.
#
#   make-image.sh OUTDIR [NAME]
# writes OUTDIR/rootfs/ and OUTDIR/image.tar (NAME defaults to localhost/cryo-busybox:latest).
set -eu
out=${1:?usage: make-image.sh OUTDIR [NAME]}
name=${2:-localhost/cryo-busybox:latest}
busybox=/bin/busybox

if ! "$busybox" --list >/dev/null 2>&1; then
	echo "make-image: $busybox missing (Debian package busybox-static)" >&2
	exit 1
fi
# The image holds nothing but busybox, so it must not need a dynamic loader.
case "$(ldd "$busybox" 2>&1)" in
*"not a dynamic"*|*"statically linked"*) ;;
*) echo "make-image: $busybox is not static; install busybox-static" >&2; exit 1 ;;
esac
case "$(uname -m)" in
x86_64) arch=amd64 ;;
aarch64) arch=arm64 ;;
*) arch=$(uname -m) ;;
esac

rootfs="$out/rootfs"
rm -rf "$rootfs" "$out/oci"
mkdir -p "$rootfs/bin" "$rootfs/dev" "$rootfs/proc" "$rootfs/sys" "$rootfs/etc" \
	"$rootfs/tmp" "$rootfs/run" "$rootfs/root"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$rootfs/bin/$applet"
done
ln -s bin "$rootfs/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' \
	>"$rootfs/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' >"$rootfs/etc/group"

# Blobs are content-addressed: digest = sha256 of the bytes, as the OCI image layout wants.
oci="$out/oci"
mkdir -p "$oci/blobs/sha256"
put_blob() {	# put_blob FILE -> prints "sha256:HEX SIZE", moves FILE into the blob store
	hex=$(sha256sum "$1" | cut -d' ' -f1)
	size=$(stat -c %s "$1")
	mv "$1" "$oci/blobs/sha256/$hex"
	echo "sha256:$hex $size"
}

tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	-C "$rootfs" -cf "$out/layer.tar" .
set -- $(put_blob "$out/layer.tar")
layer_digest=$1 layer_size=$2

printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
	"$arch" "$layer_digest" >"$out/config.json"
set -- $(put_blob "$out/config.json")
config_digest=$1 config_size=$2

printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
	"$config_digest" "$config_size" "$layer_digest" "$layer_size" >"$out/manifest.json"
set -- $(put_blob "$out/manifest.json")
manifest_digest=$1 manifest_size=$2

# containerd names the image from io.containerd.image.name; podman from ref.name.
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
	"$manifest_digest" "$manifest_size" "$arch" "$name" "$name" >"$oci/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
tar -C "$oci" -cf "$out/image.tar" oci-layout index.json blobs

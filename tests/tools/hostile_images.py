#!/usr/bin/env python3
"""Writes malicious or broken container images for the hostile-input test (tests/e2e/hostile.sh).

usage: hostile_images.py list
       hostile_images.py make CASE OUT [--canary PATH]

Every case is a complete image (a docker-save tar, an OCI archive or an OCI layout directory),
so that its poison reaches the code it attacks: the outer container, the manifests and configs,
the layer codecs, the tar headers or the union. Layer tars are written header by header, so any
field can lie. Only the standard library is used (libz and libzstd through ctypes for what the
zlib module cannot do). `--canary PATH` names a file outside the image that symlinks and links
of the image point at; the test proves it is never served.

Everything is deterministic: the same case always gives the same bytes.
"""

import ctypes
import ctypes.util
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import zlib

MTIME = 1704067200  # 2024-01-01T00:00:00Z
CANARY = "/tmp/imgmount-hostile-canary"

# ---- tar members, header by header ---------------------------------------------------------------


def octal(value, width):
    """A NUL-terminated octal field of `width` bytes."""
    digits = b"%o" % value
    if len(digits) > width - 1:
        raise ValueError("%d does not fit an octal field of %d bytes" % (value, width))
    return digits.rjust(width - 1, b"0") + b"\0"


def base256(value, width):
    """A GNU base-256 field: big-endian two's complement with the top bit set."""
    raw = (value % (1 << (8 * width))).to_bytes(width, "big")
    return bytes([raw[0] | 0x80]) + raw[1:]


def header(name, size=0, typeflag=b"0", link=b"", mode=0o644, uid=0, gid=0, mtime=MTIME,
           size_field=None, checksum_delta=0, devmajor=0, devminor=0):
    """One 512-byte ustar header; `size_field` replaces the encoded size verbatim."""
    h = bytearray(512)
    h[0:100] = name[:100].ljust(100, b"\0")
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(uid, 8)
    h[116:124] = octal(gid, 8)
    h[124:136] = size_field if size_field is not None else octal(size, 12)
    h[136:148] = octal(mtime, 12)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:257] = link[:100].ljust(100, b"\0")
    h[257:263] = b"ustar\0"
    h[263:265] = b"00"
    h[265:297] = b"root".ljust(32, b"\0")
    h[297:329] = b"root".ljust(32, b"\0")
    h[329:337] = octal(devmajor, 8)
    h[337:345] = octal(devminor, 8)
    checksum = sum(h) + checksum_delta
    h[148:156] = b"%06o\0 " % checksum
    return bytes(h)


def pad(data):
    return data + b"\0" * (-len(data) % 512)


def pax_records(records):
    """PAX extended-header records "LEN key=value\\n"; values are bytes, written verbatim."""
    out = b""
    for key, value in records:
        body = b" " + key + b"=" + value + b"\n"
        length = len(body) + 1
        while len(b"%d" % length) + len(body) != length:
            length = len(b"%d" % length) + len(body)
        out += b"%d" % length + body
    return out


def member(name, data=b"", typeflag=b"0", link=b"", pax=None, gnu_long=False, **fields):
    """A member with whatever extension headers its name and target need (PAX or GNU)."""
    if isinstance(name, str):
        name = name.encode()
    if isinstance(link, str):
        link = link.encode()
    if isinstance(data, str):
        data = data.encode()
    out = b""
    records = list(pax or [])
    if gnu_long:
        if len(name) > 100:
            out += header(b"././@LongLink", size=len(name) + 1, typeflag=b"L") + pad(name + b"\0")
        if len(link) > 100:
            out += header(b"././@LongLink", size=len(link) + 1, typeflag=b"K") + pad(link + b"\0")
    else:
        if len(name) > 100 or b"\0" in name:
            records.append((b"path", name))
        if len(link) > 100 or b"\0" in link:
            records.append((b"linkpath", link))
    if records:
        body = pax_records(records)
        out += header(b"PaxHeaders/entry", size=len(body), typeflag=b"x") + pad(body)
    size = len(data) if typeflag in (b"0", b"\0") else 0
    fields.setdefault("size", size)
    out += header(name.split(b"\0")[0], typeflag=typeflag, link=link.split(b"\0")[0], **fields)
    return out + pad(data)


def reg(name, data=b"", **kw):
    return member(name, data, **kw)


def dir_(name, mode=0o755):
    return member(name, typeflag=b"5", mode=mode)


def sym(name, target):
    return member(name, typeflag=b"2", link=target, mode=0o777)


def hard(name, target):
    return member(name, typeflag=b"1", link=target)


END = b"\0" * 1024


def tar(*members, end=True):
    return b"".join(members) + (END if end else b"")


# ---- codecs ----------------------------------------------------------------------------------------

_libz = ctypes.CDLL(ctypes.util.find_library("z") or "libz.so.1")
_libz.crc32_combine.restype = ctypes.c_ulong
_libz.crc32_combine.argtypes = [ctypes.c_ulong, ctypes.c_ulong, ctypes.c_long]
_libzstd = ctypes.CDLL(ctypes.util.find_library("zstd") or "libzstd.so.1")
_libzstd.ZSTD_compressBound.restype = ctypes.c_size_t
_libzstd.ZSTD_compressBound.argtypes = [ctypes.c_size_t]
_libzstd.ZSTD_compress.restype = ctypes.c_size_t
_libzstd.ZSTD_compress.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
                                   ctypes.c_size_t, ctypes.c_int]
_libzstd.ZSTD_isError.restype = ctypes.c_uint
_libzstd.ZSTD_isError.argtypes = [ctypes.c_size_t]


def gz(data, level=6):
    """A single-member gzip stream with a fixed header (no name, mtime 0)."""
    return gzip.compress(data, compresslevel=level, mtime=0)


def zst(data, level=3):
    bound = _libzstd.ZSTD_compressBound(len(data))
    out = ctypes.create_string_buffer(bound)
    n = _libzstd.ZSTD_compress(out, bound, data, len(data), level)
    if _libzstd.ZSTD_isError(n):
        raise RuntimeError("zstd compression failed")
    return out.raw[:n]


def skippable(payload, low=0):
    """A zstd skippable frame (magic 0x184D2A50 + low) carrying `payload`, as pzstd writes one
    before every frame."""
    return (0x184D2A50 + low).to_bytes(4, "little") + len(payload).to_bytes(4, "little") + payload


def pzstd_like(data, pieces=1):
    """zstd frames of `data` cut in `pieces`, each after a skippable frame holding the frame's
    compressed size: the layout pzstd writes."""
    step = -(-len(data) // pieces) or 1
    out = b""
    for i in range(0, max(len(data), 1), step):
        frame = zst(data[i:i + step])
        out += skippable(len(frame).to_bytes(4, "little")) + frame
    return out


def crc32_of_zeros(length):
    """CRC-32 of `length` zero bytes, by doubling with crc32_combine."""
    crc, have = 0, 0
    piece, piece_len = zlib.crc32(b"\0"), 1
    remaining = length
    while remaining:
        if remaining & 1:
            crc = _libz.crc32_combine(crc, piece, piece_len)
            have += piece_len
        piece = _libz.crc32_combine(piece, piece, piece_len)
        piece_len *= 2
        remaining >>= 1
    assert have == length
    return crc


def gzip_zero_bomb(prefix, zeros):
    """gzip of `prefix` (a multiple of 512) followed by `zeros` zero bytes, made in O(output):
    deflate blocks ended by a full flush are byte-aligned and independent, so one compressed
    chunk of zeros repeats."""
    chunk = 16 << 20
    assert zeros % chunk == 0
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = c.compress(prefix) + c.flush(zlib.Z_FULL_FLUSH)
    one = c.compress(b"\0" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    two = c.compress(b"\0" * chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert one == two, "deflate output after a full flush is not repeatable"
    tail = c.flush(zlib.Z_FINISH)
    crc = _libz.crc32_combine(zlib.crc32(prefix), crc32_of_zeros(zeros), zeros)
    total = len(prefix) + zeros
    gzip_header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = (crc & 0xFFFFFFFF).to_bytes(4, "little") + (total & 0xFFFFFFFF).to_bytes(4, "little")
    return gzip_header + head + one * (zeros // chunk) + tail + trailer


def zstd_zero_bomb(prefix, zeros):
    """One zstd frame: `prefix` as a raw block, then `zeros` zero bytes as RLE blocks of 128 KiB
    (4 bytes each), without a content size or checksum."""
    block = 128 << 10
    assert zeros % block == 0 and len(prefix) <= block
    frame = b"\x28\xb5\x2f\xfd" + b"\x00" + b"\x38"  # no FCS, not single-segment; window 128 KiB

    def block_header(last, kind, size):
        return (last | (kind << 1) | (size << 3)).to_bytes(3, "little")

    frame += block_header(0, 0, len(prefix)) + prefix
    count = zeros // block
    rle = block_header(0, 1, block) + b"\0"
    frame += rle * (count - 1) + block_header(1, 1, block) + b"\0"
    return frame


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def digest_of(data, algorithm="sha256"):
    """The OCI digest of `data`: "sha256:<hex>" or "sha512:<hex>"."""
    return algorithm + ":" + hashlib.new(algorithm, data).hexdigest()


# ---- images ----------------------------------------------------------------------------------------

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
LAYER_TYPES = {
    "none": "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


class Symlink:
    def __init__(self, target):
        self.target = target


class Hardlink:
    def __init__(self, target):
        self.target = target


class Fifo:
    pass


class Directory:
    pass


class Layer:
    """A layer blob and the diff_id the config states for it (by default that of `tar`)."""

    def __init__(self, tar_bytes, codec="none", blob=None, diff_id=None, algorithm="sha256"):
        self.tar = tar_bytes
        self.codec = codec
        if blob is None:
            blob = {"none": lambda t: t, "gzip": gz, "zstd": zst}[codec](tar_bytes)
        self.blob = blob
        self.diff_id = diff_id or digest_of(tar_bytes, algorithm)
        self.digest = digest_of(blob, algorithm)


def blob_path(digest):
    return "blobs/" + digest.replace(":", "/", 1)


def dumps(value):
    return json.dumps(value, separators=(",", ":")).encode()


class Image:
    """The files of an image, path -> bytes (or Symlink, Hardlink, Fifo, Directory), in order.
    `kind` is docker (a docker save tar: manifest.json and blobs), docker-oci (a docker save of
    Docker >= 25: manifest.json and an OCI layout), oci (an OCI archive) or oci-dir (an OCI
    layout directory)."""

    def __init__(self, layers, kind="docker", config=None, layer_descriptors=None,
                 algorithm="sha256"):
        self.kind = kind
        self.layers = layers
        self.files = {}
        if config is None:
            config = {"architecture": "amd64", "os": "linux", "config": {},
                      "rootfs": {"type": "layers", "diff_ids": [l.diff_id for l in layers]}}
        self.config = dumps(config) if not isinstance(config, bytes) else config
        self.config_digest = digest_of(self.config, algorithm)
        if layer_descriptors is None:
            layer_descriptors = [{"mediaType": LAYER_TYPES[l.codec], "digest": l.digest,
                                  "size": len(l.blob)} for l in layers]
        self.layer_descriptors = layer_descriptors
        self.manifest = dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "digest": self.config_digest,
                       "size": len(self.config)},
            "layers": layer_descriptors})
        self.manifest_digest = digest_of(self.manifest, algorithm)
        if kind in ("docker", "docker-oci"):
            self.files["manifest.json"] = dumps([{
                "Config": blob_path(self.config_digest), "RepoTags": ["hostile:latest"],
                "Layers": [blob_path(l.digest) for l in layers]}])
        if kind != "docker":
            self.files["oci-layout"] = dumps({"imageLayoutVersion": "1.0.0"})
            self.files["index.json"] = dumps({
                "schemaVersion": 2, "mediaType": OCI_INDEX,
                "manifests": [{"mediaType": OCI_MANIFEST, "digest": self.manifest_digest,
                               "size": len(self.manifest),
                               "annotations": {"org.opencontainers.image.ref.name": "latest"}}]})
            self.files[blob_path(self.manifest_digest)] = self.manifest
        self.files[blob_path(self.config_digest)] = self.config
        for l in layers:
            self.files[blob_path(l.digest)] = l.blob

    def set_docker_manifest(self, entries):
        self.files["manifest.json"] = entries if isinstance(entries, bytes) else dumps(entries)

    def set_manifest(self, manifest_bytes):
        """Replaces the OCI manifest (and its digest in index.json)."""
        del self.files[blob_path(self.manifest_digest)]
        self.manifest = manifest_bytes
        self.manifest_digest = "sha256:" + sha256(manifest_bytes)
        index = json.loads(self.files["index.json"])
        index["manifests"][0]["digest"] = self.manifest_digest
        index["manifests"][0]["size"] = len(manifest_bytes)
        self.files["index.json"] = dumps(index)
        self.files[blob_path(self.manifest_digest)] = manifest_bytes

    def edit_manifest(self, edit):
        """Applies `edit` to the parsed OCI manifest and stores the result."""
        manifest = json.loads(self.manifest)
        edit(manifest)
        self.set_manifest(dumps(manifest))

    def edit_index(self, edit):
        """Applies `edit` to the parsed index.json and stores the result."""
        index = json.loads(self.files["index.json"])
        edit(index)
        self.files["index.json"] = dumps(index)

    outer = None  # compress the whole tar: "gzip", "zstd" or "pzstd" (see pzstd_like)
    outer_keep = None  # then keep only this many bytes of it (0: half of it)

    def write(self, out):
        if self.kind == "oci-dir":
            write_dir(self.files, out)
            return
        write_outer_tar(self.files, out)
        if self.outer:
            with open(out, "rb") as f:
                data = {"gzip": gz, "zstd": zst, "pzstd": pzstd_like}[self.outer](f.read())
            if self.outer_keep is not None:
                data = data[: self.outer_keep if self.outer_keep > 0 else len(data) // 2]
            with open(out, "wb") as f:
                f.write(data)


def write_outer_tar(files, out):
    with open(out, "wb") as f:
        dirs = set()
        for path, content in files.items():
            parts = path.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i]) + "/"
                if d not in dirs:
                    dirs.add(d)
                    f.write(dir_(d))
            if isinstance(content, Symlink):
                f.write(sym(path, content.target))
            elif isinstance(content, Hardlink):
                f.write(hard(path, content.target))
            elif isinstance(content, Directory):
                f.write(dir_(path + "/"))
            elif isinstance(content, Fifo):
                f.write(member(path, typeflag=b"6"))
            else:
                f.write(reg(path, content))
        f.write(END)


def write_dir(files, out):
    os.makedirs(out, exist_ok=True)
    for path, content in files.items():
        full = os.path.join(out, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if isinstance(content, Symlink):
            os.symlink(content.target, full)
        elif isinstance(content, Hardlink):
            os.link(os.path.join(out, content.target), full)
        elif isinstance(content, Directory):
            os.makedirs(full, exist_ok=True)
        elif isinstance(content, Fifo):
            os.mkfifo(full)
        else:
            with open(full, "wb") as f:
                f.write(content)


# ---- the cases ---------------------------------------------------------------------------------------

CASES = {}


def case(fn):
    CASES[fn.__name__.replace("_", "-")] = fn
    return fn


def plain(*members, codec="none"):
    return Layer(tar(*members), codec)


def ok_file():
    return reg("ok", "inside the image\n")


# Names.


@case
def name_dotdot():
    return Image([plain(ok_file(), reg("../escape-dotdot", "x"), reg("a/../../escape-dotdot2", "x"),
                        reg("a/b/../../../escape-dotdot3", "x"), reg("..", "x"))])


@case
def name_absolute():
    return Image([plain(reg("/abs-file", "absolute name\n"), reg("//etc//hostile-abs", "y\n"),
                        reg("/./ok", "inside the image\n"))])


@case
def name_nul_pax():
    return Image([plain(ok_file(), reg(b"nul\0/../../escape-nul", "x"),
                        member(b"nul-link", typeflag=b"2", link=b"ok\0/../../etc/passwd"))])


@case
def name_long_pax():
    deep = "/".join(["p" * 200] * 50) + "/deep-file"  # a 10 KB path of 200-byte components
    return Image([plain(ok_file(), reg(deep, "deep\n"), reg("n" * 10000, "x"),
                        sym("longlink", "t" * 10000))])


@case
def name_long_gnu():
    deep = "/".join(["g" * 200] * 50) + "/deep-file"
    return Image([plain(ok_file(), reg(deep, "deep\n", gnu_long=True),
                        reg("m" * 10000, "x", gnu_long=True),
                        sym("longlink", "u" * 10000) if False else
                        member("longlink", typeflag=b"2", link="u" * 10000, gnu_long=True))])


@case
def name_empty_and_root():
    return Image([plain(ok_file(), reg("", "empty name"), reg(".", "root as a file"),
                        reg("./", "root as a file"), reg("/", "root as a file"))])


@case
def name_root_file():
    return Image([plain(ok_file(), reg("", "empty name"), reg(".", "root as a file"))])


@case
def name_bad_components():
    # A 256-byte component, a newline, a component that is only spaces: served or skipped,
    # never a broken readdir.
    return Image([plain(ok_file(), reg("x" * 256, "too long"), reg("new\nline", "nl\n"),
                        reg("   ", "spaces\n"))])


# Links and the union.


@case
def symlink_then_write():
    return Image([plain(sym("a", "/etc")),
                  plain(reg("a/passwd", "image passwd\n"))])


@case
def symlink_then_write_same_layer():
    return Image([plain(sym("a", "/etc"), reg("a/passwd", "image passwd\n"),
                        sym("b", "../../../../etc"), reg("b/hostname", "image hostname\n"))])


@case
def symlink_canary():
    # Symlinks are data: they point outside and stay links; the daemon never follows them.
    return Image([plain(ok_file(), sym("to-canary", CANARY), sym("to-passwd", "/etc/passwd"),
                        sym("up", "../../../../../" + CANARY.lstrip("/")), sym("loop1", "loop2"),
                        sym("loop2", "loop1"), sym("self", "self"))])


@case
def hardlink_escape():
    return Image([plain(ok_file(), hard("h-passwd", "/etc/passwd"), hard("h-up", "../../etc/passwd"),
                        hard("h-canary", CANARY), hard("h-ok", "ok"))])


@case
def hardlink_forward():
    return Image([plain(hard("early", "later"), reg("later", "target of a forward link\n"),
                        hard("cycle-a", "cycle-b"), hard("cycle-b", "cycle-a"),
                        hard("self", "self"))])


@case
def hardlink_directory():
    return Image([plain(dir_("d/"), reg("d/f", "f\n"), hard("to-dir", "d"), hard("to-root", "."),
                        hard("to-root2", "/"), ok_file())])


@case
def hardlink_whiteout():
    return Image([plain(reg("victim", "lower\n"), ok_file()),
                  plain(reg(".wh.victim", ""), hard("to-wh", ".wh.victim"),
                        hard(".wh.ok", "victim"))])


@case
def whiteout_dots():
    return Image([plain(dir_("sub/"), reg("sub/keep", "keep\n"), ok_file()),
                  plain(reg(".wh..", ""), reg(".wh...", ""), reg("sub/.wh..", ""),
                        reg("sub/.wh...", ""), reg(".wh.", ""), reg("sub/.wh.", ""),
                        reg(".wh./x", ""))])


@case
def opaque_under_symlink():
    return Image([plain(dir_("d/"), reg("d/keep", "keep\n"), sym("l", "d"), sym("etc-link", "/etc")),
                  plain(reg("l/.wh..wh..opq", ""), reg("etc-link/.wh..wh..opq", ""),
                        reg("etc-link/.wh.passwd", ""))])


@case
def duplicate_types():
    return Image([plain(reg("x", "file\n"), dir_("x/"), reg("x/child", "c\n"), sym("x", "ok"),
                        dir_("y/"), reg("y/child", "c\n"), reg("y", "y is a file now\n"),
                        hard("z", "ok"), reg("z", "z last\n"), ok_file(),
                        member("fifo", typeflag=b"6"), dir_("fifo/"))])


@case
def devices_setuid():
    # Served as they are, but the mount is nodev,nosuid.
    return Image([plain(ok_file(), member("sda", typeflag=b"4", mode=0o666, devmajor=8),
                        member("mem", typeflag=b"3", mode=0o666, devmajor=1, devminor=1),
                        reg("suid-shell", "#!/bin/sh\n", mode=0o4755))])


@case
def xattr_huge():
    # A 100 KB xattr value, and 300 names of 250 bytes (over the kernel's 64 KiB list limit).
    many = [(b"SCHILY.xattr.user." + b"n" * 240 + b"%04d" % i, b"v") for i in range(300)]
    return Image([plain(ok_file(),
                        reg("big-xattr", "x\n", pax=[(b"SCHILY.xattr.user.big", b"v" * 100000)]),
                        reg("many-xattrs", "y\n", pax=many))])


@case
def header_extremes():
    # uid/gid beyond 32 bits and an mtime far before the epoch, in base-256; all mode bits.
    h = bytearray(header(b"extreme", size=2, mode=0o7777))
    h[108:116] = base256(1 << 40, 8)
    h[116:124] = base256(-5, 8)
    h[136:148] = base256(-(1 << 60), 12)
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return Image([plain(ok_file(), bytes(h) + pad(b"e\n"))])


@case
def sparse_huge():
    # A PAX 1.0 sparse file of 1 PiB that is all hole but one 512-byte run at the very end.
    size = 1 << 50
    sparse = pax_records([(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"),
                          (b"GNU.sparse.name", b"huge"), (b"GNU.sparse.realsize", b"%d" % size)])
    data = pad(b"1\n%d\n512\n" % (size - 512)) + b"z" * 512
    return Image([plain(ok_file(),
                        header(b"PaxHeaders/huge", size=len(sparse), typeflag=b"x") + pad(sparse) +
                        header(b"GNUSparseFile.0/huge", size=len(data)) + data)])


# Codecs and tar framing.

SMALL = tar(reg("ok", "inside the image\n"), reg("big", b"0123456789abcdef" * 8192))


@case
def gzip_truncated():
    blob = gz(SMALL)
    return Image([Layer(SMALL, "gzip", blob[: len(blob) // 2])])


@case
def gzip_bad_crc():
    blob = bytearray(gz(SMALL))
    blob[-8] ^= 0xFF
    return Image([Layer(SMALL, "gzip", bytes(blob))])


@case
def gzip_bad_length():
    blob = bytearray(gz(SMALL))
    blob[-4] ^= 0x01
    return Image([Layer(SMALL, "gzip", bytes(blob))])


@case
def gzip_corrupt_deflate():
    blob = bytearray(gz(SMALL))
    for i in range(40, 60):
        blob[len(blob) // 2 + i] ^= 0x5A
    return Image([Layer(SMALL, "gzip", bytes(blob))])


@case
def gzip_trailing_garbage():
    return Image([Layer(SMALL, "gzip", gz(SMALL) + b"this is not gzip" * 4)])


@case
def gzip_multi_member():
    half = len(SMALL) // 2
    return Image([Layer(SMALL, "gzip", gz(SMALL[:half]) + gz(SMALL[half:]))])


@case
def gzip_bad_header_flags():
    # FEXTRA with a length running past the end, reserved flag bits.
    blob = b"\x1f\x8b\x08\xe4\x00\x00\x00\x00\x00\xff\xff\xff" + b"\0" * 32
    return Image([Layer(SMALL, "gzip", blob)])


@case
def zstd_garbage():
    return Image([Layer(SMALL, "zstd", b"\x28\xb5\x2f\xfd" + bytes(range(256)) * 8)])


@case
def zstd_truncated():
    blob = zst(SMALL)
    return Image([Layer(SMALL, "zstd", blob[: len(blob) - 7])])


@case
def zstd_skippable_frames():
    # pzstd's layout (a skippable frame before every frame), metadata first (magic ...5F) and a
    # skippable frame between frames and at the end.
    blob = (skippable(b"metadata first", 0xF) + pzstd_like(SMALL[:50000]) +
            skippable(b"in the middle", 3) + pzstd_like(SMALL[50000:], 3) + skippable(b"end"))
    return Image([Layer(SMALL, "zstd", blob)], kind="oci")


@case
def zstd_skippable_only():
    # A valid zstd stream whose content is empty: the layer is an empty stream, as empty-blob.
    return Image([Layer(b"", "zstd", skippable(b"nothing else") + skippable(b""))], kind="oci")


@case
def tar_truncated():
    return Image([Layer(SMALL, "none", SMALL[: 512 + 5000])])


@case
def tar_not_tar():
    junk = bytes((i * 7919 + 13) % 251 for i in range(8192))
    return Image([Layer(junk, "none")])


@case
def tar_bad_checksum():
    bad = header(b"bad", size=5, checksum_delta=1) + pad(b"hello")
    return Image([plain(reg("ok", "inside the image\n"), bad)])


@case
def tar_size_too_large():
    lie = header(b"liar", size=1 << 30) + pad(b"short")
    return Image([Layer(tar(reg("ok", "inside the image\n")) [:-1024] + lie + END)])


@case
def tar_size_base256():
    lie = header(b"liar", size_field=base256(1 << 62, 12)) + pad(b"short")
    return Image([Layer(tar(reg("ok", "inside the image\n"))[:-1024] + lie + END)])


@case
def tar_size_negative():
    lie = header(b"liar", size_field=base256(-512, 12)) + pad(b"short")
    return Image([Layer(tar(reg("ok", "inside the image\n"))[:-1024] + lie + END)])


@case
def tar_sparse_lies():
    # A PAX 1.0 sparse map whose regions lie past the file's size and past the stream.
    sparse = pax_records([(b"GNU.sparse.major", b"1"), (b"GNU.sparse.minor", b"0"),
                          (b"GNU.sparse.name", b"sparse"), (b"GNU.sparse.realsize", b"4096")])
    data = pad(b"2\n0\n512\n999999999\n999999999\n") + b"x" * 512
    return Image([plain(ok_file(),
                        header(b"PaxHeaders/sparse", size=len(sparse), typeflag=b"x") + pad(sparse) +
                        header(b"GNUSparseFile.0/sparse", size=len(data)) + data)])


@case
def empty_blob():
    return Image([Layer(b"", "none")])


# Bombs and scale.

BOMB_ZEROS = 10 << 30  # 10 GiB of zeros


def bomb_tar_prefix():
    # (over 8 GiB: the size in base-256, as GNU tar writes it)
    return header(b"bomb", size_field=base256(BOMB_ZEROS - 1024, 12))


# sha256 of bomb_tar_prefix() + 10 GiB of zeros (the file's data, then the end blocks), computed
# once: hashing 10 GiB on every run would dominate the test.
BOMB_DIFF_ID = "sha256:ad21b13219a0435bae8af05aecb897b4e1173f454e1d3128bbecb4b3a9ff5756"


@case
def bomb_gzip():
    prefix = bomb_tar_prefix()
    return Image([Layer(b"", "gzip", gzip_zero_bomb(prefix, BOMB_ZEROS), BOMB_DIFF_ID),
                  plain(reg("small", "a small upper layer\n"))])


@case
def bomb_zstd():
    prefix = bomb_tar_prefix()
    return Image([Layer(b"", "zstd", zstd_zero_bomb(prefix, BOMB_ZEROS), BOMB_DIFF_ID),
                  plain(reg("small", "a small upper layer\n"))])


MANY_FILES = int(os.environ.get("HOSTILE_MANY_FILES", "1000000"))


@case
def many_files():
    body = b"".join(header(b"f%07d" % i) for i in range(MANY_FILES))
    return Image([Layer(body + END, "gzip", gz(body + END, 1))])


DEEP_DIRS = 20000


@case
def deep_dirs():
    # 20000 nested directories: the leaf's parents are implied, and 2000 of them are also given
    # as explicit entries (every tenth level), whose PAX paths grow with the depth.
    path = "/".join(["d"] * DEEP_DIRS)
    members = [dir_("/".join(["d"] * n) + "/") for n in range(10, 2001, 10)]
    members.append(reg(path + "/leaf", "bottom\n"))
    t = tar(*members)
    return Image([Layer(t, "gzip", gz(t))])


MANY_LAYERS = int(os.environ.get("HOSTILE_MANY_LAYERS", "4096"))


def many_layers_of(count, kind):
    layers = []
    for i in range(count):
        # Every layer replaces /top and adds its own file; some white out an earlier one.
        members = [reg("top", "layer %d\n" % i), reg("l/%04d" % i, "%d\n" % i)]
        if i % 2 == 1:
            members.append(reg("l/.wh.%04d" % (i - 1), ""))
        layers.append(plain(*members))
    return Image(layers, kind=kind)


@case
def many_layers():
    return many_layers_of(MANY_LAYERS, "oci")


@case
def many_layers_dir():
    # One blob file per layer: more layers than the default limit of 1024 open files.
    return many_layers_of(2048, "oci-dir")


# Digests.


def same_size_tamper(data, old, new):
    """`data` with `old` replaced by `new` of the same length: a blob that still has its
    descriptor's size, so that only its digest can tell (a size mismatch is found first)."""
    assert len(old) == len(new) and old in data
    return data.replace(old, new, 1)


def gzip_other_mtime(blob):
    """The same gzip stream with another MTIME in its header: same size and content, another
    blob digest."""
    changed = bytearray(blob)
    changed[4] ^= 0x01
    return bytes(changed)


@case
def digest_blob_mismatch():
    layer = Layer(SMALL, "gzip")
    return layer_blob_as("oci", gzip_other_mtime(layer.blob), layer)


@case
def digest_blob_mismatch_plain():
    # A large member: indexing skips its data (nothing to decode), so it hashes nothing.
    original = tar(reg("ok", "inside the image\n"), reg("big", b"x" * (8 << 20)))
    layer = Layer(original, "none")
    image = Image([layer], kind="oci")
    image.files[blob_path(layer.digest)] = same_size_tamper(original, b"inside the image",
                                                            b"INSIDE THE IMAGE")
    return image


@case
def digest_diff_id_mismatch():
    return Image([Layer(SMALL, "gzip", diff_id="sha256:" + "0" * 64)], kind="oci")


@case
def digest_sha512():
    # OCI allows sha512 digests: every digest here is one, and each is checked.
    layers = [Layer(SMALL, "gzip", algorithm="sha512"),
              Layer(tar(reg("top", "sha512 layer\n")), "none", algorithm="sha512")]
    return Image(layers, kind="oci", algorithm="sha512")


@case
def digest_sha512_mismatch():
    layer = Layer(SMALL, "gzip", algorithm="sha512")
    return layer_blob_as("oci", gzip_other_mtime(layer.blob), layer)


@case
def digest_sha512_config_mismatch():
    image = Image([Layer(SMALL, "gzip", algorithm="sha512")], kind="oci", algorithm="sha512")
    image.files[blob_path(image.config_digest)] = same_size_tamper(image.config, b'"linux"',
                                                                   b'"LINUX"')
    return image


@case
def digest_config_mismatch():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.files[blob_path(image.config_digest)] = same_size_tamper(image.config, b'"linux"',
                                                                   b'"LINUX"')
    return image


@case
def digest_manifest_mismatch():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.files[blob_path(image.manifest_digest)] = same_size_tamper(image.manifest, b"+json",
                                                                     b"+JSON")
    return image


@case
def digest_bad_form():
    layer = Layer(SMALL, "gzip")
    image = Image([layer], kind="oci-dir",
                  layer_descriptors=[{"mediaType": LAYER_TYPES["gzip"], "digest": "sha256:../../x",
                                      "size": len(layer.blob)}])
    image.files["x"] = layer.blob  # what ../../x would reach from blobs/sha256/
    return image


@case
def digest_bad_form_config():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    manifest = json.loads(image.manifest)
    manifest["config"]["digest"] = "sha256:" + "A" * 64
    image.set_manifest(dumps(manifest))
    return image


@case
def digest_bad_form_index():
    image = Image([Layer(SMALL, "gzip")], kind="oci-dir")
    index = json.loads(image.files["index.json"])
    index["manifests"][0]["digest"] = "sha256/../../../../etc/passwd"
    image.files["index.json"] = dumps(index)
    return image


@case
def diff_ids_count():
    layer = Layer(SMALL, "gzip")
    config = {"architecture": "amd64", "os": "linux",
              "rootfs": {"type": "layers", "diff_ids": [layer.diff_id, layer.diff_id]}}
    return Image([layer], kind="oci", config=config)


def layer_blob_as(kind, replacement, layer=None):
    """A one-layer image (SMALL, gzip by default) whose layer blob is `replacement` (None:
    removed): other bytes, a Symlink, a Fifo, a Directory."""
    layer = layer or Layer(SMALL, "gzip")
    image = Image([layer], kind=kind)
    if replacement is None:
        del image.files[blob_path(layer.digest)]
    else:
        image.files[blob_path(layer.digest)] = replacement
    return image


# The outer container.


@case
def manifest_json_absolute():
    image = Image([Layer(SMALL, "none")])
    entry = json.loads(image.files["manifest.json"])[0]
    entry["Layers"] = ["/etc/passwd"]
    image.set_docker_manifest([entry])
    return image


@case
def manifest_json_climb():
    image = Image([Layer(SMALL, "none")])
    entry = json.loads(image.files["manifest.json"])[0]
    entry["Layers"] = ["blobs/../../../../../etc/passwd"]
    image.set_docker_manifest([entry])
    return image


@case
def manifest_json_climb_dir():
    # A directory with manifest.json is read as an unpacked docker save.
    image = Image([Layer(SMALL, "none")], kind="docker")
    image.kind = "oci-dir"
    entry = json.loads(image.files["manifest.json"])[0]
    entry["Config"] = "../../../../../../" + CANARY.lstrip("/")
    image.set_docker_manifest([entry])
    return image


@case
def outer_symlink_escape():
    return layer_blob_as("docker", Symlink("../../../../../../etc/passwd"), Layer(SMALL))


@case
def outer_symlink_absolute():
    return layer_blob_as("docker", Symlink(CANARY), Layer(SMALL))


@case
def outer_symlink_loop():
    layer = Layer(SMALL, "none")
    image = Image([layer])
    path = blob_path(layer.digest)
    image.files[path] = Symlink("loop")
    image.files["blobs/sha256/loop"] = Symlink(path.split("/")[-1])
    return image


@case
def outer_hardlink_loop():
    layer = Layer(SMALL, "none")
    image = Image([layer])
    path = blob_path(layer.digest)
    image.files["blobs/a"] = Hardlink("blobs/b")
    image.files["blobs/b"] = Hardlink("blobs/a")
    image.files[path] = Hardlink("blobs/a")
    return image


@case
def outer_dir_symlink_escape():
    return layer_blob_as("oci-dir", Symlink(CANARY), Layer(SMALL))


@case
def outer_dir_blobs_symlink():
    # The whole blobs/ directory is a symlink to the host's /.
    image = Image([Layer(SMALL, "none")], kind="oci-dir")
    for path in [p for p in image.files if p.startswith("blobs/")]:
        del image.files[path]
    image.files["blobs"] = Symlink("/")
    return image


@case
def outer_gzip_truncated():
    image = Image([Layer(SMALL, "none")])
    image.outer = "gzip"
    image.outer_keep = 0
    return image


@case
def outer_zstd_garbage():
    image = Image([Layer(SMALL, "none")])
    image.outer = "zstd"
    image.outer_keep = 8
    return image


@case
def outer_pzstd():
    image = Image([Layer(SMALL, "none")])
    image.outer = "pzstd"
    return image


@case
def missing_blob():
    return layer_blob_as("oci", None)


@case
def blob_is_directory():
    return layer_blob_as("oci-dir", Directory())


@case
def blob_is_fifo():
    return layer_blob_as("oci-dir", Fifo())


@case
def config_is_fifo():
    image = Image([Layer(SMALL, "gzip")], kind="oci-dir")
    image.files[blob_path(image.config_digest)] = Fifo()
    return image


@case
def blob_is_fifo_in_tar():
    return layer_blob_as("oci", Fifo())


@case
def foreign_layer():
    layer = Layer(SMALL, "gzip")
    descriptor = {"mediaType": "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                  "digest": layer.digest, "size": len(layer.blob),
                  "urls": ["http://127.0.0.1:9/never-fetched.tar.gz"]}
    image = Image([layer], kind="oci", layer_descriptors=[descriptor])
    del image.files[blob_path(layer.digest)]
    return image


# JSON.


@case
def json_not_object():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.files["index.json"] = b"[1, 2, 3]"
    return image


@case
def json_manifest_not_array():
    image = Image([Layer(SMALL, "none")])
    image.set_docker_manifest(b'{"Config": "x"}')
    return image


@case
def json_config_not_object():
    config = b'"just a string"'
    return Image([Layer(SMALL, "gzip")], kind="oci", config=config)


@case
def json_deep():
    config = b"[" * 100000 + b"]" * 100000
    return Image([Layer(SMALL, "gzip")], kind="oci", config=config)


@case
def json_deep_objects():
    image = Image([Layer(SMALL, "none")])
    image.set_docker_manifest(b'{"a":' * 100000 + b"1" + b"}" * 100000)
    return image


@case
def json_duplicate_keys():
    layer = Layer(SMALL, "gzip")
    image = Image([layer], kind="oci")
    manifest = image.manifest.decode()
    # A second "layers" key that would swap in another layer list.
    manifest = manifest[:-1] + ',"layers":[]}'
    image.set_manifest(manifest.encode())
    return image


@case
def json_wrong_types():
    layer = Layer(SMALL, "gzip")
    config = {"architecture": 64, "os": ["linux"], "config": {"Env": "PATH=/bin", "Labels": []},
              "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]}}
    return Image([layer], kind="oci", config=config)


@case
def json_wrong_types_manifest():
    layer = Layer(SMALL, "gzip")
    descriptor = {"mediaType": LAYER_TYPES["gzip"], "digest": [layer.digest], "size": "big"}
    return Image([layer], kind="oci", layer_descriptors=[descriptor])


@case
def json_huge():
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Env": ["X=" + "x" * 1000] * 20000},
              "rootfs": {"type": "layers", "diff_ids": []}}
    layer = Layer(SMALL, "gzip")
    config["rootfs"]["diff_ids"] = [layer.diff_id]
    return Image([layer], kind="oci", config=config)


@case
def json_invalid_utf8():
    image = Image([Layer(SMALL, "none")])
    image.set_docker_manifest(b'[{"Config": "\xff\xfe\x00", "Layers": []}]')
    return image


# Descriptors: sizes and schemaVersion, as umoci and go-containerregistry check them.


def size_lie(kind, target, value):
    """A one-layer image whose `target` descriptor (layer, config, manifest) states `value` as
    its size; None means the true size plus one."""
    layer = Layer(SMALL, "gzip")
    image = Image([layer], kind=kind)

    def lie(descriptor):
        descriptor["size"] = descriptor["size"] + 1 if value is None else value

    if target == "manifest":
        image.edit_index(lambda index: lie(index["manifests"][0]))
    else:
        image.edit_manifest(lambda m: lie(m["layers"][0] if target == "layer" else m["config"]))
    return image


@case
def size_layer_mismatch():
    return size_lie("oci", "layer", None)


@case
def size_layer_mismatch_dir():
    return size_lie("oci-dir", "layer", None)


@case
def size_layer_mismatch_docker_oci():
    # manifest.json states no sizes; the OCI manifest beside it does.
    return size_lie("docker-oci", "layer", None)


@case
def size_config_mismatch():
    return size_lie("oci", "config", None)


@case
def size_config_mismatch_docker_oci():
    return size_lie("docker-oci", "config", None)


@case
def size_manifest_mismatch():
    return size_lie("oci-dir", "manifest", None)


@case
def size_float():
    return size_lie("oci", "layer", 1e30)


@case
def size_negative():
    return size_lie("oci", "config", -1)


@case
def size_string():
    return size_lie("oci", "manifest", "1234")


@case
def size_fraction_docker_oci():
    return size_lie("docker-oci", "layer", 100.5)


@case
def size_missing():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.edit_manifest(lambda m: m["layers"][0].pop("size"))
    return image


@case
def schema_version_1():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.edit_manifest(lambda m: m.update(schemaVersion=1))
    return image


@case
def schema_version_string():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.edit_index(lambda index: index.update(schemaVersion="2"))
    return image


@case
def schema_version_missing():
    image = Image([Layer(SMALL, "gzip")], kind="docker-oci")
    image.edit_index(lambda index: index.pop("schemaVersion"))
    return image


@case
def annotation_not_string():
    image = Image([Layer(SMALL, "gzip")], kind="oci")
    image.edit_manifest(lambda m: m["layers"][0].update(annotations={"n": 1}))
    return image


# ---- command line ------------------------------------------------------------------------------------


def main(argv):
    global CANARY
    args = argv[1:]
    if "--canary" in args:
        i = args.index("--canary")
        CANARY = args[i + 1]
        del args[i:i + 2]
    if args == ["list"]:
        for name in CASES:
            print(name)
        return 0
    if len(args) == 3 and args[0] == "make" and args[1] in CASES:
        CASES[args[1]]().write(args[2])
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

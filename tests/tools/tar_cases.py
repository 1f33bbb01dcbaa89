#!/usr/bin/env python3
"""Layer tars for tests/e2e/tar_headers.sh: headers Go's archive/tar and libarchive read
differently (issues 14.1 and 21), and random sparse files for the property test.

    tar_cases.py layer CASE OUT.tar    write the layer tar of CASE
    tar_cases.py sparse-files SEED DIR write random sparse files into DIR (printed: their names)

Headers are written byte by byte: python3's tarfile cannot write most of these on purpose.
"""

import os
import random
import sys

from hostile_images import base256, octal, pad, pax_records

MTIME = 1700000000


def header(name, size=0, typeflag=b"0", link=b"", mode=0o644, size_field=None, magic=b"ustar\0",
           version=b"00"):
    """One 512-byte header block; `size_field` replaces the encoded size verbatim."""
    h = bytearray(512)
    h[0:100] = name.ljust(100, b"\0")
    h[100:108] = octal(mode, 8)
    h[108:116] = octal(0, 8)
    h[116:124] = octal(0, 8)
    h[124:136] = size_field if size_field is not None else octal(size, 12)
    h[136:148] = octal(MTIME, 12)
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[157:257] = link.ljust(100, b"\0")
    h[257:263] = magic
    h[263:265] = version
    h[265:297] = b"root".ljust(32, b"\0")
    h[297:329] = b"root".ljust(32, b"\0")
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def pax(records, typeflag=b"x"):
    body = pax_records(records)
    return header(b"PaxHeaders/x", size=len(body), typeflag=typeflag) + pad(body)


def member(name, data=b"", typeflag=b"0", link=b"", mode=0o644, records=None):
    out = pax(records) if records else b""
    size = len(data) if typeflag == b"0" else 0
    return out + header(name, size=size, typeflag=typeflag, link=link, mode=mode) + pad(data)


END = b"\0" * 1024


def case_pax_empty():
    # Every keyword of issue 14.1 with an empty value on a file, then a hardlink to it whose
    # header has an empty SCHILY.xattr record, as GNU tar writes it.
    return (member(b"dir", typeflag=b"5", mode=0o755) +
                member(b"dir/file", b"ustar fields stay\n", mode=0o640,
                   records=[(b"path", b""), (b"linkpath", b""), (b"size", b""), (b"uid", b""),
                            (b"gid", b""), (b"mtime", b""), (b"uname", b""), (b"gname", b""),
                            (b"SCHILY.xattr.user.empty", b""), (b"SCHILY.xattr.user.x", b"v"),
                            (b"SCHILY.xattr.user.gone", b"first"),
                            (b"SCHILY.xattr.user.gone", b"")]) +
            member(b"dir/link", typeflag=b"1", link=b"dir/file",
                   records=[(b"SCHILY.xattr.user.empty", b""), (b"linkpath", b"")]) +
            member(b"sym", typeflag=b"2", link=b"dir/file", records=[(b"linkpath", b"")]) + END)


def case_xattr_vendors():
    # LIBARCHIVE.xattr alone and RHT.security.selinux make no xattr; only SCHILY does.
    return (member(b"libarchive-only", b"a\n",
                   records=[(b"LIBARCHIVE.xattr.user.only", b"eA==")]) +
            member(b"selinux", b"b\n", records=[(b"RHT.security.selinux", b"system_u:object_r:x")]) +
            member(b"schily", b"c\n", records=[(b"SCHILY.xattr.user.b", b"2"),
                                             (b"LIBARCHIVE.xattr.user.b", b"Mg=="),
                                             (b"SCHILY.xattr.user.a", b"1")]) + END)


def case_modes():
    # A symlink whose header says 0640, and a 0573 file with an ACL whose mask is rwx.
    acl = b"user::r-x,user:1000:rwx,group::rwx,mask::rwx,other::-wx"
    return (member(b"link", typeflag=b"2", link=b"target", mode=0o640) +
            member(b"target", b"t\n", mode=0o573,
                   records=[(b"SCHILY.acl.access", acl)]) + END)


def case_names():
    return (member(b"./", typeflag=b"5", mode=0o755) + member(b"root", typeflag=b"5", mode=0o755) +
            member(b"a", typeflag=b"5", mode=0o755) + member(b"root/../ufo", b"ufo\n") +
            member(b"a/b/../c", b"c\n") + member(b"a/./../a//d", b"d\n") + END)


def case_names_escape():
    # umoci (securejoin) would clamp these to /escape; imgmount drops them with a warning.
    return (member(b"ok", b"ok\n") + member(b"../escape", b"x\n") +
            member(b"a/../../escape2", b"x\n") + member(b"/../escape3", b"x\n") + END)


def case_file_then_child():
    return member(b"foo", b"a file\n") + member(b"foo/bar", b"below a file\n") + END


def case_gnu_volume_negative():
    volume = header(b"volume label", typeflag=b"V", size_field=base256(-512, 12),
                    magic=b"ustar ", version=b" \0")
    return member(b"ok", b"ok\n") + volume + member(b"after", b"x\n") + END


def case_bad_checksum():
    block = bytearray(header(b"bad", size=3))
    block[0] ^= 1  # after the checksum was computed
    return member(b"ok", b"ok\n") + bytes(block) + pad(b"abc") + END


def case_bad_pax_record():
    body = b"99 path=short\n"
    return (member(b"ok", b"ok\n") + header(b"PaxHeaders/x", size=len(body), typeflag=b"x") +
            pad(body) + member(b"f", b"x\n") + END)


def case_bad_base256():
    return (member(b"ok", b"ok\n") +
            header(b"huge", size_field=bytes([0x80, 0, 0, 0, 0x80]) + bytes(7)) + END)


def case_pax_global():
    # 'g' records apply to nothing: the runtimes skip the header Go returns for them.
    return (pax([(b"uid", b"77"), (b"SCHILY.xattr.user.global", b"g")], typeflag=b"g") +
            member(b"file", b"f\n") + END)


CASES = {name[len("case_"):].replace("_", "-"): fn for name, fn in globals().items()
         if name.startswith("case_")}


def sparse_files(seed, directory):
    """Random sparse files: holes and data at random offsets, ending in data or in a hole;
    some all hole, some with 1-byte runs, some over many 4 KiB blocks."""
    rng = random.Random(seed)
    names = []
    for i in range(24):
        name = "r%02d" % i
        size = rng.choice([0, 1, 511, 512, 513, 4096, 65536, rng.randrange(1, 4 << 20)])
        runs = rng.choice([0, 0, 1, 2, 5, 30])
        with open(os.path.join(directory, name), "wb") as f:
            for _ in range(runs if size else 0):
                offset = rng.randrange(size)
                length = min(size - offset, rng.choice([1, 100, 512, 4096, 20000]))
                f.seek(offset)
                f.write(bytes(rng.randrange(1, 256) for _ in range(length)))
            f.truncate(size)
        names.append(name)
    print(" ".join(names))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "layer" and sys.argv[2] in CASES:
        with open(sys.argv[3], "wb") as out:
            out.write(CASES[sys.argv[2]]())
    elif len(sys.argv) == 4 and sys.argv[1] == "sparse-files":
        sparse_files(int(sys.argv[2]), sys.argv[3])
    else:
        sys.exit(__doc__ + "\ncases: " + " ".join(sorted(CASES)))


if __name__ == "__main__":
    main()

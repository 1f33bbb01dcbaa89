// The tar header reader (layers/tar/tar_walker.h) against Go's archive/tar semantics, on archives
// made by the project's tar writer (hand-made headers) and by GNU tar 1.34 at test time: numbers
// and PAX values, empty PAX values, which records become xattrs, global headers, malformed
// headers refused with the offset named, the end of the archive, and every GNU sparse format,
// whose maps and stored data are checked against the file GNU tar archived.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "layers/base/error.h"
#include "layers/codecs/codec_choice.h"
#include "layers/source/basic_sources.h"
#include "layers/stream/decode_pass.h"
#include "layers/tar/tar_numbers.h"
#include "layers/tar/tar_walker.h"
#include "tests/support/tar_writer.h"
#include "tests/unit/test_index_cache_support.h"

namespace imgmount {
namespace {

using fixture::EncodePaxRecords;
using fixture::EncodeRawHeader;
using fixture::RawHeaderFields;
using testing::TempDir;

using Records = std::vector<std::pair<std::string, std::string>>;

std::string Pad(std::string data) {
  data.append((512 - data.size() % 512) % 512, '\0');
  return data;
}

const std::string kEnd(1024, '\0');

RawHeaderFields Fields(const std::string& name, uint64_t size = 0, char typeflag = '0') {
  RawHeaderFields f;
  f.name = name;
  f.size = size;
  f.typeflag = typeflag;
  f.uid = 1000;
  f.gid = 1000;
  f.mtime = 1700000000;
  f.uname = "user";
  f.gname = "group";
  return f;
}

// A member with `content`.
std::string Member(const std::string& name, const std::string& content = "", char type = '0') {
  return EncodeRawHeader(Fields(name, content.size(), type)) + Pad(content);
}

// A PAX header ('x' or 'g') holding `records`.
std::string Pax(const Records& records, char typeflag = 'x') {
  std::string body = EncodePaxRecords(records);
  return EncodeRawHeader(Fields("PaxHeaders/x", body.size(), typeflag)) + Pad(body);
}

// Sets the checksum field of a header block to match its bytes.
void Rechecksum(std::string& block) {
  std::fill(block.begin() + 148, block.begin() + 156, ' ');
  unsigned sum = 0;
  for (unsigned char c : block.substr(0, 512)) sum += c;
  char field[8];
  std::snprintf(field, sizeof field, "%06o", sum);
  std::copy(field, field + 7, block.begin() + 148);
}

std::vector<TarHeader> Walk(const std::string& bytes) {
  DecodeOptions options;
  options.hash = false;
  auto source = std::make_shared<MemorySource>(bytes, "test.tar");
  auto pass = StartDecodePass(source, Codec::kNone, "test layer", options);
  TarWalker walker(*pass, "test layer");
  std::vector<TarHeader> out;
  while (const TarHeader* header = walker.Next()) out.push_back(*header);
  return out;
}

// The message of the error walking `bytes` throws, or "" if it walks.
std::string WalkError(const std::string& bytes) {
  try {
    Walk(bytes);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::kBadImage);
    return e.what();
  }
  return "";
}

TEST_CASE("tar numbers are read as Go reads them", "[tar-reader]") {
  CHECK(ParseTarOctal(std::string("0000644\0", 8)) == 0644);
  CHECK(ParseTarOctal("  644 ") == 0644);
  CHECK(ParseTarOctal(std::string(8, '\0')) == 0);
  CHECK(ParseTarOctal(std::string("12\0 34", 6)) == 012);
  CHECK_FALSE(ParseTarOctal("0008"));
  CHECK_FALSE(ParseTarOctal("12 34"));
  CHECK_FALSE(ParseTarOctal("+12"));
  CHECK(ParseTarNumeric(std::string("\x80\0\0\0\0\0\0\0\0\0\x10\0", 12)) == 4096);
  CHECK(ParseTarNumeric(std::string(12, '\xff')) == -1);
  CHECK(ParseTarNumeric(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\0", 12)) == -512);
  CHECK_FALSE(ParseTarNumeric(std::string("\x80\0\0\0\x80\0\0\0\0\0\0\0", 12)));  // 2^63
  CHECK_FALSE(ParseTarNumeric(std::string("\x81\0\0\0\0\0\0\0\0\0\0\0", 12)));    // 2^88
  CHECK(ParseTarDecimal("+42") == 42);
  CHECK(ParseTarDecimal("-42") == -42);
  CHECK(ParseTarDecimal("9223372036854775807") == INT64_MAX);
  CHECK_FALSE(ParseTarDecimal("9223372036854775808"));
  CHECK_FALSE(ParseTarDecimal(""));
  CHECK_FALSE(ParseTarDecimal(" 1"));
  CHECK_FALSE(ParseTarDecimal("1_0"));
  auto t = ParsePaxTime("1700000000.5");
  REQUIRE(t);
  CHECK((t->sec == 1700000000 && t->nsec == 500000000));
  t = ParsePaxTime("-1.25");
  REQUIRE(t);
  CHECK((t->sec == -2 && t->nsec == 750000000));
  t = ParsePaxTime("1.1234567891");
  REQUIRE(t);
  CHECK(t->nsec == 123456789);
  CHECK_FALSE(ParsePaxTime("1.x"));
  CHECK_FALSE(ParsePaxTime(""));
}

TEST_CASE("empty PAX values keep the ustar fields and make no xattr", "[tar-reader]") {
  // Issue 14.1 and Go's mergePAX: "if v == "" { continue }" for path, linkpath, size, uid, gid,
  // mtime, uname, gname; an empty SCHILY.xattr value makes no xattr, and an empty record after a
  // non-empty one of the same key (the later record replaces the earlier) removes it.
  std::string link_header = EncodeRawHeader([] {
    auto f = Fields("hard", 0, '1');
    f.linkname = "target";
    return f;
  }());
  auto headers = Walk(Member("target", "data") +
                      Pax({{"path", ""},
                           {"linkpath", ""},
                           {"size", ""},
                           {"uid", ""},
                           {"gid", ""},
                           {"mtime", ""},
                           {"uname", ""},
                           {"gname", ""},
                           {"SCHILY.xattr.user.empty", ""},
                           {"SCHILY.xattr.user.gone", "first"},
                           {"SCHILY.xattr.user.gone", ""},
                           {"SCHILY.xattr.user.kept", "v"}}) +
                      link_header + kEnd);
  REQUIRE(headers.size() == 2);
  const TarHeader& h = headers[1];
  CHECK(h.name == "hard");
  CHECK(h.linkname == "target");
  CHECK(h.typeflag == '1');
  CHECK(h.uid == 1000);
  CHECK(h.gid == 1000);
  CHECK(h.mtime_sec == 1700000000);
  CHECK(h.size == 0);
  using Xattrs = std::vector<std::pair<std::string, std::string>>;
  CHECK(h.xattrs == Xattrs{{"user.kept", "v"}});

  // The size record empty on a file: the ustar size (4) stays, so the data is read right.
  headers = Walk(Pax({{"size", ""}, {"path", "long/name"}}) + Member("short", "abcd") +
                 Member("next", "x") + kEnd);
  REQUIRE(headers.size() == 2);
  CHECK(headers[0].name == "long/name");
  CHECK(headers[0].size == 4);
  CHECK(headers[1].name == "next");
}

TEST_CASE("only SCHILY.xattr records become xattrs, sorted by name", "[tar-reader]") {
  auto headers = Walk(Pax({{"SCHILY.xattr.user.b", "2"},
                           {"LIBARCHIVE.xattr.user.b", "Mg=="},
                           {"SCHILY.xattr.security.capability", std::string("\x01\0\x02", 3)},
                           {"LIBARCHIVE.xattr.user.only", "eA=="},
                           {"RHT.security.selinux", "system_u:object_r:bin_t:s0"},
                           {"SCHILY.acl.access", "user::rwx,group::r-x,mask::rwx,other::r-x"},
                           {"SCHILY.xattr.user.a", "1"}}) +
                      Member("f", "x") + kEnd);
  REQUIRE(headers.size() == 1);
  using Xattrs = std::vector<std::pair<std::string, std::string>>;
  CHECK(headers[0].xattrs == Xattrs{{"security.capability", std::string("\x01\0\x02", 3)},
                                    {"user.a", "1"},
                                    {"user.b", "2"}});
  CHECK(headers[0].mode == 0644);  // the ACL record changes nothing
}

TEST_CASE("PAX records apply to the next member only; global ones to none", "[tar-reader]") {
  auto headers = Walk(Pax({{"uid", "7"}, {"SCHILY.xattr.user.g", "1"}}, 'g') + Pax({{"uid", "5"}}) +
                      Pax({{"gid", "6"}}) + Member("a", "x") + Member("b") + kEnd);
  REQUIRE(headers.size() == 2);
  CHECK(headers[0].uid == 1000);  // the second 'x' replaced the first
  CHECK(headers[0].gid == 6);
  CHECK(headers[0].xattrs.empty());
  CHECK(headers[0].header_offset == 1024);
  CHECK(headers[0].data_offset == 3 * 1024 + 512);
  CHECK(headers[1].uid == 1000);
  CHECK(headers[1].gid == 1000);
}

TEST_CASE("names: GNU long names, ustar prefix, '\\0' type with a trailing slash", "[tar-reader]") {
  std::string long_name(300, 'n');
  std::string gnu_long = EncodeRawHeader([&] {
                           auto f = Fields("././@LongLink", long_name.size() + 1, 'L');
                           f.magic = std::string("ustar ", 6);
                           f.version = std::string(" \0", 2);
                           return f;
                         }()) +
                         Pad(long_name + '\0');
  auto prefixed = Fields("file");
  prefixed.prefix = "some/dir";
  auto v7_dir = Fields("olddir/", 0, '\0');
  v7_dir.magic = std::string(6, '\0');
  v7_dir.version = std::string(2, '\0');
  auto headers = Walk(Pax({{"path", "pax-name"}}) + gnu_long + Member("short") +
                      EncodeRawHeader(prefixed) + EncodeRawHeader(v7_dir) + kEnd);
  REQUIRE(headers.size() == 3);
  CHECK(headers[0].name == long_name);  // the GNU long name wins over the PAX path, as in Go
  CHECK(headers[1].name == "some/dir/file");
  CHECK(headers[2].name == "olddir/");
  CHECK(headers[2].typeflag == '5');
}

TEST_CASE("a STAR header: its shorter prefix, its times parsed", "[tar-reader]") {
  // Schily's STAR format: "tar\0" at 508, a 131-byte prefix, atime and ctime after it.
  auto star = [](const std::string& atime) {
    auto f = Fields("file");
    f.prefix = std::string(131, 'p');  // fills the STAR prefix exactly
    std::string block = EncodeRawHeader(f);
    std::copy(atime.begin(), atime.end(), block.begin() + 476);
    std::string trailer("tar\0", 4);
    std::copy(trailer.begin(), trailer.end(), block.begin() + 508);
    Rechecksum(block);
    return block;
  };
  auto headers = Walk(star(std::string("00000000001\0", 12)) + kEnd);
  REQUIRE(headers.size() == 1);
  CHECK(headers[0].name == std::string(131, 'p') + "/file");
  CHECK_THAT(WalkError(star("not a number") + kEnd), Catch::Contains("bad number in the atime"));
}

TEST_CASE("malformed headers are refused with the offset named", "[tar-reader]") {
  std::string ok = Member("ok", "x");  // 1024 bytes: the bad header is at offset 1024
  SECTION("a GNU volume header with a negative size") {
    std::string v = EncodeRawHeader(Fields("volume", 0, 'V'));
    std::string negative = "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xfe\x00";
    std::copy(negative.begin(), negative.end(), v.begin() + 124);
    Rechecksum(v);
    CHECK_THAT(WalkError(ok + v + kEnd),
               Catch::Contains("test layer: damaged tar header at offset 1024: negative size"));
  }
  SECTION("a negative PAX size") {
    CHECK_THAT(WalkError(ok + Pax({{"size", "-1"}}) + Member("f") + kEnd),
               Catch::Contains("offset 2048: negative size"));  // the member's own header
  }
  SECTION("a bad checksum") {
    auto f = Fields("f");
    f.checksum = 1;
    CHECK_THAT(WalkError(ok + EncodeRawHeader(f) + kEnd),
               Catch::Contains("offset 1024: bad header checksum"));
  }
  SECTION("a base-256 number over 63 bits") {
    std::string h = EncodeRawHeader(Fields("f"));
    std::string big("\x80\0\0\0\x80\0\0\0\0\0\0\0", 12);
    std::copy(big.begin(), big.end(), h.begin() + 124);
    Rechecksum(h);
    CHECK_THAT(WalkError(ok + h + kEnd), Catch::Contains("offset 1024: bad number in the size"));
  }
  SECTION("bad PAX records") {
    for (std::string body : {"4 a\n", "99 a=b\n", "6 a=b", "7 ab \n", "x a=b\n", "6 =ab\n"}) {
      std::string pax = EncodeRawHeader(Fields("p", body.size(), 'x')) + Pad(body);
      CHECK_THAT(WalkError(ok + pax + Member("f") + kEnd), Catch::Contains("offset 1024: "));
    }
    CHECK_THAT(WalkError(ok + Pax({{"path", std::string("a\0b", 3)}}) + Member("f") + kEnd),
               Catch::Contains("NUL in the PAX path record"));
    CHECK_THAT(WalkError(ok + Pax({{"uid", "12x"}}) + Member("f") + kEnd),
               Catch::Contains("bad PAX uid record"));
    CHECK_THAT(WalkError(ok + Pax({{"mtime", "1.x"}}) + Member("f") + kEnd),
               Catch::Contains("bad PAX mtime record"));
    CHECK_THAT(WalkError(ok + Pax({{"GNU.sparse.numbytes", "1"}}) + Member("f") + kEnd),
               Catch::Contains("GNU sparse 0.0 records out of order"));
  }
  SECTION("an extension header over 1 MiB") {
    std::string body = EncodePaxRecords({{"comment", std::string(1 << 20, 'c')}});
    std::string pax = EncodeRawHeader(Fields("p", body.size(), 'x')) + Pad(body);
    CHECK_THAT(WalkError(ok + pax + Member("f") + kEnd), Catch::Contains("over 1 MiB"));
  }
  SECTION("a zero block followed by a header") {
    CHECK_THAT(WalkError(ok + std::string(512, '\0') + Member("f") + kEnd),
               Catch::Contains("offset 1536: a header follows a zero block"));
  }
  SECTION("a stream that ends inside a header or inside data") {
    CHECK_THAT(WalkError(ok + Member("f").substr(0, 300)),
               Catch::Contains("ends inside a header block"));
    CHECK_THAT(WalkError(ok + EncodeRawHeader(Fields("f", 2000)) + std::string(1000, 'x')),
               Catch::Contains("truncated tar: the stream ends inside the data of \"f\""));
  }
  SECTION("an empty stream") {
    CHECK_THAT(WalkError(""), Catch::Contains("not a tar archive"));
  }
}

TEST_CASE("the signed checksum Sun tar wrote is accepted", "[tar-reader]") {
  auto f = Fields("caf\xc3\xa9");
  std::string block = EncodeRawHeader(f);
  std::fill(block.begin() + 148, block.begin() + 156, ' ');
  int sum = 0;
  for (char c : block) sum += static_cast<signed char>(c);
  char field[8];
  std::snprintf(field, sizeof field, "%06o", sum);
  std::copy(field, field + 7, block.begin() + 148);
  auto headers = Walk(block + kEnd);
  REQUIRE(headers.size() == 1);
  CHECK(headers[0].name == "caf\xc3\xa9");
}

TEST_CASE("the archive ends as Go ends it", "[tar-reader]") {
  std::string a = Member("a", "12345");
  CHECK(Walk(a).size() == 1);                           // no end blocks (umoci)
  CHECK(Walk(a.substr(0, 512 + 5)).size() == 1);        // nor the last padding
  CHECK(Walk(a + std::string(512, '\0')).size() == 1);  // one zero block
  CHECK(Walk(a + kEnd + "trailing junk").size() == 1);  // nothing after two zero blocks
  CHECK(Walk(kEnd).empty());                            // an empty layer
  auto links = Walk(EncodeRawHeader(Fields("d", 4096, '5')) + Member("b", "x") + kEnd);
  REQUIRE(links.size() == 2);  // a directory's size is not data
  CHECK(links[0].stored_size == 0);
  CHECK(links[1].name == "b");
}

// ---- sparse files, made by GNU tar ----------------------------------------------------------

void Shell(const TempDir& dir, const std::string& command) {
  std::string line = "cd '" + dir.path() + "' && " + command;
  REQUIRE(std::system(line.c_str()) == 0);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The logical content of a member from its runs and the archive's bytes.
std::string Expand(const TarHeader& h, const std::string& archive) {
  std::string out(static_cast<size_t>(h.size), '\0');
  uint64_t stored = h.data_offset;
  for (const TarSparseRun& run : h.sparse_runs) {
    std::copy_n(archive.begin() + static_cast<ptrdiff_t>(stored), run.length,
                out.begin() + static_cast<ptrdiff_t>(run.offset));
    stored += run.length;
  }
  return out;
}

TEST_CASE("GNU tar's sparse files in every format read back as the files", "[tar-reader]") {
  TempDir dir;
  // All hole (512, 513 bytes, 1 MiB); data then a hole at the end; a hole then data; 40 runs
  // (old GNU extension blocks); a file with no hole at all.
  Shell(dir,
        "mkdir src && cd src && truncate -s 512 f512 && truncate -s 513 f513 && "
        "truncate -s 1M f1m && printf head > tail-hole && truncate -s 100000 tail-hole && "
        "truncate -s 70000 data-end && printf end >> data-end && "
        "for i in $(seq 0 39); do printf 'run%02d' $i | dd of=many bs=1 seek=$((i * 8192)) "
        "conv=notrunc status=none; done && truncate -s 400000 many && "
        "head -c 3000 /dev/urandom > dense");
  const std::vector<std::string> names = {"f512",     "f513", "f1m",  "tail-hole",
                                          "data-end", "many", "dense"};
  for (std::string format :
       {"--format=gnu", "--format=posix --sparse-version=0.0",
        "--format=posix --sparse-version=0.1", "--format=posix --sparse-version=1.0"}) {
    CAPTURE(format);
    Shell(dir, "tar -C src --sparse " + format +
                   " -cf out.tar f512 f513 f1m tail-hole data-end "
                   "many dense");
    std::string archive = ReadFile(dir / "out.tar");
    auto headers = Walk(archive);
    REQUIRE(headers.size() == names.size());
    for (size_t i = 0; i < names.size(); ++i) {
      CAPTURE(names[i]);
      const TarHeader& h = headers[i];
      CHECK(h.name == names[i]);
      CHECK(h.kind() == TarEntryKind::kRegular);
      CHECK(h.sparse == (names[i] != "dense"));
      std::string original = ReadFile(dir / ("src/" + names[i]));
      REQUIRE(static_cast<size_t>(h.size) == original.size());
      if (h.sparse) {
        CHECK(Expand(h, archive) == original);
      } else {
        CHECK(archive.substr(h.data_offset, h.stored_size) == original);
      }
    }
    CHECK(headers[0].sparse_runs.empty());
    CHECK(headers[0].stored_size == 0);
    CHECK(headers[2].sparse_runs.empty());
    CHECK(headers[5].sparse_runs.size() == 40);
  }
}

TEST_CASE("sparse maps are checked as Go checks them", "[tar-reader]") {
  auto sparse_member = [](const Records& records, const std::string& data) {
    return Pax(records) + EncodeRawHeader(Fields("GNUSparseFile.0/s", data.size())) + Pad(data);
  };
  Records v10 = {{"GNU.sparse.major", "1"},
                 {"GNU.sparse.minor", "0"},
                 {"GNU.sparse.name", "s"},
                 {"GNU.sparse.realsize", "4096"}};
  // A map with an empty last region and one that is all hole, without GNU.sparse.name.
  auto headers = Walk(sparse_member(v10, Pad("2\n0\n4\n4096\n0\n") + "abcd") +
                      sparse_member({{"GNU.sparse.major", "1"},
                                     {"GNU.sparse.minor", "0"},
                                     {"GNU.sparse.realsize", "1048576"}},
                                    Pad("0\n")) +
                      kEnd);
  REQUIRE(headers.size() == 2);
  CHECK(headers[0].name == "s");
  CHECK(headers[0].size == 4096);
  REQUIRE(headers[0].sparse_runs.size() == 1);
  CHECK(headers[0].stored_size == 4);
  CHECK(headers[1].name == "GNUSparseFile.0/s");
  CHECK(headers[1].sparse);
  CHECK(headers[1].size == 1048576);
  CHECK(headers[1].sparse_runs.empty());

  // SUN.holesdata is ignored, as Go and GNU tar ignore it: a plain file.
  headers = Walk(Pax({{"SUN.holesdata", "0 512"}}) + Member("plain", "abc") + kEnd);
  REQUIRE(headers.size() == 1);
  CHECK_FALSE(headers[0].sparse);

  CHECK_THAT(WalkError(sparse_member(v10, Pad("1\n4000\n200\n") + std::string(200, 'x'))),
             Catch::Contains("invalid sparse map"));  // past the real size
  CHECK_THAT(WalkError(sparse_member(v10, Pad("2\n100\n10\n50\n10\n") + std::string(20, 'x'))),
             Catch::Contains("invalid sparse map"));  // out of order
  CHECK_THAT(WalkError(sparse_member(v10, Pad("1\n0\n100\n") + std::string(10, 'x'))),
             Catch::Contains("covers 100 bytes of data but 10 are stored"));
  CHECK_THAT(WalkError(sparse_member(v10, Pad("1\n0\n10\n") + std::string(600, 'x'))),
             Catch::Contains("covers 10 bytes of data but 600 are stored"));
  CHECK_THAT(WalkError(sparse_member(v10, Pad("x\n"))), Catch::Contains("bad entry count"));
  CHECK_THAT(WalkError(sparse_member(v10, "1\n0\n")), Catch::Contains("runs past"));
  Records v01 = {{"GNU.sparse.numblocks", "2"}, {"GNU.sparse.map", "0,1"}};
  CHECK_THAT(WalkError(sparse_member(v01, "x")), Catch::Contains("numblocks"));
  // An unknown version is a plain file, as in Go.
  headers =
      Walk(sparse_member({{"GNU.sparse.major", "2"}, {"GNU.sparse.minor", "0"}}, "abc") + kEnd);
  REQUIRE(headers.size() == 1);
  CHECK_FALSE(headers[0].sparse);
  CHECK(headers[0].size == 3);
}

}  // namespace
}  // namespace imgmount

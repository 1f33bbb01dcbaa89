// The tar is written so that GNU tar and bsdtar read it without a warning. Xattrs go out as
// SCHILY.xattr.* records only (libarchive's pax writer adds LIBARCHIVE.xattr.* copies by
// default, which GNU tar warns about). Names are bytes: libarchive converts each name from the
// process's character set to UTF-8 and marks an entry hdrcharset=BINARY where that fails. Under
// the C locale every non-ASCII name fails; so the writer runs with a UTF-8 character set on its
// thread, and only a name that is not valid UTF-8 (which no reader could decode otherwise) is
// marked BINARY.
#include "layers/tar/tar_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sys/sysmacros.h>

#include "layers/base/error.h"

namespace imgmount {

namespace {

// Gives the calling thread a UTF-8 character set (C.UTF-8) for its lifetime, where the system
// has one; the process's locale stays as it is.
class ThreadUtf8Locale {
 public:
  ThreadUtf8Locale() {
    utf8_ = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (utf8_ != static_cast<locale_t>(nullptr)) previous_ = ::uselocale(utf8_);
  }
  ~ThreadUtf8Locale() {
    if (utf8_ == static_cast<locale_t>(nullptr)) return;
    ::uselocale(previous_);
    ::freelocale(utf8_);
  }
  ThreadUtf8Locale(const ThreadUtf8Locale&) = delete;
  ThreadUtf8Locale& operator=(const ThreadUtf8Locale&) = delete;

 private:
  locale_t utf8_ = static_cast<locale_t>(nullptr);
  locale_t previous_ = static_cast<locale_t>(nullptr);
};

}  // namespace

struct TarWriter::State {
  // Set before libarchive first asks for the character set, kept until the archive is freed.
  ThreadUtf8Locale utf8;
  std::unique_ptr<struct archive, decltype(&archive_write_free)> writer{archive_write_new(),
                                                                        &archive_write_free};
};

TarWriter::TarWriter(const std::string& out) : out_(out), state_(std::make_unique<State>()) {
  archive* a = state_->writer.get();
  if (a == nullptr) throw Error(ErrorKind::kInternal, ENOMEM, "archive_write_new failed");
  archive_write_set_format_pax(a);
  if (archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
    Fail("cannot choose SCHILY.xattr records");
  }
  int r = out == "-" ? archive_write_open_fd(a, 1) : archive_write_open_filename(a, out.c_str());
  if (r != ARCHIVE_OK) Fail("cannot create");
}

TarWriter::~TarWriter() = default;

void TarWriter::Fail(const std::string& what) {
  const char* why = archive_error_string(state_->writer.get());
  throw Error(ErrorKind::kIo, EIO, out_ + ": " + what + ": " + (why ? why : "unknown error"));
}

namespace {

// The stat(2) file type bits of a header's type; 0 for a type the writer does not write.
mode_t TypeBitsOf(const TarHeader& header) {
  switch (header.kind()) {
    case TarEntryKind::kRegular:
    case TarEntryKind::kHardlink:
      return AE_IFREG;
    case TarEntryKind::kDirectory:
      return AE_IFDIR;
    case TarEntryKind::kSymlink:
      return AE_IFLNK;
    case TarEntryKind::kCharDevice:
      return AE_IFCHR;
    case TarEntryKind::kBlockDevice:
      return AE_IFBLK;
    case TarEntryKind::kFifo:
      return AE_IFIFO;
    case TarEntryKind::kOther:
      break;
  }
  return 0;
}

}  // namespace

void TarWriter::WriteHeader(const TarHeader& h) {
  mode_t type = TypeBitsOf(h);
  if (type == 0) throw Error(ErrorKind::kInternal, EINVAL, out_ + ": cannot write " + h.name);
  std::unique_ptr<archive_entry, decltype(&archive_entry_free)> owned(archive_entry_new(),
                                                                      &archive_entry_free);
  archive_entry* entry = owned.get();
  archive_entry_set_pathname(entry, h.name.c_str());
  archive_entry_set_uid(entry, h.uid);
  archive_entry_set_gid(entry, h.gid);
  archive_entry_set_mtime(entry, h.mtime_sec, h.mtime_nsec);
  archive_entry_set_perm(entry, static_cast<mode_t>(h.mode & 07777));
  archive_entry_set_filetype(entry, type);
  for (const auto& [name, value] : h.xattrs) {
    archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
  }
  if (h.kind() == TarEntryKind::kHardlink) {
    archive_entry_set_hardlink(entry, h.linkname.c_str());
    archive_entry_set_size(entry, 0);
  } else if (h.kind() == TarEntryKind::kRegular) {
    archive_entry_set_size(entry, h.size);
    if (h.sparse) {
      for (const TarSparseRun& run : h.sparse_runs) {
        archive_entry_sparse_add_entry(entry, static_cast<la_int64_t>(run.offset),
                                       static_cast<la_int64_t>(run.length));
      }
      // A file that is all hole keeps a map (one empty run at its end, as GNU tar writes it),
      // so it stays sparse instead of becoming stored zeros.
      if (h.sparse_runs.empty()) archive_entry_sparse_add_entry(entry, h.size, 0);
    }
  }
  if (h.kind() == TarEntryKind::kSymlink) archive_entry_set_symlink(entry, h.linkname.c_str());
  if (type == AE_IFCHR || type == AE_IFBLK) {
    archive_entry_set_rdev(
        entry, makedev(static_cast<unsigned>(h.dev_major), static_cast<unsigned>(h.dev_minor)));
  }
  if (archive_write_header(state_->writer.get(), entry) < ARCHIVE_WARN) {
    Fail("cannot write " + h.name);
  }
}

void TarWriter::WriteData(std::span<const std::byte> bytes) {
  // For a sparse entry libarchive drops the holes itself.
  if (archive_write_data(state_->writer.get(), bytes.data(), bytes.size()) < 0) {
    Fail("cannot write data");
  }
}

void TarWriter::Finish() {
  if (archive_write_close(state_->writer.get()) != ARCHIVE_OK) Fail("cannot finish");
}

}  // namespace imgmount

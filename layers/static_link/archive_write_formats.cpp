// Lets libarchive be linked statically with its pax writer alone.
//
// libarchive's pax writer calls __archive_write_entry_filetype_unsupported() for an entry of a
// type it cannot store. libarchive defines that function in the object that also holds its table
// of every writer format (7-Zip, XAR, ISO 9660, ZIP, ...), so taking it from libarchive.a links
// all those writers and their libraries: libxml2 with ICU, nettle, lzma, bzip2, lz4. Loading
// those libraries at start-up was a third of the time of a mount on a cold page cache, and
// imgmount never writes any of those formats. So the function is defined here, with the meaning
// it has in libarchive 3.6: refuse the entry with a warning. Linked before libarchive.a
// (CMakeLists.txt), this definition is the one the linker uses.
#include <archive.h>
#include <archive_entry.h>

#include <cerrno>

extern "C" int __archive_write_entry_filetype_unsupported(struct archive* archive,
                                                          struct archive_entry* entry,
                                                          const char* format) {
  const char* path = archive_entry_pathname(entry);
  archive_set_error(archive, EILSEQ, "%s: the %s format cannot store this file type",
                    path != nullptr ? path : "(no name)", format);
  return ARCHIVE_WARN;
}

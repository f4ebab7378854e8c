// The upload archive: the files a job spec names on the client's side (its
// workdir, local file_mounts sources, partition profile), packed by
// `skyrun launch` and unpacked by the server, which then reads nothing of the
// client's filesystem. A small format of our own, easy to parse strictly:
//
//   "SKYRUNPK1\n"
//   entry*      kind(1) path_len(u16 BE) path mode(u16 BE) then
//                 'd': nothing   'f': size(u64 BE) bytes   'l': len(u16 BE) target
//   'e'         end; nothing may follow
//
// Paths are relative, '/'-separated, without ".", ".." or empty components;
// every entry's parent is an earlier 'd' entry (or the top), so no entry can
// pass through a link; no path appears twice; a link's target is relative and
// stays inside the archive (LinkStaysInside). Anything else is refused with
// the entry's path and byte offset. Callers: the CLI's packer (writer) and
// the server's upload store (ParseArchive, UnpackArchive); fuzz/archive_fuzz.cc.
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun::uploads {

enum class EntryType { kDirectory, kFile, kSymlink };

struct ArchiveEntry {
  EntryType type = EntryType::kFile;
  std::string path;
  int mode = 0644;      // permission bits only (0..0777)
  std::string content;  // file bytes
  std::string target;   // link target
};

inline constexpr std::string_view kArchiveMagic = "SKYRUNPK1\n";
inline constexpr size_t kMaxArchiveEntries = 100000;

// Builds an archive. Entries are checked as the reader checks them, so a
// writer bug shows at pack time, not on the server.
class ArchiveWriter {
 public:
  ArchiveWriter();
  Status Add(const ArchiveEntry& entry);
  bool Has(const std::string& path) const;
  bool IsDirectory(const std::string& path) const;
  // The archive's bytes; the writer is empty afterwards.
  std::string Finish();

 private:
  std::string out_;
  std::set<std::string> paths_;
  std::set<std::string> dirs_;
};

// Parses and checks a whole archive. InvalidArgument names the offset and
// the entry on any malformed or unsafe input.
Result<std::vector<ArchiveEntry>> ParseArchive(std::string_view bytes);

// Parses `bytes` and writes its entries under the existing, empty directory
// `dest` (never following a link, refusing device files by construction).
Status UnpackArchive(std::string_view bytes, const std::string& dest);

// Lower-case hex SHA-256 of `bytes`, and whether `s` looks like one.
std::string Sha256Hex(std::string_view bytes);
bool IsSha256Hex(std::string_view s);

}  // namespace skyrun::uploads

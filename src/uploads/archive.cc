#include "uploads/archive.h"

#include <openssl/evp.h>
#include <unistd.h>

#include "common/safe_fs.h"
#include "common/strings.h"

namespace skyrun::uploads {
namespace {

// The rules every entry obeys, for the writer and the reader alike.
Status CheckEntry(const ArchiveEntry& e, const std::set<std::string>& paths,
                  const std::set<std::string>& dirs) {
  const std::string where = "entry '" + e.path + "'";
  if (e.path.empty()) return InvalidArgument("an entry with an empty path");
  if (e.path.size() > 4096) return InvalidArgument("an entry path longer than 4096 bytes");
  SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitBeneath(e.path, where));
  if (parts.empty() || Join(parts, "/") != e.path) {
    return InvalidArgument(where +
                           ": paths must be relative and normalised (no '.', '..', '//' or trailing '/')");
  }
  if (paths.count(e.path)) return InvalidArgument(where + ": appears twice");
  size_t slash = e.path.rfind('/');
  if (slash != std::string::npos && !dirs.count(e.path.substr(0, slash))) {
    return InvalidArgument(where + ": its parent directory is not an earlier directory entry");
  }
  if (e.mode < 0 || e.mode > 0777) return InvalidArgument(where + ": mode beyond 0777");
  if (e.type == EntryType::kSymlink) {
    if (e.target.empty() || e.target.size() > 4096)
      return InvalidArgument(where + ": a link needs a target of 1..4096 bytes");
    if (!LinkStaysInside(e.path, e.target)) {
      return InvalidArgument(
          where + ": a symbolic link to '" + e.target +
          "' would point outside the upload; only relative links that stay inside are kept");
    }
  }
  return Status::Ok();
}

void PutU16(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  size_t pos() const { return pos_; }
  bool done() const { return pos_ >= b_.size(); }
  Status Need(size_t n, const std::string& what) const {
    if (b_.size() - pos_ < n) {
      return InvalidArgument("archive truncated at byte " + std::to_string(pos_) + " (reading " + what + ")");
    }
    return Status::Ok();
  }
  Result<uint64_t> Uint(size_t n, const std::string& what) {
    SKYRUN_RETURN_IF_ERROR(Need(n, what));
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
    pos_ += n;
    return v;
  }
  Result<std::string> Bytes(uint64_t n, const std::string& what) {
    if (n > b_.size() - pos_) {
      return InvalidArgument("archive truncated at byte " + std::to_string(pos_) + " (reading " + what + ")");
    }
    std::string s(b_.substr(pos_, static_cast<size_t>(n)));
    pos_ += static_cast<size_t>(n);
    return s;
  }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

}  // namespace

ArchiveWriter::ArchiveWriter() : out_(kArchiveMagic) {}

bool ArchiveWriter::Has(const std::string& path) const {
  return paths_.count(path) > 0;
}
bool ArchiveWriter::IsDirectory(const std::string& path) const {
  return dirs_.count(path) > 0;
}

Status ArchiveWriter::Add(const ArchiveEntry& e) {
  SKYRUN_RETURN_IF_ERROR(CheckEntry(e, paths_, dirs_));
  if (paths_.size() >= kMaxArchiveEntries) {
    return InvalidArgument("more than " + std::to_string(kMaxArchiveEntries) +
                           " files and directories to upload");
  }
  char kind = e.type == EntryType::kDirectory ? 'd' : e.type == EntryType::kFile ? 'f' : 'l';
  out_.push_back(kind);
  PutU16(out_, static_cast<uint32_t>(e.path.size()));
  out_ += e.path;
  PutU16(out_, static_cast<uint32_t>(e.mode));
  if (e.type == EntryType::kFile) {
    PutU64(out_, e.content.size());
    out_ += e.content;
  } else if (e.type == EntryType::kSymlink) {
    PutU16(out_, static_cast<uint32_t>(e.target.size()));
    out_ += e.target;
  }
  paths_.insert(e.path);
  if (e.type == EntryType::kDirectory) dirs_.insert(e.path);
  return Status::Ok();
}

std::string ArchiveWriter::Finish() {
  std::string out = std::move(out_);
  out.push_back('e');
  out_ = std::string(kArchiveMagic);
  paths_.clear();
  dirs_.clear();
  return out;
}

Result<std::vector<ArchiveEntry>> ParseArchive(std::string_view bytes) {
  if (bytes.substr(0, kArchiveMagic.size()) != kArchiveMagic) {
    return InvalidArgument("not a skyrun upload archive (it does not start with SKYRUNPK1)");
  }
  Reader r(bytes.substr(kArchiveMagic.size()));
  std::vector<ArchiveEntry> entries;
  std::set<std::string> paths, dirs;
  while (true) {
    const size_t at = r.pos() + kArchiveMagic.size();
    SKYRUN_ASSIGN_OR_RETURN(uint64_t kind, r.Uint(1, "an entry kind"));
    if (kind == 'e') {
      if (!r.done())
        return InvalidArgument("archive has bytes after its end marker at byte " + std::to_string(at));
      return entries;
    }
    if (entries.size() >= kMaxArchiveEntries) {
      return InvalidArgument("archive has more than " + std::to_string(kMaxArchiveEntries) + " entries");
    }
    ArchiveEntry e;
    if (kind == 'd')
      e.type = EntryType::kDirectory;
    else if (kind == 'f')
      e.type = EntryType::kFile;
    else if (kind == 'l')
      e.type = EntryType::kSymlink;
    else
      return InvalidArgument("archive entry at byte " + std::to_string(at) + " has an unknown kind");
    SKYRUN_ASSIGN_OR_RETURN(uint64_t path_len, r.Uint(2, "a path length"));
    SKYRUN_ASSIGN_OR_RETURN(e.path, r.Bytes(path_len, "a path"));
    SKYRUN_ASSIGN_OR_RETURN(uint64_t mode, r.Uint(2, "a mode"));
    e.mode = static_cast<int>(mode);
    if (e.type == EntryType::kFile) {
      SKYRUN_ASSIGN_OR_RETURN(uint64_t size, r.Uint(8, "a file size"));
      SKYRUN_ASSIGN_OR_RETURN(e.content, r.Bytes(size, "file content"));
    } else if (e.type == EntryType::kSymlink) {
      SKYRUN_ASSIGN_OR_RETURN(uint64_t len, r.Uint(2, "a link target length"));
      SKYRUN_ASSIGN_OR_RETURN(e.target, r.Bytes(len, "a link target"));
    }
    Status ok = CheckEntry(e, paths, dirs);
    if (!ok.ok()) return InvalidArgument("archive entry at byte " + std::to_string(at) + ": " + ok.message());
    paths.insert(e.path);
    if (e.type == EntryType::kDirectory) dirs.insert(e.path);
    entries.push_back(std::move(e));
  }
}

Status UnpackArchive(std::string_view bytes, const std::string& dest) {
  SKYRUN_ASSIGN_OR_RETURN(std::vector<ArchiveEntry> entries, ParseArchive(bytes));
  SKYRUN_ASSIGN_OR_RETURN(UniqueFd root, OpenRootDir(dest));
  for (const ArchiveEntry& e : entries) {
    const std::string what = "unpacking '" + e.path + "'";
    if (e.type == EntryType::kDirectory) {
      SKYRUN_RETURN_IF_ERROR(OpenDirBeneath(root.get(), e.path, true, what).status());
    } else if (e.type == EntryType::kFile) {
      SKYRUN_RETURN_IF_ERROR(WriteFileBeneath(root.get(), e.path, e.content, e.mode, what));
    } else {
      size_t slash = e.path.rfind('/');
      std::string parent = slash == std::string::npos ? "." : e.path.substr(0, slash);
      std::string name = slash == std::string::npos ? e.path : e.path.substr(slash + 1);
      SKYRUN_ASSIGN_OR_RETURN(UniqueFd dir, OpenDirBeneath(root.get(), parent, false, what));
      if (::symlinkat(e.target.c_str(), dir.get(), name.c_str()) != 0) {
        return Internal(what + ": cannot create the link");
      }
    }
  }
  return Status::Ok();
}

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

bool IsSha256Hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace skyrun::uploads

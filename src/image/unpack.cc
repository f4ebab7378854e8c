#include "image/unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <optional>

#include "common/strings.h"

namespace skyrun::image {
namespace {

namespace fs = std::filesystem;

constexpr const char* kWhiteout = ".wh.";
constexpr const char* kOpaque = ".wh..wh..opq";

struct ArchiveReader {
  struct archive* a = archive_read_new();
  ~ArchiveReader() { archive_read_free(a); }
};

struct DiskWriter {
  struct archive* a = archive_write_disk_new();
  ~DiskWriter() { archive_write_free(a); }
};

Status OpenLayer(ArchiveReader& r, const LayerFile& layer) {
  archive_read_support_format_tar(r.a);
  // Only the filter the media type names: a "tar+gzip" layer that holds zstd
  // (or a tar layer that holds either) is refused, not guessed at.
  if (layer.compression == LayerCompression::kGzip) {
    archive_read_support_filter_gzip(r.a);
  } else if (layer.compression == LayerCompression::kZstd) {
    // In process, through libzstd (Debian's libarchive links it); ARCHIVE_WARN
    // would mean an external `zstd` program, which is not used.
    if (archive_read_support_filter_zstd(r.a) != ARCHIVE_OK) {
      return FailedPrecondition("layer " + layer.digest +
                                " is zstd-compressed, and this build's libarchive cannot decode zstd itself");
    }
  } else {
    archive_read_support_filter_none(r.a);
  }
  if (archive_read_open_filename(r.a, layer.path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return InvalidArgument("layer " + layer.digest +
                           " cannot be read as a tar archive: " + archive_error_string(r.a));
  }
  return Status::Ok();
}

// Where `rel` (clean, non-empty) lies under `rootfs`, after checking that no
// existing parent on the way is anything but a real directory.
Result<std::string> SafeTarget(const std::string& rootfs, const std::string& rel, const LayerFile& layer) {
  std::string at = rootfs;
  std::vector<std::string> parts = Split(rel, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    at += "/" + parts[i];
    struct stat st;
    if (::lstat(at.c_str(), &st) != 0) break;  // missing: created as a directory
    if (!S_ISDIR(st.st_mode)) {
      return InvalidArgument("layer " + layer.digest + ": entry '" + rel + "' passes through '" +
                             at.substr(rootfs.size() + 1) + "', which is " +
                             (S_ISLNK(st.st_mode) ? "a symbolic link" : "not a directory") +
                             "; links are never followed while unpacking");
    }
  }
  return rootfs + "/" + rel;
}

// The next entry of `layer` and its path inside the image; nullopt at the
// end. A path with a '..' component, or a broken tar, is an error.
Result<std::optional<std::string>> NextEntry(ArchiveReader& r, const LayerFile& layer,
                                             struct archive_entry** entry) {
  int rc = archive_read_next_header(r.a, entry);
  if (rc == ARCHIVE_EOF) return std::optional<std::string>();
  if (rc < ARCHIVE_WARN)
    return InvalidArgument("layer " + layer.digest + " is not a valid tar: " + archive_error_string(r.a));
  const char* raw = archive_entry_pathname(*entry);
  std::optional<std::string> rel = CleanLayerPath(raw != nullptr ? raw : "");
  if (!rel) {
    return InvalidArgument("layer " + layer.digest + ": entry '" + std::string(raw != nullptr ? raw : "") +
                           "' has a '..' component and would escape the image's root file system");
  }
  return rel;
}

Status Whiteouts(const LayerFile& layer, const std::string& rootfs) {
  ArchiveReader r;
  SKYRUN_RETURN_IF_ERROR(OpenLayer(r, layer));
  struct archive_entry* entry = nullptr;
  while (true) {
    SKYRUN_ASSIGN_OR_RETURN(std::optional<std::string> rel, NextEntry(r, layer, &entry));
    if (!rel) break;
    std::string base = fs::path(*rel).filename().string();
    if (base.rfind(kWhiteout, 0) != 0) continue;
    std::string dir = fs::path(*rel).parent_path().string();
    std::error_code ec;
    if (base == kOpaque) {
      std::string target = rootfs;
      if (!dir.empty()) {
        SKYRUN_ASSIGN_OR_RETURN(target, SafeTarget(rootfs, dir + "/x", layer));
        target = fs::path(target).parent_path().string();
      }
      struct stat st;
      if (::lstat(target.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
      for (const auto& e : fs::directory_iterator(target, ec)) fs::remove_all(e.path(), ec);
    } else {
      std::string name = base.substr(4);
      if (name.empty() || name == "." || name == "..") continue;
      std::string victim = dir.empty() ? name : dir + "/" + name;
      SKYRUN_ASSIGN_OR_RETURN(std::string target, SafeTarget(rootfs, victim, layer));
      fs::remove_all(target, ec);  // remove_all does not follow a link it removes
    }
    if (ec) return Internal("layer " + layer.digest + ": applying whiteout '" + *rel + "': " + ec.message());
  }
  return Status::Ok();
}

Status Extract(const LayerFile& layer, const std::string& rootfs, int64_t max_bytes, int64_t& written) {
  ArchiveReader r;
  SKYRUN_RETURN_IF_ERROR(OpenLayer(r, layer));
  DiskWriter w;
  archive_write_disk_set_options(w.a, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
                                          ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                                          ARCHIVE_EXTRACT_UNLINK);
  struct archive_entry* entry = nullptr;
  while (true) {
    SKYRUN_ASSIGN_OR_RETURN(std::optional<std::string> rel, NextEntry(r, layer, &entry));
    if (!rel) break;
    if (rel->empty()) continue;  // the root itself
    if (fs::path(*rel).filename().string().rfind(kWhiteout, 0) == 0) continue;
    const mode_t type = archive_entry_filetype(entry);
    if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFSOCK) continue;  // no device nodes
    SKYRUN_ASSIGN_OR_RETURN(std::string target, SafeTarget(rootfs, *rel, layer));
    // The upper layer replaces what is below, whatever its kind; a
    // directory over a directory merges.
    struct stat st;
    if (::lstat(target.c_str(), &st) == 0 && !(S_ISDIR(st.st_mode) && type == AE_IFDIR)) {
      std::error_code ec;
      fs::remove_all(target, ec);
    }
    if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
      std::optional<std::string> to = CleanLayerPath(link);
      if (!to || to->empty()) {
        return InvalidArgument("layer " + layer.digest + ": hard link '" + *rel + "' -> '" + link +
                               "' points outside the image's root file system");
      }
      SKYRUN_ASSIGN_OR_RETURN(std::string link_target, SafeTarget(rootfs, *to, layer));
      archive_entry_set_hardlink(entry, link_target.c_str());
    }
    if (type == AE_IFREG) {
      written += archive_entry_size(entry);
      if (written > max_bytes) {
        return ResourceExhausted("the image unpacks to more than " + std::to_string(max_bytes) +
                                 " bytes (layer " + layer.digest + ")");
      }
    }
    archive_entry_set_pathname(entry, target.c_str());
    archive_entry_set_perm(entry, archive_entry_perm(entry) & 01777);  // no setuid, no setgid
    archive_entry_xattr_clear(entry);
    archive_entry_acl_clear(entry);
    archive_entry_set_uid(entry, ::geteuid());
    archive_entry_set_gid(entry, ::getegid());
    // A directory must stay enterable by its owner while we fill it.
    if (type == AE_IFDIR) archive_entry_set_perm(entry, archive_entry_perm(entry) | 0700);
    int rc = archive_write_header(w.a, entry);
    if (rc < ARCHIVE_WARN) {
      return InvalidArgument("layer " + layer.digest + ": cannot unpack '" + *rel +
                             "': " + archive_error_string(w.a));
    }
    if (type == AE_IFREG && archive_entry_size(entry) > 0) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      while ((rc = archive_read_data_block(r.a, &buf, &size, &offset)) == ARCHIVE_OK) {
        if (archive_write_data_block(w.a, buf, size, offset) < ARCHIVE_OK) {
          return Internal("layer " + layer.digest + ": writing '" + *rel + "': " + archive_error_string(w.a));
        }
      }
      if (rc != ARCHIVE_EOF) {
        return InvalidArgument("layer " + layer.digest + ": reading '" + *rel +
                               "': " + archive_error_string(r.a));
      }
    }
    if (archive_write_finish_entry(w.a) < ARCHIVE_WARN) {
      return Internal("layer " + layer.digest + ": finishing '" + *rel + "': " + archive_error_string(w.a));
    }
  }
  if (archive_write_close(w.a) < ARCHIVE_WARN) {
    return Internal("layer " + layer.digest + ": " + archive_error_string(w.a));
  }
  return Status::Ok();
}

}  // namespace

std::optional<std::string> CleanLayerPath(const std::string& path) {
  std::vector<std::string> out;
  for (const std::string& part : Split(path, '/')) {
    if (part.empty() || part == ".") continue;
    if (part == "..") return std::nullopt;
    out.push_back(part);
  }
  return Join(out, "/");
}

Status UnpackLayers(const std::vector<LayerFile>& layers, const std::string& rootfs, int64_t max_bytes) {
  if (rootfs.empty() || rootfs[0] != '/') return InvalidArgument("unpack: rootfs must be absolute");
  int64_t written = 0;
  for (const LayerFile& layer : layers) {
    SKYRUN_RETURN_IF_ERROR(Whiteouts(layer, rootfs));
    SKYRUN_RETURN_IF_ERROR(Extract(layer, rootfs, max_bytes, written));
  }
  return Status::Ok();
}

}  // namespace skyrun::image

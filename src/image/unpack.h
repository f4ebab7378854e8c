// Unpacks an image's layers, bottom first, into one root file system, as an
// overlay would show them: OCI whiteouts (.wh.NAME removes NAME of the
// layers below, .wh..wh..opq empties its directory of them) are applied
// before the layer's own entries.
//
// Hostile layers are expected. Nothing is written outside `rootfs`: an entry
// or hard-link target with a ".." component is refused, a leading "/" is
// taken as relative to the rootfs, and no link already on disk is ever
// followed (an entry whose path passes through a symlink is refused, so a
// layer cannot plant `etc -> /host/etc` and then write through it). Device
// nodes and sockets are skipped, setuid/setgid bits and extended attributes
// (file capabilities) are dropped, and owners are not restored (every file
// belongs to the server's user; the task reads them through "others").
// The total size of regular files is bounded (a tar bomb is refused).
//
// Callers: the image manager, into a temp directory it then renames.
// Thread-safety: UnpackLayers touches only `rootfs`; calls on different
// directories may run concurrently.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.h"
#include "image/manifest.h"

namespace skyrun::image {

struct LayerFile {
  std::string path;    // the blob on disk
  std::string digest;  // for messages
  LayerCompression compression = LayerCompression::kNone;
};

// `rootfs` must exist and be an absolute path without symlinks (canonical).
Status UnpackLayers(const std::vector<LayerFile>& layers, const std::string& rootfs, int64_t max_bytes);

// "a/b/c" from "./a//b/c/" or "/a/b/c"; "" for the root itself; nullopt when
// a component is "..". Exposed for tests.
std::optional<std::string> CleanLayerPath(const std::string& path);

}  // namespace skyrun::image

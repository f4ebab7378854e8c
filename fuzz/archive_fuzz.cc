// Fuzz target for the upload archive reader (uploads/archive.h), the parser
// the server runs on bytes any member can PUT: it must refuse garbage with a
// Status, never crash, and never accept an entry that could leave the
// directory it is unpacked into.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/safe_fs.h"
#include "uploads/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto entries = skyrun::uploads::ParseArchive(bytes);
  if (!entries.ok()) return 0;
  for (const auto& e : *entries) {
    auto parts = skyrun::SplitBeneath(e.path, "entry");
    if (!parts.ok() || parts->empty()) __builtin_trap();
    if (e.type == skyrun::uploads::EntryType::kSymlink && !skyrun::LinkStaysInside(e.path, e.target))
      __builtin_trap();
    if (e.mode < 0 || e.mode > 0777) __builtin_trap();
  }
  return 0;
}

// render_volcano_for_test OUT_DIR: writes the rendered Volcano Job of every
// golden case (volcano_test_cases.h) to OUT_DIR/<case>.json, for
// validate_manifest.py to check against Volcano's CRD schema. The manifests
// come from the current renderer, not from the golden files, so a change that
// breaks the schema fails here even if someone regenerated the goldens.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "drivers/kubernetes/volcano_render.h"
#include "drivers/kubernetes/volcano_test_cases.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT_DIR\n", argv[0]);
    return 2;
  }
  std::string out_dir = argv[1];
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    std::fprintf(stderr, "cannot create %s: %s\n", out_dir.c_str(), ec.message().c_str());
    return 1;
  }
  int failures = 0;
  for (const auto& c : skyrun::VolcanoGoldenCases()) {
    auto rendered = skyrun::RenderVolcanoJob(c.launch, c.config);
    if (!rendered.ok()) {
      std::fprintf(stderr, "%s: %s\n", c.name.c_str(), rendered.status().ToString().c_str());
      ++failures;
      continue;
    }
    std::string path = out_dir + "/" + c.name + ".json";
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << rendered->manifest.dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      ++failures;
      continue;
    }
    std::printf("wrote %s\n", path.c_str());
  }
  return failures == 0 ? 0 : 1;
}

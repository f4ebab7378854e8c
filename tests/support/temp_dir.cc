#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

namespace skyrun::test_support {
namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  char* made = ::mkdtemp(tmpl.data());
  if (made == nullptr) {
    ADD_FAILURE() << "cannot create a temporary directory from " << tmpl;
    std::abort();  // every test using it would fail in confusing ways
  }
  path_ = made;
}

TempDir::~TempDir() {
  if (std::getenv("SKYRUN_KEEP_TEST_STATE") != nullptr) {
    std::cerr << "SKYRUN_KEEP_TEST_STATE: kept " << path_ << "\n";
    return;
  }
  // A test may leave folders without write permission (to test refusals):
  // give them back so that remove_all can empty them.
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(path_, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
  }
  ::chmod(path_.c_str(), 0700);
  fs::remove_all(path_, ec);
}

std::string TempDir::Sub(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

std::string TempDir::Write(std::string_view name, std::string_view text) const {
  const std::string file = Sub(name);
  std::error_code ec;
  fs::create_directories(fs::path(file).parent_path(), ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  EXPECT_TRUE(out.good()) << "cannot write " << file;
  return file;
}

}  // namespace skyrun::test_support

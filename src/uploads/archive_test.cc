#include "uploads/archive.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.h"

namespace skyrun::uploads {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string Entry(char kind, const std::string& path, const std::string& rest) {
  std::string out(1, kind);
  out.push_back(static_cast<char>(path.size() >> 8));
  out.push_back(static_cast<char>(path.size() & 0xff));
  out += path;
  out += std::string("\x01\xa4", 2);  // mode 0644
  return out + rest;
}
std::string Link(const std::string& path, const std::string& target) {
  std::string len{static_cast<char>(target.size() >> 8), static_cast<char>(target.size() & 0xff)};
  return Entry('l', path, len + target);
}
std::string File(const std::string& path, const std::string& content) {
  std::string size(7, '\0');
  size.push_back(static_cast<char>(content.size()));
  return Entry('f', path, size + content);
}
std::string Archive(const std::string& entries) {
  return std::string(kArchiveMagic) + entries + "e";
}

TEST(ArchiveTest, RoundTrips) {
  ArchiveWriter w;
  ASSERT_TRUE(w.Add({EntryType::kDirectory, "app", 0755, "", ""}).ok());
  ASSERT_TRUE(w.Add({EntryType::kFile, "app/main.py", 0755, "print(1)\n", ""}).ok());
  ASSERT_TRUE(w.Add({EntryType::kSymlink, "app/alias.py", 0777, "", "main.py"}).ok());
  ASSERT_TRUE(w.Add({EntryType::kFile, "f", 0644, "", ""}).ok());
  std::string bytes = w.Finish();
  auto entries = ParseArchive(bytes);
  ASSERT_TRUE(entries.ok()) << entries.status().message();
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_EQ((*entries)[1].content, "print(1)\n");
  EXPECT_EQ((*entries)[2].target, "main.py");
  EXPECT_EQ(Sha256Hex("").size(), 64u);
  EXPECT_TRUE(IsSha256Hex(Sha256Hex(bytes)));
  EXPECT_FALSE(IsSha256Hex("../../etc"));
}

TEST(ArchiveTest, WriterRefusesWhatTheReaderRefuses) {
  ArchiveWriter w;
  EXPECT_FALSE(w.Add({EntryType::kFile, "../x", 0644, "", ""}).ok());
  EXPECT_FALSE(w.Add({EntryType::kFile, "a/x", 0644, "", ""}).ok());  // no parent entry
  EXPECT_FALSE(w.Add({EntryType::kSymlink, "l", 0777, "", "/etc"}).ok());
}

// Item 4: an archive crafted by hand cannot place anything outside the
// directory it is unpacked into.
TEST(ArchiveTest, Item4_HostileArchivesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"dot-dot", Archive(File("../x", "p"))},
      {"absolute", Archive(File("/tmp/x", "p"))},
      {"not normalised", Archive(File("a//b", "p"))},
      {"link out", Archive(Link("l", "../../etc"))},
      {"absolute link", Archive(Link("l", "/etc/shadow"))},
      {"through a link", Archive(Link("l", "d") + Entry('d', "d", "") + File("l/x", "p"))},
      {"duplicate", Archive(File("x", "a") + File("x", "b"))},
      {"device kind", Archive(Entry('c', "dev", ""))},
      {"truncated", Archive(File("x", "abc")).substr(0, 20)},
      {"trailing bytes", Archive(File("x", "a")) + "zz"},
      {"no magic", "PK\x03\x04"},
      {"nul in path", Archive(File(std::string("a\0b", 3), "p"))},
  };
  for (const auto& [name, bytes] : cases) {
    test_support::TempDir tmp("archive_test");
    const std::string tmpl = tmp.path();
    std::string dest = std::string(tmpl) + "/in";
    fs::create_directories(dest);
    Status s = UnpackArchive(bytes, dest);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    EXPECT_FALSE(fs::exists(std::string(tmpl) + "/x")) << name;
    EXPECT_TRUE(fs::is_empty(dest)) << name;  // parsed in full before anything is written
  }
}

TEST(ArchiveTest, UnpacksFilesDirsAndInsideLinks) {
  test_support::TempDir tmp("archive_test");
  const std::string tmpl = tmp.path();
  std::string bytes = Archive(Entry('d', "d", "") + File("d/f", "hi") + Link("d/l", "f"));
  ASSERT_TRUE(UnpackArchive(bytes, tmpl).ok());
  std::ifstream in(std::string(tmpl) + "/d/l");
  std::string got;
  in >> got;
  EXPECT_EQ(got, "hi");
}

}  // namespace
}  // namespace skyrun::uploads

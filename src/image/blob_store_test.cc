#include "image/blob_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "image/image_ref.h"
#include "support/temp_dir.h"

namespace skyrun::image {
namespace {

using test_support::TempDir;

std::string Put(BlobStore& store, const std::string& bytes) {
  std::string tmp = store.TempPath();
  std::ofstream(tmp, std::ios::binary) << bytes;
  std::string digest = Sha256Digest(bytes);
  EXPECT_TRUE(store.Commit(tmp, digest).ok());
  return digest;
}

TEST(BlobStoreTest, CommitVerifiesTheDigest) {
  TempDir dir("blob");
  auto store = BlobStore::Open(dir.Sub("blobs"), 0);
  ASSERT_TRUE(store.ok());
  std::string tmp = (*store)->TempPath();
  std::ofstream(tmp, std::ios::binary) << "hello";
  Status wrong = (*store)->Commit(tmp, Sha256Digest("other"));
  EXPECT_FALSE(wrong.ok());
  EXPECT_NE(wrong.message().find("hashes to"), std::string::npos);
  EXPECT_FALSE(std::ifstream(tmp).good()) << "the bad temp file is removed";
  std::string d = Put(**store, "hello");
  EXPECT_EQ((*store)->HasValid(d).value(), true);
  EXPECT_EQ((*store)->TotalBytes(), 5);
}

TEST(BlobStoreTest, CorruptBlobIsDetectedAndDropped) {
  TempDir dir("blob");
  auto store = BlobStore::Open(dir.Sub("blobs"), 0);
  ASSERT_TRUE(store.ok());
  std::string d = Put(**store, "layer bytes");
  std::ofstream((*store)->PathOf(d), std::ios::binary | std::ios::trunc) << "layer bytez";
  EXPECT_EQ((*store)->HasValid(d).value(), false);
  EXPECT_FALSE(std::ifstream((*store)->PathOf(d)).good());
  EXPECT_EQ((*store)->TotalBytes(), 0);
}

TEST(BlobStoreTest, EvictsLeastRecentlyUsedButNeverPinned) {
  TempDir dir("blob");
  auto store = BlobStore::Open(dir.Sub("blobs"), 25);
  ASSERT_TRUE(store.ok());
  std::string a = Put(**store, std::string(10, 'a'));
  std::string b = Put(**store, std::string(10, 'b'));
  std::string c = Put(**store, std::string(10, 'c'));
  ASSERT_TRUE((*store)->HasValid(a).value());  // a is now the most recently used: b is the oldest
  auto removed = (*store)->Evict({b});         // but b is pinned: c goes
  EXPECT_EQ(removed, std::vector<std::string>{c});
  EXPECT_EQ((*store)->TotalBytes(), 20);
  EXPECT_TRUE((*store)->HasValid(a).value());
  EXPECT_TRUE((*store)->HasValid(b).value());
  EXPECT_FALSE((*store)->HasValid(c).value());
}

TEST(BlobStoreTest, ReopenAdoptsBlobsAndDropsJunk) {
  TempDir dir("blob");
  std::string d;
  {
    auto store = BlobStore::Open(dir.Sub("blobs"), 0);
    d = Put(**store, "kept");
  }
  dir.Write("blobs/sha256/not-a-digest", "junk");
  dir.Write("blobs/tmp/blob-1-1", "half");
  auto store = BlobStore::Open(dir.Sub("blobs"), 0);
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->TotalBytes(), 4);
  EXPECT_TRUE((*store)->HasValid(d).value());
  EXPECT_FALSE(std::ifstream(dir.Sub("blobs/sha256/not-a-digest")).good());
  EXPECT_FALSE(std::ifstream(dir.Sub("blobs/tmp/blob-1-1")).good());
}

}  // namespace
}  // namespace skyrun::image

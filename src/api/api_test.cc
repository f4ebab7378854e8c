#include "api/api.h"

#include <gtest/gtest.h>

namespace skyrun::api {
namespace {

TEST(ApiTest, SubmitRequest) {
  auto ok = ParseSubmitRequest(R"({"spec": "run: echo hi", "file": "/tmp/job.yaml"})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->spec_yaml, "run: echo hi");
  EXPECT_EQ(ok->file, "job.yaml");  // a display name: the directories are dropped
  EXPECT_TRUE(ok->upload.empty());
  EXPECT_EQ(ParseSubmitRequest("{").status().message(), "request body is not valid JSON");
  EXPECT_EQ(ParseSubmitRequest("[]").status().message(), "request body must be a JSON object");
  EXPECT_EQ(ParseSubmitRequest("{}").status().message(), "field 'spec' is required");
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": 3})").status().message(), "field 'spec' must be a string");
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": "x", "spce": 1})").status().message(),
            "unknown field 'spce' in request body");
  EXPECT_FALSE(ParseSubmitRequest(std::string(kMaxBodyBytes + 1, ' ')).ok());
}

TEST(ApiTest, Item4_FileIsADisplayNameAndUploadADigest) {
  std::string digest(64, 'a');
  auto ok = ParseSubmitRequest(R"({"spec": "x", "file": "/var/lib/skyrun/../etc/t.yaml", "upload": ")" +
                               digest + "\"}");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->file, "t.yaml");
  EXPECT_EQ(ok->upload, digest);
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": "x", "file": "/"})")->file, "job.yaml");
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": "x", "file": "dir/.."})")->file, "job.yaml");
  auto bad = ParseSubmitRequest(R"({"spec": "x", "upload": "../../admin.token"})");
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(ParseSubmitRequest(R"({"spec": "x", "upload": ")" + std::string(64, 'A') + "\"}").ok());
}

TEST(ApiTest, TenantAndTokenRequests) {
  EXPECT_TRUE(ParseTenantCreateRequest(R"({"name": "vision-2"})").ok());
  EXPECT_FALSE(ParseTenantCreateRequest(R"({"name": "Vision"})").ok());
  EXPECT_FALSE(ParseTenantCreateRequest(R"({"name": "-x"})").ok());
  EXPECT_TRUE(ParseTokenCreateRequest(R"({"tenant": "a", "role": "viewer"})").ok());
  EXPECT_FALSE(ParseTokenCreateRequest(R"({"tenant": "a", "role": "root"})").ok());
}

TEST(ApiTest, HttpCodes) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  auto e = ErrorJson(NotFound("job 4 not found"));
  EXPECT_EQ(e["error"]["code"], "NOT_FOUND");
}

}  // namespace
}  // namespace skyrun::api

namespace skyrun::api {
namespace {

TEST(PartitionRequestTest, ParsesAndRefusesWithTheField) {
  auto ok = ParsePartitionRequest(
      R"({"model": "bert-large", "layers": 160, "devices_csv": "name,slowness,memory_mib\na,1,16384\n",
          "algorithms": ["exact", "even"], "micro_batches": 4})");
  ASSERT_TRUE(ok.ok()) << ok.status().message();
  EXPECT_EQ(ok->model, "bert-large");
  EXPECT_EQ(*ok->layers, 160);
  EXPECT_EQ(ok->algorithms, (std::vector<std::string>{"exact", "even"}));
  EXPECT_EQ(ok->micro_batches, 4);
  auto msg = [](std::string_view body) { return ParsePartitionRequest(body).status().message(); };
  EXPECT_NE(msg(R"({"devices_csv": "x"})").find("exactly one of 'model'"), std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "profile_csv": "p", "devices_csv": "x"})").find("exactly one"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m"})").find("'devices_csv' is required"), std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "layers": 0})").find("between 1 and 4096"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "layers": 1.5})").find("must be an integer"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "layers": 18446744073709551615})").find("between"),
            std::string::npos);
  EXPECT_NE(msg(R"({"profile_csv": "p", "devices_csv": "x", "layers": 3})").find("applies to a built-in"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "algorithms": "exact"})").find("list of names"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "ref_tflops": -1})").find("ref_tflops"),
            std::string::npos);
  EXPECT_NE(msg(R"({"model": "m", "devices_csv": "x", "devices": 1})").find("unknown field 'devices'"),
            std::string::npos);
}

}  // namespace
}  // namespace skyrun::api

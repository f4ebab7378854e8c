#include "api/api.h"

#include <gtest/gtest.h>

namespace skyrun::api {
namespace {

TEST(ApiTest, SubmitRequest) {
  auto ok = ParseSubmitRequest(R"({"spec": "run: echo hi", "file": "/tmp/job.yaml"})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->spec_yaml, "run: echo hi");
  EXPECT_EQ(ok->file, "/tmp/job.yaml");
  EXPECT_EQ(ParseSubmitRequest("{").status().message(), "request body is not valid JSON");
  EXPECT_EQ(ParseSubmitRequest("[]").status().message(), "request body must be a JSON object");
  EXPECT_EQ(ParseSubmitRequest("{}").status().message(), "field 'spec' is required");
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": 3})").status().message(), "field 'spec' must be a string");
  EXPECT_EQ(ParseSubmitRequest(R"({"spec": "x", "spce": 1})").status().message(),
            "unknown field 'spce' in request body");
  EXPECT_FALSE(ParseSubmitRequest(std::string(kMaxBodyBytes + 1, ' ')).ok());
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

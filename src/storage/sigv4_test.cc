// Signature Version 4 against AWS's published examples: the SigV4 test
// suite's get-vanilla and get-vanilla-query-order-key-case cases (example
// key AKIDEXAMPLE, 20150830T123600Z) and the Amazon S3 API reference's
// "Signature Calculations for the Authorization Header" examples (GET Object
// with a Range, ListObjects; example key AKIAIOSFODNN7EXAMPLE, 20130524).
#include "storage/sigv4.h"

#include <gtest/gtest.h>

namespace skyrun::storage {
namespace {

constexpr const char* kEmptySha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr Micros kAug2015 = 1440938160LL * kMicrosPerSecond;  // 2015-08-30T12:36:00Z
constexpr Micros kMay2013 = 1369353600LL * kMicrosPerSecond;  // 2013-05-24T00:00:00Z

SigV4Credentials SuiteKey() {
  return {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
}
SigV4Credentials S3DocKey() {
  return {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"};
}

TEST(SigV4Test, AmzDateFormatsUtc) {
  EXPECT_EQ(AmzDate(kAug2015), "20150830T123600Z");
  EXPECT_EQ(AmzDate(kMay2013), "20130524T000000Z");
  EXPECT_EQ(AmzDate(0), "19700101T000000Z");
}

TEST(SigV4Test, GetVanillaEachStep) {
  SigV4Request r;
  r.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  r.payload_sha256 = kEmptySha;
  std::string signed_headers;
  std::string canonical = CanonicalRequest(r, &signed_headers);
  EXPECT_EQ(canonical, std::string("GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                                   "host;x-amz-date\n") +
                           kEmptySha);
  EXPECT_EQ(signed_headers, "host;x-amz-date");
  std::string sts = StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(sts,
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
            "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63");
  EXPECT_EQ(Hex(HmacSha256(SigningKey(SuiteKey().secret_key, "20150830", "us-east-1", "service"), sts)),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

TEST(SigV4Test, GetVanillaAuthorizationHeader) {
  SigV4Request r;
  r.headers = {{"Host", "example.amazonaws.com"}};
  r.payload_sha256 = kEmptySha;
  SignV4(&r, SuiteKey(), "us-east-1", "service", kAug2015);
  EXPECT_EQ(r.headers.at("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date, "
            "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  EXPECT_EQ(r.headers.at("x-amz-date"), "20150830T123600Z");
  EXPECT_EQ(r.headers.count("x-amz-content-sha256"), 0u);  // only S3 wants it
  EXPECT_EQ(r.headers.at("Authorization").find(SuiteKey().secret_key), std::string::npos);
}

TEST(SigV4Test, QueryIsSortedByName) {
  SigV4Request r;
  r.headers = {{"Host", "example.amazonaws.com"}};
  r.query = {{"Param2", "value2"}, {"Param1", "value1"}};
  r.payload_sha256 = kEmptySha;
  SignV4(&r, SuiteKey(), "us-east-1", "service", kAug2015);
  EXPECT_NE(r.headers.at("Authorization")
                .find("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
            std::string::npos);
}

TEST(SigV4Test, S3GetObjectWithRange) {
  SigV4Request r;
  r.path = "/test.txt";
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  r.payload_sha256 = kEmptySha;
  SignV4(&r, S3DocKey(), "us-east-1", "s3", kMay2013);
  EXPECT_EQ(r.headers.at("Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, S3ListObjects) {
  SigV4Request r;
  r.path = "/";
  r.query = {{"max-keys", "2"}, {"prefix", "J"}};
  r.headers = {{"Host", "examplebucket.s3.amazonaws.com"}};
  r.payload_sha256 = kEmptySha;
  SignV4(&r, S3DocKey(), "us-east-1", "s3", kMay2013);
  EXPECT_NE(r.headers.at("Authorization")
                .find("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"),
            std::string::npos);
}

TEST(SigV4Test, UriEncodeKeepsOnlyUnreserved) {
  EXPECT_EQ(UriEncode("a b/ü.png", true), "a%20b/%C3%BC.png");
  EXPECT_EQ(UriEncode("a/b", false), "a%2Fb");
  EXPECT_EQ(UriEncode("test$file.text", true), "test%24file.text");
  EXPECT_EQ(UriEncode("~-_.", false), "~-_.");
}

TEST(SigV4Test, SignatureChangesWithTheSecret) {
  SigV4Request a, b;
  a.headers = b.headers = {{"Host", "h"}};
  a.payload_sha256 = b.payload_sha256 = kEmptySha;
  SignV4(&a, {"K", "one"}, "us-east-1", "s3", kMay2013);
  SignV4(&b, {"K", "two"}, "us-east-1", "s3", kMay2013);
  EXPECT_NE(a.headers.at("Authorization"), b.headers.at("Authorization"));
}

}  // namespace
}  // namespace skyrun::storage

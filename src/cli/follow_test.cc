// FollowJobLogs against a small in-process server that breaks its stream
// mid-way (issue 10, item 13): the follow resumes and prints every byte once,
// whether the server honours ?offset= (and says so) or streams from byte 0.
#include "cli/follow.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "common/net.h"

namespace skyrun {
namespace {

constexpr const char* kLog = "(rank 0) line-1\n(rank 0) line-2\n(rank 0) line-3\n";
constexpr size_t kFirstPart = 16;  // the first line, then the stream breaks

class FakeServer {
 public:
  explicit FakeServer(bool honours_offset) : honours_offset_(honours_offset) {
    http_.Get("/v1/jobs/1", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"id": 1, "state": "SUCCEEDED"})", "application/json");
    });
    http_.Get("/v1/jobs/1/logs", [this](const httplib::Request& req, httplib::Response& res) {
      int n = ++requests_;
      if (n == 2) {  // the server is restarting
        res.status = 503;
        res.set_content(R"({"error": {"code": "UNAVAILABLE", "message": "starting"}})", "application/json");
        return;
      }
      size_t start = 0;
      if (honours_offset_) {
        if (req.has_param("offset")) start = std::stoul(req.get_param_value("offset"));
        res.set_header(kLogOffsetHeader, std::to_string(start));
      } else {
        offsets_seen_ += req.has_param("offset") ? 1 : 0;
      }
      std::string body = std::string(kLog).substr(start);
      bool break_it = n == 1;
      res.set_chunked_content_provider("text/plain", [body, break_it](size_t, httplib::DataSink& sink) {
        if (break_it) {
          sink.write(body.data(), kFirstPart);
          return false;  // the connection drops without the final chunk: a crash
        }
        sink.write(body.data(), body.size());
        sink.done();
        return true;
      });
    });
    port_ = http_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    while (!http_.is_running()) std::this_thread::yield();
  }
  ~FakeServer() {
    http_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }
  int offsets_seen() const { return offsets_seen_; }

 private:
  bool honours_offset_;
  httplib::Server http_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> requests_{0};
  std::atomic<int> offsets_seen_{0};
};

RetryPolicy Quick() {
  RetryPolicy p;
  p.first_delay_s = 0.01;
  p.max_delay_s = 0.02;
  p.give_up_after_s = 30;
  return p;
}

void FollowAndCheck(bool honours_offset) {
  FakeServer server(honours_offset);
  auto client = ApiClient::Create({server.url(), "skyrun_test", ""});
  ASSERT_TRUE(client.ok()) << client.status().ToString();
  std::ostringstream out;
  std::ostringstream err;
  Status s = FollowJobLogs(**client, 1, "", Quick(), out, err);
  ASSERT_TRUE(s.ok()) << s.ToString() << "\n" << err.str();
  EXPECT_EQ(out.str(), kLog) << err.str();
  EXPECT_EQ(server.requests(), 3);
  EXPECT_NE(err.str().find("lost the server"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("is back"), std::string::npos) << err.str();
  if (!honours_offset) {
    EXPECT_EQ(server.offsets_seen(), 0) << "no ?offset= to a server that did not say";
  }
}

TEST(FollowTest, Item13_ResumesAfterABrokenStreamWithoutRepeatingBytes) {
  FollowAndCheck(false);
}

TEST(FollowTest, Item13_ResumesFromTheOffsetWhenTheServerHonoursIt) {
  FollowAndCheck(true);
}

TEST(FollowTest, Item13_GivesUpWhenNothingAnswersAndSaysForHowLong) {
  auto port = PickFreeTcpPort();
  ASSERT_TRUE(port.ok());
  auto client = ApiClient::Create({"http://127.0.0.1:" + std::to_string(*port), "skyrun_test", ""});
  ASSERT_TRUE(client.ok());
  RetryPolicy p = Quick();
  p.give_up_after_s = 0.2;
  std::ostringstream out;
  std::ostringstream err;
  Status s = FollowJobLogs(**client, 1, "", p, out, err);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("gave up after 0.2 s"), std::string::npos) << s.message();
  // With retries off, the first error is returned as it is.
  p.give_up_after_s = 0;
  s = FollowJobLogs(**client, 1, "", p, out, err);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("cannot reach"), std::string::npos) << s.message();
}

TEST(FollowTest, Item13_BackoffDoublesUpToItsCap) {
  RetryPolicy p;
  EXPECT_DOUBLE_EQ(p.DelayBefore(0), 0.5);
  EXPECT_DOUBLE_EQ(p.DelayBefore(1), 1.0);
  EXPECT_DOUBLE_EQ(p.DelayBefore(3), 4.0);
  EXPECT_DOUBLE_EQ(p.DelayBefore(4), 5.0);
  EXPECT_DOUBLE_EQ(p.DelayBefore(1000), 5.0);
  EXPECT_DOUBLE_EQ(p.give_up_after_s, 60.0);
}

}  // namespace
}  // namespace skyrun

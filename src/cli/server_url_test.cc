#include "cli/server_url.h"

#include <gtest/gtest.h>

#include "cli/suggest.h"

namespace skyrun {
namespace {

TEST(ServerUrlTest, Item14_AcceptsHttpAndHttpsWithHostAndPort) {
  EXPECT_EQ(*NormalizeServerUrl("127.0.0.1:8787", "--server"), "http://127.0.0.1:8787");
  EXPECT_EQ(*NormalizeServerUrl("http://h:1", "--server"), "http://h:1");
  EXPECT_EQ(*NormalizeServerUrl("HTTPS://api.example.com/", "--server"), "https://api.example.com");
  EXPECT_EQ(*NormalizeServerUrl("http://[::1]:8787//", "--server"), "http://[::1]:8787");
  EXPECT_EQ(*NormalizeServerUrl("localhost", "--server"), "http://localhost");
}

TEST(ServerUrlTest, Item14_RefusesOtherSchemesAndSaysWhich) {
  auto r = NormalizeServerUrl("ftp://h:1", "--server");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("--server \"ftp://h:1\""), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("scheme \"ftp\""), std::string::npos) << r.status().message();
  EXPECT_EQ(r.status().message().find("http://ftp://"), std::string::npos) << r.status().message();
}

TEST(ServerUrlTest, Item14_RefusesBadHostsPortsAndPaths) {
  for (const char* bad :
       {"http://", "http://:8787", "http://h:0", "http://h:65536", "http://h:99999999999999999999",
        "http://h:-1", "http://h:+80", "http://h:", "http://h:80x", "http://h/api", "http://u:p@h:1",
        "http://h h:1", "http://h\n:1", "http://[::1", "http://[::1]x", "http://[]:80", "http://h$:1"}) {
    auto r = NormalizeServerUrl(bad, "SKYRUN_SERVER");
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << bad;
      EXPECT_EQ(r.status().message().rfind("SKYRUN_SERVER", 0), 0u) << r.status().message();
    }
  }
  auto port = NormalizeServerUrl("http://h:70000", "--server");
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.status().message().find("from 1 to 65535"), std::string::npos) << port.status().message();
}

TEST(SuggestTest, Item14_CloseNamesAreTyposAndPrefixes) {
  std::vector<std::string> commands = {"launch", "queue", "status", "logs",
                                       "cancel", "nodes", "admin",  "server"};
  EXPECT_EQ(CloseNames("lanch", commands), std::vector<std::string>({"launch"}));
  EXPECT_EQ(CloseNames("stats", commands), std::vector<std::string>({"status"}));
  EXPECT_EQ(CloseNames("adm", commands), std::vector<std::string>({"admin"}));
  EXPECT_EQ(CloseNames("log", commands), std::vector<std::string>({"logs"}));
  EXPECT_TRUE(CloseNames("xyzzyplugh", commands).empty());
}

}  // namespace
}  // namespace skyrun

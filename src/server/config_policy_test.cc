// Node policies in the server config are checked when the config is read.
#include <gtest/gtest.h>

#include "server/config.h"

namespace skyrun {
namespace {

TEST(ConfigPolicyTest, AValidPolicyIsKept) {
  auto cfg = ParseServerConfig(R"(
local:
  nodes:
    - name: shared
      attributes: {Policy: 'JobClass == "training"', Country: US}
)",
                               "server.yaml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  ASSERT_EQ(cfg->local.nodes.size(), 1u);
  EXPECT_EQ(cfg->local.nodes[0].attributes.at("Policy"), "JobClass == \"training\"");
}

TEST(ConfigPolicyTest, ABrokenPolicyIsRefusedWithItsPlace) {
  auto cfg = ParseServerConfig(R"(
local:
  nodes:
    - name: shared
      attributes:
        policy: 'JobClass == '
)",
                               "server.yaml");
  ASSERT_FALSE(cfg.ok());
  EXPECT_NE(cfg.status().message().find("server.yaml:6:"), std::string::npos) << cfg.status().message();
  EXPECT_NE(cfg.status().message().find("attributes.policy"), std::string::npos) << cfg.status().message();
  auto typed = ParseServerConfig("local:\n  nodes:\n    - name: x\n      attributes: {Policy: 'Cpus + 1'}\n",
                                 "s.yaml");
  ASSERT_FALSE(typed.ok());
  EXPECT_NE(typed.status().message().find("boolean"), std::string::npos) << typed.status().message();
}

}  // namespace
}  // namespace skyrun

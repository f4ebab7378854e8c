#include "cli/client_flags.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

namespace skyrun {

void AddClientFlags(CLI::App* cmd, ClientFlags* flags, bool with_output) {
  cmd->add_option("--server", flags->client.server,
                  "server URL (default $SKYRUN_SERVER or http://127.0.0.1:8787)");
  cmd->add_option("--token", flags->client.token,
                  "bearer token (default $SKYRUN_TOKEN or STATE_DIR/admin.token)");
  cmd->add_option("--state-dir", flags->client.state_dir,
                  "state directory holding admin.token (default ~/.skyrun)");
  if (with_output) {
    cmd->add_option("-o,--output", flags->output, "output format: table or json")
        ->check(CLI::IsMember({"table", "json"}));
  }
}

int FailWith(const Status& s, const ApiClient* client) {
  std::cerr << "error: " << s.message() << "\n";
  if (client) {
    const nlohmann::json& body = client->last_error().body;
    if (body.contains("error") && body["error"].contains("problems")) {
      for (const auto& p : body["error"]["problems"]) std::cerr << "  " << p.get<std::string>() << "\n";
    }
  }
  switch (s.code()) {
    case StatusCode::kInvalidArgument:
    case StatusCode::kResourceExhausted: return kExitBadInput;
    default: return kExitFailed;
  }
}

std::string FieldText(const nlohmann::json& j, const char* key) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (j[key].is_string()) return j[key].get<std::string>();
  return j[key].dump();
}

std::string Money(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, usd < 0.01 && usd > 0 ? "$%.4f" : "$%.2f", usd);
  return buf;
}

}  // namespace skyrun

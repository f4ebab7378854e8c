// What the client subcommands share: the flags that say which server and
// token to use and how to print (table or JSON), the exit status of a
// failure, and small formatters for API records. Used by commands.cc,
// tokens.cc and cost_report.cc. Thread-safety: main() only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "cli/client.h"
#include "common/status.h"

namespace CLI {
class App;
}

namespace skyrun {

// Exit codes: 0 ok, 1 failure (job failed, server error), 2 bad input.
inline constexpr int kExitFailed = 1;
inline constexpr int kExitBadInput = 2;

struct ClientFlags {
  ClientOptions client;
  std::string output = "table";
};

// --server, --token, --state-dir and (with_output) -o/--output table|json.
void AddClientFlags(CLI::App* cmd, ClientFlags* flags, bool with_output = true);

// Prints "error: ..." (and the API's list of problems when `client` has
// one) and returns the exit status: 2 for bad input, else 1.
int FailWith(const Status& s, const ApiClient* client = nullptr);

// A field as text ("" when absent or null; non-strings as JSON).
std::string FieldText(const nlohmann::json& j, const char* key);
// "$12.34"; amounts under a cent keep four decimals ("$0.0042").
std::string Money(double usd);

}  // namespace skyrun

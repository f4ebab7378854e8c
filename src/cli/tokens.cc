#include "cli/tokens.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "common/strings.h"
#include "common/text_table.h"

namespace skyrun {

namespace {

using nlohmann::json;

constexpr const char* kTokenPrefix = "skyrun_";
constexpr size_t kMinPrefixHex = 4;

using Flags = ClientFlags;

void AddFlags(CLI::App* cmd, Flags* f) {
  AddClientFlags(cmd, f);
}
int Fail(const Status& s) {
  return FailWith(s);
}

std::string Text(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string()) return "";
  return j[key].get<std::string>();
}

// "2026-12-02T07:50:01.123Z" -> "2026-12-02 07:50"; "" -> "-".
std::string Minute(const std::string& stamp) {
  if (stamp.size() < 16) return "-";
  std::string out = stamp.substr(0, 16);
  out[10] = ' ';
  return out;
}

int Create(const Flags& f, const std::string& tenant, const std::string& role, const std::string& description,
           const std::string& expires) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return Fail(client.status());
  json body = {{"tenant", tenant}, {"role", role}, {"description", description}};
  if (!expires.empty()) body["expires_in"] = expires;
  auto got = (*client)->Post("/v1/admin/tokens", body);
  if (!got.ok()) return Fail(got.status());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  std::cout << Text(*got, "token") << "\n";
  std::cerr << "Token " << (*got)["id"] << " (" << Text(*got, "prefix") << ") for tenant "
            << Text(*got, "tenant") << " (" << Text(*got, "role") << ")"
            << (Text(*got, "expires_at").empty() ? "" : ", expires " + Text(*got, "expires_at"))
            << ". It is shown only this once: store it now.\n";
  return 0;
}

int List(const Flags& f, const std::string& tenant) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return Fail(client.status());
  auto got = (*client)->Get("/v1/admin/tokens" + (tenant.empty() ? "" : "?tenant=" + tenant));
  if (!got.ok()) return Fail(got.status());
  if (f.output == "json") {
    std::cout << (*got)["tokens"].dump(2) << "\n";
    return 0;
  }
  Table t({"ID", "PREFIX", "TENANT", "ROLE", "STATE", "CREATED", "LAST USED", "EXPIRES", "DESCRIPTION"});
  for (const auto& k : (*got)["tokens"]) {
    std::string prefix = Text(k, "prefix");
    t.AddRow(
        {std::to_string(k.value("id", int64_t{0})), prefix.empty() ? "(unknown)" : prefix, Text(k, "tenant"),
         Text(k, "role"), Text(k, "state"), Minute(Text(k, "created_at")), Minute(Text(k, "last_used_at")),
         Text(k, "expires_at").empty() ? "never" : Minute(Text(k, "expires_at")), Text(k, "description")});
  }
  t.Print(std::cout);
  std::cout << "(last use is recorded at most once a minute per token)\n";
  return 0;
}

int Revoke(const Flags& f, const std::string& which) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return Fail(client.status());
  int64_t id = 0;
  if (auto n = ParseInt64(which); n && *n > 0) {
    id = *n;
  } else {
    auto listed = (*client)->Get("/v1/admin/tokens");
    if (!listed.ok()) return Fail(listed.status());
    auto resolved = ResolveToken(which, (*listed)["tokens"]);
    if (!resolved.ok()) return Fail(resolved.status());
    id = *resolved;
  }
  auto got = (*client)->Post("/v1/admin/tokens/" + std::to_string(id) + "/revoke", json::object());
  if (!got.ok()) return Fail(got.status());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  std::cout << "Token " << id << " (" << (Text(*got, "prefix").empty() ? "no prefix" : Text(*got, "prefix"))
            << ", tenant " << Text(*got, "tenant") << ", " << Text(*got, "role") << ") revoked at "
            << Text(*got, "revoked_at") << "; requests that present it are refused from now on.\n";
  return 0;
}

}  // namespace

Result<int64_t> ResolveToken(const std::string& which, const json& tokens) {
  std::string wanted = which.rfind(kTokenPrefix, 0) == 0 ? which : kTokenPrefix + which;
  std::string hex = wanted.substr(std::string(kTokenPrefix).size());
  if (hex.size() < kMinPrefixHex || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return InvalidArgument("\"" + which + "\" is neither a token id nor a token prefix (like " +
                           std::string(kTokenPrefix) + "1a2b3c4d: at least " + std::to_string(kMinPrefixHex) +
                           " lower-case hex characters); see `skyrun admin token list`");
  }
  std::vector<int64_t> matches;
  for (const auto& k : tokens) {
    std::string prefix = Text(k, "prefix");
    if (prefix.empty()) continue;
    // A prefix as listed, part of one, or a whole token pasted.
    if (prefix.rfind(wanted, 0) == 0 || wanted.rfind(prefix, 0) == 0)
      matches.push_back(k.value("id", int64_t{0}));
  }
  if (matches.empty()) {
    return NotFound("no token you can see has the prefix \"" + wanted + "\"; see `skyrun admin token list`");
  }
  if (matches.size() > 1) {
    std::vector<std::string> ids;
    for (int64_t id : matches) ids.push_back(std::to_string(id));
    return InvalidArgument("the prefix \"" + wanted + "\" matches tokens " + Join(ids, ", ") +
                           ": revoke by id (`skyrun admin token revoke ID`)");
  }
  return matches.front();
}

void RegisterTokenCommands(CLI::App* token, int* exit_code) {
  {
    auto* cmd = token->add_subcommand("create", "create a token (shown once)");
    auto f = std::make_shared<Flags>();
    auto tenant = std::make_shared<std::string>();
    auto role = std::make_shared<std::string>("member");
    auto description = std::make_shared<std::string>();
    auto expires = std::make_shared<std::string>();
    cmd->add_option("--tenant", *tenant, "tenant the token acts for")->required();
    cmd->add_option("--role", *role,
                    "admin, member, viewer or provider (writes its provider's directory entries)")
        ->check(CLI::IsMember({"admin", "member", "viewer", "provider"}));
    cmd->add_option("--description", *description, "what the token is for");
    cmd->add_option("--expires", *expires,
                    "lifetime, e.g. 30d or 12h (default: never expires; at most 3650d)");
    AddFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = Create(*f, *tenant, *role, *description, *expires); });
  }
  {
    auto* cmd =
        token->add_subcommand("list", "list tokens: prefix, tenant, role, state, created, last used, expiry");
    auto f = std::make_shared<Flags>();
    auto tenant = std::make_shared<std::string>();
    cmd->add_option("--tenant", *tenant, "only this tenant's tokens");
    AddFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = List(*f, *tenant); });
  }
  {
    auto* cmd = token->add_subcommand("revoke", "revoke a token by id or prefix (it stops working at once)");
    auto f = std::make_shared<Flags>();
    auto which = std::make_shared<std::string>();
    cmd->add_option("token", *which, "token id or prefix, as `skyrun admin token list` shows")->required();
    AddFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = Revoke(*f, *which); });
  }
}

}  // namespace skyrun

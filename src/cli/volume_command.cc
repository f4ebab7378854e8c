// `skyrun volume create NAME [--size 10G]`, `skyrun volume ls`, `skyrun
// volume rm NAME`: the caller's tenant's named volumes (the API's
// /v1/volumes; docs/storage.md). A job mounts one with `volumes:` in its spec.
#include <CLI/CLI.hpp>
#include <cctype>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/strings.h"
#include "common/text_table.h"

namespace skyrun {

namespace {

// "1048576", "512K", "10M", "10G", "1T" (binary units; an optional "iB"/"B").
std::optional<int64_t> ParseSize(std::string text) {
  text = Trim(text);
  int64_t unit = 1;
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (const char* suffix : {"IB", "B"}) {
    std::string s = suffix;
    if (upper.size() > s.size() && upper.compare(upper.size() - s.size(), s.size(), s) == 0) {
      upper.resize(upper.size() - s.size());
      break;
    }
  }
  if (!upper.empty()) {
    switch (upper.back()) {
      case 'K': unit = int64_t{1} << 10; break;
      case 'M': unit = int64_t{1} << 20; break;
      case 'G': unit = int64_t{1} << 30; break;
      case 'T': unit = int64_t{1} << 40; break;
      default: break;
    }
    if (unit > 1) upper.pop_back();
  }
  std::optional<int64_t> n = ParseInt64(upper);
  if (!n || *n < 0 || *n > (int64_t{1} << 62) / unit) return std::nullopt;
  return *n * unit;
}

std::string Bytes(int64_t b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(b);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

int Create(const ClientFlags& f, const std::string& name, const std::string& size) {
  nlohmann::json body{{"name", name}};
  if (!size.empty()) {
    std::optional<int64_t> bytes = ParseSize(size);
    if (!bytes) {
      return FailWith(InvalidArgument("--size '" + size + "' is not a size such as 10G, 512M or 1048576"));
    }
    body["size_bytes"] = *bytes;
  }
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto made = (*client)->Post("/v1/volumes", body);
  if (!made.ok()) return FailWith(made.status(), client->get());
  if (f.output == "json") {
    std::cout << made->dump(2) << "\n";
    return 0;
  }
  int64_t limit = made->value("size_bytes", int64_t{0});
  std::cout << "volume " << FieldText(*made, "name") << " created"
            << (limit > 0 ? " (" + Bytes(limit) + ")" : std::string(" (no size limit)")) << "; mount it with "
            << "`volumes: [{name: " << FieldText(*made, "name") << ", path: /data}]`\n";
  return 0;
}

int List(const ClientFlags& f) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Get("/v1/volumes");
  if (!got.ok()) return FailWith(got.status(), client->get());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  if ((*got)["volumes"].empty()) {
    std::cout << "No volumes. Create one with `skyrun volume create NAME`.\n";
    return 0;
  }
  Table t({"NAME", "USED", "SIZE", "CREATED", "CLAIMS"});
  for (const auto& v : (*got)["volumes"]) {
    int64_t size = v.value("size_bytes", int64_t{0});
    // Each claim a Kubernetes cluster holds for it: "CLUSTER:CLAIM (SIZE)".
    std::vector<std::string> claims;
    if (v.contains("claims") && v["claims"].is_array()) {
      for (const auto& c : v["claims"]) {
        claims.push_back(FieldText(c, "cluster") + ":" + FieldText(c, "claim") + " (" +
                         Bytes(c.value("requested_bytes", int64_t{0})) + ")");
      }
    }
    t.AddRow({FieldText(v, "name"), Bytes(v.value("used_bytes", int64_t{0})), size > 0 ? Bytes(size) : "-",
              FieldText(v, "created_at"), claims.empty() ? "-" : Join(claims, ", ")});
  }
  t.Print(std::cout);
  return 0;
}

int Remove(const ClientFlags& f, const std::string& name) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  // The name travels in the path: only the characters a volume name may hold.
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return FailWith(InvalidArgument("'" + name + "' is not a volume name"));
    }
  }
  auto removed = (*client)->Delete("/v1/volumes/" + name);
  if (!removed.ok()) return FailWith(removed.status(), client->get());
  if (f.output == "json") {
    std::cout << removed->dump(2) << "\n";
    return 0;
  }
  std::cout << "volume " << name << " removed, with its data\n";
  if (removed->contains("claims_left") && (*removed)["claims_left"].is_array()) {
    for (const auto& c : (*removed)["claims_left"]) {
      std::cout << "its claim " << FieldText(c, "claim") << " remains on " << FieldText(c, "cluster") << " ("
                << Bytes(c.value("requested_bytes", int64_t{0}))
                << ", with its data); delete it there with `kubectl delete pvc " << FieldText(c, "claim")
                << "`\n";
    }
  }
  return 0;
}

}  // namespace

void RegisterVolumeCommand(CLI::App& app, int* exit_code) {
  auto* volume =
      app.add_subcommand("volume", "named volumes of your tenant, mounted into jobs by `volumes:`");
  volume->require_subcommand(1);
  {
    auto* cmd = volume->add_subcommand("create", "create a volume");
    auto f = std::make_shared<ClientFlags>();
    auto name = std::make_shared<std::string>();
    auto size = std::make_shared<std::string>();
    cmd->add_option("name", *name, "the volume's name (a-z, 0-9, '-', '_', '.')")->required();
    cmd->add_option("--size", *size,
                    "its size limit, such as 10G (default: the server's storage.per_volume_bytes)");
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = Create(*f, *name, *size); });
  }
  {
    auto* cmd = volume->add_subcommand("ls", "list your tenant's volumes with what they hold");
    auto f = std::make_shared<ClientFlags>();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = List(*f); });
  }
  {
    auto* cmd = volume->add_subcommand("rm", "remove a volume and its data");
    auto f = std::make_shared<ClientFlags>();
    auto name = std::make_shared<std::string>();
    cmd->add_option("name", *name, "the volume's name")->required();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = Remove(*f, *name); });
  }
}

}  // namespace skyrun

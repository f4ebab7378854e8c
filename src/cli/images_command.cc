// `skyrun image pull|ls|rm|prune`: the caller's tenant's container images in
// the server's image cache (the API's /v1/images routes,
// server/image_routes.h), as a table or JSON.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/client_flags.h"
#include "cli/commands.h"
#include "common/text_table.h"

namespace skyrun {

namespace {

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

std::string ShortDigest(const std::string& d) {
  return d.size() > 19 ? d.substr(0, 19) : d;
}

int PullCmd(const ClientFlags& f, const std::string& ref) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Post("/v1/images/pull", {{"ref", ref}});
  if (!got.ok()) return FailWith(got.status(), client->get());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  const auto& img = (*got)["image"];
  std::cout << "pulled " << FieldText(img, "ref") << " (" << FieldText(img, "digest") << ", "
            << Bytes(img.value("size_bytes", int64_t{0})) << "): fetched " << got->value("blobs_fetched", 0)
            << " blobs, " << Bytes(got->value("bytes_fetched", int64_t{0}));
  if (got->value("corrupt_blobs_refetched", 0) > 0)
    std::cout << "; " << got->value("corrupt_blobs_refetched", 0) << " corrupt cached blobs fetched again";
  std::cout << "\n";
  return 0;
}

int LsCmd(const ClientFlags& f) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Get("/v1/images");
  if (!got.ok()) return FailWith(got.status(), client->get());
  if (f.output == "json") {
    std::cout << got->dump(2) << "\n";
    return 0;
  }
  Table t({"IMAGE", "DIGEST", "SIZE", "LAYERS"});
  for (const auto& i : (*got)["images"]) {
    t.AddRow({FieldText(i, "ref"), ShortDigest(FieldText(i, "digest")),
              Bytes(i.value("size_bytes", int64_t{0})), std::to_string(i.value("layers", 0))});
  }
  for (const auto& p : (*got)["pulling"]) {
    t.AddRow({FieldText(p, "ref"), "(pulling)",
              Bytes(p.value("bytes_done", int64_t{0})) + " of " + Bytes(p.value("bytes_total", int64_t{0})),
              std::to_string(p.value("layers_done", 0)) + "/" + std::to_string(p.value("layers_total", 0))});
  }
  t.Print(std::cout);
  return 0;
}

int RmCmd(const ClientFlags& f, const std::string& ref) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Post("/v1/images/rm", {{"ref", ref}});
  if (!got.ok()) return FailWith(got.status(), client->get());
  std::cout << "removed " << ref << "\n";
  return 0;
}

int PruneCmd(const ClientFlags& f) {
  auto client = ApiClient::Create(f.client);
  if (!client.ok()) return FailWith(client.status());
  auto got = (*client)->Post("/v1/images/prune", nlohmann::json::object());
  if (!got.ok()) return FailWith(got.status(), client->get());
  for (const auto& r : (*got)["removed"]) std::cout << "removed " << r.get<std::string>() << "\n";
  if ((*got)["removed"].empty()) std::cout << "no images to remove\n";
  return 0;
}

}  // namespace

void RegisterImageCommand(CLI::App& app, int* exit_code) {
  auto* image = app.add_subcommand("image", "container images in the server's cache (local backend)");
  image->require_subcommand(1);
  {
    auto* cmd =
        image->add_subcommand("pull", "pull an image into the cache now (jobs pull theirs when launched)");
    auto f = std::make_shared<ClientFlags>();
    auto ref = std::make_shared<std::string>();
    cmd->add_option("REF", *ref, "host[:port]/repo[:tag|@sha256:...]")->required();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = PullCmd(*f, *ref); });
  }
  {
    auto* cmd = image->add_subcommand("ls", "your tenant's images and pulls in progress");
    auto f = std::make_shared<ClientFlags>();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = LsCmd(*f); });
  }
  {
    auto* cmd = image->add_subcommand("rm", "remove one of your tenant's images");
    auto f = std::make_shared<ClientFlags>();
    auto ref = std::make_shared<std::string>();
    cmd->add_option("REF", *ref, "the image, as `skyrun image ls` shows it")->required();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = RmCmd(*f, *ref); });
  }
  {
    auto* cmd = image->add_subcommand("prune", "remove all of your tenant's images");
    auto f = std::make_shared<ClientFlags>();
    AddClientFlags(cmd, f.get());
    cmd->callback([=] { *exit_code = PruneCmd(*f); });
  }
}

}  // namespace skyrun

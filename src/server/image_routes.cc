#include "server/image_routes.h"

namespace skyrun {

using nlohmann::json;

namespace {

json RecordToJson(const image::ImageRecord& r) {
  return json{{"ref", r.ref},
              {"digest", r.digest},
              {"size_bytes", r.size_bytes},
              {"layers", r.blobs.empty() ? 0 : r.blobs.size() - 1},
              {"config",
               {{"env", r.config.env},
                {"working_dir", r.config.working_dir},
                {"entrypoint", r.config.entrypoint},
                {"cmd", r.config.cmd},
                {"user", r.config.user}}}};
}

}  // namespace

Result<std::string> ParseImageRefBody(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("expected a JSON object {\"ref\": IMAGE}");
  for (const auto& [key, value] : j.items()) {
    if (key != "ref")
      return InvalidArgument("unknown field '" + key.substr(0, 64) + "'; expected only \"ref\"");
  }
  if (!j.contains("ref") || !j["ref"].is_string() || j["ref"].get<std::string>().empty()) {
    return InvalidArgument("\"ref\" must be an image reference such as registry.example.org/ml/py:3.11");
  }
  return j["ref"].get<std::string>();
}

json PullResultToJson(const image::PullResult& pulled) {
  return json{
      {"image", RecordToJson(pulled.image)},   {"blobs_fetched", pulled.blobs_fetched},
      {"bytes_fetched", pulled.bytes_fetched}, {"corrupt_blobs_refetched", pulled.corrupt_blobs_refetched},
      {"unpacked", pulled.unpacked},           {"joined", pulled.joined}};
}

json ImagesToJson(const image::ImageManager& images, const std::string& tenant) {
  json list = json::array();
  for (const image::ImageRecord& r : images.List(tenant)) list.push_back(RecordToJson(r));
  json pulling = json::array();
  for (const image::PullProgress& p : images.Pulling(tenant)) {
    pulling.push_back(json{{"ref", p.ref},
                           {"layers_done", p.layers_done},
                           {"layers_total", p.layers_total},
                           {"bytes_done", p.bytes_done},
                           {"bytes_total", p.bytes_total}});
  }
  return json{{"images", list}, {"pulling", pulling}};
}

}  // namespace skyrun

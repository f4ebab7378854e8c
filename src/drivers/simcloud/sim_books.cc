#include "drivers/simcloud/sim_books.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "nlohmann/json.hpp"

namespace skyrun {

namespace {

using nlohmann::json;

constexpr int kBooksVersion = 1;

json OfferJson(const Offer& o) {
  json j = {{"provider", o.provider},
            {"region", o.region},
            {"zone", o.zone},
            {"instance_type", o.instance_type},
            {"accelerator", o.accelerator},
            {"accelerator_count", o.accelerator_count},
            {"gpu_memory_mib", o.gpu_memory_mib},
            {"cpus_milli", o.cpus.raw()},
            {"memory_mib", o.memory.raw()},
            {"price", o.price},
            {"spot_only", o.spot_only}};
  j["spot_price"] = o.spot_price ? json(*o.spot_price) : json();
  return j;
}

Offer OfferFrom(const json& j) {
  Offer o;
  o.provider = j.at("provider").get<std::string>();
  o.region = j.at("region").get<std::string>();
  o.zone = j.at("zone").get<std::string>();
  o.instance_type = j.at("instance_type").get<std::string>();
  o.accelerator = j.at("accelerator").get<std::string>();
  o.accelerator_count = j.at("accelerator_count").get<int>();
  o.gpu_memory_mib = j.at("gpu_memory_mib").get<int64_t>();
  o.cpus = MilliCpu(j.at("cpus_milli").get<int64_t>());
  o.memory = MemoryMiB(j.at("memory_mib").get<int64_t>());
  o.price = j.at("price").get<double>();
  o.spot_only = j.at("spot_only").get<bool>();
  if (!j.at("spot_price").is_null()) o.spot_price = j.at("spot_price").get<double>();
  return o;
}

InstanceState StateFrom(int value) {
  if (value < static_cast<int>(InstanceState::kLaunching) ||
      value > static_cast<int>(InstanceState::kTerminated))
    throw std::out_of_range("instance state " + std::to_string(value));
  return static_cast<InstanceState>(value);
}

CapacityEventKind KindFrom(int value) {
  if (value < static_cast<int>(CapacityEventKind::kReady) ||
      value > static_cast<int>(CapacityEventKind::kPriceChange))
    throw std::out_of_range("event kind " + std::to_string(value));
  return static_cast<CapacityEventKind>(value);
}

}  // namespace

std::string SimBooksToJson(const SimBooks& books) {
  json held = json::array();
  for (const SimHeldInstance& h : books.held) {
    const Instance& in = h.inst;
    held.push_back({{"id", in.id},
                    {"offer", OfferJson(in.offer)},
                    {"spot", in.spot},
                    {"job_id", in.job_id.value()},
                    {"state", static_cast<int>(in.state)},
                    {"requested_at", in.requested_at},
                    {"ready_at", in.ready_at},
                    {"notice_at", in.notice_at},
                    {"preempt_at", in.preempt_at},
                    {"ended_at", in.ended_at},
                    {"ready_logged", h.ready_logged},
                    {"notice_logged", h.notice_logged},
                    {"end_logged", h.end_logged}});
  }
  json events = json::array();
  for (const CapacityEvent& e : books.events) {
    events.push_back({{"seq", e.seq},
                      {"time", e.time},
                      {"kind", static_cast<int>(e.kind)},
                      {"instance_id", e.instance_id},
                      {"detail", e.detail}});
  }
  json logged = json::array();
  for (bool b : books.price_points_logged) logged.push_back(b);
  return json{{"version", kBooksVersion}, {"start", books.start},       {"held", held},
              {"events", events},         {"refusals", books.refusals}, {"price_points_logged", logged}}
      .dump();
}

Result<SimBooks> SimBooksFromJson(const std::string& text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return InvalidArgument("simcloud books: not a JSON object");
  SimBooks books;
  try {
    if (j.at("version").get<int>() != kBooksVersion)
      return InvalidArgument("simcloud books: version " + j.at("version").dump() + ", expected " +
                             std::to_string(kBooksVersion));
    books.start = j.at("start").get<Micros>();
    for (const json& h : j.at("held")) {
      SimHeldInstance held;
      Instance& in = held.inst;
      in.id = h.at("id").get<std::string>();
      in.offer = OfferFrom(h.at("offer"));
      in.spot = h.at("spot").get<bool>();
      in.job_id = JobId(h.at("job_id").get<int64_t>());
      in.state = StateFrom(h.at("state").get<int>());
      in.requested_at = h.at("requested_at").get<Micros>();
      in.ready_at = h.at("ready_at").get<Micros>();
      in.notice_at = h.at("notice_at").get<Micros>();
      in.preempt_at = h.at("preempt_at").get<Micros>();
      in.ended_at = h.at("ended_at").get<Micros>();
      held.ready_logged = h.at("ready_logged").get<bool>();
      held.notice_logged = h.at("notice_logged").get<bool>();
      held.end_logged = h.at("end_logged").get<bool>();
      books.held.push_back(std::move(held));
    }
    for (const json& e : j.at("events")) {
      CapacityEvent event;
      event.seq = e.at("seq").get<int64_t>();
      event.time = e.at("time").get<Micros>();
      event.kind = KindFrom(e.at("kind").get<int>());
      event.instance_id = e.at("instance_id").get<std::string>();
      event.detail = e.at("detail").get<std::string>();
      if (event.seq != static_cast<int64_t>(books.events.size()) + 1)
        return InvalidArgument("simcloud books: event " + std::to_string(event.seq) + " out of order");
      books.events.push_back(std::move(event));
    }
    books.refusals = j.at("refusals").get<std::vector<int64_t>>();
    books.price_points_logged = j.at("price_points_logged").get<std::vector<bool>>();
  } catch (const json::exception& e) {
    return InvalidArgument(std::string("simcloud books: ") + e.what());
  } catch (const std::out_of_range& e) {
    return InvalidArgument(std::string("simcloud books: ") + e.what());
  }
  return books;
}

Status SaveSimBooks(const std::string& path, const SimBooks& books) {
  std::error_code ec;
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write simcloud books " + tmp);
  const std::string content = SimBooksToJson(books);
  size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  bool ok = written == content.size() && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return Internal("cannot write simcloud books " + path);
  return Status::Ok();
}

Result<std::optional<SimBooks>> LoadSimBooks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) return std::optional<SimBooks>();
    return Internal("cannot read simcloud books " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  auto books = SimBooksFromJson(text.str());
  if (!books.ok()) return books.status().WithContext(path);
  return std::optional<SimBooks>(std::move(books).value());
}

}  // namespace skyrun

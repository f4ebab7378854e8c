#include "server/server.h"

#include <fcntl.h>
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string_view>

#include "api/api.h"
#include "catalog/cluster_offers.h"
#include "catalog/directory.h"
#include "catalog/offers_cli.h"
#include "common/strings.h"
#include "common/text.h"
#include "partition/bert.h"
#include "partition/partition.h"
#include "partition/profile_csv.h"
#include "server/auth.h"
#include "server/budget_routes.h"
#include "server/cost_routes.h"
#include "server/http_server.h"
#include "server/image_routes.h"
#include "server/job_shapes.h"
#include "server/log_follower.h"
#include "server/metrics.h"
#include "server/partition_runner.h"
#include "server/tenant_slots.h"
#include "server/token_admin.h"
#include "server/upload_routes.h"
#include "server/volume_routes.h"
#include "spec/sbatch_array.h"
#include "uploads/upload_store.h"

namespace skyrun {

using nlohmann::json;

class ApiServer::Routes {
 public:
  explicit Routes(ApiServer* owner)
      : o_(owner),
        auth_(owner->store_, owner->clock_),
        follows_(owner->options_.max_follows_per_tenant),
        partitions_(PartitionLimits{.timeout_seconds = owner->options_.partition_timeout_seconds}),
        shapes_(owner->decoder_) {}

  // Stops what outlives a request: running partitions.
  void Shutdown() { partitions_.CancelAll(); }

  // True for a request head that opens a long-lived stream: a job's logs,
  // followed or read whole (a 200 MB log to a slow reader takes long too).
  static bool IsStream(std::string_view head) {
    std::string_view line = head.substr(0, head.find("\r\n"));
    if (line.substr(0, 13) != "GET /v1/jobs/") return false;
    std::string_view path = line.substr(4, line.find_first_of("? ", 4) - 4);
    return path.size() > 5 && path.substr(path.size() - 5) == "/logs";
  }

  void Install(httplib::Server& http) {
    // Bodies: 2 MiB, uploads their own limit (uploads.max_bytes); CheckBodyLimits
    // and RefuseOversizedBody answer 413 before the body is read.
    const int64_t upload_max = o_->options_.uploads ? o_->options_.uploads->limits().max_bytes : 0;
    http.set_payload_max_length(static_cast<size_t>(std::max<int64_t>(api::kMaxBodyBytes, upload_max)) + 1);
    http.set_pre_routing_handler([upload_max](const httplib::Request& req, httplib::Response& res) {
      if (upload_max > 0 && req.path.rfind("/v1/uploads/", 0) == 0) {
        return RefuseOversizedBody(req, res, upload_max) ? httplib::Server::HandlerResponse::Handled
                                                         : httplib::Server::HandlerResponse::Unhandled;
      }
      return CheckBodyLimits(req, res);
    });
    http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"ok"})", "application/json");
    });
    Route(http, "GET", "/metrics", [this](auto& req, auto& res, auto& who) { Metrics(req, res, who); });
    Route(http, "GET", "/v1/whoami", [this](auto& req, auto& res, auto& who) { WhoAmI(req, res, who); });
    Route(http, "POST", "/v1/jobs", [this](auto& req, auto& res, auto& who) { Submit(req, res, who); });
    if (o_->options_.uploads) {
      // GET also answers HEAD (httplib routes HEAD to GET handlers, without the body).
      Route(http, "PUT", R"(/v1/uploads/([0-9a-f]{64}))",
            [this](auto& req, auto& res, auto& who) { PutUpload(*o_->options_.uploads, who, req, res); });
      Route(http, "GET", R"(/v1/uploads/([0-9a-f]{64}))",
            [this](auto& req, auto& res, auto& who) { GetUpload(*o_->options_.uploads, who, req, res); });
    }
    Route(http, "GET", "/v1/jobs", [this](auto& req, auto& res, auto& who) { ListJobs(req, res, who); });
    Route(http, "GET", R"(/v1/jobs/(\d+))",
          [this](auto& req, auto& res, auto& who) { GetJob(req, res, who); });
    Route(http, "POST", R"(/v1/jobs/(\d+)/cancel)",
          [this](auto& req, auto& res, auto& who) { Cancel(req, res, who); });
    Route(http, "GET", R"(/v1/jobs/(\d+)/attempts)",
          [this](auto& req, auto& res, auto& who) { Attempts(req, res, who); });
    Route(http, "GET", R"(/v1/jobs/(\d+)/events)",
          [this](auto& req, auto& res, auto& who) { Events(req, res, who); });
    Route(http, "GET", R"(/v1/jobs/(\d+)/logs)",
          [this](auto& req, auto& res, auto& who) { Logs(req, res, who); });
    Route(http, "GET", "/v1/nodes", [this](auto& req, auto& res, auto& who) { Nodes(req, res, who); });
    Route(http, "GET", "/v1/cost-report", [this](auto& req, auto& res, auto& who) {
      std::map<std::string, std::string> params;
      for (const auto& [key, value] : req.params) {
        if (!params.emplace(key, value).second)
          return Error(res, InvalidArgument("?" + key + "= is given twice"));
      }
      auto report = CostReportAs(*o_->store_, who, params, o_->clock_->Now());
      report.ok() ? Json(res, *report) : Error(res, report.status());
    });
    Route(http, "GET", "/v1/budgets", [this](auto& req, auto& res, auto& who) {
      if (!req.params.empty())
        return Error(res, InvalidArgument("GET /v1/budgets takes no query parameters"));
      auto budgets = BudgetsAs(*o_->store_, who, o_->options_.budgets, o_->clock_->Now());
      budgets.ok() ? Json(res, *budgets) : Error(res, budgets.status());
    });
    Route(http, "PUT", "/v1/budgets", [this](auto& req, auto& res, auto& who) {
      if (!req.params.empty())
        return Error(res, InvalidArgument("PUT /v1/budgets takes no query parameters"));
      auto budgets = ReplaceBudgetsAs(*o_->store_, who, o_->options_.budgets, req.body, o_->clock_->Now());
      if (!budgets.ok()) return Error(res, budgets.status());
      o_->controller_->NotifyBudgetsChanged();  // held jobs are checked again at once
      Json(res, *budgets);
    });
    if (o_->options_.images) InstallImages(http, *o_->options_.images);
    if (o_->options_.volumes) {
      storage::VolumeStore& volumes = *o_->options_.volumes;
      Route(http, "GET", "/v1/volumes", [this, &volumes](auto&, auto& res, auto& who) {
        auto listed = ListVolumesAs(volumes, who);
        listed.ok() ? Json(res, *listed) : Error(res, listed.status());
      });
      Route(http, "POST", "/v1/volumes", [this, &volumes](auto& req, auto& res, auto& who) {
        auto made = CreateVolumeAs(volumes, who, req.body);
        made.ok() ? Json(res, *made, 201) : Error(res, made.status());
      });
      Route(http, "DELETE", R"(/v1/volumes/([^/]+))", [this, &volumes](auto& req, auto& res, auto& who) {
        auto removed = RemoveVolumeAs(volumes, who, req.matches[1].str());
        removed.ok() ? Json(res, *removed) : Error(res, removed.status());
      });
    }
    Route(http, "POST", "/v1/partition",
          [this](auto& req, auto& res, auto& who) { PartitionModel(req, res, who); });
    if (o_->options_.directory) {
      Route(http, "PUT", R"(/v1/directory/([^/]+)/([^/]+))",
            [this](auto& req, auto& res, auto& who) { PutDirectory(req, res, who); });
      Route(http, "GET", "/v1/directory",
            [this](auto& req, auto& res, auto& who) { GetDirectory(req, res, who); });
    }
    if (o_->options_.catalog) {
      Route(http, "GET", "/v1/offers", [this](auto& req, auto& res, auto& who) { Offers(req, res, who); });
    }
    Route(http, "POST", "/v1/admin/tenants",
          [this](auto& req, auto& res, auto& who) { CreateTenant(req, res, who); });
    Route(http, "GET", "/v1/admin/tenants",
          [this](auto& req, auto& res, auto& who) { ListTenants(req, res, who); });
    Route(http, "POST", "/v1/admin/tokens",
          [this](auto& req, auto& res, auto& who) { CreateToken(req, res, who); });
    Route(http, "GET", "/v1/admin/tokens", [this](auto& req, auto& res, auto& who) {
      auto listed = ListTokensAs(*o_->store_, who, req.get_param_value("tenant"), o_->clock_->Now());
      listed.ok() ? Json(res, *listed) : Error(res, listed.status());
    });
    Route(http, "POST", R"(/v1/admin/tokens/(\d+)/revoke)", [this](auto& req, auto& res, auto& who) {
      auto revoked = RevokeTokenAs(*o_->store_, who, req.matches[1].str(), o_->clock_->Now());
      revoked.ok() ? Json(res, *revoked) : Error(res, revoked.status());
    });
    http.set_error_handler(
        [this](const httplib::Request& req, httplib::Response& res) { ErrorBody(req, res); });
    http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "internal error";
      try {
        if (ep) std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = std::string("internal error: ") + e.what();
      } catch (...) {
      }
      res.status = 500;
      res.set_content(api::ErrorJson(Internal(what)).dump(), "application/json");
    });
  }

  ApiMetrics& metrics() { return metrics_; }

 private:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&, const TokenRecord&)>;

  // Refuses a body before it is read: too large (413) or of unknown length
  // (411). The connection is closed after the answer, as the body is unread.
  static httplib::Server::HandlerResponse CheckBodyLimits(const httplib::Request& req,
                                                          httplib::Response& res) {
    bool has_length = req.has_header("Content-Length");
    if (has_length) {
      auto length = ParseInt64(req.get_header_value("Content-Length"));
      if (!length || *length < 0 || static_cast<uint64_t>(*length) > api::kMaxBodyBytes) {
        res.status = 413;
        res.set_header("Connection", "close");
        res.set_content(
            api::ErrorJson(InvalidArgument("body is larger than " + std::to_string(api::kMaxBodyBytes >> 20) +
                                           " MiB (the limit of a request body)"))
                .dump(),
            "application/json");
        return httplib::Server::HandlerResponse::Handled;
      }
    } else if (req.has_header("Transfer-Encoding")) {
      res.status = 411;
      res.set_header("Connection", "close");
      res.set_content(api::ErrorJson(InvalidArgument("a request body needs a Content-Length header (chunked "
                                                     "request bodies are not accepted)"))
                          .dump(),
                      "application/json");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // The body of an answer no handler wrote: 405 (with Allow) for a known
  // path asked with another method, else a message for the status.
  void ErrorBody(const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) {
      std::string allow;
      for (const auto& [method, pattern] : routes_) {
        if (std::regex_match(req.path, pattern) && allow.find(method) == std::string::npos)
          allow += (allow.empty() ? "" : ", ") + method;
      }
      if (!allow.empty()) {
        res.status = 405;
        res.set_header("Allow", allow);
        res.set_content(api::ErrorJson(InvalidArgument(req.method + " is not allowed on " + req.path +
                                                       "; allowed: " + allow))
                            .dump(),
                        "application/json");
        return;
      }
    }
    Status s = res.status == 404 ? NotFound("no route for " + req.method + " " + req.path)
                                 : Status(StatusCode::kInvalidArgument,
                                          "request failed with HTTP " + std::to_string(res.status));
    res.set_content(api::ErrorJson(s).dump(), "application/json");
  }

  // server/image_routes.h. A pull runs in the request (minutes for a large
  // image), on one of the request threads.
  void InstallImages(httplib::Server& http, image::ImageManager& images) {
    Route(http, "POST", "/v1/images/pull", [this, &images](auto& req, auto& res, auto& who) {
      if (!CanWrite(who)) return Error(res, PermissionDenied("a read-only token cannot pull images"));
      auto ref = ParseImageRefBody(req.body);
      if (!ref.ok()) return Error(res, ref.status());
      auto pulled = images.Pull(*ref, who.tenant_name);
      pulled.ok() ? Json(res, PullResultToJson(*pulled)) : Error(res, pulled.status());
    });
    Route(http, "GET", "/v1/images",
          [&images](auto&, auto& res, auto& who) { Json(res, ImagesToJson(images, who.tenant_name)); });
    Route(http, "POST", "/v1/images/rm", [this, &images](auto& req, auto& res, auto& who) {
      if (!CanWrite(who)) return Error(res, PermissionDenied("a read-only token cannot remove images"));
      auto ref = ParseImageRefBody(req.body);
      if (!ref.ok()) return Error(res, ref.status());
      Status removed = images.Remove(*ref, who.tenant_name);
      removed.ok() ? Json(res, {{"removed", *ref}}) : Error(res, removed);
    });
    Route(http, "POST", "/v1/images/prune", [this, &images](auto&, auto& res, auto& who) {
      if (!CanWrite(who)) return Error(res, PermissionDenied("a read-only token cannot remove images"));
      auto pruned = images.Prune(who.tenant_name);
      pruned.ok() ? Json(res, {{"removed", *pruned}}) : Error(res, pruned.status());
    });
  }

  static void ErrorWithHttpStatus(httplib::Response& res, int http_status, const Status& s) {
    res.status = http_status;
    res.set_content(api::ErrorJson(s).dump(), "application/json");
  }

  // Authenticates, times and guards every handler.
  void Route(httplib::Server& http, const std::string& method, const std::string& pattern, Handler h) {
    routes_.emplace_back(method, std::regex(pattern));
    auto wrapped = [this, h, method, pattern](const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      auto who = auth_.Authenticate(req.get_header_value("Authorization"));
      if (!who.ok()) {
        Error(res, who.status());
        res.set_header("WWW-Authenticate", "Bearer");
      } else {
        h(req, res, *who);
      }
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      metrics_.ObserveRequest(method + " " + pattern, res.status, secs);
    };
    if (method == "GET")
      http.Get(pattern, wrapped);
    else if (method == "POST")
      http.Post(pattern, wrapped);
    else if (method == "PUT")
      http.Put(pattern, wrapped);
    else if (method == "DELETE")
      http.Delete(pattern, wrapped);
  }

  static void Error(httplib::Response& res, const Status& s, const json& problems = json()) {
    res.status = api::HttpStatusFor(s.code());
    // Messages may quote a caller's text: never let a byte that is not UTF-8 throw here.
    res.set_content(api::ErrorJson(s, problems).dump(-1, ' ', false, json::error_handler_t::replace),
                    "application/json");
  }
  static void Json(httplib::Response& res, const json& j, int status = 200) {
    res.status = status;
    res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
  }
  static bool CanWrite(const TokenRecord& who) {
    return who.role == AccessRole::kAdmin || who.role == AccessRole::kMember;
  }

  // The job if this token's tenant may see it; another tenant's job is 404.
  Result<JobRecord> VisibleJob(const httplib::Request& req, const TokenRecord& who) {
    auto id = ParseInt64(req.matches[1].str());
    Status not_found = NotFound("job " + req.matches[1].str() + " not found");
    if (!id) return not_found;
    auto job = o_->store_->GetJob(JobId(*id));
    if (!job.ok()) return job.status().code() == StatusCode::kNotFound ? not_found : job.status();
    if (job->tenant != who.tenant && !IsPlatformAdmin(who)) return not_found;
    return job;
  }

  // What the listings show of the spec (mode, task count), parsed once per job.
  JobRecord WithSpec(JobRecord job) {
    shapes_.Fill(job);
    return job;
  }

  // The partitioner as a service: the same report as `skyrun partition -o json`,
  // bounded in size and time (PartitionRunner).
  void PartitionModel(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto body = api::ParsePartitionRequest(req.body);
    if (!body.ok()) return Error(res, body.status());
    Result<partition::ModelProfile> model = [&]() -> Result<partition::ModelProfile> {
      if (!body->profile_csv.empty()) return partition::ParseModelCsv(body->profile_csv, "profile_csv");
      SKYRUN_ASSIGN_OR_RETURN(partition::BertConfig config, partition::BuiltinBertConfig(body->model));
      if (body->layers) config.layers = *body->layers;
      return partition::BertProfile(config);
    }();
    if (!model.ok()) return Error(res, model.status());
    std::optional<int64_t> ref;
    if (body->ref_tflops) ref = static_cast<int64_t>(std::llround(*body->ref_tflops * 1e12));
    auto devices = partition::ParseDevicesCsv(body->devices_csv, "devices_csv", ref);
    if (!devices.ok()) return Error(res, devices.status());
    if (!body->links_csv.empty()) {
      Status links = partition::ParseLinksCsv(body->links_csv, "links_csv", &*devices);
      if (!links.ok()) return Error(res, links);
    }
    partition::PartitionOptions options;
    if (!body->algorithms.empty()) options.algorithms = body->algorithms;
    options.micro_batches = body->micro_batches;
    PartitionOutcome outcome = partitions_.Run(who.tenant_name, *model, *devices, options);
    Json(res, outcome.body, outcome.http_status);
  }

  void WhoAmI(const httplib::Request&, httplib::Response& res, const TokenRecord& who) {
    Json(res, {{"tenant", who.tenant_name}, {"role", RoleName(who.role)}, {"token_id", who.id.value()}});
  }

  void Submit(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    if (!CanWrite(who))
      return Error(res,
                   PermissionDenied(std::string("a ") + RoleName(who.role) + " token cannot submit jobs"));
    auto body = api::ParseSubmitRequest(req.body);
    if (!body.ok()) return Error(res, body.status());
    auto spec = o_->decoder_(body->spec_yaml, body->file);
    if (!spec.ok()) {
      // The decoder puts the full problem list in the message, one per line.
      json problems = json::array();
      for (const auto& line : Split(spec.status().message(), '\n'))
        if (!line.empty()) problems.push_back(line);
      return Error(res,
                   InvalidArgument("the job spec has " + std::to_string(problems.size()) + " problem(s)"),
                   problems);
    }
    if (spec->array.task_id >= 0) {
      return Error(
          res, InvalidArgument("the script's last line starting '" + std::string(Trim(kArrayElementMarker)) +
                               "' is written by the server for each job of an array; remove it"));
    }
    // The spec's files come only from the job's upload or the declared server
    // paths; the upload is pinned (its mutex held) until the job is stored.
    std::unique_lock<std::mutex> pin;
    if (!body->upload.empty() && o_->options_.uploads) pin = std::unique_lock(o_->options_.uploads->mu());
    auto path_problems = BindUpload(o_->options_.uploads, o_->options_.server_paths, who.tenant, body->upload,
                                    body->spec_yaml, body->file, &*spec);
    if (!path_problems.empty()) {
      json problems = json::array();
      for (const auto& p : path_problems) problems.push_back(p);
      return Error(res,
                   InvalidArgument("the job spec has " + std::to_string(problems.size()) + " problem(s)"),
                   problems);
    }
    if (Status volumes = CheckSpecVolumes(o_->options_.volumes, *spec, who.tenant_name); !volumes.ok()) {
      return Error(res, volumes);
    }
    Status feasible = o_->controller_->CheckSubmission(*spec, who.tenant_name);
    if (!feasible.ok()) return Error(res, feasible);
    if (o_->options_.budgets.book) {
      std::vector<Node> nodes;
      for (NodeView& v : o_->controller_->Nodes()) nodes.push_back(std::move(v.node));
      Status affordable = CheckBudgetAdmission(*o_->store_, o_->options_.budgets, *spec, who.tenant_name,
                                               nodes, o_->clock_->Now());
      if (!affordable.ok()) return Error(res, affordable);
    }
    if (pin.owns_lock()) {
      if (Status claimed = o_->options_.uploads->Claim(who.tenant, body->upload); !claimed.ok())
        return Error(res, claimed);
    }
    JobRecord rec;
    rec.tenant = who.tenant;
    rec.tenant_name = who.tenant_name;
    rec.name = spec->name;
    rec.queue = spec->queue;
    rec.priority = spec->priority;
    rec.spec_yaml = body->spec_yaml;
    rec.spec_file = body->file;
    rec.upload = body->upload;
    rec.spec = *spec;
    if (spec->array.present()) return SubmitArray(res, std::move(rec));
    auto id = o_->store_->CreateJob(rec);
    if (!id.ok()) return Error(res, id.status());
    shapes_.Remember(*id, *spec);
    o_->controller_->NotifySubmitted(*id);
    rec.id = *id;
    rec.state = JobState::kSubmitted;
    rec.submitted_at = o_->clock_->Now();
    Json(res, {{"id", id->value()}, {"job", api::JobToJson(rec)}}, 201);
  }

  // A job array (sbatch --array): one job per index, named NAME_[i], each
  // stored with its index (spec/sbatch_array.h); the first element's id is
  // the array's (SLURM_ARRAY_JOB_ID), and the controller holds the %N limit.
  void SubmitArray(httplib::Response& res, JobRecord base) {
    const std::string script = base.spec_yaml;
    const JobSpec whole = base.spec;
    json ids = json::array();
    json first_job;
    int64_t first = 0;
    for (int index : whole.array.indices) {
      JobRecord rec = base;
      rec.name = ArrayElementName(whole.name, index);
      rec.spec_yaml = ArrayElementText(script, index, first);
      rec.spec.array.task_id = index;
      rec.spec.array.array_job_id = first;
      auto id = o_->store_->CreateJob(rec);
      if (!id.ok()) {
        // The elements stored so far stay (each is a job of its own); say which.
        return Error(res, Status(id.status().code(), id.status().message() + " (after storing " +
                                                         std::to_string(ids.size()) +
                                                         " job(s) of the array: " + ids.dump() + ")"));
      }
      shapes_.Remember(*id, rec.spec);
      o_->controller_->NotifySubmitted(*id);
      ids.push_back(id->value());
      if (first == 0) {
        first = id->value();
        rec.id = *id;
        rec.state = JobState::kSubmitted;
        rec.submitted_at = o_->clock_->Now();
        first_job = api::JobToJson(rec);
      }
    }
    json array = {{"array_job_id", first}, {"jobs", ids}, {"limit", whole.array.limit}};
    Json(res, {{"id", first}, {"job", first_job}, {"array", array}}, 201);
  }

  void ListJobs(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    JobFilter filter;
    bool all_tenants = req.get_param_value("all_tenants") == "true" && IsPlatformAdmin(who);
    if (!all_tenants) filter.tenant = who.tenant;
    if (req.has_param("state")) {
      for (const auto& s : Split(req.get_param_value("state"), ',')) {
        auto st = ParseJobState(Trim(s));
        if (!st) return Error(res, InvalidArgument("unknown state '" + s + "' in ?state="));
        filter.states.push_back(*st);
      }
    }
    if (req.get_param_value("live") == "true") filter.live_only = true;
    if (req.has_param("limit")) {
      auto n = ParseInt64(req.get_param_value("limit"));
      if (!n || *n < 0 || *n > 100000) return Error(res, InvalidArgument("?limit= must be 0..100000"));
      filter.limit = static_cast<int>(*n);
    }
    auto jobs = o_->store_->ListJobs(filter);
    if (!jobs.ok()) return Error(res, jobs.status());
    json out = json::array();
    for (auto& j : *jobs) {
      JobRecord full = WithSpec(std::move(j));
      out.push_back(api::JobToJson(full, o_->controller_->PendingReason(full.id)));
    }
    Json(res, {{"jobs", out}});
  }

  void GetJob(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto job = VisibleJob(req, who);
    if (!job.ok()) return Error(res, job.status());
    JobRecord full = WithSpec(std::move(job).value());
    json j = api::JobToJson(full, o_->controller_->PendingReason(full.id));
    auto attempts = o_->store_->ListAttempts(full.id);
    json arr = json::array();
    if (attempts.ok())
      for (const auto& a : *attempts) arr.push_back(api::AttemptToJson(a));
    j["attempts"] = arr;
    auto events = o_->store_->ListEvents(full.id);
    json ev = json::array();
    if (events.ok())
      for (const auto& e : *events) ev.push_back(api::EventToJson(e));
    j["events"] = ev;
    auto tries = o_->store_->ListProvisionTries(full.id);
    json pt = json::array();
    if (tries.ok())
      for (const auto& t : *tries) pt.push_back(api::ProvisionTryToJson(t));
    j["provision_tries"] = pt;
    Json(res, j);
  }

  void Cancel(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto job = VisibleJob(req, who);
    if (!job.ok()) return Error(res, job.status());
    if (!CanWrite(who))
      return Error(res,
                   PermissionDenied(std::string("a ") + RoleName(who.role) + " token cannot cancel jobs"));
    if (IsTerminal(job->state)) {
      return Json(res, {{"id", job->id.value()},
                        {"state", JobStateName(job->state)},
                        {"message", std::string("job is already ") + JobStateName(job->state)}});
    }
    Status s = o_->store_->RequestCancel(job->id);
    if (!s.ok()) return Error(res, s);
    o_->controller_->NotifyCancel(job->id);
    Json(res, {{"id", job->id.value()}, {"state", JobStateName(job->state)}, {"message", "cancel requested"}},
         202);
  }

  void Attempts(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto job = VisibleJob(req, who);
    if (!job.ok()) return Error(res, job.status());
    auto attempts = o_->store_->ListAttempts(job->id);
    if (!attempts.ok()) return Error(res, attempts.status());
    json arr = json::array();
    for (const auto& a : *attempts) arr.push_back(api::AttemptToJson(a));
    Json(res, {{"attempts", arr}});
  }

  void Events(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto job = VisibleJob(req, who);
    if (!job.ok()) return Error(res, job.status());
    auto events = o_->store_->ListEvents(job->id);
    if (!events.ok()) return Error(res, events.status());
    json arr = json::array();
    for (const auto& e : *events) arr.push_back(api::EventToJson(e));
    Json(res, {{"events", arr}});
  }

  void Logs(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto job = VisibleJob(req, who);
    if (!job.ok()) return Error(res, job.status());
    LogQuery q;
    q.job = job->id;
    q.follow = req.get_param_value("follow") == "true" || req.get_param_value("follow") == "1";
    q.prefix = req.get_param_value("prefix") != "false";
    if (req.has_param("attempt")) {
      auto n = ParseInt64InRange(req.get_param_value("attempt"), 1, std::numeric_limits<int>::max());
      if (!n)
        return Error(res, InvalidArgument("?attempt= must be an attempt number between 1 and " +
                                          std::to_string(std::numeric_limits<int>::max())));
      q.attempt_no = static_cast<int>(*n);
    }
    if (req.has_param("rank")) {
      auto n = ParseInt64InRange(req.get_param_value("rank"), 0, std::numeric_limits<int>::max());
      if (!n)
        return Error(res, InvalidArgument("?rank= must be a rank number between 0 and " +
                                          std::to_string(std::numeric_limits<int>::max())));
      q.rank = static_cast<int>(*n);
    }
    if (Status s = ParseLogPosition(req, &q); !s.ok()) return Error(res, s);
    StreamLogs(res, who, q);
  }

  // ?offset= and ?tail=: where each rank's reading starts.
  static Status ParseLogPosition(const httplib::Request& req, LogQuery* q) {
    if (req.has_param("offset") && req.has_param("tail")) {
      return InvalidArgument("?offset= and ?tail= cannot be combined: give one");
    }
    if (req.has_param("offset")) {
      SKYRUN_ASSIGN_OR_RETURN(q->offsets, ParseLogOffsets(req.get_param_value("offset")));
    }
    if (req.has_param("tail")) {
      auto n = ParseInt64(req.get_param_value("tail"));
      if (!n || *n < 0) return InvalidArgument("?tail= must be a number of lines (0 or more)");
      q->tail_lines = *n;
    }
    return Status::Ok();
  }

  // Every byte, chunked, at most a chunk per rank in memory. Without follow
  // the answer covers each log up to its size now and says where to resume
  // (X-Skyrun-Next-Offset). Each stream holds one of the tenant's slots
  // until it ends, and ends when its client goes.
  void StreamLogs(httplib::Response& res, const TokenRecord& who, const LogQuery& q) {
    std::shared_ptr<void> slot = follows_.TryAcquire(who.tenant_name);
    if (!slot) {
      return ErrorWithHttpStatus(
          res, 429,
          ResourceExhausted("tenant '" + who.tenant_name + "' already has " +
                            std::to_string(follows_.per_tenant()) +
                            " log streams open (the limit, api.max_follows_per_tenant); "
                            "close one and retry"));
    }
    auto follower = std::make_shared<LogFollower>(o_->store_, o_->controller_, o_->clock_, q);
    if (Status s = follower->Open(); !s.ok()) return Error(res, s);
    if (!q.follow) {
      if (follower->attempt() > 0) res.set_header("X-Skyrun-Attempt", std::to_string(follower->attempt()));
      if (!follower->end_offsets().empty())
        res.set_header("X-Skyrun-Next-Offset", FormatLogOffsets(follower->end_offsets()));
    }
    res.set_chunked_content_provider("text/plain; charset=utf-8",
                                     [follower, slot](size_t, httplib::DataSink& sink) {
                                       // A client that left ends the stream (and frees its slot).
                                       if (!sink.is_writable()) return false;
                                       std::string chunk;
                                       bool more = follower->Next(&chunk);
                                       if (!chunk.empty() && !sink.write(chunk.data(), chunk.size()))
                                         return false;
                                       if (!more) sink.done();
                                       return true;
                                     });
  }

  void Nodes(const httplib::Request&, httplib::Response& res, const TokenRecord&) {
    json arr = json::array();
    for (const auto& v : o_->controller_->Nodes()) arr.push_back(api::NodeToJson(v.node, v.usage));
    Json(res, {{"nodes", arr}});
  }

  // GET /v1/offers?accelerator=A100:8&cloud=aws,gcp&region=R&spot=true&limit=N:
  // the catalog's offers and the registered clusters' live ones (their free
  // GPUs at the configured internal prices), cheapest first.
  void Offers(const httplib::Request& req, httplib::Response& res, const TokenRecord&) {
    catalog::OfferFilter filter;
    if (Status s = catalog::ParseAcceleratorArg(req.get_param_value("accelerator"), &filter); !s.ok()) {
      return Error(res, s.WithContext("accelerator"));
    }
    if (req.has_param("cloud")) {
      for (const std::string& c : Split(req.get_param_value("cloud"), ','))
        if (!c.empty()) filter.clouds.push_back(c);
    }
    filter.region = req.get_param_value("region");
    const std::string spot = req.get_param_value("spot");
    if (!spot.empty() && spot != "true" && spot != "false") {
      return Error(res, InvalidArgument("spot must be true or false, not '" + spot + "'"));
    }
    filter.spot = spot == "true";
    int64_t limit = 0;
    if (req.has_param("limit")) {
      auto parsed = ParseInt64InRange(req.get_param_value("limit"), 0, 1000000);
      if (!parsed) return Error(res, InvalidArgument("limit must be a whole number from 0 to 1000000"));
      limit = *parsed;
    }
    std::vector<Offer> offers = o_->options_.catalog->offers();
    std::map<std::string, std::vector<Node>> nodes_by_backend;
    std::map<std::string, NodeUsage> usage;
    for (const auto& v : o_->controller_->Nodes()) {
      nodes_by_backend[v.node.backend].push_back(v.node);
      usage[v.node.name] = v.usage;
    }
    for (const auto& [backend, nodes] : nodes_by_backend) {
      for (Offer& offer : catalog::ClusterOffers(nodes, usage)) offers.push_back(std::move(offer));
    }
    std::vector<Offer> selected = catalog::SelectOffers(offers, filter);
    if (limit > 0 && selected.size() > static_cast<size_t>(limit))
      selected.resize(static_cast<size_t>(limit));
    json arr = json::array();
    for (const Offer& offer : selected) arr.push_back(catalog::OfferToJson(offer));
    Json(res, {{"offers", arr}});
  }

  // PUT /v1/directory/{provider}/{region}: a platform admin, or a provider
  // token of the tenant named after the provider. The provider must be one
  // of the catalog's, and the region one of its regions.
  void PutDirectory(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    const std::string provider = req.matches[1].str();
    const std::string region = req.matches[2].str();
    const bool own = who.role == AccessRole::kProvider && who.tenant_name == provider;
    if (!IsPlatformAdmin(who) && !own) {
      return Error(res, PermissionDenied("only a platform admin or a provider token of tenant '" + provider +
                                         "' may write its directory entries (this token is a " +
                                         RoleName(who.role) + " of tenant '" + who.tenant_name + "')"));
    }
    auto entry = catalog::ParseDirectoryUpdate(req.body, provider, region);
    if (!entry.ok()) return Error(res, entry.status());
    if (const Catalog* known = o_->options_.catalog) {
      bool has_provider = false;
      bool has_region = known->FindRegion(provider, region) != nullptr;
      for (const Offer& offer : known->offers()) {
        has_provider = has_provider || offer.provider == provider;
        has_region = has_region || (offer.provider == provider && offer.region == region);
        if (has_provider && has_region) break;
      }
      if (!has_provider) return Error(res, NotFound("the catalog has no provider '" + provider + "'"));
      if (!has_region) {
        return Error(res,
                     NotFound("the catalog has no region '" + region + "' of provider '" + provider + "'"));
      }
    }
    entry->updated_at = o_->clock_->Now();
    entry->updated_by = who.tenant_name;
    catalog::Directory& directory = *o_->options_.directory;
    // Checked before the durable write, so that a full directory stores nothing.
    if (Status room = directory.CheckRoom(*entry); !room.ok()) return Error(res, room);
    const json body = catalog::DirectoryEntryToJson(*entry);
    Status stored = o_->store_->PutDirectoryRow(
        {provider, region, entry->zone, entry->instance_type, body.dump(), entry->updated_at});
    if (!stored.ok()) return Error(res, stored);
    if (Status put = directory.Put(*entry); !put.ok()) return Error(res, put);
    Json(res, body);
  }

  // GET /v1/directory[?provider=P]: every entry (any authenticated token).
  void GetDirectory(const httplib::Request& req, httplib::Response& res, const TokenRecord&) {
    const std::string provider = req.get_param_value("provider");
    json arr = json::array();
    for (const catalog::DirectoryEntry& e : o_->options_.directory->List()) {
      if (!provider.empty() && e.provider != provider) continue;
      arr.push_back(catalog::DirectoryEntryToJson(e));
    }
    Json(res, {{"entries", arr}});
  }

  void CreateTenant(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    if (!IsPlatformAdmin(who))
      return Error(res, PermissionDenied("only a platform admin can create tenants"));
    auto body = api::ParseTenantCreateRequest(req.body);
    if (!body.ok()) return Error(res, body.status());
    auto t = o_->store_->CreateTenant(body->name);
    if (!t.ok()) return Error(res, t.status());
    Json(res, {{"id", t->id.value()}, {"name", t->name}}, 201);
  }

  void ListTenants(const httplib::Request&, httplib::Response& res, const TokenRecord& who) {
    if (!IsPlatformAdmin(who)) return Error(res, PermissionDenied("only a platform admin can list tenants"));
    auto ts = o_->store_->ListTenants();
    if (!ts.ok()) return Error(res, ts.status());
    json arr = json::array();
    for (const auto& t : *ts) arr.push_back({{"id", t.id.value()}, {"name", t.name}});
    Json(res, {{"tenants", arr}});
  }

  void CreateToken(const httplib::Request& req, httplib::Response& res, const TokenRecord& who) {
    auto body = api::ParseTokenCreateRequest(req.body);
    if (!body.ok()) return Error(res, body.status());
    // Platform admins mint tokens for any tenant; a tenant admin only for its own.
    bool allowed =
        IsPlatformAdmin(who) || (who.role == AccessRole::kAdmin && who.tenant_name == body->tenant);
    if (!allowed)
      return Error(res, PermissionDenied("only an admin of tenant '" + body->tenant +
                                         "' or a platform admin can create its tokens"));
    auto tenant = o_->store_->GetTenantByName(body->tenant);
    if (!tenant.ok()) return Error(res, tenant.status());
    auto token = GenerateToken();
    if (!token.ok()) return Error(res, token.status());
    const Micros now = o_->clock_->Now();
    auto options = NewTokenOptions(*token, body->expires_in, now);
    if (!options.ok()) return Error(res, options.status());
    auto rec = o_->store_->CreateToken(tenant->id, *ParseRole(body->role), HashToken(*token),
                                       body->description, *options);
    if (!rec.ok()) return Error(res, rec.status());
    json out = TokenToJson(*rec, now);
    out["token"] = *token;
    out["note"] = "this is the only time the token is shown; store it now";
    Json(res, out, 201);
  }

  // A platform admin sees the whole platform; any other token sees its own
  // tenant's jobs only (the queue, scheduler and API figures are the
  // platform's and would show other tenants' activity).
  void Metrics(const httplib::Request&, httplib::Response& res, const TokenRecord& who) {
    std::ostringstream out;
    const bool platform = IsPlatformAdmin(who);
    auto counts = platform ? o_->store_->CountJobsByState() : o_->store_->CountTenantJobsByState(who.tenant);
    out << "# HELP skyrun_jobs Jobs by state" << (platform ? "" : " (this tenant's)")
        << ".\n# TYPE skyrun_jobs gauge\n";
    std::map<JobState, int64_t> by_state;
    if (counts.ok())
      for (const auto& [st, n] : *counts) by_state[st] = n;
    for (JobState st :
         {JobState::kSubmitted, JobState::kQueued, JobState::kScheduled, JobState::kRunning,
          JobState::kRecovering, JobState::kSucceeded, JobState::kFailed, JobState::kCancelled}) {
      out << "skyrun_jobs{state=\"" << JobStateName(st) << "\"} " << by_state[st] << "\n";
    }
    if (!platform) {
      res.set_content(out.str(), "text/plain; version=0.0.4");
      return;
    }
    ControllerMetrics cm = o_->controller_->Metrics();
    out << "# HELP skyrun_queue_length Jobs waiting to be placed.\n# TYPE skyrun_queue_length gauge\n";
    out << "skyrun_queue_length " << cm.queue_length << "\n";
    out << "# HELP skyrun_scheduling_cycles_total Controller cycles run.\n"
        << "# TYPE skyrun_scheduling_cycles_total counter\n";
    out << "skyrun_scheduling_cycles_total " << cm.scheduling_cycles << "\n";
    out << "# HELP skyrun_scheduling_latency_seconds From submission to placement.\n"
        << "# TYPE skyrun_scheduling_latency_seconds histogram\n";
    for (size_t i = 0; i < cm.latency_buckets.size(); ++i) {
      out << "skyrun_scheduling_latency_seconds_bucket{le=\"" << cm.latency_buckets[i] << "\"} "
          << cm.latency_counts[i] << "\n";
    }
    out << "skyrun_scheduling_latency_seconds_bucket{le=\"+Inf\"} " << cm.latency_count << "\n";
    out << "skyrun_scheduling_latency_seconds_sum " << cm.latency_sum_seconds << "\n";
    out << "skyrun_scheduling_latency_seconds_count " << cm.latency_count << "\n";
    metrics_.Render(out);
    res.set_content(out.str(), "text/plain; version=0.0.4");
  }

  ApiServer* o_;
  TokenAuthenticator auth_;  // bearer tokens, and when each was last used
  ApiMetrics metrics_;
  TenantSlots follows_;
  PartitionRunner partitions_;
  std::vector<std::pair<std::string, std::regex>> routes_;  // (method, pattern), for 405
  JobShapes shapes_;
};

ApiServer::ApiServer(Store* store, Controller* controller, Clock* clock, SpecDecoder decoder,
                     ApiServerOptions options)
    : store_(store),
      controller_(controller),
      clock_(clock),
      decoder_(std::move(decoder)),
      options_(std::move(options)) {}

ApiServer::~ApiServer() {
  Stop();
}

Status ApiServer::Start() {
  HttpLimits limits;
  limits.request_threads = options_.threads;
  limits.stream_threads = options_.stream_threads;
  limits.head_timeout_ms = options_.head_timeout_seconds * 1000;
  // The gate collects an upload's body too, up to the upload limit.
  if (options_.uploads) {
    limits.max_body_bytes =
        std::max(limits.max_body_bytes, static_cast<size_t>(options_.uploads->limits().max_bytes));
  }
  http_ = std::make_unique<HardenedHttpServer>(limits, &Routes::IsStream);
  routes_ = std::make_unique<Routes>(this);
  routes_->Install(*http_);
  SKYRUN_ASSIGN_OR_RETURN(bound_port_, http_->Start(options_.host, options_.port));
  return Status::Ok();
}

void ApiServer::Stop() {
  // Partitions first: a request waiting for one then answers at once.
  if (routes_) routes_->Shutdown();
  if (http_) http_->Shutdown();
}

Result<std::string> EnsureAdminToken(Store& store, const std::string& state_dir) {
  auto tenant = store.GetTenantByName(kSystemTenant);
  if (!tenant.ok()) {
    if (tenant.status().code() != StatusCode::kNotFound) return tenant.status();
    tenant = store.CreateTenant(kSystemTenant);
    if (!tenant.ok()) return tenant.status();
  }
  std::string path = state_dir + "/admin.token";
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return path;
  SKYRUN_ASSIGN_OR_RETURN(std::string token, GenerateToken());
  auto made = store.CreateToken(tenant->id, AccessRole::kAdmin, HashToken(token), "created at first start",
                                {TokenPrefix(token), 0});
  SKYRUN_RETURN_IF_ERROR(made.status());
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("cannot write the admin token file " + tmp);
  std::string content = token + "\n";
  bool ok = ::write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
    return Internal("cannot write the admin token file " + path);
  return path;
}

}  // namespace skyrun

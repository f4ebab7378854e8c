#include "spec/job_fields.h"

#include <cctype>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "common/strings.h"
#include "spec/node_range.h"
#include "spec/resource_fields.h"
#include "spec/sbatch_array.h"

namespace skyrun::spec_internal {
namespace {

// In reading order: resources before roles, since a role without resources takes the job's.
const std::vector<std::string> kJobFields = {
    "name", "queue", "priority", "mode", "num_nodes", "tasks_per_node", "resources", "roles", "image", "envs",
    "workdir", "file_mounts", "inputs", "outputs", "volumes", "setup", "run", "checkpoint", "recovery",
    "objective", "deadline", "time_limit", "budget", "depends_on", "partition", "array",
    // SkyPilot's (issue 15): secrets are envs never echoed; service is refused.
    "secrets", "service",
    // num_nodes: 2..8 (issue 12): how the runtime scales with the nodes (spec/node_range.h).
    "scaling_efficiency"};
const std::vector<std::string> kPartitionFields = {"model", "layers", "profile", "algorithm"};
const std::vector<std::string> kRoleFields = {"count", "resources", "image", "run", "stateful"};
const std::vector<std::string> kDataFields = {"uri", "size_gb", "location", "path"};
const std::vector<std::string> kVolumeFields = {"name", "path", "read_only"};
const std::vector<std::string> kRecoveryFields = {"strategy", "max_restarts_on_errors",
                                                  "recover_on_exit_codes"};
const std::vector<std::string> kModes = {"single", "gang", "ps-worker", "pipeline", "service"};

constexpr int64_t kMaxPriority = 1'000'000;
constexpr const char* kNameRule =
    "must be 1 to 63 characters of a-z, 0-9, '-', '_' and '.', starting with a letter or digit";
constexpr const char* kRunHelp = "the command each task runs, such as python train.py";
// The longest deadline and time limit: a year. Longer ones are mistakes, and a limit in
// seconds this large times a million (microseconds) would overflow.
constexpr int64_t kMaxDeadlineSeconds = int64_t{365} * 24 * 3600;

// A length of time (deadline, time_limit): more than 0 and at most 365 days,
// read by `parse`; nullopt (with the problem noted) when it is not.
std::optional<int64_t> ReadSeconds(FieldReader& reader, const Field& f, const char* want,
                                   Result<int64_t> (*parse)(std::string_view)) {
  auto text = reader.String(f, want);
  if (!text) return std::nullopt;
  auto seconds = parse(*text);
  if (!seconds.ok()) {
    reader.Problem(f, seconds.status().message());
  } else if (*seconds <= 0) {
    reader.Problem(f, "must be more than 0, got " + Quote(*text));
  } else if (*seconds > kMaxDeadlineSeconds) {
    reader.Problem(f, "must be at most 365 days (8760h), got " + Quote(*text));
  } else {
    return *seconds;
  }
  return std::nullopt;
}
constexpr const char* kNoObjectStorage =
    "object storage mounts are not supported yet; copy the data to a local path and name that path";

bool LooksLikeUri(const std::string& s) {
  return s.find("://") != std::string::npos;
}

// A path of the spec (workdir, a file_mounts source, checkpoint.dir): one
// line (the String reader made sure), and not a URI.
bool CheckLocalPath(FieldReader& reader, const Field& field, const std::string& path) {
  if (!LooksLikeUri(path)) return true;
  reader.Problem(field, std::string(kNoObjectStorage) + ", got " + Quote(path));
  return false;
}

// A file_mounts target: inside the task's directory once staged. Absolute
// targets (/data) are taken relative to it, as staging does
// (drivers/local/staging.cc); '..' is refused anywhere, even where it would
// stay inside, so that what a target means never depends on the links below it.
std::optional<std::string> MountTargetProblem(const std::string& target) {
  std::string rel = target;
  while (!rel.empty() && rel.front() == '/') rel.erase(rel.begin());
  bool names_something = false;
  for (const std::string& part : Split(rel, '/')) {
    if (part == "..")
      return "holds '..', which is not allowed: a mount target stays inside the task's directory";
    if (!part.empty() && part != ".") names_something = true;
  }
  if (!names_something)
    return "names the task's directory itself; use a path inside it, such as /data or data/";
  if (LooksLikeUri(target)) return "is a URI; a mount target is a path inside the task, such as /data";
  return std::nullopt;
}

// Fields that parse but that nothing implements yet (issue 10, item 17): a
// job that sets them is refused rather than run without what it asked for.
// `message` says what is missing and what to do.
void NotBuiltYet(FieldReader& reader, const Field& field, const std::string& message) {
  reader.Problem(field.key_pos, field.path, message);
}

bool IsEnvName(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}

// A role name: as a job name, but it also appears in env values and host names.
bool IsRoleName(const std::string& name) {
  return IsJobName(name) && name.size() <= 32 && name.find('.') == name.npos;
}

JobMode ModeFromName(const std::string& name) {
  if (name == "gang") return JobMode::kGang;
  if (name == "ps-worker") return JobMode::kPsWorker;
  if (name == "pipeline") return JobMode::kPipeline;
  if (name == "service") return JobMode::kService;
  return JobMode::kSingle;
}

// A job/queue name with the rule in the message, and the lower-case form as a hint.
std::optional<std::string> ReadName(FieldReader& reader, const Field& field) {
  auto text = reader.NonEmptyString(field, "a name such as bert-finetune");
  if (!text) return std::nullopt;
  if (IsJobName(*text)) return text;
  // SkyPilot's names may hold capitals ("minGPT-ddp"); skyrun's are lower case.
  if (field.key == "name" && IsJobName(ToLower(*text))) return ToLower(*text);
  std::string message = std::string(kNameRule) + ", got " + Quote(*text);
  if (IsJobName(ToLower(*text))) message += "; try '" + ToLower(*text) + "'";
  reader.Problem(field, message);
  return std::nullopt;
}

std::optional<std::string> ReadImage(FieldReader& reader, const Field& field) {
  auto image = reader.NonEmptyString(field, "a container image such as registry.example.org/ml/pytorch:2.3");
  if (!image) return std::nullopt;
  return ValidImageName(reader, field, *image);
}

}  // namespace

std::optional<std::string> ValidImageName(FieldReader& reader, const Field& field, const std::string& text) {
  const std::string* image = &text;  // as written, for messages
  std::string trimmed = Trim(text);
  for (char c : trimmed) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      reader.Problem(field, "a container image name has no spaces, got " + Quote(*image));
      return std::nullopt;
    }
  }
  // An image reference ("registry/name:tag@sha256:...", "docker://x",
  // "/shared/x.sif") needs no shell character; refusing them keeps the name
  // a plain word for every runtime's command line.
  for (char c : trimmed) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("._-:/@+").find(c) == std::string_view::npos) {
      reader.Problem(
          field, "a container image name holds letters, digits and . _ - : / @ + only, got " + Quote(*image));
      return std::nullopt;
    }
  }
  return trimmed;
}

namespace {

// envs and secrets. A key without a value is SkyPilot's "required at
// launch": refused here, naming the flag that gives it.
void ReadEnvs(FieldReader& reader, const Field& field, std::map<std::string, std::string>* out) {
  bool secret = field.key == "secrets";
  auto entries = reader.Entries(field, secret ? "a map of secrets such as {HF_TOKEN: null}"
                                              : "a map of environment variables such as {MODEL: bert-large}");
  if (!entries) return;
  for (const auto& e : *entries) {
    if (!IsEnvName(e.key)) {
      reader.Problem(e.key_pos, field.path,
                     Quote(e.key) +
                         " is not an environment variable name: use letters, digits and '_', "
                         "not starting with a digit");
      continue;
    }
    if (e.key.rfind("SKYRUN_", 0) == 0) {
      reader.Problem(e.key_pos, e.path,
                     "names starting with SKYRUN_ are set by skyrun itself; choose another name");
      continue;
    }
    if (e.IsNull() && reader.Supplied(e.key, secret)) {
      (*out)[e.key] = "";  // the launch writes the value in (spec_overrides.h)
      continue;
    }
    if (e.IsNull()) {
      std::string flag = secret ? "--secret " : "--env ";
      reader.Problem(e.key_pos, e.path,
                     "has no value: give it at launch with " + flag + e.key +
                         "=VALUE (skyrun launch and skyrun validate take " + flag + "as sky launch does)");
      continue;
    }
    if (!e.value.IsScalar()) {
      reader.Problem(e, "expected a string, number or boolean, got " + Describe(e.value));
      continue;
    }
    // A value may span lines (a certificate, a JSON document); it is passed
    // as data, never as script text.
    if (secret) {
      // Said without the value: a secret is never echoed, not even in a refusal.
      if (auto bad = ForbiddenCharacter(e.value.Scalar(), TextKind::kScript)) {
        reader.Problem(e, "contains " + *bad + "; the value is not shown");
        continue;
      }
    } else if (!reader.CheckText(e.pos, e.path, e.value.Scalar(), TextKind::kScript)) {
      continue;
    }
    (*out)[e.key] = e.value.Scalar();
  }
}

// $VAR and ${VAR} replaced by the job's envs, as SkyPilot does in
// file_mounts; names not in envs are left as written.
std::string ExpandEnvs(const std::string& text, const std::map<std::string, std::string>& envs) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$' || i + 1 == text.size()) {
      out += text[i];
      continue;
    }
    bool braced = text[i + 1] == '{';
    size_t start = i + (braced ? 2 : 1), end = start;
    while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_'))
      ++end;
    std::string name = text.substr(start, end - start);
    bool closed = !braced || (end < text.size() && text[end] == '}');
    auto it = envs.find(name);
    if (name.empty() || !closed || it == envs.end()) {
      out += text[i];
      continue;
    }
    out += it->second;
    i = braced ? end : end - 1;
  }
  return out;
}

void ReadFileMounts(FieldReader& reader, const Field& field, const std::map<std::string, std::string>& envs,
                    std::map<std::string, std::string>* out) {
  auto entries = reader.Entries(field, "a map of task path to local path, such as {/data: ./data}");
  if (!entries) return;
  for (const auto& raw : *entries) {
    if (raw.value.IsMap()) {
      reader.Problem(raw.key_pos, raw.path,
                     "storage buckets (a map of name, source, store and mode) are not built yet (issue 13); "
                     "mount a local path instead");
      continue;
    }
    std::string target = ExpandEnvs(raw.key, envs);
    // Built once, never assigned: assigning a Node rewrites the document's node.
    bool expand = raw.value.IsScalar() && raw.value.Scalar().find('$') != std::string::npos;
    const YAML::Node value = expand ? YAML::Node(ExpandEnvs(raw.value.Scalar(), envs)) : raw.value;
    const Field e(raw.path, target, value, raw.pos, raw.key_pos);
    if (Trim(e.key).empty()) {
      reader.Problem(e.key_pos, field.path, "a mount target is empty: expected a task path such as /data");
      continue;
    }
    if (!reader.CheckText(e.key_pos, e.path, e.key, TextKind::kLine)) continue;
    if (auto problem = MountTargetProblem(e.key)) {
      reader.Problem(e.key_pos, e.path, "the mount target " + Quote(e.key) + " " + *problem);
      continue;
    }
    auto source = reader.NonEmptyString(e, "a source path such as ./data");
    if (source && CheckLocalPath(reader, e, *source)) (*out)[e.key] = *source;
  }
}

// A volume name as the volume store takes it (storage/volume_store.h).
bool IsVolumeName(const std::string& name) {
  if (name.empty() || name.size() > 63 || !std::isalnum(static_cast<unsigned char>(name[0]))) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

constexpr const char* kVolumeHelp =
    "a list of volumes such as [{name: data, path: /data, read_only: true}] or [data:/data:ro]";

// volumes: [{name: V, path: /data, read_only: bool}] or the short form
// ["V:/data", "V:/data:ro"]. Names and paths are checked here; whether the
// tenant has the volume is checked at launch (volumes are created apart).
void ReadVolumes(FieldReader& reader, const Field& field,
                 const std::map<std::string, std::string>& file_mounts, std::vector<VolumeMount>* out) {
  auto items = reader.List(field, kVolumeHelp, /*scalar_is_one_item=*/false);
  if (!items) return;
  std::set<std::string> paths;
  for (const auto& item : *items) {
    VolumeMount v;
    // Where the path was written (the item itself for the short form). Not
    // assigned: assigning a Field's Node rewrites the document's node.
    std::optional<Field> path_field;
    if (item.value.IsScalar()) {
      auto text = reader.NonEmptyString(item, kVolumeHelp);
      if (!text) continue;
      std::vector<std::string> parts = Split(Trim(*text), ':');
      if (parts.size() < 2 || parts.size() > 3 ||
          (parts.size() == 3 && parts[2] != "ro" && parts[2] != "rw")) {
        reader.Problem(item, "expected NAME:/path or NAME:/path:ro, got " + Quote(*text));
        continue;
      }
      v.name = parts[0];
      v.path = parts[1];
      v.read_only = parts.size() == 3 && parts[2] == "ro";
    } else {
      auto fields = reader.Fields(item, kVolumeFields, "a map with name, path and read_only");
      if (!fields) {
        if (item.IsNull()) reader.Problem(item, "is empty: expected a map such as {name: data, path: /data}");
        continue;
      }
      bool has_name = false, has_path = false;
      for (const auto& f : *fields) {
        if (f.key == "name") {
          has_name = true;
          if (auto n = reader.NonEmptyString(f, "a volume name such as data")) v.name = Trim(*n);
        } else if (f.key == "path") {
          has_path = true;
          path_field.emplace(f);
          if (auto p = reader.NonEmptyString(f, "a path inside the task such as /data")) v.path = Trim(*p);
        } else if (f.key == "read_only") {
          if (auto b = reader.Bool(f)) v.read_only = *b;
        }
      }
      if (!has_name) reader.Problem(item.pos, JoinPath(item.path, "name"), "is required: the volume's name");
      if (!has_path) {
        reader.Problem(item.pos, JoinPath(item.path, "path"),
                       "is required: where the task sees it, such as /data");
      }
      if (v.name.empty() || v.path.empty()) continue;
    }
    if (!IsVolumeName(v.name)) {
      reader.Problem(item,
                     Quote(v.name) +
                         " is not a volume name: use 1 to 63 of a-z, 0-9, '-', '_' and '.', starting with "
                         "a letter or digit");
      continue;
    }
    const Field& where = path_field ? *path_field : item;
    if (!reader.CheckText(where.pos, where.path, v.path, TextKind::kLine)) continue;
    if (auto problem = MountTargetProblem(v.path)) {
      reader.Problem(where, "the volume path " + Quote(v.path) + " " + *problem);
      continue;
    }
    std::string norm = v.path;
    while (!norm.empty() && norm.front() == '/') norm.erase(norm.begin());
    while (!norm.empty() && norm.back() == '/') norm.pop_back();
    bool clash = !paths.insert(norm).second;
    for (const auto& [target, source] : file_mounts) {
      std::string t = target;
      while (!t.empty() && t.front() == '/') t.erase(t.begin());
      while (!t.empty() && t.back() == '/') t.pop_back();
      clash = clash || t == norm || t.rfind(norm + "/", 0) == 0 || norm.rfind(t + "/", 0) == 0;
    }
    if (clash) {
      reader.Problem(where, "the volume path " + Quote(v.path) +
                                " is already taken by another volume or a file_mounts target; give "
                                "each its own path");
      continue;
    }
    out->push_back(std::move(v));
  }
}

void ReadDataRefs(FieldReader& reader, const Field& field, std::vector<DataRef>* out) {
  auto items = reader.List(field, "a list of data such as [{uri: s3://bucket/data, size_gb: 2}]", false);
  if (!items) return;
  for (const auto& item : *items) {
    auto fields = reader.Fields(item, kDataFields, "a map with uri, size_gb and location");
    if (!fields) {
      if (item.IsNull()) reader.Problem(item, "is empty: expected a map such as {uri: s3://bucket/data}");
      continue;
    }
    DataRef ref;
    bool has_uri = false;
    for (const auto& f : *fields) {
      if (f.key == "uri") {
        has_uri = true;
        if (auto uri = reader.NonEmptyString(f, "a data location such as s3://bucket/data"))
          ref.uri = Trim(*uri);
      } else if (f.key == "size_gb") {
        if (auto size = reader.NonNegativeNumber(f, "a size in GB such as 2 or 0.5")) ref.size_gb = *size;
      } else if (f.key == "path") {
        auto path = reader.NonEmptyString(f, "a path inside the task such as /data");
        if (!path || !reader.CheckText(f.pos, f.path, *path, TextKind::kLine)) continue;
        if (auto problem = MountTargetProblem(Trim(*path))) {
          reader.Problem(f, "the path " + Quote(*path) + " " + *problem);
        } else {
          ref.path = Trim(*path);
        }
      } else if (f.key == "location") {
        auto place = reader.String(f, DataLocationHelp());
        if (place && !IsDataLocation(Trim(*place))) {
          reader.Problem(f, std::string("expected ") + DataLocationHelp() + ", got " + Quote(*place));
        } else if (place) {
          ref.location = Trim(*place);
        }
      }
    }
    if (!has_uri)
      reader.Problem(item.pos, JoinPath(item.path, "uri"),
                     "is required: where the data is, such as s3://bucket/data");
    out->push_back(std::move(ref));
  }
}

void ReadCheckpoint(FieldReader& reader, const Field& field, JobSpec* spec) {
  auto fields = reader.Fields(field, {"dir"}, "a map such as {dir: /ckpt}");
  if (!fields) return;
  bool has_dir = false;
  for (const auto& f : *fields) {
    has_dir = true;
    auto dir = reader.NonEmptyString(f, "a directory such as /ckpt");
    if (dir && CheckLocalPath(reader, f, Trim(*dir))) spec->checkpoint_dir = Trim(*dir);
  }
  if (!has_dir)
    reader.Problem(field.pos, JoinPath(field.path, "dir"),
                   "is required: where checkpoints go, such as /ckpt");
}

void ReadRecovery(FieldReader& reader, const Field& field, RecoveryPolicy* out) {
  auto fields =
      reader.Fields(field, kRecoveryFields, "a map such as {strategy: failover, max_restarts_on_errors: 3}");
  if (!fields) return;
  for (const auto& f : *fields) {
    if (f.key == "strategy") {
      if (auto v = reader.OneOf(f, {"failover", "eager_next_region", "none"})) out->strategy = *v;
    } else if (f.key == "max_restarts_on_errors") {
      if (auto v = reader.Int(f, 0, 100)) out->max_restarts_on_errors = static_cast<int>(*v);
    } else if (f.key == "recover_on_exit_codes") {
      auto items = reader.List(f, "a list of exit codes such as [75]", /*scalar_is_one_item=*/true);
      if (!items) continue;
      for (const auto& item : *items)
        if (auto code = reader.Int(item, 0, 255))
          out->recover_on_exit_codes.push_back(static_cast<int>(*code));
    }
  }
}

// partition: {model: bert-large, layers: 24} or {profile: layers.csv}. The
// names are checked against the partitioner's when the job is admitted.
void ReadPartition(FieldReader& reader, const Field& field, PartitionSpec* out) {
  auto fields = reader.Fields(field, kPartitionFields,
                              "a map such as {model: bert-large, layers: 24} or {profile: layers.csv}");
  if (!fields) return;
  std::optional<Field> model, profile, layers;
  for (const auto& f : *fields) {
    if (f.key == "model") {
      if (auto v = reader.NonEmptyString(f, "a built-in model such as bert-large")) out->model = Trim(*v);
      model.emplace(f);
    } else if (f.key == "layers") {
      if (auto v = reader.Int(f, 1, 4096)) out->layers = *v;
      layers.emplace(f);
    } else if (f.key == "profile") {
      if (auto v = reader.NonEmptyString(f, "a profile CSV such as layers.csv")) out->profile = Trim(*v);
      profile.emplace(f);
    } else if (f.key == "algorithm") {
      if (auto v = reader.NonEmptyString(f, "an algorithm such as exact, exact-comm, heuristic or even"))
        out->algorithm = Trim(*v);
    }
  }
  if (model && profile) {
    reader.Problem(*profile, "give either model (a built-in profile) or profile (a CSV), not both");
  } else if (!model && !profile) {
    reader.Problem(field, "needs model (such as bert-large) or profile (a CSV of units)");
  }
  if (layers && profile)
    reader.Problem(*layers, "applies to a built-in model only; a profile lists its own units");
}

void ReadDependsOn(FieldReader& reader, const Field& field, std::vector<std::string>* out) {
  auto items = reader.List(field, "a list of stage names such as [prepare]", /*scalar_is_one_item=*/true);
  if (!items) return;
  for (const auto& item : *items)
    if (auto name = reader.NonEmptyString(item, "the name of another job in this file"))
      out->push_back(ToLower(Trim(*name)));
}

// roles: {ps: {count: 1, resources: ...}, worker: {...}}. A role without its
// own resources takes the job's; with its own, they replace the job's whole.
void ReadRoles(FieldReader& reader, const Field& field, JobSpec* spec) {
  auto entries = reader.Entries(field, "a map of roles such as {ps: {count: 1}, worker: {count: 4}}");
  if (!entries) return;
  for (const auto& entry : *entries) {
    Role role;
    role.name = entry.key;
    role.resources = spec->resources;
    role.stateful = entry.key == "ps";
    if (!IsRoleName(entry.key)) {
      reader.Problem(
          entry.key_pos, entry.path,
          "a role name must be 1 to 32 characters of a-z, 0-9, '-' and '_', got " + Quote(entry.key));
      continue;
    }
    if (!entry.IsNull()) {
      auto fields =
          reader.Fields(entry, kRoleFields, "a map of role fields (count, resources, image, run, stateful)");
      if (!fields) continue;
      for (const auto& f : *fields) {
        if (f.key == "count") {
          if (auto v = reader.Int(f, 1, kMaxRoleCount)) role.count = static_cast<int>(*v);
        } else if (f.key == "resources") {
          if (f.IsNull()) continue;
          role.resources = ResourceRequest{};
          ReadResources(reader, f, &role.resources);
        } else if (f.key == "image") {
          if (auto v = ReadImage(reader, f)) role.image = *v;
        } else if (f.key == "run") {
          if (auto v = reader.NonEmptyString(f, kRunHelp, TextKind::kScript)) role.run = *v;
        } else if (f.key == "stateful") {
          if (auto v = reader.Bool(f)) role.stateful = *v;
        }
      }
    }
    spec->roles.push_back(std::move(role));
  }
}

// The checks between mode, num_nodes and roles.
void CheckMode(FieldReader& reader, const std::map<std::string, Field>& given, JobSpec* spec) {
  auto field = [&](const std::string& key) -> const Field* {
    auto it = given.find(key);
    return it == given.end() || it->second.IsNull() ? nullptr : &it->second;
  };
  const Field* num_nodes = field("num_nodes");
  const Field* roles = field("roles");
  // num_nodes > 1 without a mode is a gang, as a SkyPilot or Slurm user means it.
  if (field("mode") == nullptr && num_nodes != nullptr &&
      (spec->num_nodes > 1 || spec->node_range.present()) && spec->mode == JobMode::kSingle)
    spec->mode = JobMode::kGang;
  const char* mode_name = JobModeName(spec->mode);
  if (spec->mode == JobMode::kSingle && num_nodes != nullptr && spec->num_nodes != 1) {
    reader.Problem(*num_nodes, "is " + std::to_string(spec->num_nodes) +
                                   ", but mode single runs one task; set mode: gang to start " +
                                   std::to_string(spec->num_nodes) + " tasks together");
  }
  if (spec->mode == JobMode::kPsWorker) {
    if (num_nodes != nullptr) {
      reader.Problem(*num_nodes, "is not used with mode ps-worker: the tasks are the roles' counts added up");
    }
    if (spec->roles.empty() && (roles == nullptr || roles->value.size() == 0)) {
      const Field* mode = field("mode");
      reader.Problem(mode != nullptr ? mode->pos : SourcePos{}, "roles",
                     "mode ps-worker needs roles, such as roles: {ps: {count: 1}, worker: {count: 4}}");
    }
  } else if (roles != nullptr) {
    reader.Problem(roles->key_pos, "roles",
                   std::string("roles are for mode ps-worker, but mode is ") + mode_name +
                       "; set mode: ps-worker or leave roles out");
  }
  const Field* partition = field("partition");
  if (spec->mode == JobMode::kPipeline && partition == nullptr) {
    const Field* mode = field("mode");
    reader.Problem(mode != nullptr ? mode->pos : SourcePos{}, "partition",
                   "mode pipeline splits a model over its tasks and needs partition, such as "
                   "partition: {model: bert-large, layers: 24}");
  } else if (spec->mode != JobMode::kPipeline && partition != nullptr) {
    reader.Problem(partition->key_pos, "partition",
                   std::string("partition is for mode pipeline, but mode is ") + mode_name +
                       "; set mode: pipeline or leave partition out");
  }
}

// Fields given twice, once in skyrun's words and once in SkyPilot's.
void CheckSkyPilotOverlaps(FieldReader& reader, const std::map<std::string, Field>& given,
                           const JobSpec& spec) {
  for (const char* key : {"resources.job_recovery", "resources.spot_recovery"}) {
    auto pos = spec.field_positions.find(key);
    if (pos != spec.field_positions.end() && given.count("recovery") != 0)
      reader.Problem(
          pos->second, key,
          "give recovery once: either recovery or resources." + std::string(key).substr(10) + ", not both");
  }
  auto image_id = spec.field_positions.find("resources.image_id");
  if (image_id != spec.field_positions.end() && given.count("image") != 0)
    reader.Problem(image_id->second, "resources.image_id", "give the image once: either image or image_id");
  for (const auto& [name, value] : spec.secrets) {
    if (spec.envs.count(name) == 0) continue;
    auto pos = spec.field_positions.find("secrets." + PathKey(name));
    reader.Problem(pos == spec.field_positions.end() ? SourcePos{} : pos->second, "secrets." + PathKey(name),
                   "is also in envs; give it once");
  }
}

// run is required, unless every ps-worker role has its own, or the job names
// an image (whose Entrypoint and Cmd then run).
void CheckRun(FieldReader& reader, const Field& root, const std::map<std::string, Field>& given,
              const JobSpec& spec) {
  if (given.count("run") != 0 || !spec.image.empty()) return;
  bool every_role_runs = spec.mode == JobMode::kPsWorker && !spec.roles.empty();
  for (const auto& role : spec.roles) every_role_runs = every_role_runs && !role.run.empty();
  if (!every_role_runs) reader.Problem(root.pos, "run", std::string("is required: ") + kRunHelp);
}

}  // namespace

bool IsJobName(const std::string& name) {
  if (name.empty() || name.size() > 63) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(name[0])) return false;
  for (char c : name)
    if (!lower_alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

std::string DefaultJobName(const std::string& file_name) {
  std::string stem = std::filesystem::path(file_name).stem().string();
  std::string out;
  for (char c : ToLower(stem)) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
    if (out.empty() && !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) continue;
    out += ok ? c : '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  if (out.size() > 63) out.resize(63);
  return out.empty() ? "job" : out;
}

void ReadJobDocument(FieldReader& reader, const YAML::Node& doc, const std::string& default_name,
                     JobSpec* spec) {
  reader.set_positions(&spec->field_positions);
  Field root = FieldReader::Root(doc);
  if (!doc.IsMap()) {
    reader.Problem(root, "a job spec is a map of fields such as `name:` and `run:`, got " + Describe(doc));
    reader.set_positions(nullptr);
    return;
  }
  auto fields = reader.Fields(root, kJobFields, "a map of fields");
  std::map<std::string, Field> given;
  for (const auto& f : *fields) given.emplace(f.key, f);
  spec->name = default_name;

  bool mode_ok = true;
  for (const std::string& k : kJobFields) {
    auto it = given.find(k);
    if (it == given.end()) continue;
    const Field& f = it->second;
    if (k == "name") {
      if (auto v = ReadName(reader, f)) spec->name = *v;
    } else if (k == "queue") {
      if (auto v = ReadName(reader, f)) spec->queue = *v;
    } else if (k == "priority") {
      if (auto v = reader.Int(f, -kMaxPriority, kMaxPriority)) spec->priority = static_cast<int>(*v);
    } else if (k == "mode") {
      auto v = reader.OneOf(f, kModes);
      mode_ok = v.has_value() || f.IsNull();
      if (v && *v == "service") {
        reader.Problem(f, "service is on the roadmap and not available yet");
        mode_ok = false;
      }
      if (v) spec->mode = ModeFromName(*v);
    } else if (k == "num_nodes") {
      ReadNumNodes(reader, f, kMaxNodes, spec);
    } else if (k == "scaling_efficiency") {
      ReadScalingEfficiency(reader, f, spec);
    } else if (k == "tasks_per_node") {
      if (auto v = reader.Int(f, 1, kMaxNodes)) spec->tasks_per_node = static_cast<int>(*v);
    } else if (k == "resources") {
      ReadResources(reader, f, &spec->resources, ResourceScope::kJob, spec);
    } else if (k == "roles") {
      ReadRoles(reader, f, spec);
    } else if (k == "image") {
      if (auto v = ReadImage(reader, f)) spec->image = *v;
    } else if (k == "envs") {
      ReadEnvs(reader, f, &spec->envs);
    } else if (k == "secrets") {
      ReadEnvs(reader, f, &spec->secrets);
    } else if (k == "service") {
      NotBuiltYet(reader, f,
                  "serving (service: replicas behind an endpoint) is not built yet; remove service (and "
                  "resources.ports) to run the task as a batch job");
    } else if (k == "workdir" && f.value.IsMap()) {
      NotBuiltYet(reader, f, "a git workdir (url and ref) is not built yet; clone the repository in setup");
    } else if (k == "workdir") {
      auto v = reader.NonEmptyString(f, "a directory such as ./train");
      if (v && CheckLocalPath(reader, f, Trim(*v))) spec->workdir = Trim(*v);
    } else if (k == "file_mounts") {
      ReadFileMounts(reader, f, spec->envs, &spec->file_mounts);
    } else if (k == "inputs" || k == "outputs") {
      std::vector<DataRef>* refs = k == "inputs" ? &spec->inputs : &spec->outputs;
      size_t before = reader.problem_count();
      ReadDataRefs(reader, f, refs);
      // Staged (local pool) when every reference is an s3:// URI with a path
      // in the task (docs/storage.md); otherwise only the broker prices them.
      bool staged = !refs->empty();
      for (const DataRef& ref : *refs) staged = staged && !ref.path.empty() && ref.uri.rfind("s3://", 0) == 0;
      if (!refs->empty() && reader.problem_count() == before && !reader.broker_fields() && !staged) {
        NotBuiltYet(reader, f,
                    std::string(k == "inputs" ? "moving data into a job (inputs)"
                                              : "moving data out of a job (outputs)") +
                        " is not built yet but for s3:// URIs with a path in the task, such as {uri: "
                        "s3://bucket/data, path: /data}; add the path, or remove the field (name local files "
                        "in file_mounts)");
      }
    } else if (k == "volumes") {
      ReadVolumes(reader, f, spec->file_mounts, &spec->volumes);
    } else if (k == "setup") {
      if (auto v = reader.String(f, "a shell command", TextKind::kScript)) spec->setup = *v;
    } else if (k == "run") {
      if (auto v = reader.NonEmptyString(f, kRunHelp, TextKind::kScript)) spec->run = *v;
    } else if (k == "checkpoint") {
      ReadCheckpoint(reader, f, spec);
    } else if (k == "recovery") {
      ReadRecovery(reader, f, &spec->recovery);
    } else if (k == "objective") {
      auto v = reader.OneOf(f, {"cost", "time"});
      if (v && *v != "cost" && !reader.broker_fields()) {
        NotBuiltYet(reader, f,
                    "objective " + *v +
                        " is not built yet (placement does not weigh objectives); remove the field or set it "
                        "to cost");
      } else if (v) {
        spec->objective = *v;
      }
    } else if (k == "deadline") {
      spec->deadline_seconds = ReadSeconds(reader, f, "a duration such as 6h or 90m", ParseDurationSeconds);
    } else if (k == "time_limit") {
      spec->time_limit_seconds =
          ReadSeconds(reader, f, "a time limit such as 90m, 2h or 1:30:00", ParseTimeLimitSeconds);
    } else if (k == "array") {
      // sbatch's --array written in YAML: one job per index (spec/sbatch_array.h).
      if (auto v = reader.NonEmptyString(f, "array indices such as 0-99%10, 1,3,5 or 0-15:4")) {
        if (auto bad = ParseArraySpec(*v, &spec->array)) reader.Problem(f, *bad);
      }
    } else if (k == "budget") {
      // In effect at submission: the controller stops a job that reaches it
      // (controller/job_budget.cc).
      auto amount = reader.NonNegativeNumber(f, "an amount in USD such as 200");
      if (amount) spec->budget_usd = *amount;
    } else if (k == "depends_on") {
      ReadDependsOn(reader, f, &spec->depends_on);
    } else if (k == "partition") {
      ReadPartition(reader, f, &spec->partition);
    }
  }
  if (mode_ok) {
    CheckMode(reader, given, spec);
    auto given_field = [&](const char* key) -> const Field* {
      auto it = given.find(key);
      return it == given.end() || it->second.IsNull() ? nullptr : &it->second;
    };
    CheckNodeRange(reader, given_field("num_nodes"), given_field("scaling_efficiency"), *spec);
  }
  CheckRun(reader, root, given, *spec);
  CheckSkyPilotOverlaps(reader, given, *spec);
  reader.set_positions(nullptr);
}

}  // namespace skyrun::spec_internal

#include "drivers/slurm/slurm_parse.h"

#include <cctype>
#include <ctime>

#include "common/strings.h"

namespace skyrun {
namespace {

// Slurm keys are CamelCase words, possibly with ':', '/', '_' inside
// ("AllocNode:Sid", "CPUs/Task", "MCS_label").
bool LooksLikeKey(std::string_view key) {
  if (key.empty() || !std::isupper(static_cast<unsigned char>(key[0]))) return false;
  for (char c : key) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != ':' && c != '/' && c != '_') return false;
  }
  return true;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> words;
  std::string cur;
  for (char c : line) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  for (auto& l : Split(text, '\n')) {
    std::string t = Trim(l);
    if (!t.empty()) lines.push_back(t);
  }
  return lines;
}

// "(null)", "None", "N/A" are Slurm's ways of printing nothing.
std::string NullToEmpty(const std::string& v) {
  if (v == "(null)" || v == "None" || v == "N/A" || v == "None assigned") return "";
  return v;
}

int64_t IntField(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  if (it == kv.end()) return 0;
  return ParseInt64(it->second).value_or(0);
}

std::string Field(const std::map<std::string, std::string>& kv, const std::string& key) {
  auto it = kv.find(key);
  return it == kv.end() ? "" : it->second;
}

// "3:0" -> (3, 0).
void ParseExitCode(const std::string& s, SlurmJobInfo* job) {
  auto parts = Split(s, ':');
  if (parts.empty()) return;
  if (auto code = ParseInt64(parts[0])) job->exit_code = static_cast<int>(*code);
  if (parts.size() > 1) {
    if (auto sig = ParseInt64(parts[1])) job->exit_signal = static_cast<int>(*sig);
  }
}

// The first word of a state ("CANCELLED by 0" -> "CANCELLED"), upper case.
std::string NormalizeState(const std::string& s) {
  std::string t = Trim(s);
  auto sp = t.find(' ');
  if (sp != std::string::npos) t = t.substr(0, sp);
  for (char& c : t) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return t;
}

void FixTimes(SlurmJobInfo* job) {
  DropEstimatedTimes(job);
}

// Splits on commas outside brackets/parentheses.
std::vector<std::string> SplitTopLevel(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '[' || c == '(') ++depth;
    if (c == ']' || c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// "1-3,05" inside brackets -> {"1","2","3","05"}, keeping zero padding.
Result<std::vector<std::string>> ExpandRanges(const std::string& body, const std::string& expr) {
  std::vector<std::string> out;
  for (const auto& part : Split(body, ',')) {
    auto dash = part.find('-');
    std::string lo_s = dash == std::string::npos ? part : part.substr(0, dash);
    std::string hi_s = dash == std::string::npos ? part : part.substr(dash + 1);
    auto lo = ParseInt64(lo_s);
    auto hi = ParseInt64(hi_s);
    if (!lo || !hi || *lo > *hi || *hi - *lo > 100000) {
      return InvalidArgument("bad range '" + part + "' in hostlist '" + expr + "'");
    }
    size_t width = lo_s.size();
    for (int64_t i = *lo; i <= *hi; ++i) {
      std::string n = std::to_string(i);
      if (n.size() < width) n = std::string(width - n.size(), '0') + n;
      out.push_back(n);
    }
  }
  return out;
}

Result<std::vector<std::string>> ExpandOne(const std::string& token, const std::string& expr) {
  auto open = token.find('[');
  if (open == std::string::npos) {
    if (token.find(']') != std::string::npos)
      return InvalidArgument("unbalanced ']' in hostlist '" + expr + "'");
    return std::vector<std::string>{token};
  }
  auto close = token.find(']', open);
  if (close == std::string::npos) return InvalidArgument("unbalanced '[' in hostlist '" + expr + "'");
  SKYRUN_ASSIGN_OR_RETURN(auto middles, ExpandRanges(token.substr(open + 1, close - open - 1), expr));
  SKYRUN_ASSIGN_OR_RETURN(auto tails, ExpandOne(token.substr(close + 1), expr));
  std::vector<std::string> out;
  std::string prefix = token.substr(0, open);
  for (const auto& m : middles) {
    for (const auto& t : tails) out.push_back(prefix + m + t);
  }
  return out;
}

std::string JoinNodes(const std::vector<std::string>& nodes) {
  return Join(nodes, ",");
}

}  // namespace

std::map<std::string, std::string> ParseKeyValueLine(const std::string& line) {
  std::map<std::string, std::string> kv;
  std::string last_key;
  for (const auto& word : Words(line)) {
    auto eq = word.find('=');
    if (eq != std::string::npos && eq > 0 && LooksLikeKey(std::string_view(word).substr(0, eq))) {
      last_key = word.substr(0, eq);
      kv[last_key] = word.substr(eq + 1);
    } else if (!last_key.empty()) {
      std::string& v = kv[last_key];
      v += v.empty() ? word : " " + word;
    }
  }
  return kv;
}

std::vector<GresEntry> ParseGres(const std::string& gres) {
  std::vector<GresEntry> out;
  if (NullToEmpty(Trim(gres)).empty()) return out;
  for (auto item : SplitTopLevel(Trim(gres))) {
    auto paren = item.find('(');
    if (paren != std::string::npos) item = item.substr(0, paren);
    auto parts = Split(item, ':');
    if (parts.empty() || parts[0].empty()) continue;
    GresEntry e;
    e.name = parts[0];
    e.count = 1;
    auto count_of = [](const std::string& s) -> std::optional<int64_t> {
      if (s.empty()) return std::nullopt;
      int64_t mult = 1;
      std::string digits = s;
      char last = static_cast<char>(std::toupper(static_cast<unsigned char>(s.back())));
      if (last == 'K') mult = 1024;
      if (last == 'M') mult = int64_t{1024} * 1024;
      if (mult != 1) digits = s.substr(0, s.size() - 1);
      auto v = ParseInt64(digits);
      if (!v) return std::nullopt;
      return *v * mult;
    };
    if (parts.size() == 2) {
      if (auto c = count_of(parts[1])) {
        e.count = static_cast<int>(*c);
      } else {
        e.type = parts[1];
      }
    } else if (parts.size() >= 3) {
      e.type = parts[1];
      e.count = static_cast<int>(count_of(parts[2]).value_or(1));
    }
    out.push_back(e);
  }
  return out;
}

std::set<int> ParseGresIndices(const std::string& gres) {
  std::set<int> out;
  for (const auto& item : SplitTopLevel(Trim(gres))) {
    if (item.rfind("gpu", 0) != 0 || (item.size() > 3 && item[3] != ':' && item[3] != '(')) continue;
    auto idx = item.find("(IDX:");
    if (idx == std::string::npos) continue;
    auto close = item.find(')', idx);
    std::string body = item.substr(idx + 5, close == std::string::npos ? std::string::npos : close - idx - 5);
    for (const auto& part : Split(body, ',')) {
      auto dash = part.find('-');
      auto lo = ParseInt64(dash == std::string::npos ? part : part.substr(0, dash));
      auto hi = ParseInt64(dash == std::string::npos ? part : part.substr(dash + 1));
      if (!lo || !hi || *lo < 0 || *hi < *lo || *hi - *lo > 4096) continue;  // N/A or damaged
      for (int64_t i = *lo; i <= *hi; ++i) out.insert(static_cast<int>(i));
    }
  }
  return out;
}

int SlurmNodeInfo::GpuCount() const {
  int n = 0;
  for (const auto& g : gres) {
    if (g.name == "gpu") n += g.count;
  }
  return n;
}

Result<std::vector<SlurmNodeInfo>> ParseScontrolNodes(const std::string& text) {
  std::vector<SlurmNodeInfo> nodes;
  int line_no = 0;
  for (const auto& line : Split(text, '\n')) {
    ++line_no;
    std::string t = Trim(line);
    if (t.empty() || t.rfind("No nodes in the system", 0) == 0) continue;
    auto kv = ParseKeyValueLine(t);
    if (!kv.count("NodeName")) {
      return InvalidArgument("line " + std::to_string(line_no) +
                             " of 'scontrol show node -o' has no NodeName: '" + t.substr(0, 120) + "'");
    }
    SlurmNodeInfo n;
    n.name = kv["NodeName"];
    n.address = NullToEmpty(Field(kv, "NodeAddr"));
    if (n.address.empty()) n.address = n.name;
    n.state = Field(kv, "State");
    n.cpus = kv.count("CPUEfctv") ? IntField(kv, "CPUEfctv") : IntField(kv, "CPUTot");
    n.cpus_alloc = IntField(kv, "CPUAlloc");
    n.memory_mib = IntField(kv, "RealMemory");
    n.memory_alloc_mib = IntField(kv, "AllocMem");
    n.gres = ParseGres(Field(kv, "Gres"));
    if (kv.count("GresUsed")) {
      n.gpus_used_known = true;
      n.gpus_used = ParseGresIndices(Field(kv, "GresUsed"));
    }
    for (const auto& p : Split(NullToEmpty(Field(kv, "Partitions")), ',')) {
      if (!Trim(p).empty()) n.partitions.push_back(Trim(p));
    }
    n.features = NullToEmpty(Field(kv, "AvailableFeatures"));
    n.reason = NullToEmpty(Field(kv, "Reason"));
    nodes.push_back(std::move(n));
  }
  return nodes;
}

SlurmNodeHealth ClassifyNodeState(const std::string& raw) {
  std::string state = raw;
  for (char& c : state) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  bool drain = false;
  if (!state.empty() && state.back() == '*') return SlurmNodeHealth::kDown;
  if (!state.empty() && state.back() == '$') drain = true;
  for (auto flag : Split(state, '+')) {
    while (!flag.empty() && std::string("*$~#%!@^-").find(flag.back()) != std::string::npos) {
      if (flag.back() == '*') return SlurmNodeHealth::kDown;
      flag.pop_back();
    }
    // Long forms (scontrol) and sinfo's short ones (%t: unk, futr, drng, failg).
    if (flag == "DOWN" || flag == "FAIL" || flag == "NOT_RESPONDING" || flag == "UNKNOWN" || flag == "UNK" ||
        flag == "FUTURE" || flag == "FUTR" || flag == "NO_RESPOND" || flag == "INVALID_REG" ||
        flag == "INVAL") {
      return SlurmNodeHealth::kDown;
    }
    if (flag.rfind("DRAIN", 0) == 0 || flag == "DRNG" || flag == "FAILING" || flag == "FAILG" ||
        flag == "MAINT" || flag == "MAINTENANCE" || flag.rfind("REBOOT", 0) == 0) {
      drain = true;
    }
  }
  return drain ? SlurmNodeHealth::kDrain : SlurmNodeHealth::kUp;
}

Result<SlurmJobInfo> ParseScontrolJob(const std::string& text) {
  if (text.find("Invalid job id specified") != std::string::npos) {
    return NotFound("Slurm does not know this job (Invalid job id specified)");
  }
  for (const auto& line : Lines(text)) {
    if (line.rfind("JobId=", 0) != 0) continue;
    auto kv = ParseKeyValueLine(line);
    SlurmJobInfo job;
    job.job_id = kv["JobId"];
    job.name = Field(kv, "JobName");
    job.state = NormalizeState(Field(kv, "JobState"));
    job.reason = NullToEmpty(Field(kv, "Reason"));
    job.node_list = NullToEmpty(Field(kv, "NodeList"));
    job.batch_host = NullToEmpty(Field(kv, "BatchHost"));
    ParseExitCode(Field(kv, "ExitCode"), &job);
    job.start_time = ParseSlurmTime(Field(kv, "StartTime"));
    job.end_time = ParseSlurmTime(Field(kv, "EndTime"));
    if (job.state.empty())
      return InvalidArgument("'scontrol show job' printed no JobState: '" + line.substr(0, 120) + "'");
    FixTimes(&job);
    return job;
  }
  return InvalidArgument("'scontrol show job' printed no job line: '" + Trim(text).substr(0, 200) + "'");
}

Result<std::optional<SlurmJobInfo>> ParseSqueueLine(const std::string& text) {
  if (text.find("Invalid job id specified") != std::string::npos) {
    return NotFound("Slurm does not know this job (Invalid job id specified)");
  }
  auto lines = Lines(text);
  if (lines.empty()) return std::optional<SlurmJobInfo>();
  auto parts = Split(lines[0], '|');
  if (parts.size() < 5) {
    return InvalidArgument("squeue printed '" + lines[0].substr(0, 120) + "', expected '" + kSqueueFormat +
                           "'");
  }
  SlurmJobInfo job;
  job.job_id = parts[0];
  job.state = NormalizeState(parts[1]);
  job.node_list = NullToEmpty(parts[2]);
  job.start_time = ParseSlurmTime(parts[3]);
  std::vector<std::string> rest(parts.begin() + 4, parts.end());
  job.reason = NullToEmpty(Join(rest, "|"));
  FixTimes(&job);
  return std::optional<SlurmJobInfo>(job);
}

Result<SlurmJobInfo> ParseSacctLine(const std::string& text) {
  if (text.find("accounting storage is disabled") != std::string::npos) {
    return FailedPrecondition("sacct: Slurm accounting storage is disabled on this cluster");
  }
  for (const auto& line : Lines(text)) {
    auto parts = Split(line, '|');
    if (parts.size() < 6) continue;
    SlurmJobInfo job;
    job.job_id = parts[0];
    job.state = NormalizeState(parts[1]);
    ParseExitCode(parts[2], &job);
    job.start_time = ParseSlurmTime(parts[3]);
    job.end_time = ParseSlurmTime(parts[4]);
    job.node_list = NullToEmpty(parts[5]);
    FixTimes(&job);
    return job;
  }
  return NotFound("sacct printed no row for the job");
}

Result<std::vector<SlurmJobInfo>> ParseSacctRows(const std::string& text) {
  if (text.find("accounting storage is disabled") != std::string::npos) {
    return FailedPrecondition("sacct: Slurm accounting storage is disabled on this cluster");
  }
  std::vector<SlurmJobInfo> jobs;
  for (const auto& line : Lines(text)) {
    if (line.find('|') == std::string::npos) continue;  // a warning, not a row
    if (Split(line, '|').size() < 6) {
      return InvalidArgument("sacct printed '" + line.substr(0, 120) + "', expected '" + kSacctFields + "'");
    }
    SKYRUN_ASSIGN_OR_RETURN(SlurmJobInfo job, ParseSacctLine(line));
    jobs.push_back(std::move(job));
  }
  return jobs;
}

void DropEstimatedTimes(SlurmJobInfo* job) {
  if (job->state == "PENDING" || job->state == "CONFIGURING" || job->state.rfind("REQUEUE", 0) == 0) {
    job->start_time = 0;
  }
  if (!IsTerminalSlurmState(job->state)) job->end_time = 0;
}

Micros ParseSlurmTime(const std::string& s) {
  std::string t = Trim(s);
  if (t.size() < 19 || t[4] != '-' || t[10] != 'T') return 0;
  std::tm tm{};
  auto num = [&](size_t pos, size_t len) { return ParseInt64(t.substr(pos, len)).value_or(-1); };
  int64_t year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int64_t hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 ||
      minute > 59 || second < 0 || second > 60) {
    return 0;
  }
  tm.tm_year = static_cast<int>(year - 1900);
  tm.tm_mon = static_cast<int>(month - 1);
  tm.tm_mday = static_cast<int>(day);
  tm.tm_hour = static_cast<int>(hour);
  tm.tm_min = static_cast<int>(minute);
  tm.tm_sec = static_cast<int>(second);
  tm.tm_isdst = -1;
  time_t epoch = mktime(&tm);
  if (epoch < 0) return 0;
  return static_cast<Micros>(epoch) * kMicrosPerSecond;
}

Result<std::vector<std::string>> ExpandHostlist(const std::string& expr) {
  std::vector<std::string> out;
  int depth = 0;
  for (char c : expr) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0 || depth > 1) return InvalidArgument("unbalanced brackets in hostlist '" + expr + "'");
  }
  if (depth != 0) return InvalidArgument("unbalanced brackets in hostlist '" + expr + "'");
  for (const auto& token : SplitTopLevel(Trim(expr))) {
    std::string t = Trim(token);
    if (t.empty()) continue;
    SKYRUN_ASSIGN_OR_RETURN(auto names, ExpandOne(t, expr));
    out.insert(out.end(), names.begin(), names.end());
  }
  return out;
}

bool IsTerminalSlurmState(const std::string& state) {
  static const char* const kTerminal[] = {"COMPLETED",     "FAILED",    "CANCELLED",   "TIMEOUT",
                                          "NODE_FAIL",     "PREEMPTED", "BOOT_FAIL",   "DEADLINE",
                                          "OUT_OF_MEMORY", "REVOKED",   "SPECIAL_EXIT"};
  for (const char* t : kTerminal) {
    if (state == t) return true;
  }
  return false;
}

RankOutcome MapSlurmJobState(const SlurmJobInfo& job, const std::vector<std::string>& failed_nodes) {
  const std::string& s = job.state;
  auto with_reason = [&](const std::string& head) {
    return job.reason.empty() ? head : head + ": " + job.reason;
  };
  RankOutcome o;
  if (s == "PENDING" || s == "REQUEUED" || s == "REQUEUE_HOLD" || s == "REQUEUE_FED" ||
      s == "RESV_DEL_HOLD") {
    o.state = RunState::kLaunching;
    o.reason = with_reason(s);
  } else if (s == "CONFIGURING") {
    o.state = RunState::kLaunching;
    o.reason = "CONFIGURING: Slurm is readying the nodes";
  } else if (s == "RUNNING" || s == "COMPLETING" || s == "STAGE_OUT" || s == "SIGNALING" || s == "RESIZING") {
    o.state = RunState::kRunning;
    o.reason = s == "RUNNING" ? "" : s;
  } else if (s == "SUSPENDED" || s == "STOPPED") {
    o.state = RunState::kRunning;
    o.reason = s + " by Slurm";
  } else if (s == "COMPLETED") {
    o.state = RunState::kSucceeded;
    o.exit_code = 0;
  } else if (s == "FAILED") {
    o.state = RunState::kFailed;
    o.reason = "FAILED";
    if (job.exit_code && *job.exit_code != 0) {
      o.reason += ": the batch script exited with code " + std::to_string(*job.exit_code);
    } else if (job.exit_signal && *job.exit_signal != 0) {
      o.reason += ": killed by signal " + std::to_string(*job.exit_signal);
    } else if (!job.reason.empty()) {
      o.reason += ": " + job.reason;
    }
    o.reason += " (this rank left no exit code)";
  } else if (s == "CANCELLED") {
    o.state = RunState::kKilled;
    o.reason = "CANCELLED";
  } else if (s == "TIMEOUT") {
    o.state = RunState::kFailed;
    o.reason = "TIMEOUT: time limit reached";
  } else if (s == "NODE_FAIL") {
    o.state = RunState::kLost;
    if (failed_nodes.size() == 1) {
      o.reason = "NODE_FAIL: node " + failed_nodes[0] + " failed";
    } else if (!failed_nodes.empty()) {
      o.reason = "NODE_FAIL: nodes " + JoinNodes(failed_nodes) + " failed";
    } else {
      o.reason = "NODE_FAIL: a node of " + (job.node_list.empty() ? std::string("the job") : job.node_list) +
                 " failed";
    }
  } else if (s == "PREEMPTED") {
    o.state = RunState::kLost;
    o.reason = "PREEMPTED";
  } else if (s == "OUT_OF_MEMORY") {
    o.state = RunState::kFailed;
    o.reason = "OUT_OF_MEMORY";
  } else if (s == "BOOT_FAIL") {
    o.state = RunState::kLost;
    o.reason = "BOOT_FAIL: a node failed to boot";
  } else if (s == "DEADLINE") {
    o.state = RunState::kFailed;
    o.reason = "DEADLINE: the job's deadline passed";
  } else if (s == "REVOKED") {
    o.state = RunState::kLost;
    o.reason = "REVOKED: the job ran on another cluster of the federation";
  } else if (s == "SPECIAL_EXIT") {
    o.state = RunState::kFailed;
    o.reason = "SPECIAL_EXIT";
  } else {
    o.state = RunState::kRunning;
    o.reason = "unrecognised Slurm job state '" + s + "'";
  }
  return o;
}

RankOutcome ResolveRankOutcome(const SlurmJobInfo& job, std::optional<int> rank_exit_code,
                               const std::vector<std::string>& failed_nodes) {
  if (!rank_exit_code) return MapSlurmJobState(job, failed_nodes);
  // A rank killed by a signal in a job that Slurm ended from outside
  // (scancel, time limit, node failure) ended because of that, not by itself.
  bool killed_by_signal = *rank_exit_code > 128;
  bool ended_from_outside =
      job.state != "COMPLETED" && job.state != "FAILED" && IsTerminalSlurmState(job.state);
  if (killed_by_signal && ended_from_outside) {
    RankOutcome o = MapSlurmJobState(job, failed_nodes);
    o.exit_code = rank_exit_code;
    return o;
  }
  RankOutcome o;
  o.exit_code = rank_exit_code;
  if (*rank_exit_code == 0) {
    o.state = RunState::kSucceeded;
  } else {
    o.state = RunState::kFailed;
    o.reason = "exit code " + std::to_string(*rank_exit_code);
    if (*rank_exit_code > 128 && *rank_exit_code < 128 + 65) {
      o.reason += " (killed by signal " + std::to_string(*rank_exit_code - 128) + ")";
    }
  }
  return o;
}

}  // namespace skyrun

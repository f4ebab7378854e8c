// Issue 10, item 5: spec values reach shells and engines as data, never as
// code. A property test over seeded random strings (quotes, $(...), backticks,
// newlines, ';', '#SBATCH', unicode, NUL, bytes that are not UTF-8) put in
// every spec field that reaches a launch: whatever the parser accepts must
//   - sbatch: render to a script that `bash -n` accepts, whose commands (as a
//     shell lexer lists them) and whose #SBATCH directives before the first
//     command are exactly those of the script rendered from benign values;
//   - Volcano: render to a manifest that parses back as the same structure as
//     the benign one (no key added or lost anywhere), with the value found
//     verbatim where it belongs;
//   - local: arrive verbatim in task.json, as one argv element or env value.
// Deterministic: a fixed seed and a fixed number of cases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/rng.h"
#include "common/strings.h"
#include "drivers/kubernetes/volcano_render.h"
#include "drivers/kubernetes/volcano_test_cases.h"
#include "drivers/local/container.h"
#include "drivers/local/task_files.h"
#include "drivers/slurm/sbatch_render.h"
#include "spec/spec_parser.h"

namespace skyrun {
namespace {

constexpr uint64_t kSeed = 20261202;
constexpr int kCases = 300;

// --- random values ---

const std::vector<std::string>& Pieces() {
  static const std::vector<std::string> kPieces = {
      "'",
      "\"",
      "$(touch INJECTED)",
      "`touch INJECTED`",
      ";",
      "&&",
      "|",
      "#SBATCH --wrap=id",
      "#",
      "\\",
      "$",
      "${HOME}",
      "$((1+1))",
      " ",
      "'\\''",
      ",",
      ":",
      "/",
      "..",
      "*",
      "~",
      "!",
      "a",
      "b9",
      "x-y_z.",
      "\xc3\xbc",
      "\xe6\x97\xa5",
      "\xf0\x9f\x98\x80",
      "}",
      "{",
      "(",
      ")",
      "<",
      ">",
      "EOF",
      "--",
      "=",
      "%",
      "$$",
      "\\n",
  };
  return kPieces;
}

// Control characters and bytes that are not UTF-8: most values avoid them, so
// that line fields (which refuse them) are accepted often enough.
const std::vector<std::string>& Controls() {
  static const std::vector<std::string> kControls = {"\n",
                                                     "\n#SBATCH --output=/tmp/x\n",
                                                     "\ntouch INJECTED\n",
                                                     "\r",
                                                     "\t",
                                                     std::string(1, '\0'),
                                                     "\x01",
                                                     "\x1b[31m",
                                                     "\x7f",
                                                     "\xff",
                                                     "\xc3"};
  return kControls;
}

std::string RandomValue(Rng& rng) {
  std::string out;
  int64_t n = rng.UniformInt(1, 6);
  bool controls = rng.UniformInt(0, 3) == 0;
  for (int64_t i = 0; i < n; ++i) {
    if (controls && rng.UniformInt(0, 2) == 0) {
      out += Controls()[rng.UniformInt(0, static_cast<int64_t>(Controls().size()) - 1)];
    } else {
      out += Pieces()[rng.UniformInt(0, static_cast<int64_t>(Pieces().size()) - 1)];
    }
  }
  return out;
}

// `value` as a YAML double-quoted scalar: escapes for '"', '\' and control
// characters; other bytes (UTF-8 or not) as they are.
std::string YamlQuoted(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// --- specs ---

// The fields a random value goes into: each one reaches a launch.
enum class Target {
  kName,
  kWorkdir,
  kEnvValue,
  kEnvKey,
  kMountTarget,
  kMountSource,
  kSetup,
  kRun,
  kImage,
  kCheckpointDir,
  kRoleRun,
  kRoleImage,
};
constexpr int kTargets = 12;

const char* TargetName(Target t) {
  static const char* kNames[] = {"name",         "workdir",      "envs value", "envs key",
                                 "mount target", "mount source", "setup",      "run",
                                 "image",        "checkpoint",   "role run",   "role image"};
  return kNames[static_cast<int>(t)];
}

// A ps-worker spec with every script-reaching field set; `value` replaces the
// benign value of `target` (nullptr: all benign). `with_image`: the Slurm
// cluster without containers refuses images, so that variant has none.
std::string SpecYaml(Target target, const std::string* value, bool with_image) {
  auto v = [&](Target t, const std::string& benign) {
    return value != nullptr && t == target ? YamlQuoted(*value) : benign;
  };
  std::string y;
  y += "name: " + v(Target::kName, "job") + "\n";
  y += "mode: ps-worker\n";
  y += "workdir: " + v(Target::kWorkdir, "/shared/work") + "\n";
  y += "envs: {" + v(Target::kEnvKey, "KEY") + ": " + v(Target::kEnvValue, "value") + "}\n";
  y += "file_mounts: {" + v(Target::kMountTarget, "/data") + ": " + v(Target::kMountSource, "/shared/data") +
       "}\n";
  y += "setup: " + v(Target::kSetup, "echo setup") + "\n";
  y += "run: " + v(Target::kRun, "echo run") + "\n";
  if (with_image) y += "image: " + v(Target::kImage, "registry.example.org/ml/pytorch:2.3") + "\n";
  y += "checkpoint: {dir: " + v(Target::kCheckpointDir, "/ckpt") + "}\n";
  y += "roles:\n";
  y += "  ps: {count: 1, run: " + v(Target::kRoleRun, "echo ps") +
       (with_image ? ", image: " + v(Target::kRoleImage, "registry.example.org/ml/ps:1") : "") + "}\n";
  y += "  worker: {count: 2}\n";
  return y;
}

// An attempt as the controller builds one (controller.cc, TrySchedule).
struct Attempt {
  std::shared_ptr<JobSpec> spec;
  AttemptLaunch launch;
};

Attempt BuildAttempt(const JobSpec& parsed, const std::string& backend) {
  Attempt a;
  a.spec = std::make_shared<JobSpec>(parsed);
  AttemptLaunch& l = a.launch;
  l.job_id = JobId(42);
  l.attempt_no = 1;
  l.job_name = a.spec->name;
  l.tenant = "team-a";
  l.spec = a.spec.get();
  l.job_dir = "/srv/skyrun/jobs/42";
  l.checkpoint_dir = l.job_dir + "/checkpoints";
  l.time_limit_seconds = 3600;
  Placement placement;
  placement.backend = backend;
  int rank = 0;
  for (const auto& role : a.spec->roles) {
    for (int i = 0; i < role.count; ++i, ++rank) {
      TaskPlacement tp;
      tp.rank = rank;
      tp.role = role.name;
      tp.node = backend + "/node" + std::to_string(rank + 1);
      tp.node_address = "10.0.0." + std::to_string(rank + 1);
      tp.cpus_milli = MilliCpu(1000);
      tp.memory_mib = MemoryMiB(1024);
      placement.tasks.push_back(tp);
    }
  }
  for (const auto& tp : placement.tasks) {
    TaskLaunch tl;
    tl.rank = tp.rank;
    tl.role = tp.role;
    tl.placement = tp;
    tl.task_dir = l.job_dir + "/attempt-1/rank-" + std::to_string(tp.rank);
    tl.env = ControllerLikeEnv(l, placement, tp.rank, a.spec->envs);
    tl.setup = a.spec->setup;
    tl.run = a.spec->run;
    tl.image = a.spec->image;
    for (const auto& role : a.spec->roles) {
      if (role.name != tp.role) continue;
      if (!role.run.empty()) tl.run = role.run;
      if (!role.image.empty()) tl.image = role.image;
    }
    l.tasks.push_back(tl);
  }
  return a;
}

// One random case: the value, where it goes, and the parsed spec if accepted.
struct Case {
  Target target;
  std::string value;
  std::optional<JobSpec> spec;
  std::string benign_yaml;
};

std::vector<Case> Cases(bool with_image) {
  Rng rng(kSeed + (with_image ? 1 : 0));
  std::vector<Case> out;
  for (int i = 0; i < kCases; ++i) {
    Case c;
    c.target = static_cast<Target>(i % kTargets);
    if (!with_image && (c.target == Target::kImage || c.target == Target::kRoleImage))
      c.target = Target::kRun;
    c.value = RandomValue(rng);
    SpecParseResult parsed = ParseJobSpecs(SpecYaml(c.target, &c.value, with_image), "job.yaml");
    if (parsed.ok()) c.spec = parsed.specs.front();
    c.benign_yaml = SpecYaml(c.target, nullptr, with_image);
    out.push_back(std::move(c));
  }
  return out;
}

JobSpec Benign(bool with_image) {
  SpecParseResult parsed = ParseJobSpecs(SpecYaml(Target::kRun, nullptr, with_image), "job.yaml");
  EXPECT_TRUE(parsed.ok()) << (parsed.problems.empty() ? "" : parsed.problems[0].ToString());
  return parsed.specs.front();
}

// "'a\nb'" for a failure message.
std::string Shown(const std::string& value) {
  std::string out;
  for (unsigned char c : value) {
    if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return "'" + out + "'";
}

// --- the shape of a shell script ---

// What a script does, independent of the data it carries: the first word of
// every command (names of assignments; reserved words included), and a
// marker for every command substitution, in order, at any depth. A lexer
// of bash's quoting rules; the values the renderer writes are single-quoted
// words, so a value that escapes its quotes shows up here as a command.
class ShellShape {
 public:
  explicit ShellShape(const std::string& s) : s_(s) {}

  std::vector<std::string> Commands() {
    Lex(/*until=*/'\0');
    return commands_;
  }

 private:
  static bool IsBlank(char c) { return c == ' ' || c == '\t'; }
  static bool IsOperator(char c) {
    return c == '\n' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')';
  }

  // Lexes until `until` (')' closes $(...), '}' closes ${...}; '\0': the end).
  void Lex(char until) {
    static const std::set<std::string> kReserved = {"{",    "}",     "if", "then", "else",
                                                    "elif", "while", "do", "!",    "until"};
    bool command_start = true;  // the next word starts a command
    bool word_start = true;     // at the start of a word
    bool in_head = false;       // in the first word of a command
    bool head_open = false;     // still collecting its plain characters
    std::string head;
    auto end_word = [&] {
      if (in_head) {
        commands_.push_back(head);
        command_start = kReserved.count(head) != 0;
        head.clear();
        in_head = head_open = false;
      }
      word_start = true;
    };
    while (i_ < s_.size()) {
      char c = s_[i_];
      if (until != '\0' && c == until) {
        end_word();
        ++i_;
        return;
      }
      if (c == '#' && word_start) {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
        continue;
      }
      if (IsBlank(c)) {
        end_word();
        ++i_;
        continue;
      }
      if (c == '\\' && i_ + 1 < s_.size() && s_[i_ + 1] == '\n') {  // a continued line
        end_word();
        i_ += 2;
        continue;
      }
      if (IsOperator(c)) {
        end_word();
        command_start = true;
        ++i_;
        continue;
      }
      if (word_start) {
        word_start = false;
        if (command_start) {
          in_head = head_open = true;
          command_start = false;
        }
      }
      if (c == '\\') {
        head_open = false;
        i_ += 2;
      } else if (c == '\'') {
        head_open = false;
        ++i_;
        while (i_ < s_.size() && s_[i_] != '\'') ++i_;
        ++i_;
      } else if (c == '"') {
        head_open = false;
        ++i_;
        DoubleQuoted();
      } else if (c == '`') {
        head_open = false;
        Backquoted();
      } else if (c == '$') {
        head_open = false;
        Dollar();
      } else if (c == '=' && head_open) {
        // An assignment: its name stands for the command; the rest is its value.
        commands_.push_back(head + "=");
        head.clear();
        in_head = head_open = false;
        ++i_;
      } else {
        if (head_open) head += c;
        ++i_;
      }
    }
    end_word();
  }

  void Backquoted() {
    commands_.push_back("`");
    ++i_;
    while (i_ < s_.size() && s_[i_] != '`') i_ += s_[i_] == '\\' ? 2 : 1;
    ++i_;
  }

  void DoubleQuoted() {
    while (i_ < s_.size() && s_[i_] != '"') {
      if (s_[i_] == '\\') {
        i_ += 2;
      } else if (s_[i_] == '$') {
        Dollar();
      } else if (s_[i_] == '`') {
        Backquoted();
      } else {
        ++i_;
      }
    }
    ++i_;
  }

  // At a '$': $(...), $((...)), ${...}, $'...', or a plain expansion.
  void Dollar() {
    ++i_;
    if (i_ >= s_.size()) return;
    if (s_[i_] == '(') {
      ++i_;
      commands_.push_back("$(");
      Lex(')');
      commands_.push_back(")");
    } else if (s_[i_] == '{') {
      ++i_;
      Lex('}');
    } else if (s_[i_] == '\'') {
      ++i_;
      while (i_ < s_.size() && s_[i_] != '\'') i_ += s_[i_] == '\\' ? 2 : 1;
      ++i_;
    }
  }

  const std::string& s_;
  size_t i_ = 0;
  std::vector<std::string> commands_;
};

// The #SBATCH lines sbatch reads: those before the first line that is
// neither blank nor a comment.
std::vector<std::string> SbatchDirectives(const std::string& script) {
  std::vector<std::string> out;
  for (const std::string& line : Split(script, '\n')) {
    std::string t = Trim(line);
    if (t.empty()) continue;
    if (t[0] != '#') break;
    if (line.rfind("#SBATCH", 0) == 0) out.push_back(line);
  }
  return out;
}

// "--job-name=x" -> "--job-name".
std::string OptionName(const std::string& directive) {
  std::string rest = directive.substr(std::string("#SBATCH ").size());
  return rest.substr(0, rest.find('='));
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("skyrun_injection_" + std::to_string(::getpid()) + "_" + name))
      .string();
}

bool BashAccepts(const std::string& script) {
  std::string path = TempPath("script.sh");
  std::ofstream(path, std::ios::binary) << script;
  int rc = std::system(("bash -n '" + path + "' 2>/dev/null").c_str());
  std::filesystem::remove(path);
  return rc == 0;
}

// What bash makes of a quoted word: the bytes `printf %s WORD` prints.
std::string BashEcho(const std::string& word) {
  std::string path = TempPath("echo.sh");
  std::ofstream(path, std::ios::binary) << "printf %s " << word << "\n";
  std::string out;
  if (FILE* f = ::popen(("bash '" + path + "'").c_str(), "r")) {
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
    ::pclose(f);
  }
  std::filesystem::remove(path);
  return out;
}

void CheckSbatchProperty(const SbatchOptions& options, bool with_image) {
  Attempt benign = BuildAttempt(Benign(with_image), options.backend_name);
  auto benign_script = RenderSbatch(benign.launch, options);
  ASSERT_TRUE(benign_script.ok()) << benign_script.status().message();
  ASSERT_TRUE(BashAccepts(*benign_script));
  const std::vector<std::string> benign_commands = ShellShape(*benign_script).Commands();
  const std::vector<std::string> benign_directives = SbatchDirectives(*benign_script);
  ASSERT_GT(benign_commands.size(), 20u);
  ASSERT_GE(benign_directives.size(), 6u);

  int accepted = 0, rendered = 0;
  for (const Case& c : Cases(with_image)) {
    if (!c.spec) continue;
    ++accepted;
    std::string what = std::string(TargetName(c.target)) + " = " + Shown(c.value);
    Attempt a = BuildAttempt(*c.spec, options.backend_name);
    auto script = RenderSbatch(a.launch, options);
    if (!script.ok()) {
      // Only a container bind list cannot carry every path; nothing else may refuse.
      EXPECT_NE(script.status().message().find("container bind list"), std::string::npos)
          << what << ": " << script.status().message();
      continue;
    }
    ++rendered;
    EXPECT_TRUE(BashAccepts(*script)) << what << "\n" << *script;
    EXPECT_EQ(ShellShape(*script).Commands(), benign_commands) << what << "\n" << *script;
    std::vector<std::string> directives = SbatchDirectives(*script);
    ASSERT_EQ(directives.size(), benign_directives.size()) << what << "\n" << *script;
    for (size_t k = 0; k < directives.size(); ++k) {
      EXPECT_EQ(OptionName(directives[k]), OptionName(benign_directives[k])) << what;
      EXPECT_EQ(directives[k].find_first_of(" \t'\"\r", 8), std::string::npos)
          << what << ": " << directives[k];
    }
  }
  // Not vacuous: many values get through the parser, and most of those render.
  EXPECT_GT(accepted, kCases / 3);
  EXPECT_GT(rendered, accepted * 2 / 3);
}

TEST(SpecInjectionTest, Item5_SbatchScriptGainsNoCommandAndLosesNoDirective) {
  SbatchOptions options;
  options.backend_name = "slurm/hpc1";
  options.container = "none";
  CheckSbatchProperty(options, /*with_image=*/false);
}

TEST(SpecInjectionTest, Item5_SbatchScriptWithContainersGainsNoCommand) {
  SbatchOptions options;
  options.backend_name = "slurm/hpc1";
  options.container = "apptainer";
  CheckSbatchProperty(options, /*with_image=*/true);
}

TEST(SpecInjectionTest, Item5_TheIssuesWorkdirDoesNotReachAnSbatchLine) {
  // Refused by the parser; and if a launch carried it anyway, the renderer
  // keeps it inside quotes, off the #SBATCH lines.
  std::string attack = "/x\ntouch INJECTED\n#";
  SpecParseResult parsed = ParseJobSpecs("run: x\nworkdir: " + YamlQuoted(attack) + "\n", "job.yaml");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.problems[0].ToString().find("job.yaml:2:10: workdir: contains a line break"),
            std::string::npos);

  JobSpec spec = Benign(false);
  spec.workdir = attack;
  Attempt a = BuildAttempt(spec, "slurm/hpc1");
  SbatchOptions options;
  auto script = RenderSbatch(a.launch, options);
  ASSERT_TRUE(script.ok()) << script.status().message();
  EXPECT_TRUE(BashAccepts(*script));
  Attempt benign = BuildAttempt(Benign(false), "slurm/hpc1");
  EXPECT_EQ(ShellShape(*script).Commands(), ShellShape(*RenderSbatch(benign.launch, options)).Commands());
  // The text of the attack stays inside one quoted word.
  EXPECT_NE(script->find("\ncd -- '/x\ntouch INJECTED\n#' || "), std::string::npos) << *script;
  std::vector<std::string> directives = SbatchDirectives(*script);
  ASSERT_FALSE(directives.empty());
  EXPECT_EQ(directives.back(), "#SBATCH --no-requeue");
}

// The checks above can fail: a value that escaped its quotes, a command
// substitution, or a line that ends the directives early is seen.
TEST(SpecInjectionTest, Item5_TheCheckerSeesWhatAnEscapedValueWouldDo) {
  Attempt benign = BuildAttempt(Benign(false), "slurm/hpc1");
  std::string script = *RenderSbatch(benign.launch, SbatchOptions{});
  const auto commands = ShellShape(script).Commands();
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = script;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? s : s.replace(at, from.size(), to);
  };
  for (const std::string& injected :
       {std::string("'echo setup'; touch x"), std::string("'echo setup'\ntouch x"),
        std::string("\"$(touch x)\""), std::string("`touch x`"), std::string("'echo setup' && touch x")}) {
    EXPECT_NE(ShellShape(replaced("'echo setup'", injected)).Commands(), commands) << injected;
  }
  std::string early = replaced("#SBATCH --output", "touch x\n#SBATCH --output");
  EXPECT_LT(SbatchDirectives(early).size(), SbatchDirectives(script).size());
  EXPECT_FALSE(BashAccepts(replaced("'echo setup'", "'echo setup")));
}

TEST(SpecInjectionTest, Item5_ShellQuoteRoundTripsEveryValueThroughBash) {
  Rng rng(kSeed);
  for (int i = 0; i < 100; ++i) {
    std::string value = RandomValue(rng);
    if (value.find('\0') != std::string::npos) continue;  // no shell word holds a NUL (refused earlier)
    EXPECT_EQ(BashEcho(ShellQuote(value)), value) << Shown(value);
  }
}

// --- Volcano ---

// Every key path of a JSON document ("/spec/tasks/0/name"), object keys and
// array indices, in document order.
void KeyPaths(const nlohmann::ordered_json& j, const std::string& at, std::vector<std::string>* out) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out->push_back(at + "/" + it.key());
      KeyPaths(it.value(), at + "/" + it.key(), out);
    }
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) KeyPaths(j[i], at + "/" + std::to_string(i), out);
  }
}

// "$$(" -> "$(", "$$$" -> "$$": what Kubernetes hands the container.
std::string KubeExpand(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    out += text[i];
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '$') ++i;
  }
  return out;
}

// The value where the renderer puts `target`, found by meaning, not by path.
std::optional<std::string> Placed(const nlohmann::ordered_json& manifest, Target target) {
  const auto& tasks = manifest["spec"]["tasks"];
  for (const auto& task : tasks) {
    const auto& container = task["template"]["spec"]["containers"][0];
    bool ps = task["name"] == "ps";
    switch (target) {
      case Target::kName: return manifest["metadata"]["annotations"].begin().value().get<std::string>();
      case Target::kRun:
        if (!ps) return KubeExpand(container["args"][3].get<std::string>());
        break;
      case Target::kRoleRun:
        if (ps) return KubeExpand(container["args"][3].get<std::string>());
        break;
      case Target::kSetup: return KubeExpand(container["args"][2].get<std::string>());
      case Target::kImage:
        if (!ps) return container["image"].get<std::string>();
        break;
      case Target::kRoleImage:
        if (ps) return container["image"].get<std::string>();
        break;
      case Target::kEnvValue:
        for (const auto& e : container["env"])
          if (e["name"] == "KEY") return KubeExpand(e["value"].get<std::string>());
        return std::nullopt;
      case Target::kCheckpointDir: return container["volumeMounts"][0]["mountPath"].get<std::string>();
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

TEST(SpecInjectionTest, Item5_VolcanoManifestCarriesValuesOnlyAsValues) {
  KubernetesClusterConfig config = VolcanoGoldenCases().front().config;
  Attempt benign = BuildAttempt(Benign(true), config.BackendName());
  auto benign_job = RenderVolcanoJob(benign.launch, config);
  ASSERT_TRUE(benign_job.ok()) << benign_job.status().message();
  std::vector<std::string> benign_paths;
  KeyPaths(benign_job->manifest, "", &benign_paths);

  int accepted = 0, rendered = 0;
  for (const Case& c : Cases(true)) {
    if (!c.spec) continue;
    ++accepted;
    std::string what = std::string(TargetName(c.target)) + " = " + Shown(c.value);
    Attempt a = BuildAttempt(*c.spec, config.BackendName());
    auto job = RenderVolcanoJob(a.launch, config);
    ASSERT_TRUE(job.ok()) << what << ": " << job.status().message();
    ++rendered;
    // What kubectl reads: the dump must not throw (the parser let only UTF-8
    // through) and must parse back as the same document.
    std::string text;
    ASSERT_NO_THROW(text = job->manifest.dump(2)) << what;
    auto back = nlohmann::ordered_json::parse(text);
    EXPECT_EQ(back, job->manifest) << what;
    std::vector<std::string> paths;
    KeyPaths(back, "", &paths);
    EXPECT_EQ(paths, benign_paths) << what;
    if (auto placed = Placed(back, c.target)) {
      // The parser trims paths and image names.
      bool trimmed =
          c.target == Target::kCheckpointDir || c.target == Target::kImage || c.target == Target::kRoleImage;
      std::string expected = trimmed ? Trim(c.value) : c.value;
      EXPECT_EQ(*placed, expected) << what;
    }
  }
  EXPECT_GT(accepted, kCases / 3);
  EXPECT_EQ(rendered, accepted);
}

// --- local ---

TEST(SpecInjectionTest, Item5_LocalTaskGetsEveryValueVerbatimAsArgvAndEnv) {
  int accepted = 0;
  for (const Case& c : Cases(false)) {
    if (!c.spec) continue;
    ++accepted;
    std::string what = std::string(TargetName(c.target)) + " = " + Shown(c.value);
    Attempt a = BuildAttempt(*c.spec, "local");
    for (const TaskLaunch& task : a.launch.tasks) {
      ContainerContext ctx;
      ctx.cwd = "/srv/skyrun/jobs/42/attempt-1/rank-0/work";
      TaskFile file;
      file.job_id = "42";
      file.cwd = ctx.cwd;
      file.env = task.env;
      auto run = RenderTaskArgv(ctx, task.run);
      auto setup = RenderTaskArgv(ctx, task.setup);
      ASSERT_TRUE(run.ok() && setup.ok()) << what;
      file.run_argv = *run;
      file.setup_argv = *setup;
      std::string json;
      ASSERT_NO_THROW(json = TaskFileToJson(file)) << what;
      auto back = TaskFileFromJson(json);
      ASSERT_TRUE(back.ok()) << what << ": " << back.status().message();
      // The script is one argv element handed to bash as it is; nothing is
      // spliced into a command line.
      EXPECT_EQ(back->run_argv, (std::vector<std::string>{"/bin/bash", "-c", task.run})) << what;
      EXPECT_EQ(back->setup_argv, (std::vector<std::string>{"/bin/bash", "-c", task.setup})) << what;
      EXPECT_EQ(back->env, task.env) << what;
      for (const auto& [key, value] : c.spec->envs) {
        EXPECT_EQ(back->env.at(key), value) << what;
        EXPECT_EQ(key.find_first_of("=\n"), std::string::npos) << what;
      }
    }
  }
  EXPECT_GT(accepted, kCases / 3);
}

}  // namespace
}  // namespace skyrun

#include "spec/spec_parser.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>

#include "common/strings.h"
#include "common/text.h"
#include "spec/field_reader.h"
#include "spec/job_fields.h"
#include "spec/pipeline_checks.h"
#include "spec/sbatch_array.h"
#include "spec/sbatch_script.h"
#include "spec/yaml_loader.h"

namespace skyrun {
namespace {

using spec_internal::FieldReader;

std::string FormatMiB(size_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

void SortAndCap(std::vector<SpecProblem>* problems) {
  std::stable_sort(problems->begin(), problems->end(), [](const SpecProblem& a, const SpecProblem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  if (problems->size() > kMaxSpecProblems) {
    size_t more = problems->size() - kMaxSpecProblems;
    std::string file = problems->front().file;
    problems->resize(kMaxSpecProblems);
    problems->push_back(SpecProblem{
        file, 0, 0, "", "and " + std::to_string(more) + " more problems; fix these and validate again"});
  }
}

// Why a file cannot be read, in words rather than errno.
std::string Unreadable(const std::error_code& ec) {
  if (ec == std::errc::no_such_file_or_directory) return "no such file; check the path";
  if (ec == std::errc::permission_denied) return "permission denied; check the file's permissions";
  if (ec == std::errc::is_a_directory) return "is a directory, not a spec file";
  return "cannot be read (" + ec.message() + ")";
}

// The 1-based line and column (in characters) of byte `offset` of `text`,
// whose bytes before `offset` are UTF-8.
SourcePos PositionOfByte(std::string_view text, size_t offset) {
  SourcePos pos{1, 1};
  for (size_t i = 0; i < offset; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xc0) != 0x80) {
      ++pos.column;
    }
  }
  return pos;
}

// A spec is UTF-8 text (YAML 1.2 says so; JSON, in which the API and the
// task files carry it, needs it), without control characters other than tab,
// newline and carriage return (YAML allows no others unescaped). Checked on
// the whole text before parsing, so that a byte in a comment is found too.
std::optional<SpecProblem> CheckEncoding(std::string_view text, const std::string& file_name) {
  char hex[8];
  if (auto bad = FindInvalidUtf8(text)) {
    SourcePos pos = PositionOfByte(text, *bad);
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[*bad]));
    return SpecProblem{file_name, pos.line, pos.column, "",
                       std::string("not valid UTF-8 (byte ") + hex + "); save the spec as UTF-8"};
  }
  for (size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if ((c >= 0x20 && c != 0x7f) || c == '\t' || c == '\n' || c == '\r') continue;
    SourcePos pos = PositionOfByte(text, i);
    std::snprintf(hex, sizeof hex, "0x%02x", c);
    return SpecProblem{
        file_name, pos.line, pos.column, "",
        std::string("a control character (byte ") + hex + ") is not allowed in a job spec; remove it"};
  }
  return std::nullopt;
}

}  // namespace

std::string SpecProblem::ToString() const {
  std::string out = file;
  if (line > 0) {
    out += ":" + std::to_string(line);
    if (column > 0) out += ":" + std::to_string(column);
  }
  out += ": ";
  if (!field.empty()) out += field + ": ";
  out += message;
  return out;
}

SpecParseResult ParseJobSpecs(std::string_view text, const std::string& file_name) {
  return ParseJobSpecs(text, file_name, SpecParseOptions{});
}

SpecParseResult ParseJobSpecs(std::string_view text, const std::string& file_name,
                              const SpecParseOptions& options) {
  SpecParseResult result;
  if (text.size() > kMaxSpecBytes) {
    result.problems.push_back(SpecProblem{file_name, 0, 0, "",
                                          "the file is " + FormatMiB(text.size()) +
                                              "; a job spec may be at most 1 MiB (refer to data with inputs "
                                              "or file_mounts instead of writing it into the spec)"});
    return result;
  }
  if (auto bad = CheckEncoding(text, file_name)) {
    result.problems.push_back(std::move(*bad));
    return result;
  }
  if (spec_internal::LooksLikeSbatch(text)) {
    JobSpec spec;
    spec_internal::ReadSbatchScript(text, file_name, spec_internal::DefaultJobName(file_name), &spec,
                                    &result.problems);
    if (result.problems.empty()) result.specs.push_back(std::move(spec));
    SortAndCap(&result.problems);
    return result;
  }
  // The comment line the server appends to each job of an array
  // (spec/sbatch_array.h): this stored job's own index.
  ArrayElement element;
  if (auto bad = SplitArrayElement(text, &element)) {
    result.problems.push_back(SpecProblem{file_name, element.line, 1, "array", *bad});
    return result;
  }
  std::vector<YAML::Node> documents = spec_internal::LoadYamlDocuments(text, file_name, &result.problems);
  if (!result.problems.empty()) return result;

  // Empty documents (a stray "---") are skipped; a file of nothing but is empty.
  std::vector<YAML::Node> jobs;
  for (const auto& doc : documents)
    if (doc.IsDefined() && !doc.IsNull()) jobs.push_back(doc);
  if (jobs.empty()) {
    result.problems.push_back(
        SpecProblem{file_name, 0, 0, "", "the file is empty: a job spec needs at least `run`"});
    return result;
  }

  FieldReader reader(file_name, text, &result.problems);
  reader.set_broker_fields(options.broker_fields);
  reader.set_supplied(&options.supplied_envs, &options.supplied_secrets);
  std::string default_name = spec_internal::DefaultJobName(file_name);
  std::vector<SourcePos> doc_pos;
  try {
    // SkyPilot's chain DAG: a header document naming the chain, then its
    // stages, each after the one before.
    bool chain = spec_internal::ReadChainHeader(reader, jobs);
    // Copied, not erased: assigning a yaml-cpp Node rewrites the node it refers to.
    if (chain) jobs = std::vector<YAML::Node>(jobs.begin() + 1, jobs.end());
    for (const auto& doc : jobs) {
      JobSpec spec;
      spec_internal::ReadJobDocument(reader, doc, default_name, &spec);
      doc_pos.push_back(spec_internal::PosOf(doc));
      result.specs.push_back(std::move(spec));
    }
    if (chain) spec_internal::ChainStages(&result.specs);
    for (size_t i = 0; i < result.specs.size(); ++i) {
      JobSpec& spec = result.specs[i];
      if (spec.array.present() && result.specs.size() > 1) {
        result.problems.push_back(
            SpecProblem{file_name, doc_pos[i].line, doc_pos[i].column, "array",
                        "an array is one job run once per index; a file of several "
                        "jobs (stages) cannot be one: put the array in a file of its own"});
      }
    }
    if (element.task_id >= 0) {
      if (result.specs.size() != 1 || !result.specs[0].array.present()) {
        result.problems.push_back(
            SpecProblem{file_name, element.line, 1, "array",
                        "a line starting " + std::string(kArrayElementMarker) +
                            "is written by the server for each job of an array; remove it"});
      } else if (auto bad = ApplyArrayElement(element, &result.specs[0].array)) {
        result.problems.push_back(SpecProblem{file_name, element.line, 1, "array", *bad});
      }
    }
    spec_internal::CheckPipeline(reader, result.specs, doc_pos);
  } catch (const std::exception& e) {
    // The readers only use yaml-cpp's non-throwing accessors; this is a backstop.
    result.problems.push_back(
        SpecProblem{file_name, 0, 0, "", std::string("could not read the spec: ") + e.what()});
  }
  if (!result.problems.empty()) {
    result.specs.clear();
    SortAndCap(&result.problems);
  }
  return result;
}

SpecParseResult ParseJobSpecFile(const std::string& path) {
  return ParseJobSpecFile(path, SpecParseOptions{});
}

SpecParseResult ParseJobSpecFile(const std::string& path, const SpecParseOptions& options) {
  SpecParseResult result;
  auto refuse = [&](std::string message) {
    result.problems.push_back(SpecProblem{path, 0, 0, "", std::move(message)});
    return result;
  };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec) return refuse(Unreadable(ec));
  if (std::filesystem::is_directory(status))
    return refuse(Unreadable(std::make_error_code(std::errc::is_a_directory)));
  if (!std::filesystem::is_regular_file(status))
    return refuse("is not a regular file; give the path of a YAML spec");
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return refuse(Unreadable(ec));
  if (size > kMaxSpecBytes) {
    return refuse(
        "the file is " + FormatMiB(size) +
        "; a job spec may be at most 1 MiB (refer to data with inputs or file_mounts instead of writing "
        "it into the spec)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return refuse(Unreadable(std::error_code(errno, std::generic_category())));
  std::string text;
  text.resize(size);
  in.read(text.data(), static_cast<std::streamsize>(size));
  text.resize(static_cast<size_t>(in.gcount()));
  if (in.bad()) return refuse(Unreadable(std::error_code(errno, std::generic_category())));
  // The file may have grown since it was measured; read at most one byte past the limit.
  if (in.peek() != std::char_traits<char>::eof())
    return refuse("the file changed while it was read; try again");

  result = ParseJobSpecs(text, path, options);
  std::string base_dir = std::filesystem::absolute(path, ec).lexically_normal().parent_path().string();
  for (auto& spec : result.specs) spec.base_dir = base_dir;
  return result;
}

Result<JobSpec> DecodeStoredJobSpec(std::string_view yaml, const std::string& file) {
  SpecParseResult parsed = ParseJobSpecs(yaml, file);
  if (!parsed.ok()) {
    std::string lines;
    for (const auto& p : parsed.problems) lines += p.ToString() + "\n";
    return InvalidArgument(lines);
  }
  if (parsed.specs.size() != 1) {
    return InvalidArgument(
        file + ": holds " + std::to_string(parsed.specs.size()) +
        " jobs; multi-stage pipelines are placed by the broker, which is not available yet: "
        "submit one job per file\n");
  }
  JobSpec spec = std::move(parsed.specs.front());
  spec.base_dir.clear();
  return spec;
}

}  // namespace skyrun

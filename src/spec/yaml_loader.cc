#include "spec/yaml_loader.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

#include <exception>
#include <optional>
#include <sstream>

namespace skyrun::spec_internal {
namespace {

// Flow collections ("[[[[", "{{{{") nest without any indentation, so a short
// text can nest deeply. yaml-cpp has a depth guard of its own, but refusing
// here gives a clear message and does not depend on the library's version.
// Brackets are counted everywhere (also in strings and comments): real specs
// come nowhere near the limit, even with shell code in `run`.
std::optional<SpecProblem> CheckNesting(std::string_view text, const std::string& file_name) {
  int depth = 0, line = 1, column = 0;
  for (char c : text) {
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxSpecNesting) {
        return SpecProblem{
            file_name, line, column, "",
            "the YAML nests deeper than " + std::to_string(kMaxSpecNesting) +
                " levels of [ ] or { }; a job spec needs only a few (is a bracket left open?)"};
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

// Records where each document starts; ignores everything else.
class DocumentStarts : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override { start_ = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
  }
  void OnMapEnd() override {}
  const YAML::Mark& start() const { return start_; }

 private:
  YAML::Mark start_ = YAML::Mark::null_mark();
};

// yaml-cpp's YAML::LoadAll never returns when a document consumes no token:
// the next document starts at the same place, again and again. This pass
// walks the documents as events and returns where that happens, if it does.
std::optional<YAML::Mark> FindStuckDocument(std::string_view text) {
  std::istringstream in{std::string(text)};
  YAML::Parser parser(in);
  DocumentStarts handler;
  std::optional<YAML::Mark> previous;
  while (parser.HandleNextDocument(handler)) {
    if (previous && handler.start().pos == previous->pos) return handler.start();
    previous = handler.start();
  }
  return std::nullopt;
}

// yaml-cpp marks are 0-based, and null (-1) when unknown.
SpecProblem ProblemAtMark(const std::string& file_name, const YAML::Mark& mark, std::string message) {
  SpecProblem problem{file_name, 0, 0, "", std::move(message)};
  if (!mark.is_null() && mark.line >= 0 && mark.column >= 0) {
    problem.line = mark.line + 1;
    problem.column = mark.column + 1;
  }
  return problem;
}

// What usually causes yaml-cpp's terser errors.
std::string YamlErrorHint(const std::string& message) {
  if (message.find("flow not found") != std::string::npos) return " (is a '[' or '{' above left open?)";
  if (message.find("end of map not found") != std::string::npos ||
      message.find("end of sequence not found") != std::string::npos ||
      message.find("illegal map value") != std::string::npos) {
    return " (check the indentation here and above; indent with spaces, not tabs)";
  }
  if (message.find("EOF in scalar") != std::string::npos) return " (is a quote left open?)";
  if (message.find("anchor is not defined") != std::string::npos)
    return " (an *alias needs an &anchor above it)";
  return "";
}

}  // namespace

std::vector<YAML::Node> LoadYamlDocuments(std::string_view text, const std::string& file_name,
                                          std::vector<SpecProblem>* problems) {
  if (auto deep = CheckNesting(text, file_name)) {
    problems->push_back(*deep);
    return {};
  }
  try {
    if (auto stuck = FindStuckDocument(text)) {
      std::string what = "invalid YAML: unexpected text here";
      if (stuck->pos >= 0 && static_cast<size_t>(stuck->pos) < text.size() && text[stuck->pos] == ',') {
        what = "invalid YAML: a ',' here separates nothing (commas separate items inside [ ] or { } only)";
      }
      problems->push_back(ProblemAtMark(file_name, *stuck, what));
      return {};
    }
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::DeepRecursion& e) {
    // Its mark is often the document's first character: show it only when it says more.
    YAML::Mark mark = e.mark.line == 0 && e.mark.column == 0 ? YAML::Mark::null_mark() : e.mark;
    problems->push_back(ProblemAtMark(file_name, mark,
                                      "the YAML nests too deeply for a job spec (yaml-cpp stops at " +
                                          std::to_string(e.depth()) +
                                          " levels); a job spec needs only a few"));
  } catch (const YAML::ParserException& e) {
    problems->push_back(ProblemAtMark(file_name, e.mark, "invalid YAML: " + e.msg + YamlErrorHint(e.msg)));
  } catch (const YAML::Exception& e) {
    problems->push_back(ProblemAtMark(file_name, e.mark, "could not read the YAML: " + e.msg));
  } catch (const std::exception& e) {
    problems->push_back(
        SpecProblem{file_name, 0, 0, "", std::string("could not read the YAML: ") + e.what()});
  }
  return {};
}

}  // namespace skyrun::spec_internal

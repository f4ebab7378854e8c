// FieldReader: typed, located access to the fields of a parsed YAML document,
// for the job spec parser (spec_parser.cc and the *_fields.cc readers only).
//
// Every reader takes a Field (the node, its dotted path and its position) and
// returns the value, or nothing; when the value is wrong it records one
// SpecProblem that says what was expected and what was found, and the caller
// simply goes on, so that every problem of a file is found in one pass.
// A null value (`key:` with nothing after it) reads as "not set" everywhere.
// The readers never recurse into values they do not know, so anchors and
// aliases (even cyclic ones) cannot make a walk deep or long.
//
// Thread-safety: one FieldReader per parse; not shared between threads.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/job_spec.h"
#include "spec/spec_parser.h"

namespace skyrun::spec_internal {

// A value in the document with where it is and what it is called.
struct Field {
  Field(std::string path, std::string key, YAML::Node value, SourcePos pos, SourcePos key_pos)
      : path(std::move(path)), key(std::move(key)), value(std::move(value)), pos(pos), key_pos(key_pos) {}
  Field(const Field&) = default;
  Field(Field&&) = default;
  // Assigning a yaml-cpp Node that refers to a node rewrites that node in the
  // document; Fields are built, never assigned.
  Field& operator=(const Field&) = delete;

  std::string path;  // "resources.cpus", "inputs[0].uri", "envs.MODEL"
  std::string key;   // the last map key ("cpus"); empty for list items and the root
  YAML::Node value;
  SourcePos pos;      // the value's position; its key's when the value is empty
  SourcePos key_pos;  // the key's position (the value's for list items)

  bool IsNull() const { return !value.IsDefined() || value.IsNull(); }
};

// "resources" + "cpus" -> "resources.cpus"; "" + "run" -> "run".
std::string JoinPath(const std::string& parent, const std::string& child);

// A map key as it appears in a field path: as written when it is a plain
// word, else quoted, escaped and shortened ("envs.'a.b'", "envs.'a\\nb'").
std::string PathKey(std::string_view key);

// A short description of a node for "got ..." in messages: "a map", "a list",
// "nothing", or the scalar quoted and shortened.
std::string Describe(const YAML::Node& node);
// A user's text, quoted and shortened, with control characters escaped.
std::string Quote(std::string_view text);

// The 1-based position of a node (0:0 where yaml-cpp has none).
SourcePos PosOf(const YAML::Node& node);

// What a string field may hold besides printable text. Every string field is
// free of NUL and of control characters other than tab, newline and carriage
// return; a kLine field (names, paths, images, URIs) holds none of those
// either, so that it can never end a line of a script or a directive.
enum class TextKind { kLine, kScript };

// The first character of `text` that a field of `kind` must not hold, with
// why, or nullopt: "a line break (\n)", "a NUL character (\0)", ...
std::optional<std::string> ForbiddenCharacter(std::string_view text, TextKind kind);

class FieldReader {
 public:
  // Problems are appended to *problems; positions of the fields read are
  // recorded in *positions when it is set (by path). `text` is the YAML the
  // nodes come from (it must outlive the reader), to place empty values.
  FieldReader(std::string file, std::string_view text, std::vector<SpecProblem>* problems);

  void set_positions(std::map<std::string, SourcePos>* positions) { positions_ = positions; }
  // SpecParseOptions::broker_fields: the broker's fields are read into the
  // spec instead of refused (for `skyrun plan`).
  void set_broker_fields(bool on) { broker_fields_ = on; }
  bool broker_fields() const { return broker_fields_; }
  // Names of valueless envs / secrets the launch gives (SpecParseOptions).
  void set_supplied(const std::set<std::string>* envs, const std::set<std::string>* secrets) {
    supplied_envs_ = envs;
    supplied_secrets_ = secrets;
  }
  bool Supplied(const std::string& name, bool secret) const {
    const std::set<std::string>* names = secret ? supplied_secrets_ : supplied_envs_;
    return names != nullptr && names->count(name) != 0;
  }
  const std::string& file() const { return file_; }
  size_t problem_count() const { return problems_->size(); }

  void Problem(SourcePos pos, const std::string& field, std::string message);
  void Problem(const Field& field, std::string message) {
    Problem(field.pos, field.path, std::move(message));
  }

  // The root of a document as a Field.
  static Field Root(const YAML::Node& node);

  // A map whose keys must be among `allowed`: returns its entries in file
  // order (nullopt if it is not a map). Unknown keys (with "did you mean"),
  // duplicate keys and keys that are not names are reported. `what` names
  // the map for the type error ("the resources of a task").
  std::optional<std::vector<Field>> Fields(const Field& field, const std::vector<std::string>& allowed,
                                           std::string_view what);
  // A map with free keys (envs, file_mounts, roles, accelerators): entries in
  // file order; duplicate keys and keys that are not scalars are reported.
  std::optional<std::vector<Field>> Entries(const Field& field, std::string_view what);
  // A list: its items as Fields ("path[i]"). With `scalar_is_one_item`, a
  // single scalar is accepted as a list of one ("infra: local").
  std::optional<std::vector<Field>> List(const Field& field, std::string_view what, bool scalar_is_one_item);

  // Scalars. `what` describes the expected value for the type error. One
  // line unless `kind` says the field is a script (run, setup, expressions).
  std::optional<std::string> String(const Field& field, std::string_view what = "a string",
                                    TextKind kind = TextKind::kLine);
  // A string that is not empty or blank.
  std::optional<std::string> NonEmptyString(const Field& field, std::string_view what,
                                            TextKind kind = TextKind::kLine);
  // Reports (at `pos`, as `path`) a character `text` must not hold; false then.
  bool CheckText(SourcePos pos, const std::string& path, std::string_view text, TextKind kind);
  std::optional<int64_t> Int(const Field& field, int64_t min, int64_t max);
  std::optional<bool> Bool(const Field& field);
  // A finite decimal number >= 0 (USD, GB).
  std::optional<double> NonNegativeNumber(const Field& field, std::string_view what);
  // One of a fixed set of words, with "did you mean" on a near miss.
  std::optional<std::string> OneOf(const Field& field, const std::vector<std::string>& allowed);

 private:
  void Record(const Field& field);
  // yaml-cpp places an empty list item ("-" and nothing) at the token after
  // it; this finds the "-" (or "," / "[") before that token instead.
  SourcePos EmptyItemPos(const YAML::Node& node, SourcePos fallback);

  std::string file_;
  std::string_view text_;
  std::vector<size_t> line_starts_;  // offsets where lines begin; built on first use
  std::vector<SpecProblem>* problems_;
  std::map<std::string, SourcePos>* positions_ = nullptr;
  bool broker_fields_ = false;
  const std::set<std::string>* supplied_envs_ = nullptr;
  const std::set<std::string>* supplied_secrets_ = nullptr;
};

}  // namespace skyrun::spec_internal

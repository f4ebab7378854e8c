#include "partition/csv.h"

#include <algorithm>
#include <cstdio>

#include "common/strings.h"
#include "common/text.h"

namespace skyrun::partition {
namespace {

Result<std::vector<std::string>> SplitRecord(std::string_view line, const std::string& where) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field.push_back(c);
      }
    } else if (c == '"' && Trim(field).empty()) {
      quoted = true;
      was_quoted = true;
      field.clear();
    } else if (c == ',') {
      fields.push_back(was_quoted ? field : Trim(field));
      field.clear();
      was_quoted = false;
    } else {
      field.push_back(c);
    }
  }
  if (quoted) return InvalidArgument(where + ": a quoted field is not closed; add the closing '\"'");
  fields.push_back(was_quoted ? field : Trim(field));
  return fields;
}

}  // namespace

std::optional<size_t> CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  return std::nullopt;
}

Result<CsvTable> ParseCsv(std::string_view text, const std::string& source) {
  // The units' names end up in JSON reports and error messages: refuse what
  // JSON cannot carry, with its place, instead of failing while answering.
  if (auto bad = FindInvalidUtf8(text)) {
    size_t line_start = text.rfind('\n', *bad == 0 ? 0 : *bad - 1);
    line_start = line_start == std::string_view::npos || *bad == 0 ? 0 : line_start + 1;
    int line = 1 + static_cast<int>(
                       std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(*bad), '\n'));
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned char>(text[*bad]));
    return InvalidArgument(source + ":" + std::to_string(line) + ":" + std::to_string(*bad - line_start + 1) +
                           ": not valid UTF-8 (byte " + hex + "); save the file as UTF-8");
  }
  CsvTable table;
  table.source = source;
  int line_no = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    std::string trimmed = Trim(raw);
    if (trimmed.empty() || trimmed[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    std::string where = source + ":" + std::to_string(line_no);
    SKYRUN_ASSIGN_OR_RETURN(std::vector<std::string> fields, SplitRecord(raw, where));
    if (table.header.empty()) {
      for (auto& f : fields) {
        std::string name = ToLower(f);
        if (name.empty()) return InvalidArgument(where + ": the header has an empty column name");
        if (std::find(table.header.begin(), table.header.end(), name) != table.header.end()) {
          return InvalidArgument(where + ": column '" + name + "' appears twice in the header");
        }
        table.header.push_back(name);
      }
      table.header_line.push_back(line_no);
    } else {
      if (fields.size() != table.header.size()) {
        return InvalidArgument(where + ": " + std::to_string(fields.size()) + " fields, but the header has " +
                               std::to_string(table.header.size()) + " columns (" + Join(table.header, ",") +
                               ")");
      }
      table.rows.push_back({line_no, std::move(fields)});
    }
    if (end == text.size()) break;
  }
  if (table.header.empty()) return InvalidArgument(source + ": empty file; expected a header row");
  return table;
}

Status CheckColumns(const CsvTable& table, const std::vector<std::string>& required,
                    const std::vector<std::string>& optional) {
  std::vector<std::string> known = required;
  known.insert(known.end(), optional.begin(), optional.end());
  std::string where =
      table.source + ":" + std::to_string(table.header_line.empty() ? 1 : table.header_line[0]);
  for (const auto& name : table.header) {
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    std::string message = where + ": unknown column '" + name + "'";
    if (auto near = NearestName(name, known)) message += "; did you mean '" + *near + "'?";
    return InvalidArgument(message + " Known columns: " + Join(known, ", "));
  }
  for (const auto& name : required) {
    if (!table.Column(name)) {
      return InvalidArgument(where + ": missing column '" + name + "'; the header must name " +
                             Join(required, ", "));
    }
  }
  return Status::Ok();
}

}  // namespace skyrun::partition

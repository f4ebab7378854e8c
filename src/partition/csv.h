// A small CSV reader for the partitioner's input files (model profiles,
// devices, links): a header row, then one record per line. Blank lines and
// lines starting with '#' are skipped; fields are trimmed; a field may be
// double-quoted (no line breaks inside). Each record remembers its line number
// so that errors say "file:line". Called by profile_csv.cc. Thread-safety: pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun::partition {

struct CsvTable {
  std::string source;               // file name for messages
  std::vector<std::string> header;  // lower-cased column names
  std::vector<int> header_line;     // 1-based line of the header (size 1)
  struct Row {
    int line = 0;
    std::vector<std::string> fields;
  };
  std::vector<Row> rows;

  // Index of a column, or nullopt.
  std::optional<size_t> Column(std::string_view name) const;
};

Result<CsvTable> ParseCsv(std::string_view text, const std::string& source);

// Checks that every column is one of `known`, that `required` are all there,
// and suggests the nearest known name for a misspelt one.
Status CheckColumns(const CsvTable& table, const std::vector<std::string>& required,
                    const std::vector<std::string>& optional);

}  // namespace skyrun::partition

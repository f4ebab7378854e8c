// A strict CSV reader for the broker's catalog files (SkyPilot's vms.csv, the
// region and egress tables): RFC 4180 records with a header row, fields
// separated by commas, a field may be double-quoted (commas, doubled quotes
// and line breaks inside), LF or CRLF line endings. Unlike the partitioner's
// lenient reader (src/partition/csv.h) nothing is trimmed or skipped except
// blank lines, because the catalog files are machine-written: anything odd is
// an error that names the file, line and column. Every field remembers where
// it started so that the loaders above can say where a bad value is.
// Callers: vms_csv.cc, regions.cc, egress.cc, the catalog fuzz target.
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace skyrun::catalog {

struct CsvField {
  std::string text;
  int line = 0;    // 1-based line where the field starts
  int column = 0;  // 1-based byte column where the field starts
};

struct CsvRecord {
  int line = 0;  // line of the record's first field
  std::vector<CsvField> fields;
};

struct CsvDocument {
  std::string source;  // file name for messages
  CsvRecord header;
  std::vector<CsvRecord> records;  // each has header.fields.size() fields

  // Index of the header column named `name` (exact match), or nullopt.
  std::optional<size_t> Column(std::string_view name) const;
  // "aws.csv:12:34" for a field, for error messages.
  std::string Where(const CsvField& field) const;
};

// Files larger than this are refused before parsing: the largest real
// catalog (SkyPilot's full AWS vms.csv) is about 2.5 MB.
inline constexpr size_t kMaxCsvBytes = 64u << 20;

// Parses `text` (named `source` in messages). Errors: an unclosed quote (at
// the opening quote), a quote inside an unquoted field, text after a closing
// quote, a record whose field count differs from the header's (at the first
// extra field or the end of the short record), an empty or duplicate header
// name, a file over kMaxCsvBytes or with no header.
Result<CsvDocument> ParseCsv(std::string_view text, const std::string& source);

}  // namespace skyrun::catalog

#include "catalog/csv.h"

#include <set>

namespace skyrun::catalog {
namespace {

std::string At(const std::string& source, int line, int column) {
  return source + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// Walks the text one record at a time, keeping the line and column of the
// next byte.
class Reader {
 public:
  Reader(std::string_view text, const std::string& source) : text_(text), source_(source) {}

  bool AtEnd() const { return pos_ >= text_.size(); }

  // Skips blank lines ("\n" or "\r\n" alone) between records.
  void SkipBlankLines() {
    while (!AtEnd()) {
      if (text_[pos_] == '\n') {
        Advance();
      } else if (text_[pos_] == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n') {
        Advance();
        Advance();
      } else {
        return;
      }
    }
  }

  // Reads one record up to and including its line ending.
  Result<CsvRecord> ReadRecord() {
    CsvRecord record;
    record.line = line_;
    while (true) {
      CsvField field;
      field.line = line_;
      field.column = column_;
      if (!AtEnd() && text_[pos_] == '"') {
        Advance();
        while (true) {
          if (AtEnd()) {
            return InvalidArgument(At(source_, field.line, field.column) +
                                   ": a quoted field is not closed; add the closing '\"'");
          }
          char c = text_[pos_];
          if (c == '"') {
            if (pos_ + 1 < text_.size() && text_[pos_ + 1] == '"') {
              field.text.push_back('"');
              Advance();
              Advance();
              continue;
            }
            Advance();
            break;
          }
          field.text.push_back(c);
          Advance();
        }
        if (!AtEnd() && !AtFieldEnd()) {
          return InvalidArgument(At(source_, line_, column_) +
                                 ": unexpected text after a closing quote; a quoted field ends at "
                                 "a comma or the end of the line");
        }
      } else {
        while (!AtEnd() && !AtFieldEnd()) {
          if (text_[pos_] == '"') {
            return InvalidArgument(At(source_, line_, column_) +
                                   ": a quote inside an unquoted field; quote the whole field and "
                                   "double the quote (\"\")");
          }
          field.text.push_back(text_[pos_]);
          Advance();
        }
      }
      record.fields.push_back(std::move(field));
      if (AtEnd()) return record;
      if (text_[pos_] == ',') {
        Advance();
        continue;
      }
      // A line ending: "\n" or "\r\n".
      if (text_[pos_] == '\r') Advance();
      Advance();
      return record;
    }
  }

  int line() const { return line_; }
  int column() const { return column_; }

 private:
  bool AtFieldEnd() const {
    char c = text_[pos_];
    if (c == ',' || c == '\n') return true;
    return c == '\r' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '\n';
  }
  void Advance() {
    if (text_[pos_] == '\n') {
      ++line_;
      column_ = 1;
    } else {
      ++column_;
    }
    ++pos_;
  }

  std::string_view text_;
  const std::string& source_;
  size_t pos_ = 0;
  int line_ = 1;
  int column_ = 1;
};

}  // namespace

std::optional<size_t> CsvDocument::Column(std::string_view name) const {
  for (size_t i = 0; i < header.fields.size(); ++i)
    if (header.fields[i].text == name) return i;
  return std::nullopt;
}

std::string CsvDocument::Where(const CsvField& field) const {
  return At(source, field.line, field.column);
}

Result<CsvDocument> ParseCsv(std::string_view text, const std::string& source) {
  if (text.size() > kMaxCsvBytes) {
    return InvalidArgument(source + ": " + std::to_string(text.size()) + " bytes is more than the " +
                           std::to_string(kMaxCsvBytes) + " a catalog file may have");
  }
  // A UTF-8 byte order mark (spreadsheets write one) is not part of the first name.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  CsvDocument doc;
  doc.source = source;
  Reader reader(text, source);
  reader.SkipBlankLines();
  if (reader.AtEnd()) return InvalidArgument(source + ": empty file; a header row was expected");
  Result<CsvRecord> header = reader.ReadRecord();
  if (!header.ok()) return header.status();
  std::set<std::string> names;
  for (const CsvField& f : header->fields) {
    if (f.text.empty())
      return InvalidArgument(At(source, f.line, f.column) + ": empty column name in the header");
    if (!names.insert(f.text).second) {
      return InvalidArgument(At(source, f.line, f.column) + ": column '" + f.text +
                             "' appears twice in the header");
    }
  }
  doc.header = std::move(*header);
  const size_t width = doc.header.fields.size();
  while (true) {
    reader.SkipBlankLines();
    if (reader.AtEnd()) break;
    Result<CsvRecord> record = reader.ReadRecord();
    if (!record.ok()) return record.status();
    if (record->fields.size() > width) {
      const CsvField& extra = record->fields[width];
      return InvalidArgument(At(source, extra.line, extra.column) + ": " +
                             std::to_string(record->fields.size()) + " fields where the header has " +
                             std::to_string(width));
    }
    if (record->fields.size() < width) {
      const CsvField& last = record->fields.back();
      const int end_column = last.column + static_cast<int>(last.text.size());
      return InvalidArgument(At(source, last.line, end_column) + ": " +
                             std::to_string(record->fields.size()) + " fields where the header has " +
                             std::to_string(width) + " (missing '" +
                             doc.header.fields[record->fields.size()].text + "')");
    }
    doc.records.push_back(std::move(*record));
  }
  return doc;
}

}  // namespace skyrun::catalog

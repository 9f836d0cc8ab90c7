#include "ferkit/data/csv.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "ferkit/util/error.h"

namespace ferkit {

std::vector<std::string> split_csv_line(const std::string& line, const std::string& file, long line_no) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) throw InputError(file, line_no, "unterminated quoted field (truncated row?)");
  fields.push_back(std::move(field));
  return fields;
}

void for_each_csv_record(const std::string& path, const std::function<void(const CsvRecord&)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "cannot open file");
  std::string line;
  CsvRecord record;
  while (std::getline(in, line)) {
    ++record.line;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    // Spreadsheets save UTF-8 with a byte-order mark: it is no part of the first name.
    if (record.line == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (line.empty()) continue;
    record.error.clear();
    record.fields.clear();
    // A NUL inside a field would read as the end of a number or a name: the row is damaged.
    if (line.find('\0') != std::string::npos) {
      record.error = "a NUL byte in the row (a damaged file?)";
    } else {
      try {
        record.fields = split_csv_line(line, path, record.line);
      } catch (const InputError& e) {
        record.error = e.problem();
      }
    }
    fn(record);
  }
}

std::vector<CsvRecord> read_csv(const std::string& path) {
  std::vector<CsvRecord> records;
  for_each_csv_record(path, [&](const CsvRecord& r) { records.push_back(r); });
  return records;
}

int parse_int_field(const std::string& text, const std::string& what, const std::string& file, long line) {
  size_t b = text.find_first_not_of(" \t");
  size_t e = text.find_last_not_of(" \t");
  if (b == std::string::npos) throw InputError(file, line, what + " is empty (expected an integer)");
  std::string t = text.substr(b, e - b + 1);
  errno = 0;
  char* end = nullptr;
  long v = std::strtol(t.c_str(), &end, 10);
  if (*end != '\0' || errno == ERANGE || v < INT32_MIN || v > INT32_MAX)
    throw InputError(file, line, what + " is '" + t + "' (expected an integer)");
  return static_cast<int>(v);
}

}  // namespace ferkit

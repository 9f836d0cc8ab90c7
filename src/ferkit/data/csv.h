// A small CSV reader that keeps line numbers, so every error can name file:line.
// Hand-written rather than a library: the FER files need only RFC 4180 quoting, and the
// error messages must carry the physical line of each record.
#pragma once
#include <functional>
#include <string>
#include <vector>

namespace ferkit {

struct CsvRecord {
  long line = 0;                    // 1-based line number in the file
  std::vector<std::string> fields;  // unquoted fields
  std::string error;                // the problem, when the line cannot be read as fields (fields empty):
                                    // an unterminated quote, or a NUL byte (a damaged file)
};

// Splits one line into fields ("" quoting, "" inside quotes is a quote). Throws InputError
// naming file:line on an unterminated quote.
std::vector<std::string> split_csv_line(const std::string& line, const std::string& file, long line_no);

// Calls fn for every non-empty line of a CSV file, in order, without holding the whole file.
// Strips a trailing '\r' and a UTF-8 byte-order mark at the start of the file. Throws InputError when the file cannot be opened; a line that cannot
// be split comes with `error` set, so the caller can skip it under --skip-bad.
void for_each_csv_record(const std::string& path, const std::function<void(const CsvRecord&)>& fn);

// Reads every non-empty line of a CSV file.
std::vector<CsvRecord> read_csv(const std::string& path);

// Parses a whole string as an integer; throws InputError naming file:line and what was expected.
int parse_int_field(const std::string& text, const std::string& what, const std::string& file, long line);

}  // namespace ferkit

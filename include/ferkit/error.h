// ferkit's exceptions (public): every failure a caller can act on is a ferkit::Error whose
// message names the file and line, or the request, and the problem, as the CLI prints it. Input
// files with bad content throw the InputError subclass, which also gives them apart.
#pragma once
#include <stdexcept>
#include <string>

namespace ferkit {

// Any failure the user can act on (bad input, bad option, missing file).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad content in an input file: names the file and, where there is one, the line.
class InputError : public Error {
 public:
  InputError(const std::string& file, long line, const std::string& problem)
      : Error(line > 0 ? file + ":" + std::to_string(line) + ": " + problem : file + ": " + problem),
        file_(file), line_(line), problem_(problem) {}
  const std::string& file() const { return file_; }
  long line() const { return line_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  long line_;
  std::string problem_;
};

}  // namespace ferkit

// The one exception type that ends a run: an I/O failure (cannot read the
// input, cannot write the output) or a pipeline failure (FAIL PIPELINE).
// Per-record problems never throw: they become dead letters.
#pragma once

#include <stdexcept>
#include <string>

namespace pipec {

class RunError : public std::runtime_error {
 public:
  enum class Kind { Io, Failed };
  RunError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  static RunError io(const std::string& message) { return RunError(Kind::Io, message); }
  static RunError failed(const std::string& message) { return RunError(Kind::Failed, message); }

  Kind kind() const { return kind_; }
  // README exit codes: 1 for a failed run, 2 for I/O errors.
  int exit_code() const { return kind_ == Kind::Io ? 2 : 1; }

 private:
  Kind kind_;
};

}  // namespace pipec

#include <cstdio>
#include <cstring>
#include <unistd.h>

#include <fmt/format.h>

#include "pipec_version.h"
#include "tools/pipec/cli.h"

#include <map>

namespace pipec::cli {

namespace {
struct Command {
  CommandFn fn;
  bool has_own_help;
};
std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> table;
  return table;
}
}  // namespace

bool register_command(const char* name, CommandFn fn, bool has_own_help) {
  commands()[name] = {fn, has_own_help};
  return true;
}

bool take_flag(Args& args, const std::string& flag) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == flag) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

bool take_option(Args& args, const std::string& name, std::string* value) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name && it + 1 != args.end()) {
      *value = *(it + 1);
      args.erase(it, it + 2);
      return true;
    }
    if (it->rfind(name + "=", 0) == 0) {
      *value = it->substr(name.size() + 1);
      args.erase(it);
      return true;
    }
  }
  return false;
}

int usage_error(const std::string& message) {
  fmt::print(stderr, "pipec: error: {}\n", message);
  return 2;
}

bool stdout_is_terminal() { return isatty(STDOUT_FILENO); }

}  // namespace pipec::cli

namespace {
const char* kUsage = R"(pipec — declarative pipelines: Kafka/NDJSON in, Elasticsearch out

usage:
  pipec check FILE... [--baseline OLD_FILE] [--format text|json|sarif] [--emit-mapping [SINK]]
  pipec explain FILE [--logical|--physical] [--format text|json|dot] [--disable-pass NAME]...
  pipec explain FILE --ir | --ir-unoptimized
  pipec run FILE [--set NAME.KEY=VALUE]... [--no-jit | --engine jit|kernels|interpreter]
            [--summary-json PATH] [--no-progress] [--batch] [--reset-state] [--from TIME --to TIME]
            [--metrics-addr HOST:PORT] [--notify-url URL] [--decode-threads N]
  pipec alias list|rollback ALIAS --hosts URL [--username U --password-env VAR | --api-key-env VAR]
            [--ca-file PEM] [--to INDEX]
  pipec functions [--format text|json]
  pipec --version

`pipec run --help` describes the options of run.
exit codes: 0 clean, 1 findings or a failed run, 2 usage or I/O error
)";

// The lines of kUsage about one command (its line and the indented ones after it).
std::string command_usage(const std::string& cmd) {
  std::string out = "usage:\n", line;
  bool inside = false;
  for (const char* p = kUsage; *p; ++p) {
    if (*p != '\n') {
      line += *p;
      continue;
    }
    if (line.rfind("  pipec " + cmd + " ", 0) == 0) inside = true;
    else if (line.rfind("  pipec ", 0) == 0 || line.empty()) inside = false;
    if (inside) out += line + "\n";
    line.clear();
  }
  return out;
}

bool wants_help(const pipec::cli::Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") return true;
  return false;
}
}  // namespace

int main(int argc, char** argv) {
  using namespace pipec::cli;
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  std::string cmd = argv[1];
  Args args(argv + 2, argv + argc);
  if (cmd == "--version" || cmd == "version") {
    fmt::print("pipec {} (LLVM {})\n", PIPEC_VERSION, PIPEC_LLVM_VERSION);
    return 0;
  }
  try {
    auto it = commands().find(cmd);
    if (it != commands().end()) {
      if (!it->second.has_own_help && wants_help(args)) {
        fmt::print("{}", command_usage(cmd));
        return 0;
      }
      return it->second.fn(std::move(args));
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "pipec: internal error: {}\n", e.what());
    return 2;
  }
  fmt::print(stderr, "pipec: unknown command '{}'\n\n{}", cmd, kUsage);
  return 2;
}

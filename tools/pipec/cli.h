// The pipec command: one file per subcommand (check.cpp, explain.cpp, run.cpp,
// functions.cpp), dispatched from main.cpp. Exit codes: 0 clean, 1 findings
// or a failed run, 2 usage or I/O error.
#pragma once

#include <string>
#include <vector>

namespace pipec::cli {

using Args = std::vector<std::string>;

using CommandFn = int (*)(Args args);
// Each subcommand file registers itself at start-up:
//   static const bool registered = register_command("check", &check_command, true);
// A command without its own --help text gets its lines of pipec's usage.
bool register_command(const char* name, CommandFn fn, bool has_own_help = false);

// Small shared helpers.
bool take_flag(Args& args, const std::string& flag);                       // --flag
bool take_option(Args& args, const std::string& name, std::string* value);  // --name v | --name=v
int usage_error(const std::string& message);
bool stdout_is_terminal();

}  // namespace pipec::cli

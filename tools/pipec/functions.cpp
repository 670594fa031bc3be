// pipec functions: the stdlib catalogue with signatures and NULL behaviour.
#include <fmt/format.h>

#include "runtime/common/json_writer.h"
#include "stdlib/catalogue.h"
#include "tools/pipec/cli.h"

namespace pipec::cli {

namespace {


int functions_command(Args args) {
  std::string format = "text";
  take_option(args, "--format", &format);
  if (!args.empty()) return usage_error("functions takes no arguments");
  const auto& catalogue = FunctionCatalogue::instance();
  if (format == "json") {
    JsonWriter w;
    w.begin_array();
    for (const auto& f : catalogue.functions()) {
      w.begin_object().field("name", f.name).field("family", f.family).field("description", f.description);
      w.field("nulls", f.nulls == NullHandling::Propagate ? "propagate" : "custom");
      w.field("deterministic", f.deterministic);
      w.key("signatures").begin_array();
      for (const auto& o : f.overloads) w.value(signature_text(f, o));
      w.end_array().end_object();
    }
    w.end_array();
    fmt::print("{}\n", w.str());
    return 0;
  }
  if (format != "text") return usage_error("--format must be text or json");
  std::string family;
  for (const auto& f : catalogue.functions()) {
    if (f.family != family) {
      family = f.family;
      fmt::print("\n{}:\n", family);
    }
    for (const auto& o : f.overloads) fmt::print("  {:<48} {}\n", signature_text(f, o), &o == &f.overloads[0] ? f.description : "");
    if (f.nulls == NullHandling::Custom) fmt::print("  {:<48} (handles NULL arguments itself)\n", "");
  }
  return 0;
}

const bool registered = register_command("functions", &functions_command);

}  // namespace
}  // namespace pipec::cli

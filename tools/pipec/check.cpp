// pipec check FILE... [--baseline OLD_FILE] [--format text|json|sarif]
//                     [--emit-mapping [SINK]] [--no-color] [--list-lints]
//
// What CI runs on every pipeline change: parse, bind, lint, and (with
// --baseline) the contract diff against the previous version of the file.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>
#include <sstream>
#include <tuple>

#include "compiler/bind/binder.h"
#include "compiler/check/contract.h"
#include "compiler/check/lint.h"
#include "compiler/check/mapping.h"
#include "compiler/diagnostics/render.h"
#include "compiler/syntax/parser.h"
#include "pipec_version.h"
#include "runtime/common/json_writer.h"
#include "tools/pipec/cli.h"

namespace pipec::cli {

namespace {

const char* kCheckUsage = R"(usage: pipec check FILE... [options]

Parses, binds and lints each FILE ('-' reads standard input) and reports
every problem found, sorted by file and position.

options:
  --baseline OLD_FILE   also compare FILE (exactly one) with OLD_FILE, its
                        previous version, and name each change as breaking
                        (an error) or compatible (a note)
  --format FORMAT       text (default; clang-style with source and caret),
                        json, or sarif (SARIF 2.1.0, for code scanning)
  --emit-mapping [SINK] print the Elasticsearch mapping of SINK (optional when
                        the file has one sink) to stdout as {"mappings": ...};
                        diagnostics then go to stderr as text
  --no-color            never color text output (default: color when stdout
                        is a terminal)
  --list-lints          list the lints and exit

exit codes:
  0  no errors and no warnings (notes, e.g. compatible changes, are fine);
     with --emit-mapping: the mapping was printed
  1  at least one error or warning (syntax, binding, lint, breaking change)
  2  usage error, or a FILE or the baseline could not be read, or the
     baseline itself does not compile
)";

struct LoadedScript {
  BoundScript bound;
  bool unreadable = false;  // the top-level file could not be read
  FileId file = 0;          // its FileId when readable
};

// At most one byte past the limit: the parser reports InputTooLarge.
std::string read_stdin() {
  std::string text(kMaxScriptBytes + 1, '\0');
  std::cin.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(std::cin.gcount()));
  return text;
}

LoadedScript load(const std::string& path, SourceManager& sources, DiagnosticEngine& diags) {
  LoadedScript out;
  size_t before = diags.diagnostics().size();
  out.file = static_cast<FileId>(sources.file_count());
  ast::Script script = path == "-" ? parse_text("<stdin>", read_stdin(), sources, diags)
                                   : parse_file(path, sources, diags);
  for (size_t i = before; i < diags.diagnostics().size(); ++i) {
    const Diagnostic& d = diags.diagnostics()[i];
    if (d.kind == DiagKind::FileNotFound && !d.span.valid) out.unreadable = true;
  }
  if (out.unreadable) return out;
  out.bound = bind_script(script, diags);
  return out;
}

// The same imported file reached from two FILEs is parsed twice: report
// each of its problems once.
void remove_duplicates(DiagnosticEngine& diags) {
  const SourceManager& sm = diags.sources();
  std::set<std::tuple<std::string, uint32_t, uint32_t, int, std::string>> seen;
  auto& all = diags.diagnostics();
  std::vector<Diagnostic> kept;
  for (auto& d : all) {
    std::string path = d.span.valid ? sm.path(d.span.file) : "";
    if (seen.emplace(path, d.span.begin, d.span.end, static_cast<int>(d.kind), d.message).second)
      kept.push_back(std::move(d));
  }
  all = std::move(kept);
}

bool is_existing_file(const std::string& s) {
  std::error_code ec;
  return std::filesystem::is_regular_file(s, ec);
}

int list_lints() {
  for (const Lint& l : all_lints()) fmt::print("{:<26} {}\n", l.name, l.description);
  return 0;
}

int emit_mapping(const BoundScript& bound, const std::string& sink_name) {
  const SinkDef* sink = nullptr;
  if (sink_name.empty()) {
    if (bound.sinks.size() != 1) {
      std::string names;
      for (const auto& s : bound.sinks) names += (names.empty() ? "" : ", ") + s->name;
      return usage_error(bound.sinks.empty() ? "--emit-mapping: the file declares no sink"
                                             : "--emit-mapping: the file declares several sinks; name one of: " + names);
    }
    sink = bound.sinks[0].get();
  } else {
    sink = bound.find_sink(sink_name);
    if (!sink) {
      std::vector<std::string> names;
      for (const auto& s : bound.sinks) names.push_back(s->name);
      std::string m = closest_match(sink_name, names);
      return usage_error("--emit-mapping: no sink named '" + sink_name + "'" +
                         (m.empty() ? "" : " (did you mean '" + m + "'?)"));
    }
  }
  std::vector<MappedField> fields;
  std::string error;
  if (!sink_fields(bound, *sink, &fields, &error)) {
    fmt::print(stderr, "pipec: error: --emit-mapping: {}\n", error);
    return 1;
  }
  JsonWriter w;
  w.begin_object().key("mappings");
  write_index_mapping(w, fields);
  w.end_object();
  fmt::print("{}\n", w.str());
  return 0;
}

int check_command(Args args) {
  if (take_flag(args, "--help") || take_flag(args, "-h")) {
    fmt::print("{}", kCheckUsage);
    return 0;
  }
  if (take_flag(args, "--list-lints")) return list_lints();
  std::string format = "text";
  if (take_option(args, "--format", &format) && format != "text" && format != "json" && format != "sarif")
    return usage_error("--format must be text, json or sarif, not '" + format + "'");
  std::string baseline;
  if (!args.empty() && args.back() == "--baseline") return usage_error("--baseline needs a file");
  bool has_baseline = take_option(args, "--baseline", &baseline);
  bool no_color = take_flag(args, "--no-color");

  // --emit-mapping takes an optional SINK: the next argument, unless it is
  // an option or a file.
  bool mapping = false;
  std::string mapping_sink;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--emit-mapping=", 0) == 0) {
      mapping = true;
      mapping_sink = args[i].substr(15);
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
    if (args[i] == "--emit-mapping") {
      mapping = true;
      if (i + 1 < args.size() && args[i + 1].rfind("-", 0) != 0 && !args[i + 1].ends_with(".pipe") &&
          !is_existing_file(args[i + 1])) {
        mapping_sink = args[i + 1];
        args.erase(args.begin() + static_cast<std::ptrdiff_t>(i) + 1);
      }
      args.erase(args.begin() + static_cast<std::ptrdiff_t>(i));
      break;
    }
  }
  for (const auto& a : args)
    if (a.size() > 1 && a[0] == '-') return usage_error("check: unknown option '" + a + "' (see pipec check --help)");
  if (args.empty()) return usage_error("check needs at least one FILE (see pipec check --help)");
  if (has_baseline && args.size() != 1) return usage_error("--baseline compares exactly one FILE");
  if (mapping && args.size() != 1) return usage_error("--emit-mapping reads exactly one FILE");
  if (std::count(args.begin(), args.end(), "-") > 1) return usage_error("standard input can be read once");

  SourceManager sources;
  DiagnosticEngine diags(sources);
  bool io_error = false;
  std::vector<LoadedScript> scripts;
  for (const auto& path : args) {
    scripts.push_back(load(path, sources, diags));
    LoadedScript& s = scripts.back();
    if (s.unreadable) {
      io_error = true;
      continue;
    }
    run_lints(s.bound, diags);
    check_shared_sinks(s.bound, diags);
  }

  if (has_baseline && !io_error) {
    // The baseline shares the SourceManager (its spans can then be notes of
    // the contract diagnostics) but not the DiagnosticEngine: its own
    // problems are not findings of this change.
    DiagnosticEngine baseline_diags(sources);
    LoadedScript old = load(baseline, sources, baseline_diags);
    if (old.unreadable || baseline_diags.has_errors()) {
      baseline_diags.sort();
      fmt::print(stderr, "{}", render_text(baseline_diags, {!no_color && isatty(2)}));
      fmt::print(stderr, "pipec: error: the baseline '{}' {}\n", baseline,
                 old.unreadable ? "cannot be read" : "does not compile; compare against a version that does");
      return 2;
    }
    if (!diags.has_errors()) {
      ContractOptions options;
      options.removal_span = Span::at(scripts[0].file, 0, 0);
      options.baseline_spans_valid = true;
      check_contract(old.bound, scripts[0].bound, diags, options);
    }
  }

  diags.sort();
  remove_duplicates(diags);
  size_t warnings = std::count_if(diags.diagnostics().begin(), diags.diagnostics().end(),
                                  [](const Diagnostic& d) { return d.severity == Severity::Warning; });

  if (mapping) {
    if (!diags.diagnostics().empty())
      fmt::print(stderr, "{}", render_text(diags, {!no_color && isatty(2)}));
    if (io_error) return 2;
    if (diags.has_errors()) return 1;
    return emit_mapping(scripts[0].bound, mapping_sink);
  }

  if (format == "json") {
    fmt::print("{}", render_json(diags));
  } else if (format == "sarif") {
    fmt::print("{}", render_sarif(diags, PIPEC_VERSION));
  } else {
    fmt::print("{}", render_text(diags, {!no_color && stdout_is_terminal()}));
  }
  if (io_error) return 2;
  return diags.has_errors() || warnings > 0 ? 1 : 0;
}

const bool registered = register_command("check", &check_command, true);

}  // namespace
}  // namespace pipec::cli

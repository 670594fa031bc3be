// Shared by the check_* tests: compile a script from text and collect what
// pipec check would report.
#pragma once

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "compiler/bind/binder.h"
#include "compiler/check/lint.h"
#include "compiler/diagnostics/render.h"
#include "compiler/syntax/parser.h"

namespace pipec::testing {

struct Compiled {
  SourceManager sources;
  DiagnosticEngine diags{sources};
  ast::Script script;
  BoundScript bound;

  std::string text() {
    diags.sort();
    return render_text(diags);
  }
  size_t count(DiagKind kind) const {
    return std::count_if(diags.diagnostics().begin(), diags.diagnostics().end(),
                         [&](const Diagnostic& d) { return d.kind == kind; });
  }
  const Diagnostic* first(DiagKind kind) const {
    for (const auto& d : diags.diagnostics())
      if (d.kind == kind) return &d;
    return nullptr;
  }
  // The source text a diagnostic's span covers.
  std::string spanned(const Diagnostic& d) const {
    return sources.text(d.span.file).substr(d.span.begin, d.span.end - d.span.begin);
  }
};

inline std::unique_ptr<Compiled> compile(std::string text, bool lint = true) {
  auto c = std::make_unique<Compiled>();
  c->script = parse_text("t.pipe", std::move(text), c->sources, c->diags);
  c->bound = bind_script(c->script, c->diags);
  if (lint) run_lints(c->bound, c->diags);
  return c;
}

// A clean source/sink pair to build cases on.
inline const char* kOrders =
    "CREATE SOURCE orders (order_id STRING NOT NULL, user_id BIGINT, amount DOUBLE, ts TIMESTAMP NOT NULL,\n"
    "  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)\n"
    "  WITH (connector = 'kafka', topic = 'orders', 'properties.bootstrap.servers' = 'localhost:9092');\n";

}  // namespace pipec::testing

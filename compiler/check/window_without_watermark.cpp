// window-without-watermark: TUMBLE/HOP/SESSION windows close when the
// source's watermark passes their end. Without a WATERMARK the watermark
// never advances, so windows never emit (streams) or emit only at end of
// input (files) — and state grows with every window ever opened.
#include <fmt/format.h>

#include "compiler/check/check_util.h"
#include "compiler/check/lint.h"

namespace pipec {

void lint_window_without_watermark(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& p : script.pipelines) {
    if (!p->window || !p->window->span.valid || !p->source) continue;
    const WindowInfo& w = *p->window;
    if (!w.time || w.time->kind != BoundKind::Column) continue;
    const RelationDef& src = *p->source;
    if (src.kind != ast::RelationKind::Source) continue;
    const std::string& column = w.time->name;
    if (src.watermark) {
      // Windows close on the watermark's column; a window on another column
      // closes when an unrelated clock passes, dropping or delaying its rows.
      int wm = src.watermark->column;
      if (wm >= 0 && wm < static_cast<int>(src.columns.size()) && w.time->column < static_cast<int>(src.columns.size()) &&
          w.time->column != wm) {
        const std::string& wm_name = src.columns[wm].name;
        auto& d = diags.report(DiagKind::WindowNotOnWatermark, w.time->span, column, src.name, wm_name);
        d.hint = fmt::format("window on '{}', or move the WATERMARK to '{}'", wm_name, column);
        d.notes.push_back({src.watermark->span, "watermark declared here"});
      }
      continue;
    }
    auto& d = diags.report(DiagKind::WindowWithoutWatermark, w.span, column, src.name);
    d.hint = fmt::format("declare one in source '{}': WATERMARK FOR {} AS {} - INTERVAL '5' SECOND", src.name,
                         column, column);
    d.notes.push_back({check::declared_name_span(diags.sources(), src.span), "source '" + src.name + "' declared here"});
  }
}

}  // namespace pipec

// nondeterministic-id: a sink without a document id lets Elasticsearch pick
// a random _id per write. Delivery is at-least-once (a restart replays from
// the last committed offset), so every replayed row becomes a second
// document. With 'document.id' (or a PRIMARY KEY) the _id is a hash of the
// key columns and a replay overwrites the same document.
#include <fmt/format.h>

#include "compiler/check/check_util.h"
#include "compiler/check/lint.h"

namespace pipec {

namespace {

bool id_like(const std::string& name) {
  std::string n = check::lower(name);
  return n == "id" || n == "key" || n == "uuid" || n.ends_with("_id") || n.ends_with("_key") || n.ends_with("_uuid") ||
         (name.size() > 2 && name.ends_with("Id"));  // orderId
}

// A plausible key for the sink's documents, from what the pipeline writes.
std::string suggest_key(const PipelineDef& p) {
  if (p.grouped()) {
    // A window's rows are identified by its group keys and its start.
    const int nkeys = static_cast<int>(p.group_keys.size());
    const int window_start = nkeys + static_cast<int>(p.aggregates.size());
    std::vector<std::string> keys;
    bool has_start = false;
    int keys_seen = 0;
    for (const auto& o : p.outputs) {
      if (!o.expr || o.expr->kind != BoundKind::Column) continue;
      if (o.expr->column < nkeys) {
        keys.push_back(o.name);
        ++keys_seen;
      } else if (o.expr->column == window_start) {
        has_start = true;
        keys.push_back(o.name);
      }
    }
    if (has_start && keys_seen == nkeys) {
      std::string out;
      for (const auto& k : keys) out += (out.empty() ? "" : ",") + k;
      return out;
    }
  }
  const OutputColumn* best = nullptr;
  int best_score = -1;
  for (const auto& o : p.outputs) {
    if (!o.expr || !o.expr->type || o.expr->type->is_nested()) continue;
    int score = (id_like(o.name) ? 2 : 0) + (o.expr->nullable ? 0 : 1);
    if (score > best_score) {
      best = &o;
      best_score = score;
    }
  }
  return best && best_score > 0 ? best->name : "";
}

}  // namespace

void lint_nondeterministic_id(const BoundScript& script, DiagnosticEngine& diags) {
  for (const auto& sink : script.sinks) {
    const std::string& c = sink->connector;
    if (c != "elasticsearch" && c != "opensearch" && c != "file" && c != "stdout") continue;
    if (!sink->document_id.empty() || sink->options.find("document.id")) continue;
    auto writers = check::pipelines_writing(script, *sink);
    if (writers.empty()) continue;
    auto& d = diags.report(DiagKind::NondeterministicId, check::declared_name_span(diags.sources(), sink->span),
                           sink->name);
    std::string key;
    for (const PipelineDef* p : writers)
      if (key.empty()) key = suggest_key(*p);
    d.hint = fmt::format("add 'document.id' = '{}' to its WITH options: the _id becomes a hash of {}, so a "
                         "replayed row overwrites its document",
                         key.empty() ? "<key column>" : key,
                         key.find(',') != std::string::npos ? "those columns" : "that column");
    for (const PipelineDef* p : writers)
      d.notes.push_back({check::declared_name_span(diags.sources(), p->span),
                         "pipeline '" + p->name + "' writes to it"});
  }
}

}  // namespace pipec

#include "compiler/check/contract.h"

#include <fmt/format.h>

#include <unordered_map>

#include "compiler/check/check_util.h"

namespace pipec {

namespace {

using check::iequals;

int rank(ViolationAction a) {
  switch (a) {
    case ViolationAction::Warn: return 0;
    case ViolationAction::DropRow: return 1;
    case ViolationAction::DeadLetter: return 2;
    case ViolationAction::FailPipeline: return 3;
  }
  return 0;
}

std::string list_text(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

bool same_list(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (!iequals(a[i], b[i])) return false;
  return true;
}

// Name (case-folded) -> element, for matching in linear time: a 4 MiB
// script can declare hundreds of thousands of columns.
template <typename T, typename Keep>
std::unordered_map<std::string, const T*> by_name(const std::vector<T>& items, Keep keep) {
  std::unordered_map<std::string, const T*> out;
  for (const auto& x : items)
    if (keep(x)) out.emplace(check::lower(x.name), &x);  // the first of duplicates (reported by the binder)
  return out;
}
template <typename T>
const T* lookup(const std::unordered_map<std::string, const T*>& m, const std::string& name) {
  auto it = m.find(check::lower(name));
  return it == m.end() ? nullptr : it->second;
}

// How a column's type changed: same, compatible (a ROW gaining fields,
// recursively), or breaking.
enum class TypeChange { Same, Widened, Breaking };
TypeChange compare_types(const Type& a, const Type& b, int depth = 0) {
  if (type_equals(a, b)) return TypeChange::Same;
  if (depth > 64 || a.id != b.id) return TypeChange::Breaking;
  if (a.id == TypeId::Array) {
    if (!a.element || !b.element) return TypeChange::Breaking;
    return compare_types(*a.element, *b.element, depth + 1);
  }
  if (a.id != TypeId::Row) return TypeChange::Breaking;
  TypeChange result = TypeChange::Same;
  for (const auto& f : a.fields) {
    const Field* g = b.find_field(f.name);
    if (!g || !f.type || !g->type) return TypeChange::Breaking;
    if (g->not_null && !f.not_null) return TypeChange::Breaking;
    TypeChange c = compare_types(*f.type, *g->type, depth + 1);
    if (c == TypeChange::Breaking) return c;
    if (c == TypeChange::Widened) result = c;
  }
  if (b.fields.size() > a.fields.size()) result = TypeChange::Widened;
  return result;  // Same: only field order or case differ, which no mapping sees
}

class ContractChecker {
 public:
  ContractChecker(const BoundScript& old_script, const BoundScript& new_script, DiagnosticEngine& diags,
                  const ContractOptions& options)
      : old_(old_script), new_(new_script), diags_(diags), options_(options) {
    if (!options_.removal_span.valid) {
      auto first = [&](const Span& s) {
        if (!options_.removal_span.valid && s.valid) options_.removal_span = Span::at(s.file, 0, 0);
      };
      for (const auto& r : new_.relations) first(r->span);
      for (const auto& s : new_.sinks) first(s->span);
      for (const auto& p : new_.pipelines) first(p->span);
    }
  }

  void run() {
    auto index = [](const auto& items, auto& out) {
      for (const auto& x : items) out.emplace(check::lower(x->name), x.get());
    };
    index(old_.relations, old_relations_);
    index(new_.relations, new_relations_);
    index(old_.sinks, old_sinks_);
    index(new_.sinks, new_sinks_);
    index(old_.pipelines, old_pipelines_);
    index(new_.pipelines, new_pipelines_);
    relations();
    sinks();
    pipelines();
  }

 private:
  // ---------------------------------------------------------------- reporting
  Diagnostic& breaking(Span at, std::string what) { return diags_.report(DiagKind::ContractBreaking, at, what); }
  Diagnostic& compatible(Span at, std::string what) {
    return diags_.report(DiagKind::ContractCompatible, at, what);
  }
  Span name_of(Span statement) const { return check::declared_name_span(diags_.sources(), statement); }
  void baseline_note(Diagnostic& d, Span old_span, const std::string& what) {
    if (options_.baseline_spans_valid && old_span.valid)
      d.notes.push_back({check::declared_name_span(diags_.sources(), old_span), what});
  }

  // ---------------------------------------------------------------- columns
  // Columns of a source/table (input side) or of a sink (output side).
  void columns(const std::vector<ColumnInfo>& before, const std::vector<ColumnInfo>& after, const std::string& owner,
               Span owner_span, bool input_side) {
    auto all = [](const ColumnInfo&) { return true; };
    auto before_names = by_name(before, all), after_names = by_name(after, all);
    for (const auto& oc : before) {
      const ColumnInfo* nc = lookup(after_names, oc.name);
      if (!nc) {
        auto& d = breaking(owner_span, fmt::format("column '{}' was removed from {}", oc.name, owner));
        d.hint = input_side ? "pipelines reading it no longer bind; keep it (nullable) until no reader needs it"
                            : "documents lose the field; keep it until no consumer of the index needs it";
        baseline_note(d, oc.span, "declared here in the baseline");
        continue;
      }
      if (oc.type && nc->type) {
        TypeChange change = compare_types(*oc.type, *nc->type);
        if (change == TypeChange::Breaking) {
          auto& d = breaking(nc->span, fmt::format("column '{}' of {} changed type from {} to {}", oc.name, owner,
                                                   oc.type->to_string(), nc->type->to_string()));
          d.hint = input_side ? "records written for the old type are dead-lettered or read as NULL"
                              : "Elasticsearch cannot change a field's type in place: write to a new index and "
                                "reindex";
        } else if (change == TypeChange::Widened) {
          compatible(nc->span, fmt::format("column '{}' of {} gained fields ({} -> {})", oc.name, owner,
                                           oc.type->to_string(), nc->type->to_string()));
        }
      }
      if (oc.metadata_key != nc->metadata_key) {
        breaking(nc->span, fmt::format("column '{}' of {} now reads {} instead of {}", oc.name, owner,
                                       nc->metadata_key ? "metadata '" + *nc->metadata_key + "'" : "the record",
                                       oc.metadata_key ? "metadata '" + *oc.metadata_key + "'" : "the record"));
        continue;
      }
      if (input_side && !oc.not_null && nc->not_null && !nc->metadata_key) {
        auto& d = breaking(nc->span, fmt::format("column '{}' of {} is now NOT NULL", oc.name, owner));
        d.hint = "records without it, accepted before, will be dead-lettered";
      } else if (input_side && oc.not_null && !nc->not_null) {
        compatible(nc->span, fmt::format("column '{}' of {} is no longer NOT NULL", oc.name, owner));
      }
    }
    for (const auto& nc : after) {
      if (lookup(before_names, nc.name)) continue;
      if (input_side && nc.not_null && !nc.metadata_key) {
        auto& d = breaking(nc.span, fmt::format("new column '{}' of {} is NOT NULL", nc.name, owner));
        d.hint = "producers that do not send it yet would have every record dead-lettered; add it nullable first";
      } else {
        compatible(nc.span, fmt::format("new {}column '{}' in {}", nc.metadata_key ? "metadata " : nc.not_null ? "" : "nullable ",
                                        nc.name, owner));
      }
    }
  }

  // ---------------------------------------------------------------- constraints
  void constraints(const std::vector<ConstraintInfo>& before, const std::vector<ConstraintInfo>& after,
                   const std::string& owner, Span owner_span) {
    auto user = [](const ConstraintInfo& c) { return c.origin != "not null"; };  // NOT NULL is a column rule
    auto before_names = by_name(before, user), after_names = by_name(after, user);
    for (const auto& oc : before) {
      if (!user(oc)) continue;
      const ConstraintInfo* nc = lookup(after_names, oc.name);
      if (!nc) {
        auto& d = compatible(owner_span, fmt::format("constraint '{}' of {} was removed", oc.name, owner));
        baseline_note(d, oc.span, "declared here in the baseline");
        continue;
      }
      int ro = rank(oc.action), rn = rank(nc->action);
      if (rn > ro) {
        auto& d = breaking(nc->span, fmt::format("constraint '{}' of {} escalated from {} to {}", oc.name, owner,
                                                 ast::action_spelling(oc.action), ast::action_spelling(nc->action)));
        d.hint = "rows that only warned before are now removed; roll out as WARN first and watch its violation count";
      } else if (rn < ro) {
        compatible(nc->span, fmt::format("constraint '{}' of {} relaxed from {} to {}", oc.name, owner,
                                         ast::action_spelling(oc.action), ast::action_spelling(nc->action)));
      }
      std::string os = oc.expr ? to_sql(*oc.expr) : "", ns = nc->expr ? to_sql(*nc->expr) : "";
      if (os != ns) {
        Span at = nc->expr && nc->expr->span.valid ? nc->expr->span : nc->span;
        if (nc->action == ViolationAction::Warn && oc.action == ViolationAction::Warn) {
          compatible(at, fmt::format("WARN constraint '{}' of {} changed its condition from '{}' to '{}'", oc.name,
                                     owner, os, ns));
        } else {
          auto& d = breaking(at, fmt::format("constraint '{}' of {} changed its condition from '{}' to '{}'", oc.name,
                                             owner, os, ns));
          d.hint = fmt::format("rows accepted before may now be {}; roll the new condition out as a WARN constraint "
                               "first",
                               nc->action == ViolationAction::DropRow       ? "dropped"
                               : nc->action == ViolationAction::DeadLetter ? "dead-lettered"
                                                                           : "rejected");
        }
      }
    }
    for (const auto& nc : after) {
      if (!user(nc) || lookup(before_names, nc.name)) continue;
      if (nc.action == ViolationAction::Warn) {
        compatible(nc.span, fmt::format("new WARN constraint '{}' on {}", nc.name, owner));
      } else {
        auto& d = breaking(nc.span, fmt::format("new constraint '{}' on {} can reject rows accepted before (ON "
                                                "VIOLATION {})",
                                                nc.name, owner, ast::action_spelling(nc.action)));
        d.hint = "add it with ON VIOLATION WARN first, then escalate once its violation count is zero";
      }
    }
  }

  // ---------------------------------------------------------------- relations
  void relations() {
    for (const auto& o : old_.relations) {
      std::string owner = fmt::format("{} '{}'", ast::relation_kind_name(o->kind), o->name);
      const RelationDef* n = lookup(new_relations_, o->name);
      if (!n) {
        auto& d = breaking(options_.removal_span, owner + " was removed");
        d.hint = o->kind == ast::RelationKind::Source ? "its pipelines stop consuming; keep it until none reads it"
                                                      : "pipelines joining it no longer bind";
        baseline_note(d, o->span, "declared here in the baseline");
        continue;
      }
      Span at = name_of(n->span);
      if (n->kind != o->kind) {
        breaking(at, fmt::format("'{}' was a {} and is now a {}", o->name, ast::relation_kind_name(o->kind),
                                 ast::relation_kind_name(n->kind)));
        continue;
      }
      columns(o->columns, n->columns, owner, at, true);
      constraints(o->constraints, n->constraints, owner, at);
    }
    for (const auto& n : new_.relations)
      if (!lookup(old_relations_, n->name))
        compatible(name_of(n->span), fmt::format("new {} '{}'", ast::relation_kind_name(n->kind), n->name));
  }

  // ---------------------------------------------------------------- sinks
  void sinks() {
    for (const auto& o : old_.sinks) {
      std::string owner = fmt::format("sink '{}'", o->name);
      const SinkDef* n = lookup(new_sinks_, o->name);
      if (!n) {
        auto& d = breaking(options_.removal_span, owner + " was removed");
        d.hint = "its index stops receiving documents";
        baseline_note(d, o->span, "declared here in the baseline");
        continue;
      }
      Span at = name_of(n->span);
      auto option_span = [&](const char* key) {
        const OptionInfo* opt = n->options.find(key);
        return opt ? opt->value_span : at;
      };
      if (o->connector != n->connector && !o->connector.empty() && !n->connector.empty()) {
        breaking(option_span("connector"),
                 fmt::format("{} changed connector from '{}' to '{}'", owner, o->connector, n->connector));
      }
      if (!same_list(o->document_id, n->document_id)) {
        auto& d = breaking(option_span("document.id"),
                           fmt::format("document id of {} changed from {} to {}", owner,
                                       o->document_id.empty() ? "none" : "'" + list_text(o->document_id) + "'",
                                       n->document_id.empty() ? "none" : "'" + list_text(n->document_id) + "'"));
        d.hint = "documents written before get different _ids: replays and updates create duplicates instead of "
                 "overwriting";
      }
      if (o->index != n->index) {
        auto& d = breaking(option_span("index"),
                           fmt::format("{} now writes to index '{}' instead of '{}'", owner, n->index, o->index));
        d.hint = "readers of the old index stop seeing new documents; point an alias at the new index";
      }
      columns(o->declared_columns, n->declared_columns, owner, at, false);
    }
    for (const auto& n : new_.sinks)
      if (!lookup(old_sinks_, n->name)) compatible(name_of(n->span), fmt::format("new sink '{}'", n->name));
  }

  // ---------------------------------------------------------------- pipelines
  void pipelines() {
    for (const auto& o : old_.pipelines) {
      std::string owner = fmt::format("pipeline '{}'", o->name);
      const PipelineDef* n = lookup(new_pipelines_, o->name);
      if (!n) {
        auto& d = breaking(options_.removal_span, owner + " was removed");
        d.hint = o->sink ? "sink '" + o->sink->name + "' stops receiving its documents" : "";
        baseline_note(d, o->span, "declared here in the baseline");
        continue;
      }
      Span at = name_of(n->span);
      if (o->sink && n->sink && !iequals(o->sink->name, n->sink->name)) {
        breaking(at, fmt::format("{} now writes to sink '{}' instead of '{}'", owner, n->sink->name, o->sink->name));
      }
      outputs(*o, *n, owner, at);
      constraints(o->constraints, n->constraints, owner, at);
    }
    for (const auto& n : new_.pipelines)
      if (!lookup(old_pipelines_, n->name)) compatible(name_of(n->span), fmt::format("new pipeline '{}'", n->name));
  }

  void outputs(const PipelineDef& o, const PipelineDef& n, const std::string& owner, Span at) {
    std::string index = n.sink ? " of index '" + n.sink->index + "'" : "";
    auto all = [](const OutputColumn&) { return true; };
    auto before_names = by_name(o.outputs, all), after_names = by_name(n.outputs, all);
    for (const auto& oc : o.outputs) {
      const OutputColumn* nc = lookup(after_names, oc.name);
      if (!nc) {
        auto& d = breaking(at, fmt::format("output column '{}' of {} was removed", oc.name, owner));
        d.hint = "documents" + index + " lose the field and the index mapping changes";
        baseline_note(d, oc.span, "produced here in the baseline");
        continue;
      }
      if (!oc.expr || !nc->expr || !oc.expr->type || !nc->expr->type) continue;
      TypeChange change = compare_types(*oc.expr->type, *nc->expr->type);
      if (change == TypeChange::Breaking) {
        auto& d = breaking(nc->span, fmt::format("output column '{}' of {} changed type from {} to {}", oc.name, owner,
                                                 oc.expr->type->to_string(), nc->expr->type->to_string()));
        d.hint = "the field's mapping" + index +
                 " cannot change in place: documents would be rejected; write to a new index and reindex";
      } else if (change == TypeChange::Widened) {
        compatible(nc->span, fmt::format("output column '{}' of {} gained fields ({} -> {})", oc.name, owner,
                                         oc.expr->type->to_string(), nc->expr->type->to_string()));
      }
    }
    for (const auto& nc : n.outputs) {
      if (!lookup(before_names, nc.name)) compatible(nc.span, fmt::format("new output column '{}' in {}", nc.name, owner));
    }
  }

  const BoundScript& old_;
  const BoundScript& new_;
  // By case-folded name (the first of duplicates; the binder reports them).
  std::unordered_map<std::string, const RelationDef*> old_relations_, new_relations_;
  std::unordered_map<std::string, const SinkDef*> old_sinks_, new_sinks_;
  std::unordered_map<std::string, const PipelineDef*> old_pipelines_, new_pipelines_;
  DiagnosticEngine& diags_;
  ContractOptions options_;
};

}  // namespace

void check_contract(const BoundScript& baseline, const BoundScript& current, DiagnosticEngine& diags,
                    const ContractOptions& options) {
  ContractChecker(baseline, current, diags, options).run();
}

void check_contract(const BoundScript& baseline, const BoundScript& current, DiagnosticEngine& diags) {
  check_contract(baseline, current, diags, ContractOptions{});
}

}  // namespace pipec

#include "compiler/explain/explain.h"

#include <fmt/format.h>

#include "runtime/common/json_writer.h"

namespace pipec {

namespace {

std::string column_list(const std::vector<PlanColumn>& cols) {
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ", ";
    out += cols[i].name + " " + cols[i].type->to_string() + (cols[i].nullable ? "" : " NOT NULL");
  }
  return out;
}

std::string decode_path(const DecodeColumn& d) {
  if (d.metadata) return "metadata(" + *d.metadata + ")";
  std::string p = "$";
  for (const auto& k : d.path) p += "." + k;
  return p;
}

// One-line details of an operator, shared by the text and dot forms.
std::vector<std::string> details(const LogicalOperator& op) {
  std::vector<std::string> out;
  switch (op.type) {
    case LogicalOperatorType::Source: {
      const auto& s = op.as<LogicalSource>();
      out.push_back(fmt::format("{} '{}' connector={} format={}", ast::relation_kind_name(s.relation->kind),
                                s.relation->name, s.relation->connector, s.relation->format));
      std::string fields;
      for (const auto& d : s.decode) fields += (fields.empty() ? "" : ", ") + decode_path(d) + (d.raw_json ? " (raw json)" : "") + (d.not_null ? " NOT NULL" : "");
      out.push_back(fmt::format("decode {} of {} fields: {}", s.decode.size(), s.relation->columns.size(), fields));
      if (s.relation->watermark)
        out.push_back(fmt::format("watermark {} - {} ms", s.relation->columns[s.relation->watermark->column].name,
                                  s.relation->watermark->delay_ms));
      break;
    }
    case LogicalOperatorType::Constraint:
      for (const auto& c : op.as<LogicalConstraint>().constraints)
        out.push_back(fmt::format("{} EXPECT ({}) ON VIOLATION {}", c.name, to_sql(*c.expr), ast::action_spelling(c.action)));
      break;
    case LogicalOperatorType::Dedup: {
      const auto& d = op.as<LogicalDedup>();
      std::string keys;
      for (const auto& k : d.keys) keys += (keys.empty() ? "" : ", ") + to_sql(*k);
      out.push_back(fmt::format("on ({}) within {}", keys, d.within_ms ? std::to_string(*d.within_ms) + " ms" : "unbounded"));
      break;
    }
    case LogicalOperatorType::LookupJoin: {
      const auto& j = op.as<LogicalLookupJoin>();
      std::string keys;
      for (size_t i = 0; i < j.stream_keys.size(); ++i)
        keys += (i ? " AND " : "") + j.table->name + "." + j.table->columns[j.table_keys[i]].name + " = " + to_sql(*j.stream_keys[i]);
      out.push_back(fmt::format("{} table '{}' on {}", j.left ? "left" : "inner", j.table->name, keys));
      if (j.residual) out.push_back("residual " + to_sql(*j.residual));
      break;
    }
    case LogicalOperatorType::Filter: out.push_back(to_sql(*op.as<LogicalFilter>().predicate)); break;
    case LogicalOperatorType::WindowAggregate: {
      const auto& w = op.as<LogicalWindowAggregate>();
      const char* kind = w.window.kind == WindowInfo::Kind::Tumble ? "tumble" : w.window.kind == WindowInfo::Kind::Hop ? "hop" : "session";
      out.push_back(fmt::format("{}({}, size {} ms{}) watermark delay {} ms", kind, to_sql(*w.window.time), w.window.size_ms,
                                w.window.slide_ms ? fmt::format(", slide {} ms", w.window.slide_ms) : "", w.watermark_delay_ms));
      std::string keys, aggs;
      for (const auto& k : w.keys) keys += (keys.empty() ? "" : ", ") + to_sql(*k);
      for (const auto& a : w.aggregates) aggs += (aggs.empty() ? "" : ", ") + to_sql(*a);
      out.push_back("keys [" + keys + "] aggregates [" + aggs + "]");
      break;
    }
    case LogicalOperatorType::Project: {
      const auto& p = op.as<LogicalProject>();
      for (size_t i = 0; i < p.exprs.size(); ++i) out.push_back(to_sql(*p.exprs[i]) + " AS " + p.schema[i].name);
      break;
    }
    case LogicalOperatorType::Sink: {
      const auto& s = op.as<LogicalSink>();
      std::string id;
      for (int c : s.document_id) id += (id.empty() ? "" : ", ") + s.schema[c].name;
      out.push_back(fmt::format("sink '{}' connector={} index={} _id={}", s.sink->name, s.sink->connector, s.sink->index,
                                id.empty() ? "hash(source position)" : "hash(" + id + ")"));
      break;
    }
  }
  return out;
}

void text_logical(std::string& out, const LogicalPipeline& p) {
  out += fmt::format("pipeline {} — logical plan\n", p.name);
  int depth = 0;
  for (const LogicalOperator* op = p.root.get(); op; op = op->child.get(), ++depth) {
    std::string indent(depth * 2, ' ');
    out += fmt::format("{}{} {}\n", indent, depth ? "└─" : "", operator_name(op->type));
    for (const auto& d : details(*op)) out += fmt::format("{}     {}\n", indent, d);
    out += fmt::format("{}     -> ({})\n", indent, column_list(op->schema));
  }
}

void text_physical(std::string& out, const ExplainedPipeline& e) {
  out += fmt::format("pipeline {} — physical plan ({} fused kernel{})\n", e.logical->name, e.physical.kernel_count,
                     e.physical.kernel_count == 1 ? "" : "s");
  for (const auto& s : e.physical.stages) {
    if (s.kind == PhysicalStage::Kind::Kernel) {
      std::string ops;
      for (const auto* op : s.operators) ops += (ops.empty() ? "" : " → ") + std::string(operator_name(op->type));
      out += fmt::format("  [kernel {}] {}\n", s.kernel_id, ops);
    } else {
      out += fmt::format("  [{}]\n", stage_kind_name(s.kind));
    }
    for (const auto* op : s.operators)
      for (const auto& d : details(*op)) out += fmt::format("      {}\n", d);
  }
}

void json_operator(JsonWriter& w, const LogicalOperator& op) {
  w.begin_object().field("operator", operator_name(op.type));
  w.key("columns").begin_array();
  for (const auto& c : op.schema)
    w.begin_object().field("name", c.name).field("type", c.type->to_string()).field("nullable", c.nullable).end_object();
  w.end_array();
  switch (op.type) {
    case LogicalOperatorType::Source: {
      const auto& s = op.as<LogicalSource>();
      w.field("relation", s.relation->name).field("connector", s.relation->connector);
      w.key("decode").begin_array();
      for (const auto& d : s.decode) {
        w.begin_object().field("name", d.name).key("path").begin_array();
        for (const auto& k : d.path) w.value(k);
        w.end_array().field("type", d.type->to_string()).field("not_null", d.not_null).field("raw_json", d.raw_json);
        if (d.metadata) w.field("metadata", *d.metadata);
        w.end_object();
      }
      w.end_array();
      w.field("declared_fields", static_cast<uint64_t>(s.relation->columns.size()));
      break;
    }
    case LogicalOperatorType::Constraint: {
      w.field("owner", op.as<LogicalConstraint>().owner).key("constraints").begin_array();
      for (const auto& c : op.as<LogicalConstraint>().constraints)
        w.begin_object().field("name", c.name).field("expression", to_sql(*c.expr)).field("action", ast::action_spelling(c.action)).end_object();
      w.end_array();
      break;
    }
    case LogicalOperatorType::Filter: w.field("predicate", to_sql(*op.as<LogicalFilter>().predicate)); break;
    case LogicalOperatorType::Project: {
      w.key("expressions").begin_array();
      for (const auto& e : op.as<LogicalProject>().exprs) w.value(to_sql(*e));
      w.end_array();
      break;
    }
    case LogicalOperatorType::Sink: {
      const auto& s = op.as<LogicalSink>();
      w.field("sink", s.sink->name).field("connector", s.sink->connector).field("index", s.sink->index);
      w.key("document_id").begin_array();
      for (int c : s.document_id) w.value(s.schema[c].name);
      w.end_array();
      break;
    }
    default: {
      w.key("details").begin_array();
      for (const auto& d : details(op)) w.value(d);
      w.end_array();
    }
  }
  w.end_object();
}

std::string dot(const std::vector<ExplainedPipeline>& pipelines) {
  std::string out = "digraph pipec {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n";
  int n = 0;
  for (const auto& e : pipelines) {
    out += fmt::format("  subgraph cluster_{} {{\n    label=\"{}\";\n", n, e.logical->name);
    int prev = -1;
    for (const auto& s : e.physical.stages) {
      if (s.kind == PhysicalStage::Kind::Kernel)
        out += fmt::format("    subgraph cluster_{}_k{} {{ label=\"kernel {}\"; style=dashed;\n", n, s.kernel_id, s.kernel_id);
      for (const auto* op : s.operators) {
        int id = n * 1000 + (prev + 1);
        std::string label = operator_name(op->type);
        for (const auto& d : details(*op)) {
          std::string esc;
          for (char c : d) esc += (c == '"' || c == '\\') ? std::string("\\") + c : std::string(1, c);
          label += "\\n" + esc;
        }
        out += fmt::format("    n{} [label=\"{}\"];\n", id, label);
        if (prev >= 0) out += fmt::format("    n{} -> n{};\n", n * 1000 + prev, id);
        ++prev;
      }
      if (s.kind == PhysicalStage::Kind::Kernel) out += "    }\n";
    }
    out += "  }\n";
    ++n;
  }
  return out + "}\n";
}

}  // namespace

std::string render_explain(const std::vector<ExplainedPipeline>& pipelines, ExplainFormat format, ExplainLevel level) {
  if (format == ExplainFormat::Dot) return dot(pipelines);
  if (format == ExplainFormat::Json) {
    JsonWriter w;
    w.begin_object().field("format_version", 1).key("pipelines").begin_array();
    for (const auto& e : pipelines) {
      w.begin_object().field("name", e.logical->name);
      w.key("optimizer").begin_array();
      for (const auto& r : e.passes)
        w.begin_object().field("pass", r.pass).field("enabled", r.enabled).field("rewrites", r.rewrites).end_object();
      w.end_array();
      if (level != ExplainLevel::Physical) {
        // Source first, so the array reads in execution order.
        std::vector<const LogicalOperator*> chain;
        for (const LogicalOperator* op = e.logical->root.get(); op; op = op->child.get()) chain.insert(chain.begin(), op);
        w.key("logical").begin_array();
        for (const auto* op : chain) json_operator(w, *op);
        w.end_array();
      }
      if (level != ExplainLevel::Logical) {
        w.key("physical").begin_array();
        for (const auto& s : e.physical.stages) {
          w.begin_object().field("stage", stage_kind_name(s.kind));
          if (s.kernel_id >= 0) w.field("kernel", s.kernel_id);
          w.key("operators").begin_array();
          for (const auto* op : s.operators) w.value(operator_name(op->type));
          w.end_array().end_object();
        }
        w.end_array();
      }
      w.end_object();
    }
    w.end_array().end_object();
    return w.take() + "\n";
  }
  std::string out;
  for (const auto& e : pipelines) {
    if (level != ExplainLevel::Physical) text_logical(out, *e.logical);
    if (level == ExplainLevel::Both) out += "\n";
    if (level != ExplainLevel::Logical) text_physical(out, e);
    std::string passes;
    for (const auto& r : e.passes)
      passes += fmt::format("{}{}={}", passes.empty() ? "" : ", ", r.pass, r.enabled ? std::to_string(r.rewrites) : "off");
    out += "  optimizer: " + passes + "\n\n";
  }
  return out;
}

}  // namespace pipec

#include "compiler/bind/binder.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "compiler/bind/connector_options.h"
#include "compiler/bind/expression_binder.h"
#include "runtime/common/index_pattern.h"

namespace pipec {

namespace {

using ast::RelationKind;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}
bool iequals(std::string_view a, std::string_view b) { return lower(std::string(a)) == lower(std::string(b)); }

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      cur.push_back(c);
    }
  }
  if (!cur.empty() || !out.empty()) out.push_back(cur);
  return out;
}

// Metadata a connector exposes as columns, with the type each must have.
struct MetadataKey {
  const char* connector;
  const char* key;
  TypeId type;
};
const MetadataKey kMetadataKeys[] = {
    {"kafka", "key", TypeId::String},         {"kafka", "topic", TypeId::String},
    {"kafka", "partition", TypeId::BigInt},   {"kafka", "offset", TypeId::BigInt},
    {"kafka", "timestamp", TypeId::Timestamp}, {"kafka", "headers", TypeId::String},
    {"file", "file", TypeId::String},         {"file", "line", TypeId::BigInt},
};

class Binder {
 public:
  Binder(const ast::Script& script, DiagnosticEngine& diags) : script_(script), diags_(diags) {}

  BoundScript run() {
    check_duplicate_names();
    for (const auto& r : script_.relations) {
      if (r.kind == RelationKind::Sink) bind_sink(r);
      else bind_relation(r);
    }
    for (const auto& p : script_.pipelines) bind_pipeline(p);
    return std::move(out_);
  }

 private:
  // ---------------------------------------------------------------- names
  void check_duplicate_names() {
    std::map<std::string, Span> seen;
    for (const auto& r : script_.relations) {
      auto [it, fresh] = seen.emplace(lower(r.name.text), r.name.span);
      if (!fresh) {
        auto& d = diags_.report(DiagKind::DuplicateDefinition, r.name.span, r.name.text);
        d.notes.push_back({it->second, "previous definition is here"});
        duplicates_.insert(&r);
      }
    }
    std::map<std::string, Span> pipes;
    for (const auto& p : script_.pipelines) {
      auto [it, fresh] = pipes.emplace(lower(p.name.text), p.name.span);
      if (!fresh) {
        auto& d = diags_.report(DiagKind::DuplicateDefinition, p.name.span, p.name.text);
        d.notes.push_back({it->second, "previous definition is here"});
      }
    }
  }

  // ---------------------------------------------------------------- options
  OptionSet bind_options(const std::vector<ast::OptionDef>& defs, const std::string& connector, RelationKind kind,
                         bool for_pipeline, const std::string& owner) {
    OptionSet set;
    std::map<std::string, Span> seen;
    for (const auto& o : defs) {
      if (lower(o.key) == "connector" && !for_pipeline) continue;
      auto [it, fresh] = seen.emplace(o.key, o.key_span);
      if (!fresh) {
        auto& d = diags_.report(DiagKind::DuplicateOption, o.key_span, o.key);
        d.notes.push_back({it->second, "first given here"});
        continue;
      }
      const OptionSpec* spec = find_option_spec(connector, kind, for_pipeline, o.key);
      if (!spec && !connector.empty()) {
        auto& d = diags_.report(DiagKind::UnknownOption, o.key_span, o.key, for_pipeline ? "pipeline" : connector);
        std::string m = closest_match(o.key, option_keys(connector, kind, for_pipeline));
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
        continue;
      }
      OptionInfo info{o.key, o.value.text, o.value.kind == ast::OptionValue::Kind::Secret, o.value.kind,
                      o.span, o.value.span};
      if (spec && !info.is_secret) validate_value(*spec, o);
      set.options.push_back(std::move(info));
    }
    if (!connector.empty()) {
      for (const auto& spec : all_option_specs()) {
        if (spec.for_pipeline != for_pipeline || !spec.required) continue;
        if (!for_pipeline && (std::string_view(spec.connector) != (connector == "opensearch" ? "elasticsearch" : connector) ||
                              spec.kind != kind))
          continue;
        if (!set.find(spec.key)) {
          auto& d = diags_.report(DiagKind::MissingOption, owner_span_, connector, spec.key);
          d.hint = fmt::format("add '{}' = '...' to WITH (...): {}", spec.key, spec.description);
          // A pass-through key ('properties.*') may be a misspelling of it.
          for (const auto& given : set.options) {
            if (closest_match(given.key, {spec.key}).empty()) continue;
            d.hint = fmt::format("did you mean '{}' instead of '{}'?", spec.key, given.key);
            d.notes.push_back({given.span, "'" + given.key + "' is given here"});
            break;
          }
        }
      }
    }
    (void)owner;
    return set;
  }

  void validate_value(const OptionSpec& spec, const ast::OptionDef& o) {
    const std::string& v = o.value.text;
    auto bad = [&](const std::string& why, const std::string& hint = "") {
      auto& d = diags_.report(DiagKind::InvalidOptionValue, o.value.span, o.key, why);
      d.hint = hint;
    };
    switch (spec.type) {
      case OptionType::Integer: {
        if (o.value.kind == ast::OptionValue::Kind::Boolean || v.empty() ||
            v.find_first_not_of("0123456789") != std::string::npos)
          bad("expected a non-negative integer, got '" + v + "'");
        break;
      }
      case OptionType::Boolean:
        if (v != "true" && v != "false") bad("expected true or false, got '" + v + "'");
        break;
      case OptionType::Duration:
        if (!parse_duration_ms(v)) bad("expected a duration, got '" + v + "'", "write e.g. '500ms', '10s', '5m'");
        break;
      case OptionType::Size:
        if (!parse_size_bytes(v)) bad("expected a size, got '" + v + "'", "write e.g. '512kb', '10mb'");
        break;
      case OptionType::Fraction:
        if (!parse_fraction(v)) bad("expected a fraction between 0 and 1, got '" + v + "'", "write e.g. '0.99' or '99%'");
        break;
      case OptionType::Enum: {
        std::vector<std::string> values = split_enum(spec.enum_values);
        if (std::find(values.begin(), values.end(), v) == values.end()) {
          std::string m = closest_match(v, values);
          bad("'" + v + "' is not one of " + std::string(spec.enum_values),
              m.empty() ? "" : "did you mean '" + m + "'?");
        }
        break;
      }
      case OptionType::String:
      case OptionType::Path:
        if (o.value.kind != ast::OptionValue::Kind::String && o.value.kind != ast::OptionValue::Kind::Number)
          bad("expected a string");
        break;
    }
  }

  static std::vector<std::string> split_enum(const char* values) {
    std::vector<std::string> out;
    std::string cur;
    for (const char* p = values; *p; ++p) {
      if (*p == '|') {
        out.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(*p);
      }
    }
    out.push_back(cur);
    return out;
  }

  std::string connector_of(const std::vector<ast::OptionDef>& options, RelationKind kind, const ast::Ident& name) {
    for (const auto& o : options) {
      if (lower(o.key) != "connector") continue;
      std::string c = lower(o.value.text);
      auto valid = connectors_for(kind);
      if (std::find(valid.begin(), valid.end(), c) == valid.end()) {
        auto& d = diags_.report(DiagKind::UnknownConnector, o.value.span, o.value.text);
        std::string m = closest_match(c, valid);
        std::string list;
        for (const auto& v : valid) list += (list.empty() ? "" : ", ") + v;
        // A connector of another kind of statement: say so, not "did you mean".
        std::string other;
        for (RelationKind k : {RelationKind::Source, RelationKind::Table, RelationKind::Sink}) {
          auto of_k = connectors_for(k);
          if (other.empty() && k != kind && std::find(of_k.begin(), of_k.end(), c) != of_k.end())
            other = ast::relation_kind_name(k);
        }
        std::string kinds = "a " + std::string(ast::relation_kind_name(kind)) + " connector is one of: " + list;
        d.hint = !other.empty() ? "'" + c + "' is a " + other + " connector; " + kinds
                 : m.empty()    ? kinds
                                : "did you mean '" + m + "'?";
        return {};
      }
      return c;
    }
    auto& d = diags_.report(DiagKind::MissingConnector, name.span, name.text);
    d.hint = "add WITH (connector = '" + connectors_for(kind).front() + "', ...)";
    return {};
  }

  // ---------------------------------------------------------------- relations
  std::vector<ColumnInfo> bind_columns(const std::vector<ast::ColumnDef>& defs) {
    std::vector<ColumnInfo> cols;
    std::map<std::string, Span> seen;
    for (const auto& c : defs) {
      auto [it, fresh] = seen.emplace(lower(c.name.text), c.name.span);
      if (!fresh) {
        auto& d = diags_.report(DiagKind::DuplicateColumn, c.name.span, c.name.text);
        d.notes.push_back({it->second, "first declared here"});
        continue;
      }
      TypePtr t = c.type ? resolve_type(*c.type, diags_) : nullptr;
      // An unresolved type (reported) binds as the NULL type, which converts
      // to anything: expressions over the column raise no follow-on errors.
      ColumnInfo info{c.name.text, t ? t : Type::null(), c.not_null, std::nullopt, c.span};
      if (c.is_metadata) info.metadata_key = c.metadata_key.value_or(c.name.text);
      cols.push_back(std::move(info));
    }
    return cols;
  }

  void bind_relation(const ast::RelationDecl& r) {
    owner_span_ = r.name.span;
    auto def = std::make_unique<RelationDef>();
    def->kind = r.kind;
    def->name = r.name.text;
    def->span = r.span;
    if (!r.has_column_list) diags_.report(DiagKind::MissingColumns, r.name.span, ast::relation_kind_name(r.kind), r.name.text);
    def->columns = bind_columns(r.columns);
    def->connector = connector_of(r.options, r.kind, r.name);
    def->options = bind_options(r.options, def->connector, r.kind, false, r.name.text);
    if (def->connector == "kafka" && !def->options.find("properties.group.id") && def->options.find("group.id")) {
      // accepted alias; nothing else to do
    }
    if (!r.format.empty()) {
      std::string f = lower(r.format.text);
      if (f != "json" && !(f == "csv" && r.kind == RelationKind::Table)) {
        auto& d = diags_.report(DiagKind::UnknownFormat, r.format.span, r.format.text);
        d.hint = r.kind == RelationKind::Table ? "use JSON or CSV" : "sources read JSON";
      } else {
        def->format = f;
      }
    }

    // Metadata columns must name something the connector provides.
    for (auto& c : def->columns) {
      if (!c.metadata_key) continue;
      const MetadataKey* mk = nullptr;
      for (const auto& k : kMetadataKeys)
        if (def->connector == k.connector && *c.metadata_key == k.key) mk = &k;
      if (!mk) {
        std::vector<std::string> keys;
        for (const auto& k : kMetadataKeys)
          if (def->connector == k.connector) keys.push_back(k.key);
        auto& d = diags_.report(DiagKind::InvalidMetadata, c.span,
                                fmt::format("connector '{}' has no metadata '{}'", def->connector, *c.metadata_key));
        std::string m = closest_match(*c.metadata_key, keys);
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
      } else if (c.type->id != mk->type && c.type->id != TypeId::Null) {
        auto& d = diags_.report(DiagKind::InvalidMetadata, c.span,
                                fmt::format("metadata '{}' is {}, not {}", mk->key, type_id_name(mk->type),
                                            c.type->to_string()));
        d.hint = fmt::format("declare it as {}", type_id_name(mk->type));
      }
    }

    std::vector<ScopeColumn> scope;
    for (const auto& c : def->columns) scope.push_back({def->name, c});
    IndexedScope indexed(*this, scope);

    // NOT NULL: a missing value dead-letters the record at decode time.
    for (const auto& c : def->columns) {
      if (!c.not_null || c.metadata_key) continue;
      auto col = make_column(static_cast<int>(&c - def->columns.data()), c.name, c.type, true, c.span);
      auto is_not_null = std::make_shared<BoundExpr>();
      is_not_null->kind = BoundKind::IsNull;
      is_not_null->negated = true;
      is_not_null->type = Type::boolean();
      is_not_null->nullable = false;
      is_not_null->span = c.span;
      is_not_null->children.push_back(col);
      def->constraints.push_back({c.name + "_not_null", is_not_null, ViolationAction::DeadLetter, c.span, "not null"});
    }
    // Column CHECKs and named constraints.
    std::map<std::string, Span> names;
    for (size_t i = 0; i < r.columns.size(); ++i) {
      int n = 0;
      for (const auto& chk : r.columns[i].checks) {
        std::string name = r.columns[i].name.text + "_check" + (n++ ? "_" + std::to_string(n) : "");
        bind_constraint(chk, name, scope, def->constraints, names, "check");
      }
    }
    for (const auto& c : r.constraints) bind_constraint(c, c.name.text, scope, def->constraints, names, "constraint");
    for (const auto& d : r.dedups) def->dedups.push_back(bind_dedup(d, scope));

    // Watermark: WATERMARK FOR ts AS ts [- INTERVAL ...].
    for (const auto& w : r.watermarks) {
      if (def->watermark) {
        diags_.report(DiagKind::InvalidWatermark, w.span, "only one WATERMARK per source");
        continue;
      }
      int col = def->find_column(w.column.text);
      if (col < 0) {
        auto& d = diags_.report(DiagKind::UnknownColumn, w.column.span, w.column.text);
        std::vector<std::string> cn;
        for (const auto& c : def->columns) cn.push_back(c.name);
        std::string m = closest_match(w.column.text, cn);
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
        continue;
      }
      if (def->columns[col].type->id != TypeId::Timestamp) {
        diags_.report(DiagKind::InvalidWatermark, w.column.span,
                      fmt::format("'{}' is {}, a watermark needs a TIMESTAMP column", w.column.text,
                                  def->columns[col].type->to_string()));
        continue;
      }
      auto delay = watermark_delay(*w.expr, def->columns[col].name);
      if (!delay) {
        auto& d = diags_.report(DiagKind::InvalidWatermark, w.expr->span,
                                "the strategy must be the column minus a constant INTERVAL");
        d.hint = "WATERMARK FOR " + w.column.text + " AS " + w.column.text + " - INTERVAL '5' SECOND";
        continue;
      }
      def->watermark = WatermarkInfo{col, *delay, w.span};
    }
    if (r.kind == RelationKind::Table && r.watermarks.size())
      diags_.report(DiagKind::InvalidWatermark, r.watermarks[0].span, "lookup tables have no event time");

    for (const auto& pk : r.primary_key) {
      if (indexed.index.folded(pk.text).empty()) diags_.report(DiagKind::UnknownColumn, pk.span, pk.text);
      else def->primary_key.push_back(pk.text);
    }
    for (const auto& c : r.columns)
      if (c.primary_key) def->primary_key.push_back(c.name.text);

    if (!duplicates_.count(&r)) out_.relations.push_back(std::move(def));
  }

  std::optional<int64_t> watermark_delay(const ast::Expr& e, const std::string& column) {
    if (e.kind == ast::ExprKind::Column && iequals(e.name, column)) return 0;
    if (e.kind == ast::ExprKind::Binary && e.op == ast::Op::Sub && e.children[0]->kind == ast::ExprKind::Column &&
        iequals(e.children[0]->name, column) && e.children[1]->kind == ast::ExprKind::Literal &&
        e.children[1]->literal_kind == ast::LiteralKind::Interval) {
      return interval_millis(*e.children[1], diags_);
    }
    return std::nullopt;
  }

  void bind_constraint(const ast::ConstraintDef& c, std::string name, const std::vector<ScopeColumn>& scope,
                       std::vector<ConstraintInfo>& out, std::map<std::string, Span>& names, const char* origin) {
    auto [it, fresh] = names.emplace(lower(name), c.name.span.valid ? c.name.span : c.span);
    if (!fresh) {
      auto& d = diags_.report(DiagKind::DuplicateDefinition, c.name.span.valid ? c.name.span : c.span, name);
      d.notes.push_back({it->second, "previous constraint is here"});
      return;
    }
    ExpressionBinder eb(diags_, scope, "a constraint");
    use_index(eb);
    eb.broken_names = &script_.broken_names;
    if (!c.expr) return;
    auto expr = eb.bind_condition(*c.expr, "a constraint");
    if (!expr) return;
    out.push_back({name, expr, c.action, c.span, origin});
  }

  DedupInfo bind_dedup(const ast::DedupDef& d, const std::vector<ScopeColumn>& scope) {
    DedupInfo info;
    info.span = d.span;
    ExpressionBinder eb(diags_, scope, "DEDUPLICATE");
    use_index(eb);
    for (const auto& k : d.keys) {
      auto b = eb.bind(*k);
      if (!b) continue;
      if (b->type->is_nested()) {
        diags_.report(DiagKind::InvalidDedup, k->span, "keys must be scalar, not " + b->type->to_string());
        continue;
      }
      info.keys.push_back(b);
    }
    if (d.within) {
      if (d.within->kind == ast::ExprKind::Literal && d.within->literal_kind == ast::LiteralKind::Interval) {
        info.within_ms = interval_millis(*d.within, diags_);
        if (info.within_ms && *info.within_ms <= 0) {
          diags_.report(DiagKind::InvalidDedup, d.within->span, "WITHIN must be a positive interval");
          info.within_ms.reset();
        }
      } else {
        auto& diag = diags_.report(DiagKind::InvalidDedup, d.within->span, "WITHIN takes a constant INTERVAL");
        diag.hint = "DEDUPLICATE ON (id) WITHIN INTERVAL '1' HOUR";
      }
    }
    return info;
  }

  // ---------------------------------------------------------------- sinks
  void bind_sink(const ast::RelationDecl& r) {
    owner_span_ = r.name.span;
    auto def = std::make_unique<SinkDef>();
    def->name = r.name.text;
    def->span = r.span;
    def->connector = connector_of(r.options, RelationKind::Sink, r.name);
    def->options = bind_options(r.options, def->connector, RelationKind::Sink, false, r.name.text);
    def->declared_columns = bind_columns(r.columns);
    for (const auto& c : def->declared_columns)
      if (c.metadata_key) diags_.report(DiagKind::InvalidMetadata, c.span, "sinks have no metadata columns");
    if (!r.watermarks.empty()) diags_.report(DiagKind::InvalidWatermark, r.watermarks[0].span, "sinks have no watermark");
    if (!r.constraints.empty())
      diags_.report(DiagKind::InvalidConstraint, r.constraints[0].span,
                    "declare constraints on the source or the pipeline, not the sink");
    if (const OptionInfo* id = def->options.find("document.id")) {
      def->document_id = split_list(id->value);
      if (std::any_of(def->document_id.begin(), def->document_id.end(), [](const auto& s) { return s.empty(); })) {
        diags_.report(DiagKind::InvalidDocumentId, id->value_span, "empty column name in '" + id->value + "'");
        def->document_id.clear();
      }
    }
    for (const auto& pk : r.primary_key) def->document_id.push_back(pk.text);
    for (const auto& c : r.columns)
      if (c.primary_key) def->document_id.push_back(c.name.text);
    def->index = def->options.get("index", def->name);
    if (const OptionInfo* idx = def->options.find("index")) {
      std::string error;
      if (!IndexPattern::parse(idx->value, &error)) diags_.report(DiagKind::InvalidIndexPattern, idx->value_span, error);
    }
    if (!duplicates_.count(&r)) out_.sinks.push_back(std::move(def));
  }

  // ---------------------------------------------------------------- pipelines
  void bind_pipeline(const ast::PipelineDecl& p) {
    owner_span_ = p.name.span;
    auto def = std::make_unique<PipelineDef>();
    def->name = p.name.text;
    def->span = p.span;
    def->options = bind_options(p.options, "pipeline", RelationKind::Source, true, p.name.text);

    const auto& q = p.query;
    bool ok = true;
    // FROM: a source.
    def->source = out_.find_relation(q.from.name.text);
    if (!def->source) {
      ok = false;
      if (!script_.broken_names.count(q.from.name.text) && !out_.find_sink(q.from.name.text)) {
        auto& d = diags_.report(DiagKind::UnknownRelation, q.from.name.span, "source", q.from.name.text);
        std::vector<std::string> names;
        if (diags_.wants_suggestions())
          for (const auto& r : out_.relations)
            if (r->kind == RelationKind::Source) names.push_back(r->name);
        std::string m = closest_match(q.from.name.text, names);
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
      } else if (out_.find_sink(q.from.name.text)) {
        diags_.report(DiagKind::WrongRelationKind, q.from.name.span, q.from.name.text, "sink", "source");
      }
    } else if (def->source->kind != RelationKind::Source) {
      auto& d = diags_.report(DiagKind::WrongRelationKind, q.from.name.span, q.from.name.text, "table", "source");
      d.hint = "lookup tables are JOINed to a source";
      ok = false;
    }
    // INSERT INTO: a sink.
    def->sink = out_.find_sink(p.sink.text);
    if (!def->sink && !script_.broken_names.count(p.sink.text)) {
      if (out_.find_relation(p.sink.text)) {
        diags_.report(DiagKind::WrongRelationKind, p.sink.span, p.sink.text,
                      ast::relation_kind_name(out_.find_relation(p.sink.text)->kind), "sink");
      } else {
        auto& d = diags_.report(DiagKind::UnknownRelation, p.sink.span, "sink", p.sink.text);
        std::vector<std::string> names;
        if (diags_.wants_suggestions())
          for (const auto& s : out_.sinks) names.push_back(s->name);
        std::string m = closest_match(p.sink.text, names);
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
      }
    }
    if (!def->source || !ok) {
      out_.pipelines.push_back(std::move(def));
      return;
    }

    std::string from_name = q.from.alias.empty() ? def->source->name : q.from.alias.text;
    for (const auto& c : def->source->columns) def->scope.push_back({from_name, c});
    for (const auto& j : q.joins) bind_join(j, *def);
    std::optional<IndexedScope> indexed;
    indexed.emplace(*this, def->scope);  // final now: joins appended their columns

    std::set<std::string> broken = script_.broken_names;
    if (q.where) {
      ExpressionBinder eb(diags_, def->scope, "WHERE");
      use_index(eb);
      def->where = eb.bind_condition(*q.where, "WHERE");
    }
    if (!q.group_by.empty()) bind_grouping(q, *def);
    size_t errors_before_select = diags_.error_count();
    bind_select(q, *def);
    BoundExprPtr having;
    if (q.having) {
      if (!def->grouped()) {
        auto& d = diags_.report(DiagKind::HavingWithoutGroupBy, q.having->span);
        d.hint = "filter rows with WHERE, or aggregate over a window: GROUP BY key, TUMBLE(ts, INTERVAL '1' MINUTE)";
      } else {
        ExpressionBinder eb(diags_, def->scope, "HAVING");
        use_index(eb);
        eb.aggregates = &def->aggregates;
        eb.allow_window_columns = true;
        having = eb.bind_condition(*q.having, "HAVING");
      }
    }
    if (def->grouped()) {
      // Every aggregate is collected now, so the grouped scope
      // [keys..., aggregates..., window_start, window_end] is final.
      std::vector<OutputColumn> grouped;
      for (auto& o : def->outputs) {
        BoundExprPtr g = to_grouped(o.expr, *def, o.span);
        if (g) grouped.push_back({o.name, g, o.span});
      }
      def->outputs = std::move(grouped);
      def->having = having ? to_grouped(having, *def, q.having->span) : nullptr;
    }
    // An output that failed to bind is missing from def->outputs: the sink
    // checks below would report it a second time as "not an output column".
    outputs_complete_ = diags_.error_count() == errors_before_select;

    // Pipeline constraints and dedup see the output columns.
    std::vector<ScopeColumn> out_scope;
    for (const auto& o : def->outputs)
      out_scope.push_back({def->name, ColumnInfo{o.name, o.expr->type, !o.expr->nullable, std::nullopt, o.span}});
    indexed.reset();
    indexed.emplace(*this, out_scope);
    std::map<std::string, Span> names;
    for (const auto& c : p.constraints) bind_constraint(c, c.name.text, out_scope, def->constraints, names, "constraint");
    for (const auto& d : p.dedups) def->dedups.push_back(bind_dedup(d, out_scope));

    if (def->sink) check_sink_schema(*def, p);
    out_.pipelines.push_back(std::move(def));
  }

  void bind_join(const ast::Join& j, PipelineDef& def) {
    const RelationDef* table = out_.find_relation(j.table.name.text);
    if (!table) {
      if (!script_.broken_names.count(j.table.name.text)) {
        auto& d = diags_.report(DiagKind::UnknownRelation, j.table.name.span, "table", j.table.name.text);
        std::vector<std::string> names;
        if (diags_.wants_suggestions())
          for (const auto& r : out_.relations)
            if (r->kind == RelationKind::Table) names.push_back(r->name);
        std::string m = closest_match(j.table.name.text, names);
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
      }
      return;
    }
    if (table->kind != RelationKind::Table) {
      auto& d = diags_.report(DiagKind::WrongRelationKind, j.table.name.span, j.table.name.text, "source", "table");
      d.hint = "only lookup tables (CREATE TABLE) can be joined; stream-stream joins are not supported";
      return;
    }
    JoinInfo info;
    info.table = table;
    info.alias = j.table.alias.empty() ? table->name : j.table.alias.text;
    info.left = j.left;
    info.span = j.span;
    int table_base = static_cast<int>(def.scope.size());
    for (const auto& c : table->columns) {
      ColumnInfo nullable = c;
      if (j.left) nullable.not_null = false;  // unmatched rows read NULL
      def.scope.push_back({info.alias, nullable});
    }
    ExpressionBinder eb(diags_, def.scope, "JOIN ... ON");
    auto on = j.on ? eb.bind_condition(*j.on, "JOIN condition") : nullptr;
    if (!on) return;
    std::vector<BoundExprPtr> conjuncts = on->kind == BoundKind::And ? on->children : std::vector<BoundExprPtr>{on};
    std::vector<BoundExprPtr> residual;
    auto side = [&](const BoundExpr& e) {
      auto cols = referenced_columns(e);
      bool any_table = false, any_stream = false;
      for (int c : cols) (c >= table_base ? any_table : any_stream) = true;
      return any_table && any_stream ? 3 : any_table ? 2 : any_stream ? 1 : 0;
    };
    for (const auto& c : conjuncts) {
      if (c->kind == BoundKind::Compare && c->op == ast::Op::Eq) {
        const auto& a = c->children[0];
        const auto& b = c->children[1];
        for (auto [t, s] : {std::pair{a, b}, std::pair{b, a}}) {
          if (t->kind == BoundKind::Column && t->column >= table_base && side(*s) == 1) {
            info.table_keys.push_back(t->column - table_base);
            info.stream_keys.push_back(s);
            goto next;
          }
        }
      }
      residual.push_back(c);
    next:;
    }
    if (info.table_keys.empty()) {
      auto& d = diags_.report(DiagKind::InvalidJoin, j.on->span, "ON needs an equality between a column of '" +
                                                                    info.alias + "' and the stream");
      d.hint = "JOIN users u ON u.id = o.user_id";
      return;
    }
    if (!residual.empty()) info.residual = make_and(residual);
    def.joins.push_back(std::move(info));
  }

  void bind_grouping(const ast::Query& q, PipelineDef& def) {
    ExpressionBinder eb(diags_, def.scope, "GROUP BY");
    use_index(eb);
    bool window_written = false;  // a window call that failed is reported by bind_window
    for (const auto& g : q.group_by) {
      std::string fname = g->kind == ast::ExprKind::Call ? lower(g->name) : "";
      if (fname == "tumble" || fname == "hop" || fname == "session") {
        window_written = true;
        if (def.window) {
          diags_.report(DiagKind::InvalidWindow, g->span, "only one window per GROUP BY");
          continue;
        }
        bind_window(*g, fname, def);
        continue;
      }
      auto k = eb.bind(*g);
      if (!k) continue;
      if (k->type->is_nested()) {
        diags_.report(DiagKind::TypeMismatch, g->span, "cannot group by " + k->type->to_string());
        continue;
      }
      def.group_keys.push_back(k);
    }
    if (!def.window) {
      if (!window_written) {
        auto& d = diags_.report(DiagKind::InvalidWindow, q.group_by_span,
                                "a streaming GROUP BY needs a window: TUMBLE, HOP or SESSION");
        d.hint = "GROUP BY TUMBLE(ts, INTERVAL '1' MINUTE), ...";
      }
      // Bind as if windowed so SELECT errors still surface.
      def.window = WindowInfo{};
      def.window->time = make_constant(Value::timestamp(0));
      def.window->size_ms = 60'000;
    }
  }

  void bind_window(const ast::Expr& g, const std::string& fname, PipelineDef& def) {
    size_t want = fname == "hop" ? 3 : 2;
    if (g.children.size() != want) {
      auto& d = diags_.report(DiagKind::InvalidWindow, g.span, fmt::format("{}() takes {} arguments", fname, want));
      d.hint = fname == "hop" ? "HOP(ts, INTERVAL '1' MINUTE (slide), INTERVAL '5' MINUTE (size))"
                              : fname + "(ts, INTERVAL '1' MINUTE)";
      return;
    }
    ExpressionBinder eb(diags_, def.scope, "a window");
    use_index(eb);
    auto time = eb.bind(*g.children[0]);
    if (!time) return;
    if (time->kind != BoundKind::Column || time->type->id != TypeId::Timestamp) {
      diags_.report(DiagKind::InvalidWindow, g.children[0]->span,
                    "the first argument must be a TIMESTAMP column of the source");
      return;
    }
    std::vector<int64_t> sizes;
    for (size_t i = 1; i < g.children.size(); ++i) {
      const ast::Expr& a = *g.children[i];
      if (a.kind != ast::ExprKind::Literal || a.literal_kind != ast::LiteralKind::Interval) {
        diags_.report(DiagKind::InvalidWindow, a.span, "window sizes are constant INTERVALs");
        return;
      }
      auto ms = interval_millis(a, diags_);
      if (!ms) return;
      if (*ms <= 0) {
        diags_.report(DiagKind::InvalidWindow, a.span, "window sizes must be positive");
        return;
      }
      sizes.push_back(*ms);
    }
    WindowInfo w;
    w.kind = fname == "tumble" ? WindowInfo::Kind::Tumble : fname == "hop" ? WindowInfo::Kind::Hop : WindowInfo::Kind::Session;
    w.time = time;
    w.span = g.span;
    if (w.kind == WindowInfo::Kind::Hop) {
      w.slide_ms = sizes[0];
      w.size_ms = sizes[1];
      if (w.size_ms % w.slide_ms != 0) {
        diags_.report(DiagKind::InvalidWindow, g.span, "HOP size must be a multiple of its slide");
        return;
      }
    } else {
      w.size_ms = sizes[0];
    }
    def.window = w;
  }

  // Rewrites an expression over the input scope into the grouped scope:
  // [group keys..., aggregates..., window_start, window_end].
  BoundExprPtr to_grouped(const BoundExprPtr& e, const PipelineDef& def, Span span) {
    const int nkeys = static_cast<int>(def.group_keys.size());
    const int naggs = static_cast<int>(def.aggregates.size());
    bool ok = true;
    std::function<BoundExprPtr(const BoundExprPtr&)> go = [&](const BoundExprPtr& x) -> BoundExprPtr {
      for (int k = 0; k < nkeys; ++k)
        if (same_expr(*x, *def.group_keys[k]))
          return make_column(k, x->kind == BoundKind::Column || x->kind == BoundKind::FieldAccess ? x->name : to_sql(*x),
                             x->type, x->nullable, x->span);
      if (x->kind == BoundKind::Aggregate) {
        for (int a = 0; a < naggs; ++a)
          if (same_expr(*x, *def.aggregates[a])) return make_column(nkeys + a, to_sql(*x), x->type, x->nullable, x->span);
      }
      if (x->kind == BoundKind::WindowStart) return make_column(nkeys + naggs, "window_start", x->type, false, x->span);
      if (x->kind == BoundKind::WindowEnd) return make_column(nkeys + naggs + 1, "window_end", x->type, false, x->span);
      if (x->kind == BoundKind::Column) {
        if (ok) {
          auto& d = diags_.report(DiagKind::NotGrouped, x->span, x->name);
          d.hint = "add it to GROUP BY or wrap it in an aggregate such as max(" + x->name + ")";
        }
        ok = false;
        return x;
      }
      auto copy = std::make_shared<BoundExpr>(*x);
      for (auto& c : copy->children) c = go(c);
      return copy;
    };
    auto r = go(e);
    (void)span;
    return ok ? r : nullptr;
  }

  void bind_select(const ast::Query& q, PipelineDef& def) {
    std::map<std::string, Span> names;
    auto add_output = [&](std::string name, BoundExprPtr expr, Span span) {
      auto [it, fresh] = names.emplace(lower(name), span);
      if (!fresh) {
        auto& d = diags_.report(DiagKind::DuplicateOutputColumn, span, name);
        d.notes.push_back({it->second, "first produced here"});
        d.hint = "rename one with AS";
        return;
      }
      def.outputs.push_back({std::move(name), std::move(expr), span});
    };
    for (const auto& item : q.select) {
      if (item.kind != ast::SelectItem::Kind::Expression) {
        if (def.grouped()) {
          auto& d = diags_.report(DiagKind::NotGrouped, item.span, "*");
          d.hint = "a grouped query selects its group keys, aggregates and window_start / window_end: list them";
          continue;
        }
        bool matched = false;
        for (size_t i = 0; i < def.scope.size(); ++i) {
          const auto& sc = def.scope[i];
          if (item.kind == ast::SelectItem::Kind::QualifiedStar && !iequals(sc.relation, item.qualifier.text)) continue;
          matched = true;
          add_output(sc.column.name,
                     make_column(static_cast<int>(i), sc.column.name, sc.column.type, !sc.column.not_null, item.span),
                     item.span);
        }
        if (!matched) diags_.report(DiagKind::UnknownRelation, item.qualifier.span, "relation", item.qualifier.text);
        continue;
      }
      ExpressionBinder eb(diags_, def.scope, "SELECT");
      use_index(eb);
      if (def.grouped()) {
        eb.aggregates = &def.aggregates;
        eb.allow_window_columns = true;
      }
      if (!item.expr) continue;
      auto e = eb.bind(*item.expr);
      if (!e) continue;
      std::string name = !item.alias.empty()               ? item.alias.text
                         : e->kind == BoundKind::FieldAccess ? e->field_path.back()
                         : e->kind == BoundKind::Column      ? e->name
                         : e->kind == BoundKind::WindowStart ? "window_start"
                         : e->kind == BoundKind::WindowEnd   ? "window_end"
                                                             : to_sql(*e);
      if (!def.grouped() && contains_kind(*e, BoundKind::Aggregate)) continue;  // reported by the binder
      // An output that is NULL whatever the row (SELECT NULL AS x) is written as a STRING column.
      if (e->type->id == TypeId::Null) e = coerce(e, Type::string());
      // Grouped outputs are rewritten into the grouped scope once every
      // aggregate (of the SELECT list and HAVING) is known: window_start's
      // column index follows the last aggregate (see bind_pipeline).
      add_output(name, e, item.span);
    }
  }

  void check_sink_schema(PipelineDef& def, const ast::PipelineDecl& p) {
    const SinkDef& sink = *def.sink;
    std::map<std::string, int> outputs_by_name;
    for (size_t i = 0; i < def.outputs.size(); ++i) outputs_by_name.emplace(lower(def.outputs[i].name), static_cast<int>(i));
    auto output_index = [&](const std::string& name) -> int {
      auto found = outputs_by_name.find(lower(name));
      return found == outputs_by_name.end() ? -1 : found->second;
    };
    std::vector<std::string> out_names;
    for (const auto& o : def.outputs) out_names.push_back(o.name);
    if (!sink.declared_columns.empty()) {
      std::map<std::string, const ColumnInfo*> declared;
      for (const auto& c : sink.declared_columns) declared.emplace(lower(c.name), &c);
      for (auto& o : def.outputs) {
        auto found = declared.find(lower(o.name));
        if (found == declared.end()) {
          auto& d = diags_.report(DiagKind::SinkSchemaMismatch, o.span,
                                  fmt::format("sink '{}' has no column '{}'", sink.name, o.name));
          d.notes.push_back({sink.span, "sink declared here"});
          continue;
        }
        const ColumnInfo* it = found->second;
        if (!can_cast_implicitly(*o.expr, it->type->id) && !type_equals(*o.expr->type, *it->type)) {
          auto& d = diags_.report(DiagKind::SinkSchemaMismatch, o.span,
                                  fmt::format("'{}' is {} but sink '{}' declares {}", o.name,
                                              o.expr->type->to_string(), sink.name, it->type->to_string()));
          d.hint = "write CAST(" + to_sql(*o.expr) + " AS " + it->type->to_string() + ") AS " + o.name;
          continue;
        }
        o.expr = coerce(o.expr, it->type);
      }
      for (const auto& c : sink.declared_columns) {
        if (c.not_null && output_index(c.name) < 0 && outputs_complete_) {
          auto& d = diags_.report(DiagKind::SinkSchemaMismatch, p.query.span,
                                  fmt::format("sink column '{}' is NOT NULL but the pipeline does not produce it", c.name));
          d.notes.push_back({c.span, "declared here"});
        }
      }
    }
    const OptionInfo* id_opt = sink.options.find("document.id");
    // A PRIMARY KEY names its columns in the sink's declaration.
    auto key_span = [&](const std::string& key) -> Span {
      if (id_opt) return id_opt->value_span;
      for (const auto& r : script_.relations) {
        if (r.kind != RelationKind::Sink || !iequals(r.name.text, sink.name)) continue;
        for (const auto& pk : r.primary_key)
          if (iequals(pk.text, key)) return pk.span;
        for (const auto& c : r.columns)
          if (c.primary_key && iequals(c.name.text, key)) return c.span;
      }
      return sink.span;
    };
    for (const auto& key : sink.document_id) {
      if (output_index(key) < 0 && outputs_complete_) {
        auto& d = diags_.report(DiagKind::InvalidDocumentId, key_span(key),
                                fmt::format("'{}' is not an output column of pipeline '{}'", key, def.name));
        std::string m = diags_.wants_suggestions() ? closest_match(key, out_names) : "";
        if (!m.empty()) d.hint = "did you mean '" + m + "'?";
        d.notes.push_back({p.name.span, "pipeline '" + def.name + "' writes to sink '" + sink.name + "'"});
      }
    }
    if (auto pattern = IndexPattern::parse(sink.index, nullptr)) {
      const OptionInfo* idx = sink.options.find("index");
      for (const auto& field : pattern->fields()) {
        int i = output_index(field);
        if (i < 0 && !outputs_complete_) continue;
        if (i < 0 || def.outputs[i].expr->type->id != TypeId::Timestamp) {
          auto& d = diags_.report(DiagKind::InvalidIndexPattern, idx ? idx->value_span : sink.span,
                                  i < 0 ? fmt::format("'{}' is not an output column of pipeline '{}'", field, def.name)
                                        : fmt::format("'{}' is {}, date patterns need a TIMESTAMP", field,
                                                      def.outputs[i].expr->type->to_string()));
          d.notes.push_back({p.name.span, "pipeline '" + def.name + "' writes to sink '" + sink.name + "'"});
        }
      }
    }
  }

  // The index of the scope being bound (see ScopeIndex); set by IndexedScope.
  void use_index(ExpressionBinder& eb) const { eb.index = index_; }
  struct IndexedScope {
    IndexedScope(Binder& b, const std::vector<ScopeColumn>& scope) : binder(b), index(scope), saved(b.index_) {
      b.index_ = &index;
    }
    ~IndexedScope() { binder.index_ = saved; }
    Binder& binder;
    ScopeIndex index;
    const ScopeIndex* saved;
  };

  const ast::Script& script_;
  DiagnosticEngine& diags_;
  BoundScript out_;
  const ScopeIndex* index_ = nullptr;
  Span owner_span_;
  std::set<const ast::RelationDecl*> duplicates_;
  bool outputs_complete_ = true;
};

}  // namespace

BoundScript bind_script(const ast::Script& script, DiagnosticEngine& diags) {
  return Binder(script, diags).run();
}

}  // namespace pipec

#include "runtime/exec/operator_chain.h"

#include <algorithm>
#include <cctype>

#include "compiler/bind/connector_options.h"
#include "runtime/exec/run_error.h"
#include "runtime/operators/constraint.h"
#include "runtime/operators/dedup.h"
#include "runtime/operators/filter.h"
#include "runtime/operators/kernel_operator.h"
#include "runtime/operators/lookup_join.h"
#include "runtime/operators/project.h"
#include "runtime/operators/sink.h"
#include "runtime/operators/window_aggregate.h"
#include "compiler/check/mapping.h"
#include "runtime/sinks/es_sink_operator.h"
#include "runtime/sources/file_source.h"
#include "runtime/sources/kafka_stream_source.h"
#include "runtime/sources/parallel_file_source.h"

namespace pipec {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<const LogicalOperator*> source_first(const LogicalPipeline& plan) {
  std::vector<const LogicalOperator*> chain;
  for (const LogicalOperator* op = plan.root.get(); op; op = op->child.get()) chain.push_back(op);
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The SQL of each constraint as declared: the optimizer may have rewritten
// the plan's copy (constraint placement substitutes projections).
std::vector<std::string> declared_sql(const LogicalPipeline& plan, const LogicalConstraint& op) {
  std::vector<std::string> out;
  const std::vector<ConstraintInfo>* declared = nullptr;
  if (plan.def && plan.def->source && op.owner == plan.def->source->name) declared = &plan.def->source->constraints;
  else if (plan.def && op.owner == plan.def->name) declared = &plan.def->constraints;
  for (const auto& c : op.constraints) {
    std::string sql;
    if (declared)
      for (const auto& d : *declared)
        if (d.name == c.name && d.expr) sql = to_sql(*d.expr);
    out.push_back(sql);
  }
  return out;
}

// The same for the constraint slots of a fused kernel.
std::vector<std::string> declared_sql(const LogicalPipeline& plan, const CompiledKernel& kernel) {
  std::vector<std::string> out;
  for (const auto& slot : kernel.spec.constraints) {
    const std::vector<ConstraintInfo>* declared = nullptr;
    if (plan.def && plan.def->source && slot.owner == plan.def->source->name) declared = &plan.def->source->constraints;
    else if (plan.def && slot.owner == plan.def->name) declared = &plan.def->constraints;
    std::string sql;
    if (declared)
      for (const auto& d : *declared)
        if (d.name == slot.constraint->name && d.expr) sql = to_sql(*d.expr);
    out.push_back(sql);
  }
  return out;
}

// Event time for a dedup: the source's watermark column, if its input has it.
int event_time_column(const LogicalPipeline& plan, const std::vector<PlanColumn>& input) {
  const RelationDef* rel = plan.def ? plan.def->source : nullptr;
  if (!rel || !rel->watermark || rel->watermark->column < 0) return -1;
  const std::string& name = rel->columns[rel->watermark->column].name;
  for (int pass = 0; pass < 2; ++pass)
    for (size_t i = 0; i < input.size(); ++i)
      if ((pass == 0 ? input[i].name == name : iequals(input[i].name, name)) &&
          input[i].type->id == TypeId::Timestamp)
        return static_cast<int>(i);
  return -1;
}

bool is_es_sink(const SinkDef& sink) {
  return sink.connector == "elasticsearch" || sink.connector == "opensearch";
}

}  // namespace

std::string sink_mapping(const LogicalPipeline& plan, const SinkDef& sink) {
  if (!sink.declared_columns.empty()) {
    std::vector<MappedField> fields;
    for (const auto& c : sink.declared_columns) fields.push_back({c.name, c.type});
    return index_mapping_json(fields);
  }
  if (plan.def) return index_mapping_json(*plan.def);
  return "{}";
}

bool dedup_lost_event_time(const LogicalPipeline& plan) {
  const RelationDef* rel = plan.def ? plan.def->source : nullptr;
  if (!rel || !rel->watermark) return false;
  for (const LogicalOperator* op : source_first(plan)) {
    if (op->type == LogicalOperatorType::Project || op->type == LogicalOperatorType::WindowAggregate) break;
    if (op->type == LogicalOperatorType::Dedup && event_time_column(plan, op->child->schema) < 0) return true;
  }
  return false;
}

std::string unsupported_reason(const LogicalPipeline& plan) {
  for (const LogicalOperator* op : source_first(plan)) {
    switch (op->type) {
      case LogicalOperatorType::Source: {
        const RelationDef* rel = op->as<LogicalSource>().relation;
        if (rel && rel->connector != "file" && rel->connector != "kafka")
          return "source '" + rel->name + "' uses connector '" + rel->connector +
                 "', which `pipec run` cannot read yet (file and kafka can)";
        break;
      }
      case LogicalOperatorType::Sink: {
        const SinkDef* sink = op->as<LogicalSink>().sink;
        if (sink && sink->connector != "stdout" && sink->connector != "file" && !is_es_sink(*sink))
          return "sink '" + sink->name + "' uses connector '" + sink->connector +
                 "', which `pipec run` cannot write to yet (stdout, file, elasticsearch and opensearch can)";
        break;
      }
      default: break;
    }
  }
  return {};
}

namespace {

// The reference operator (or the source) for one logical operator.
void add_operator(const LogicalPipeline& plan, const LogicalOperator* op, const ChainOptions& options,
                  OperatorChain& chain) {
  const uint32_t cap = options.batch_capacity;
  switch (op->type) {
    case LogicalOperatorType::Source: {
      const auto& src = op->as<LogicalSource>();
      chain.source_schema = src.schema;
      chain.event_time_column = event_time_column(plan, src.schema);
      if (src.relation->watermark) chain.watermark_delay_ms = src.relation->watermark->delay_ms;
      if (src.relation->connector == "kafka") {
        chain.source = std::make_unique<KafkaStreamSource>(src, kafka_stream_config(src, plan.name));
        break;
      }
      FileSourceOptions fo;
      fo.source_name = src.relation->name;
      fo.path = src.relation->options.get("path");
      fo.chunk_bytes = options.chunk_bytes;
      if (auto size = parse_size_bytes(src.relation->options.get("max-record-bytes", "1mb")))
        fo.max_record_bytes = static_cast<size_t>(std::max<int64_t>(*size, 1));
      auto file = std::make_unique<FileSource>(src, fo);
      if (options.decode_threads > 0)
        chain.source = std::make_unique<ParallelFileSource>(std::move(file), physical_types(src.schema), cap,
                                                            options.decode_threads);
      else
        chain.source = std::move(file);
      break;
    }
    case LogicalOperatorType::Constraint: {
      const auto& c = op->as<LogicalConstraint>();
      chain.operators.push_back(std::make_unique<ConstraintOperator>(c, declared_sql(plan, c)));
      break;
    }
    case LogicalOperatorType::Filter:
      chain.operators.push_back(std::make_unique<FilterOperator>(op->as<LogicalFilter>()));
      break;
    case LogicalOperatorType::Project:
      chain.operators.push_back(std::make_unique<ProjectOperator>(op->as<LogicalProject>(), cap));
      break;
    case LogicalOperatorType::Dedup: {
      const auto& d = op->as<LogicalDedup>();
      DedupOperator::Options o;
      o.within_ms = d.within_ms;
      o.event_time_column = event_time_column(plan, d.child->schema);
      if (o.event_time_column >= 0 && plan.def->source->watermark)
        o.watermark_delay_ms = plan.def->source->watermark->delay_ms;
      chain.operators.push_back(std::make_unique<DedupOperator>(d, o));
      break;
    }
    case LogicalOperatorType::LookupJoin:
      chain.operators.push_back(std::make_unique<LookupJoinOperator>(op->as<LogicalLookupJoin>(), nullptr, cap));
      break;
    case LogicalOperatorType::WindowAggregate:
      chain.operators.push_back(std::make_unique<WindowAggregateOperator>(op->as<LogicalWindowAggregate>(), cap));
      break;
    case LogicalOperatorType::Sink: {
      const auto& s = op->as<LogicalSink>();
      if (is_es_sink(*s.sink)) {
        chain.operators.push_back(std::make_unique<EsSinkOperator>(s, sink_mapping(plan, *s.sink)));
        break;
      }
      const bool streaming = plan.def && plan.def->source && plan.def->source->connector == "kafka";
      chain.operators.push_back(std::make_unique<SinkOperator>(s, make_sink_output(*s.sink, streaming)));
      break;
    }
  }
}

}  // namespace

OperatorChain build_operator_chain(const LogicalPipeline& plan, const ChainOptions& options) {
  std::string why = unsupported_reason(plan);
  if (!why.empty()) throw RunError::failed("pipeline '" + plan.name + "': " + why);
  OperatorChain chain;
  if (options.physical && options.kernels) {
    // Fused kernels: one KernelOperator per Kernel stage (compiled, or the
    // reference kernel), the reference operators for every other stage.
    for (const auto& stage : options.physical->stages) {
      if (stage.kind == PhysicalStage::Kind::Kernel) {
        const CompiledKernel& kernel = options.kernels->kernels.at(stage.kernel_id);
        chain.operators.push_back(
            std::make_unique<KernelOperator>(kernel, options.batch_capacity, declared_sql(plan, kernel)));
        continue;
      }
      for (const LogicalOperator* op : stage.operators) add_operator(plan, op, options, chain);
    }
  } else {
    for (const LogicalOperator* op : source_first(plan)) add_operator(plan, op, options, chain);
  }
  for (size_t i = 0; i + 1 < chain.operators.size(); ++i) chain.operators[i]->set_next(chain.operators[i + 1].get());
  return chain;
}

}  // namespace pipec

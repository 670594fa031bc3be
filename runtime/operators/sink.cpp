#include "runtime/operators/sink.h"

#include <algorithm>
#include <cctype>

#include "runtime/exec/run_error.h"

namespace pipec {

namespace {

constexpr size_t kWriteBytes = 1 << 20;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

BulkEncoderConfig bulk_config(const LogicalSink& plan, const std::vector<SourceDescriptor>& sources) {
  const auto& schema = plan.schema;
  BulkEncoderConfig config;
  for (uint32_t i = 0; i < schema.size(); ++i) config.fields.push_back({schema[i].name, i, schema[i].type, false});
  std::string index = plan.sink ? plan.sink->index : "documents";
  try {
    config.index = IndexTemplate::parse(index, [&](std::string_view name) -> std::optional<IndexTemplate::Column> {
      for (int pass = 0; pass < 2; ++pass)
        for (uint32_t i = 0; i < schema.size(); ++i)
          if (pass == 0 ? schema[i].name == name : iequals(schema[i].name, name))
            return IndexTemplate::Column{i, schema[i].type->id};
      return std::nullopt;
    });
  } catch (const std::invalid_argument& e) {
    throw RunError::failed(std::string("sink '") + (plan.sink ? plan.sink->name : "?") + "': " + e.what());
  }
  if (!plan.document_id.empty()) {
    config.id_mode = DocumentIdMode::Key;
    for (int c : plan.document_id)
      config.id_key.push_back({schema[c].name, static_cast<uint32_t>(c), schema[c].type, false});
  } else {
    config.id_mode = DocumentIdMode::Position;
    config.sources = sources;
  }
  return config;
}

SinkOperator::SinkOperator(const LogicalSink& plan, std::unique_ptr<SinkOutput> output)
    : Operator(plan.schema), plan_(plan), output_(std::move(output)) {}

void SinkOperator::open(ExecContext& ctx) {
  encoder_.emplace(bulk_config(plan_, ctx.sources));
  output_->open();
}

void SinkOperator::push(Batch& batch, ExecContext& ctx) {
  if (!encoder_) open(ctx);
  result_.clear();
  encoder_->encode(batch, buffer_, result_);
  for (const auto& e : result_.errors) {
    batch.row_status[e.row] = static_cast<uint8_t>(RowStatus::DeadLettered);
    ++ctx.stats.sink_rejected;
    if (ctx.dead_letters)
      ctx.dead_letters->add("sink", e.reason, "", batch.raw[e.row].view(), batch.positions[e.row]);
  }
  ctx.stats.documents_out.fetch_add(result_.rows.size(), std::memory_order_relaxed);
  if (buffer_.size() >= kWriteBytes) write_out(ctx);
}

void SinkOperator::write_out(ExecContext& ctx) {
  if (buffer_.empty()) return;
  output_->write(buffer_.view());
  ctx.stats.bytes_written += buffer_.size();
  buffer_.clear();
}

void SinkOperator::flush(ExecContext& ctx) {
  if (!closed_) {
    write_out(ctx);
    output_->sync();
  }
}

void SinkOperator::finish(ExecContext& ctx) {
  if (!closed_) {
    closed_ = true;
    write_out(ctx);
    output_->close();
  }
  Operator::finish(ctx);
}

}  // namespace pipec

// The end of every chain: live rows become _bulk documents (runtime/encode)
// written to the sink's output. The index comes from the sink's 'index'
// option (default: the sink's name), with per-row date patterns such as
// orders-{ts|yyyy.MM.dd}; _id is the stable hash of the document-id columns
// ('document.id' / PRIMARY KEY), or of the source position when none is
// declared, so re-running the same input overwrites instead of duplicating.
// Rows the encoder cannot route (a NULL timestamp in the index pattern) are
// dead-lettered.
#pragma once

#include <memory>
#include <optional>

#include "runtime/encode/bulk_encoder.h"
#include "runtime/operators/operator.h"
#include "runtime/sinks/sink_output.h"

namespace pipec {

class SinkOperator : public Operator {
 public:
  SinkOperator(const LogicalSink& plan, std::unique_ptr<SinkOutput> output);
  const char* name() const override { return "Sink"; }
  void open(ExecContext& ctx) override;
  void push(Batch& batch, ExecContext& ctx) override;
  void flush(ExecContext& ctx) override;
  void finish(ExecContext& ctx) override;

  const SinkOutput& output() const { return *output_; }

 private:
  void write_out(ExecContext& ctx);

  const LogicalSink& plan_;
  std::unique_ptr<SinkOutput> output_;
  std::optional<BulkEncoder> encoder_;
  ByteBuffer buffer_;
  BulkEncodeResult result_;
  bool closed_ = false;
};

// The encoder configuration for a sink over `schema` (exposed for tests).
BulkEncoderConfig bulk_config(const LogicalSink& plan, const std::vector<SourceDescriptor>& sources);

}  // namespace pipec

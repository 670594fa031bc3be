// Checkpoint files of one pipeline (docs/state-and-checkpoints.md): what a
// checkpoint holds, its byte format, and the directory that keeps the last N.
//
// File `chk-<id, 20 digits>.ckpt`:
//
//   "PIPECCKP"             8 bytes, magic
//   u32 format version     kCheckpointFormatVersion
//   u64 payload length
//   u64 XXH64(payload)     seed 0
//   payload                id, creation time, pipeline name, identity,
//                          source positions, one state blob per stateful
//                          operator (runtime/state/state_codec.h encoding)
//
// Written atomically: a temporary file in the same directory, fsync, rename,
// fsync of the directory; a crash leaves either the previous set of files or
// the new one (plus a stray temporary file, removed on the next start).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/state/state_codec.h"

namespace pipec {

inline constexpr uint32_t kCheckpointFormatVersion = 1;

// The next offset to read of one partition: every record before it is
// reflected in the checkpoint's operator state or in durable sink output.
struct SourceOffset {
  std::string topic;
  int32_t partition = -1;
  int64_t next_offset = 0;
  friend bool operator==(const SourceOffset&, const SourceOffset&) = default;
};

struct CheckpointData {
  uint64_t id = 0;          // increases by one per checkpoint of the directory
  int64_t created_ms = 0;   // wall clock
  std::string pipeline;
  // What the state means: the stateful operators' identities, one a line
  // (Operator::state_identity). A pipeline restores only its own.
  std::string identity;
  std::vector<SourceOffset> positions;
  std::vector<std::string> operator_states;  // in chain order
};

// The file's bytes, and back. decode throws StateFormatError naming what is
// wrong (bad magic, unknown version, truncated, checksum mismatch, ...).
std::string encode_checkpoint(const CheckpointData& c);
CheckpointData decode_checkpoint(std::string_view file);

class CheckpointStore {
 public:
  CheckpointStore(std::string dir, size_t retained);

  const std::string& dir() const { return dir_; }
  // The checkpoint files, newest (highest id) first.
  std::vector<std::string> list() const;
  // The highest id of any checkpoint file (valid or not), 0 when none.
  uint64_t last_id() const;
  // Writes `c` durably as chk-<c.id>.ckpt, then deletes all but the newest
  // `retained` files. Returns the bytes written; throws RunError (Io).
  size_t write(const CheckpointData& c);

  struct Loaded {
    std::optional<CheckpointData> checkpoint;
    std::string path;                   // of the one loaded
    std::vector<std::string> skipped;   // "<path>: <why>" for each unusable newer file
    size_t files = 0;                   // checkpoint files found
  };
  // The newest file that decodes. `accept` may reject a decoded one (its
  // state does not load) by throwing StateFormatError: it is then skipped
  // like a damaged file. Anything else `accept` throws (a checkpoint of an
  // incompatible pipeline) propagates.
  template <typename Accept>
  Loaded load_newest(Accept&& accept) const;

 private:
  std::string read(const std::string& path) const;
  std::string dir_;
  size_t retained_;
};

template <typename Accept>
CheckpointStore::Loaded CheckpointStore::load_newest(Accept&& accept) const {
  Loaded out;
  std::vector<std::string> paths = list();
  out.files = paths.size();
  for (const std::string& path : paths) {
    try {
      CheckpointData c = decode_checkpoint(read(path));
      accept(c);
      out.checkpoint = std::move(c);
      out.path = path;
      return out;
    } catch (const StateFormatError& e) {  // damaged, or unreadable
      out.skipped.push_back(path + ": " + e.what());
    }
  }
  return out;
}

}  // namespace pipec

// A uniform random sample of the documents a sink sent (reservoir sampling,
// so the whole load is covered without knowing its size), and the check that
// what the index returns for them is what was sent: `pipec run --batch`
// fetches the sampled ids back with _mget before it swaps the alias.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace pipec::es {

struct SentDocument {
  std::string id;
  std::string source;  // the JSON object sent
};

class DocumentSample {
 public:
  explicit DocumentSample(size_t capacity = 0, uint64_t seed = std::random_device{}()) : capacity_(capacity), rng_(seed) {}

  // One document as encoded for _bulk: the action line (which names "_id")
  // and the source line, each ending in '\n'. Documents without an _id are
  // not sampled (they cannot be fetched back).
  void offer(std::string_view action_and_source);

  size_t capacity() const { return capacity_; }
  uint64_t offered() const { return offered_; }
  const std::vector<SentDocument>& documents() const { return documents_; }

 private:
  size_t capacity_;
  uint64_t offered_ = 0;
  std::mt19937_64 rng_;
  std::vector<SentDocument> documents_;
};

// The first difference between the document sent and the one indexed, as
// "field 'a.b': sent 1, indexed 2" (objects compared field by field in any
// key order, arrays element by element, numbers by value); empty when they
// are equal. A side that is not valid JSON is a difference.
std::string first_difference(std::string_view sent_json, std::string_view indexed_json);

}  // namespace pipec::es

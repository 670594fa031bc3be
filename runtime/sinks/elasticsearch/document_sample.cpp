#include "runtime/sinks/elasticsearch/document_sample.h"

#include <simdjson.h>

#include <fmt/format.h>

namespace pipec::es {

namespace {

// The "_id" of an action line such as {"index":{"_index":"x","_id":"abc"}}.
// pipec's ids are hex digests, never escaped.
std::string_view action_id(std::string_view action) {
  constexpr std::string_view key = "\"_id\":\"";
  size_t at = action.find(key);
  if (at == std::string_view::npos) return {};
  size_t begin = at + key.size();
  size_t end = action.find('"', begin);
  return end == std::string_view::npos ? std::string_view{} : action.substr(begin, end - begin);
}

std::string shown(simdjson::dom::element e) {
  std::string text = simdjson::minify(e);
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

std::string path_of(const std::string& path) { return path.empty() ? "the document" : "field '" + path + "'"; }

bool same_number(simdjson::dom::element a, simdjson::dom::element b) {
  double x = 0, y = 0;
  if (a.get(x) || b.get(y)) return false;
  int64_t i = 0, j = 0;
  if (a.is_int64() && b.is_int64() && !a.get(i) && !b.get(j)) return i == j;
  return x == y;
}

std::string difference(simdjson::dom::element sent, simdjson::dom::element indexed, const std::string& path) {
  using T = simdjson::dom::element_type;
  auto numeric = [](T t) { return t == T::INT64 || t == T::UINT64 || t == T::DOUBLE; };
  if (numeric(sent.type()) && numeric(indexed.type())) {
    if (same_number(sent, indexed)) return {};
  } else if (sent.type() != indexed.type()) {
    // fall through to the generic message
  } else if (sent.type() == T::OBJECT) {
    simdjson::dom::object a = sent.get_object().value_unsafe(), b = indexed.get_object().value_unsafe();
    for (auto field : a) {
      std::string sub = path.empty() ? std::string(field.key) : path + "." + std::string(field.key);
      simdjson::dom::element other;
      if (b.at_key(field.key).get(other)) return fmt::format("{}: sent {}, missing in the index", path_of(sub), shown(field.value));
      std::string d = difference(field.value, other, sub);
      if (!d.empty()) return d;
    }
    for (auto field : b) {
      simdjson::dom::element ignored;
      if (a.at_key(field.key).get(ignored)) {
        std::string sub = path.empty() ? std::string(field.key) : path + "." + std::string(field.key);
        return fmt::format("{}: not sent, indexed {}", path_of(sub), shown(field.value));
      }
    }
    return {};
  } else if (sent.type() == T::ARRAY) {
    simdjson::dom::array a = sent.get_array().value_unsafe(), b = indexed.get_array().value_unsafe();
    if (a.size() == b.size()) {
      size_t i = 0;
      for (auto ai = a.begin(), bi = b.begin(); ai != a.end(); ++ai, ++bi, ++i) {
        std::string d = difference(*ai, *bi, fmt::format("{}[{}]", path, i));
        if (!d.empty()) return d;
      }
      return {};
    }
  } else if (simdjson::minify(sent) == simdjson::minify(indexed)) {
    return {};  // strings, booleans, null
  }
  return fmt::format("{}: sent {}, indexed {}", path_of(path), shown(sent), shown(indexed));
}

}  // namespace

void DocumentSample::offer(std::string_view doc) {
  if (capacity_ == 0) return;
  size_t eol = doc.find('\n');
  if (eol == std::string_view::npos) return;
  std::string_view id = action_id(doc.substr(0, eol));
  if (id.empty()) return;
  ++offered_;
  size_t slot = documents_.size();
  if (slot >= capacity_) {
    slot = static_cast<size_t>(std::uniform_int_distribution<uint64_t>(0, offered_ - 1)(rng_));
    if (slot >= capacity_) return;
  } else {
    documents_.emplace_back();
  }
  std::string_view source = doc.substr(eol + 1);
  while (!source.empty() && (source.back() == '\n' || source.back() == '\r')) source.remove_suffix(1);
  documents_[slot].id.assign(id);
  documents_[slot].source.assign(source);
}

std::string first_difference(std::string_view sent_json, std::string_view indexed_json) {
  simdjson::dom::parser sent_parser, indexed_parser;
  simdjson::dom::element sent, indexed;
  if (sent_parser.parse(sent_json.data(), sent_json.size()).get(sent)) return "the document sent is not valid JSON";
  if (indexed_parser.parse(indexed_json.data(), indexed_json.size()).get(indexed))
    return "the indexed document is not valid JSON";
  return difference(sent, indexed, "");
}

}  // namespace pipec::es

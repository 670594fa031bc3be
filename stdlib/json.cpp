// JSON functions. json_value reads one value out of JSON text (STRING, or a
// ROW/ARRAY value, which travels as JSON text) with a JSONPath subset:
//
//   $                 the whole document
//   .name             object member (name: any characters but . [ ] ' ")
//   ['name'] ["name"] object member, any name (\' \" \\ escape inside)
//   [N]               array element, 0-based
//
// Strings come back unquoted and unescaped, numbers as their JSON text,
// booleans as true/false, objects and arrays as their raw JSON text. JSON
// null, a missing member or element, a type mismatch along the path, invalid
// JSON and an invalid path are NULL. The document is parsed with simdjson
// On-Demand: UTF-8 and structure (brackets, trailing content) are checked for
// the whole document, but scalars away from the path are not parsed, so a
// malformed number elsewhere goes unnoticed. Keys are compared after
// unescaping, and the first of duplicate keys wins.
#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime/common/json_writer.h"
#include "runtime/common/timestamp.h"
#include "stdlib/cache.h"
#include "stdlib/catalogue.h"
#include "stdlib/validation.h"

namespace pipec {

namespace {

namespace od = simdjson::ondemand;

constexpr auto S = TypeId::String;

// ------------------------------------------------------------------ paths

struct PathStep {
  bool is_index = false;
  uint64_t index = 0;
  std::string name;
};
struct JsonPath {
  std::vector<PathStep> steps;
  std::string error;  // empty when valid
};

std::unique_ptr<JsonPath> compile_path(std::string_view p) {
  auto path = std::make_unique<JsonPath>();
  auto fail = [&](std::string msg) {
    path->error = std::move(msg);
    path->steps.clear();
    return std::move(path);
  };
  if (p.empty() || p[0] != '$') return fail("a JSON path starts with '$'");
  size_t i = 1;
  while (i < p.size()) {
    PathStep step;
    if (p[i] == '.') {
      size_t b = ++i;
      while (i < p.size() && p[i] != '.' && p[i] != '[' && p[i] != ']' && p[i] != '\'' && p[i] != '"') ++i;
      if (i == b) return fail("expected a member name after '.'");
      step.name.assign(p.substr(b, i - b));
    } else if (p[i] == '[') {
      ++i;
      if (i < p.size() && (p[i] == '\'' || p[i] == '"')) {
        char q = p[i++];
        for (;;) {
          if (i >= p.size()) return fail("unterminated quoted member name");
          char c = p[i++];
          if (c == q) break;
          if (c == '\\') {
            if (i >= p.size()) return fail("unterminated quoted member name");
            c = p[i++];
          }
          step.name.push_back(c);
        }
      } else {
        size_t b = i;
        while (i < p.size() && p[i] >= '0' && p[i] <= '9') ++i;
        if (i == b) return fail("expected an array index or a quoted name inside [ ] (wildcards are not supported)");
        auto r = std::from_chars(p.data() + b, p.data() + i, step.index);
        if (r.ec != std::errc()) return fail("array index too large");
        step.is_index = true;
      }
      if (i >= p.size() || p[i] != ']') return fail("expected ']'");
      ++i;
    } else {
      return fail("expected '.' or '[' in JSON path");
    }
    path->steps.push_back(std::move(step));
  }
  return path;
}

// ------------------------------------------------------------------ evaluation

// -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view s) {
  size_t i = 0;
  auto digits = [&] {
    size_t b = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > b;
  };
  if (i < s.size() && s[i] == '-') ++i;
  if (i < s.size() && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

std::string_view trim_json_ws(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Per-context parser and padded input buffer, reused across calls.
struct JsonState {
  od::parser parser;
  std::unique_ptr<char[]> buf;
  size_t capacity = 0;
};

bool token_of(od::value& v, std::string_view& t) {
  t = v.raw_json_token();
  return true;
}
bool token_of(od::document& d, std::string_view& t) { return !d.raw_json_token().get(t); }

// Writes the selected value (document or value) as text; false for NULL.
template <typename V>
bool emit(FunctionContext& ctx, V& v, StringRef& out) {
  od::json_type t;
  if (v.type().get(t)) return false;
  std::string_view text;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (v.get_object().get(o) || o.raw_json().get(text)) return false;
      text = trim_json_ws(text);
      break;
    }
    case od::json_type::array: {
      od::array a;
      if (v.get_array().get(a) || a.raw_json().get(text)) return false;
      text = trim_json_ws(text);
      break;
    }
    case od::json_type::string:
      if (v.get_string().get(text)) return false;
      break;
    case od::json_type::number:
      if (!token_of(v, text)) return false;
      text = trim_json_ws(text);
      if (!is_json_number(text)) return false;
      break;
    case od::json_type::boolean: {
      bool b;
      if (v.get_bool().get(b)) return false;
      text = b ? "true" : "false";
      break;
    }
    case od::json_type::null: return false;
  }
  out = ctx.copy(text);
  return true;
}

// True when the document has been consumed up to its end.
bool at_end(od::document& doc) {
  const char* rest;
  return doc.current_location().get(rest) == simdjson::OUT_OF_BOUNDS;
}

bool json_value(FunctionContext& ctx, StringRef& out, StringRef json, StringRef path_text) {
  const JsonPath* path =
      stdlib_detail::cached_compile<JsonPath>(ctx, "stdlib.jsonpath", path_text.view(), compile_path);
  if (!path->error.empty()) return false;
  JsonState* st = ctx.cached<JsonState>("stdlib.json", [] { return std::make_unique<JsonState>(); });
  size_t need = size_t{json.size} + simdjson::SIMDJSON_PADDING;
  if (need > st->capacity) {
    st->buf.reset(new char[need]);
    st->capacity = need;
  }
  if (json.size) std::memcpy(st->buf.get(), json.data, json.size);
  std::memset(st->buf.get() + json.size, 0, simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (st->parser.iterate(st->buf.get(), json.size, st->capacity).get(doc)) return false;
  if (path->steps.empty()) {
    bool scalar;
    if (doc.is_scalar().get(scalar) || !emit(ctx, doc, out)) return false;
    if (scalar) {
      // Nothing but whitespace may follow a root scalar.
      std::string_view tok;
      doc.rewind();
      if (doc.raw_json_token().get(tok)) return false;
      tok = trim_json_ws(tok);
      return tok.data() + tok.size() == trim_json_ws(std::string_view(st->buf.get(), json.size)).end();
    }
    return at_end(doc);
  }
  od::value v;
  if (doc.get_value().get(v)) return false;  // includes scalar documents
  for (const PathStep& step : path->steps) {
    bool found = false;
    if (step.is_index) {
      od::array arr;
      if (v.get_array().get(arr)) return false;
      uint64_t i = 0;
      for (auto el : arr) {
        od::value ev;
        if (std::move(el).get(ev)) return false;
        if (i++ == step.index) {
          v = ev;
          found = true;
          break;
        }
      }
    } else {
      od::object obj;
      if (v.get_object().get(obj)) return false;
      for (auto f : obj) {
        od::field fld;
        if (std::move(f).get(fld)) return false;
        std::string_view key;
        if (fld.unescaped_key().get(key)) return false;
        if (key == step.name) {
          v = fld.value();
          found = true;
          break;
        }
      }
    }
    if (!found) return false;
  }
  if (!emit(ctx, v, out)) return false;
  // A second, structural pass over the whole document: a truncated document
  // or trailing garbage is NULL even when the path was found before it.
  doc.rewind();
  std::string_view all;
  if (doc.raw_json().get(all)) return false;
  return at_end(doc);
}

struct JsonValue {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef json, StringRef path) {
    return json_value(ctx, out, json, path);
  }
};

// ------------------------------------------------------------------ to_json

struct ToJsonString {
  static bool call(FunctionContext& ctx, StringRef& out, StringRef s) {
    std::string text;
    text.reserve(s.size + 2);
    append_json_string(text, s.view());  // invalid UTF-8 becomes U+FFFD
    out = ctx.copy(text);
    return true;
  }
};
struct ToJsonBigint {
  static bool call(FunctionContext& ctx, StringRef& out, int64_t x) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, x);
    out = ctx.copy(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    return true;
  }
};
// Shortest round-trip text; integral values keep a ".0" so that they stay
// floating point for a schema-inferring consumer; NaN and infinities, which
// JSON cannot express, become null.
struct ToJsonDouble {
  static bool call(FunctionContext& ctx, StringRef& out, double x) {
    if (!std::isfinite(x)) {
      out = StringRef{"null", 4};
      return true;
    }
    char buf[40];
    auto r = std::to_chars(buf, buf + sizeof buf - 2, x);
    std::string_view s(buf, static_cast<size_t>(r.ptr - buf));
    if (s.find_first_of(".eE") == std::string_view::npos) {
      *r.ptr++ = '.';
      *r.ptr++ = '0';
    }
    out = ctx.copy(std::string_view(buf, static_cast<size_t>(r.ptr - buf)));
    return true;
  }
};
struct ToJsonBool {
  static bool call(FunctionContext&, StringRef& out, uint8_t b) {
    out = b ? StringRef{"true", 4} : StringRef{"false", 5};
    return true;
  }
};
struct ToJsonTimestamp {  // an ISO-8601 string, as the Elasticsearch sink writes dates
  static bool call(FunctionContext& ctx, StringRef& out, int64_t ts) {
    char buf[kMaxIso8601Length + 2];
    buf[0] = '"';
    size_t n = format_iso8601_millis(ts, buf + 1);
    buf[n + 1] = '"';
    out = ctx.copy(std::string_view(buf, n + 2));
    return true;
  }
};
struct ToJsonNested {  // ROW and ARRAY values already are JSON text
  static bool call(FunctionContext&, StringRef& out, StringRef json) {
    out = json;
    return true;
  }
};

FunctionOverload string_like(TypeId first, std::vector<TypeId> rest, TypeId result, FunctionThunk thunk) {
  std::vector<TypeId> args{first};
  args.insert(args.end(), rest.begin(), rest.end());
  return FunctionOverload{std::move(args), false, result, thunk, {}};
}

}  // namespace

bool stdlib_validate_json_path(std::string_view path, std::string* error) {
  auto p = compile_path(path);
  if (p->error.empty()) return true;
  if (error) *error = p->error;
  return false;
}

void register_json_functions(FunctionCatalogue& c) {
  const char* f = "json";
  const char* jv = "value at a JSONPath ($.a.b[0]) as text; missing, null or invalid is NULL";
  c.add_simple<JsonValue, S, S, S>("json_value", f, jv);
  // ROW and ARRAY values are physically JSON text: same thunk, other argument types.
  auto* jv_thunk = &detail::simple_thunk<JsonValue, S, S, S>;
  c.add_raw("json_value", f, jv, NullHandling::Propagate, true, string_like(TypeId::Row, {S}, S, jv_thunk));
  c.add_raw("json_value", f, jv, NullHandling::Propagate, true, string_like(TypeId::Array, {S}, S, jv_thunk));

  const char* tj = "JSON text of a value (strings quoted and escaped, timestamps as ISO-8601 strings)";
  c.add_simple<ToJsonString, S, S>("to_json", f, tj);
  c.add_simple<ToJsonBigint, S, TypeId::BigInt>("to_json", f, tj);
  c.add_simple<ToJsonDouble, S, TypeId::Double>("to_json", f, tj);
  c.add_simple<ToJsonBool, S, TypeId::Boolean>("to_json", f, tj);
  c.add_simple<ToJsonTimestamp, S, TypeId::Timestamp>("to_json", f, tj);
  auto* nested = &detail::simple_thunk<ToJsonNested, S, S>;
  c.add_raw("to_json", f, tj, NullHandling::Propagate, true, string_like(TypeId::Row, {}, S, nested));
  c.add_raw("to_json", f, tj, NullHandling::Propagate, true, string_like(TypeId::Array, {}, S, nested));
}

}  // namespace pipec

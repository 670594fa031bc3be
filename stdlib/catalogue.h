// The one catalogue of scalar functions. Each family file (strings.cpp,
// math.cpp, ...) defines its functions and a register_<family>_functions()
// that catalogue.cpp calls; `pipec functions` lists the result.
#pragma once

#include <string>
#include <vector>

#include "runtime/common/value.h"
#include "stdlib/function.h"

namespace pipec {

class FunctionCatalogue {
 public:
  // The process-wide catalogue with every stdlib function registered.
  static const FunctionCatalogue& instance();

  const ScalarFunction* find(std::string_view name) const;  // case-insensitive
  const std::vector<ScalarFunction>& functions() const { return functions_; }
  std::vector<std::string> names() const;

  // Registration ------------------------------------------------------------
  template <typename F, TypeId Ret, TypeId... Args>
  void add_simple(const std::string& name, const std::string& family, const std::string& description) {
    add_overload(name, family, description, NullHandling::Propagate, true,
                 FunctionOverload{{Args...}, false, Ret, &detail::simple_thunk<F, Ret, Args...>, {}});
  }
  void add_raw(const std::string& name, const std::string& family, const std::string& description,
               NullHandling nulls, bool deterministic, FunctionOverload overload) {
    add_overload(name, family, description, nulls, deterministic, std::move(overload));
  }

 private:
  void add_overload(const std::string& name, const std::string& family, const std::string& description,
                    NullHandling nulls, bool deterministic, FunctionOverload overload);
  std::vector<ScalarFunction> functions_;
};

// "lower(STRING) -> STRING", for messages and `pipec functions`.
std::string signature_text(const ScalarFunction& fn, const FunctionOverload& overload);

// Calls an overload on Values (reference evaluator, constant folding).
// String results are copied out of ctx's arena into the returned Value.
Value call_function(const ScalarFunction& fn, const FunctionOverload& overload,
                    const std::vector<Value>& args, FunctionContext& ctx);

// Family registration hooks, one per stdlib/<family>.cpp.
void register_string_functions(FunctionCatalogue& c);
void register_math_functions(FunctionCatalogue& c);
void register_null_functions(FunctionCatalogue& c);
void register_time_functions(FunctionCatalogue& c);
void register_hash_functions(FunctionCatalogue& c);
void register_privacy_functions(FunctionCatalogue& c);
void register_json_functions(FunctionCatalogue& c);

}  // namespace pipec

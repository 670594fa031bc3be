#include <doctest/doctest.h>

#include <cstdlib>

#include "runtime/exec/run_error.h"
#include "runtime/sinks/es_sink_operator.h"

using namespace pipec;

namespace {

SinkDef es_sink(bool secret_password) {
  SinkDef s;
  s.name = "out";
  s.connector = "opensearch";
  s.index = "orders";
  OptionInfo hosts;
  hosts.key = "hosts";
  hosts.value = "http://127.0.0.1:1";
  OptionInfo user;
  user.key = "username";
  user.value = "elastic";
  OptionInfo pass;
  pass.key = "password";
  pass.value = "PIPEC_TEST_ES_PASSWORD";
  pass.is_secret = secret_password;
  s.options.options = {hosts, user, pass};
  return s;
}

}  // namespace

TEST_CASE("es sink: secret() options are read from the environment") {
  ::setenv("PIPEC_TEST_ES_PASSWORD", "s3cret", 1);
  auto m = resolved_es_options(es_sink(true));
  CHECK(m.at("password") == "s3cret");
  CHECK(m.at("username") == "elastic");
  CHECK(m.at("index") == "orders");
  auto config = es::parse_es_config(m);
  CHECK(config.auth.kind == es::EsAuth::Kind::Basic);
  CHECK(config.auth.password == "s3cret");
  // A plain option is taken as written.
  CHECK(resolved_es_options(es_sink(false)).at("password") == "PIPEC_TEST_ES_PASSWORD");
}

TEST_CASE("es sink: a missing secret is an I/O error naming the variable") {
  ::unsetenv("PIPEC_TEST_ES_PASSWORD");
  try {
    resolved_es_options(es_sink(true));
    FAIL("expected a RunError");
  } catch (const RunError& e) {
    CHECK(e.kind() == RunError::Kind::Io);
    CHECK(std::string(e.what()).find("PIPEC_TEST_ES_PASSWORD") != std::string::npos);
    CHECK(std::string(e.what()).find("not set") != std::string::npos);
  }
}

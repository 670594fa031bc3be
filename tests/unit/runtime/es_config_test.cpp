#include <doctest/doctest.h>

#include "runtime/sinks/elasticsearch/es_config.h"
#include "runtime/sinks/elasticsearch/es_http.h"

using namespace pipec::es;

TEST_CASE("es config: defaults match connector_options.cpp") {
  EsConfig c = parse_es_config({{"hosts", "localhost:9200"}, {"index", "orders"}});
  REQUIRE(c.hosts.size() == 1);
  CHECK(c.hosts[0] == "http://localhost:9200");
  CHECK(c.index == "orders");
  CHECK(c.auth.kind == EsAuth::Kind::None);
  CHECK(c.bulk_max_bytes == 8u * 1024 * 1024);
  CHECK(c.bulk_max_actions == 5000);
  CHECK(c.flush_interval_ms == 1000);
  CHECK(c.concurrency == 2);
  CHECK_FALSE(c.gzip);
  CHECK(c.retry_max_attempts == 8);
  CHECK(c.retry_initial_backoff_ms == 100);
  CHECK(c.retry_max_backoff_ms == 30000);
  CHECK(c.retry_max_buffered_bytes == 32u * 1024 * 1024);
  CHECK(c.index_create == "index");
}

TEST_CASE("es config: every option") {
  EsConfig c = parse_es_config({{"hosts", " https://a:9200/ , http://b:9201,c "},
                                {"username", "elastic"},
                                {"password", "s3cret"},
                                {"ca-file", "/etc/ca.pem"},
                                {"bulk.max-bytes", "10mb"},
                                {"bulk.max-actions", "2000"},
                                {"bulk.flush-interval", "250ms"},
                                {"bulk.concurrency", "4"},
                                {"bulk.gzip", "true"},
                                {"retry.max-attempts", "5"},
                                {"retry.initial-backoff", "50ms"},
                                {"retry.max-backoff", "1m"},
                                {"retry.max-buffered-bytes", "128mb"},
                                {"index.create", "Template"},
                                {"index.shards", "3"},
                                {"index.replicas", "0"},
                                {"document.id", "order_id"}});
  CHECK(c.hosts == std::vector<std::string>{"https://a:9200", "http://b:9201", "http://c"});
  CHECK(c.auth.kind == EsAuth::Kind::Basic);
  CHECK(c.auth.username == "elastic");
  CHECK(c.auth.password == "s3cret");
  CHECK(c.ca_file == "/etc/ca.pem");
  CHECK(c.bulk_max_bytes == 10u << 20);
  CHECK(c.bulk_max_actions == 2000);
  CHECK(c.flush_interval_ms == 250);
  CHECK(c.concurrency == 4);
  CHECK(c.gzip);
  CHECK(c.retry_max_attempts == 5);
  CHECK(c.retry_initial_backoff_ms == 50);
  CHECK(c.retry_max_backoff_ms == 60000);
  CHECK(c.retry_max_buffered_bytes == 128u << 20);
  CHECK(c.index_create == "template");
  CHECK(c.index_shards == 3);
  CHECK(c.index_replicas == 0);
}

TEST_CASE("es config: API keys") {
  EsConfig enc = parse_es_config({{"hosts", "h"}, {"api-key", "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw=="}});
  CHECK(enc.auth.kind == EsAuth::Kind::ApiKey);
  CHECK(enc.auth.api_key == "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
  EsConfig clear = parse_es_config({{"hosts", "h"}, {"api-key", "VuaCfGcBCdbkQm-e5aOx:ui2lp2axTNmsyakw9tvNnw"}});
  CHECK(clear.auth.api_key == "VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==");
  CHECK_THROWS_AS(parse_es_config({{"hosts", "h"}, {"api-key", "k"}, {"username", "u"}}), EsConfigError);
  CHECK_THROWS_AS(parse_es_config({{"hosts", "h"}, {"password", "p"}}), EsConfigError);
}

TEST_CASE("es config: errors name the option") {
  auto message = [](EsOptionMap m) -> std::string {
    try {
      parse_es_config(m);
    } catch (const EsConfigError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(message({}).find("'hosts' is required") != std::string::npos);
  CHECK(message({{"hosts", " , "}}).find("'hosts'") != std::string::npos);
  CHECK(message({{"hosts", "ftp://x"}}).find("scheme must be http or https") != std::string::npos);
  CHECK(message({{"hosts", "http://"}}).find("no host name") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"bulk.max-bytes", "lots"}}).find("'bulk.max-bytes' = 'lots'") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"bulk.concurrency", "0"}}).find("'bulk.concurrency'") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"bulk.gzip", "maybe"}}).find("true or false") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"retry.max-backoff", "10ms"}}).find("below 'retry.initial-backoff'") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"retry.max-buffered-bytes", "1mb"}}).find("at least 'bulk.max-bytes'") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"index.create", "maybe"}}).find("none, index or template") != std::string::npos);
  CHECK(message({{"hosts", "h"}, {"bulk.flush-interval", "0ms"}}).find("'bulk.flush-interval'") != std::string::npos);
}

TEST_CASE("es transport errors: curl's detail, and a 'ca-file' hint for certificate problems") {
  EsConfig c = parse_es_config({{"hosts", "https://localhost:9200"}});
  const char* detail = "SSL certificate problem: unable to get local issuer certificate";
  std::string no_ca = transport_error_text(CURLE_PEER_FAILED_VERIFICATION, detail, c);
  CHECK(no_ca.starts_with(detail));
  CHECK(no_ca.find("set 'ca-file'") != std::string::npos);
  c.ca_file = "/etc/pipec/ca.pem";
  std::string with_ca = transport_error_text(CURLE_PEER_FAILED_VERIFICATION, detail, c);
  CHECK(with_ca.find("check 'ca-file' (/etc/pipec/ca.pem)") != std::string::npos);
  CHECK(transport_error_text(CURLE_SSL_CACERT_BADFILE, "", c).find("check 'ca-file'") != std::string::npos);
  // Without a detail, curl's text for the code; no hint for other failures.
  CHECK(transport_error_text(CURLE_COULDNT_CONNECT, "", c) == curl_easy_strerror(CURLE_COULDNT_CONNECT));
  CHECK(transport_error_text(CURLE_OPERATION_TIMEDOUT, "Operation timed out after 5000 ms", c) ==
        "Operation timed out after 5000 ms");
}

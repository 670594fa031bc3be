#include <doctest/doctest.h>

#include "runtime/common/types.h"

using namespace pipec;

TEST_CASE("type names resolve aliases to one representation") {
  CHECK(primitive_type_from_name("int")->id == TypeId::BigInt);
  CHECK(primitive_type_from_name("VarChar")->id == TypeId::String);
  CHECK(primitive_type_from_name("float")->id == TypeId::Double);
  CHECK(primitive_type_from_name("decimal") == nullptr);
}

TEST_CASE("nested types print in SQL spelling and compare structurally") {
  auto r = Type::row({{"os", Type::string(), false}, {"ver", Type::bigint(), true}});
  CHECK(r->to_string() == "ROW<os STRING, ver BIGINT NOT NULL>");
  auto r2 = Type::row({{"os", Type::string(), false}, {"ver", Type::bigint(), true}});
  CHECK(type_equals(*r, *r2));
  auto r3 = Type::row({{"os", Type::string(), false}, {"ver", Type::float64(), true}});
  CHECK_FALSE(type_equals(*r, *r3));
  CHECK(Type::array(r)->physical() == PhysicalType::String);
  CHECK(r->find_field("OS") != nullptr);
}

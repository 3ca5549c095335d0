// EnumNames (base/enum_names.hpp): the one table per enumeration. Names read back to their values,
// aliases read but are never written, unknown names and values are Errors listing the allowed names.
#include <catch2/catch.hpp>

#include "base/enum_names.hpp"
#include "base/error.hpp"
#include "diffusion/parameterization.hpp"
#include "diffusion/schedule.hpp"

using namespace diffuse;

namespace {
enum class Fruit { apple, pear, plum };
const EnumNames<Fruit> fruits{"fruit", {{Fruit::apple, "apple"}, {Fruit::pear, "pear"}, {Fruit::plum, "plum"},
                                         {Fruit::pear, "poire"}}};
}  // namespace

TEST_CASE("names and values map both ways; aliases are read, never written") {
  for (Fruit f : {Fruit::apple, Fruit::pear, Fruit::plum}) CHECK(fruits.value(fruits.name(f)) == f);
  CHECK(fruits.value("poire") == Fruit::pear);
  CHECK(fruits.name(Fruit::pear) == "pear");
  CHECK(fruits.names() == std::vector<std::string>{"apple", "pear", "plum"});
  CHECK(fruits.allowed() == "apple, pear, plum");
  CHECK(fruits.allowed(" | ") == "apple | pear | plum");
}

TEST_CASE("an unknown name or value is an Error naming it and what is allowed") {
  CHECK_THROWS_AS(fruits.value("banana"), Error);
  CHECK_THROWS_WITH(fruits.value("banana"), "unknown fruit 'banana': allowed are apple, pear, plum");
  CHECK_THROWS_WITH(fruits.name(static_cast<Fruit>(7)), Catch::Contains("unknown fruit 7"));
  CHECK_THROWS_WITH(fruits.value(""), Catch::Contains("''"));
}

TEST_CASE("the project's tables keep diffusers' aliases") {
  CHECK(schedule_kinds.value("squaredcos_cap_v2") == ScheduleKind::cosine);
  CHECK(schedule_kinds.name(ScheduleKind::cosine) == "cosine");
  CHECK(predictions.value("epsilon") == Prediction::eps);
  CHECK(predictions.value("v_prediction") == Prediction::v);
  CHECK(predictions.value("sample") == Prediction::x0);
  CHECK(predictions.names() == std::vector<std::string>{"eps", "x0", "v"});
}

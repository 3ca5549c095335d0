// CSV points: the accepted variations, every rejection with its message (source, line, text,
// what was expected), and the float32 round trip of the writer.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <sstream>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "data/csv.hpp"

using namespace diffuse;

namespace {

CsvPoints read(const std::string& text) {
  std::istringstream in(text);
  return csv_read(in, "points.csv");
}

// The Error message of reading `text`; fails the test if it reads.
std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const Error& e) {
    return e.what();
  }
  FAIL("read without error: " << text);
  return "";
}

void check_contains(const std::string& message, std::initializer_list<const char*> parts) {
  INFO(message);
  for (const char* part : parts) CHECK(message.find(part) != std::string::npos);
}

}  // namespace

TEST_CASE("csv reads rows of numbers, with or without a header") {
  const CsvPoints plain = read("1,2\n3.5,-4e-3\n");
  CHECK(plain.header.empty());
  REQUIRE(plain.points.shape(0) == 2);
  REQUIRE(plain.points.shape(1) == 2);
  CHECK(plain.points(0, 0) == 1.0f);
  CHECK(plain.points(1, 0) == 3.5f);
  CHECK(plain.points(1, 1) == -4e-3f);

  const CsvPoints headed = read("x,y,z\n1,2,3\n");
  CHECK(headed.header == std::vector<std::string>{"x", "y", "z"});
  CHECK(headed.points.shape(0) == 1);
  CHECK(headed.points(0, 2) == 3.0f);

  // pandas' default: an unnamed index column.
  CHECK(read(",x,y\n0,1,2\n").header == std::vector<std::string>{"", "x", "y"});

  const CsvPoints one_column = read("7\n-8\n9\n");
  CHECK(one_column.points.shape(1) == 1);
  CHECK(one_column.points(2, 0) == 9.0f);
}

TEST_CASE("csv tolerates blank lines, CRLF, spaces around fields and no final newline") {
  const CsvPoints p = read("\r\n\n  x , y \r\n\n1 ,\t2\r\n   \n3,4  \t\r\n\n5,6");
  CHECK(p.header == std::vector<std::string>{"x", "y"});
  REQUIRE(p.points.shape(0) == 3);
  CHECK(p.points(0, 1) == 2.0f);
  CHECK(p.points(2, 0) == 5.0f);
  CHECK(p.points(2, 1) == 6.0f);
}

TEST_CASE("csv skips a UTF-8 byte-order mark at the start, with or without a header") {
  const CsvPoints plain = read("\xEF\xBB\xBF-0.09208518,0.5\r\n1,2\r\n");
  CHECK(plain.header.empty());
  REQUIRE(plain.points.shape(0) == 2);
  CHECK(plain.points(0, 0) == -0.09208518f);
  const CsvPoints named = read("\xEF\xBB\xBFx,y\n1,2\n");
  CHECK(named.header == std::vector<std::string>{"x", "y"});
  // Only at the start: elsewhere the mark is text, and the field is not a number.
  CHECK_THROWS_WITH(read("1,2\n\xEF\xBB\xBF" "3,4\n"), Catch::Contains("line 2"));
}

TEST_CASE("csv rejects an empty input, blank-only input and a header without rows") {
  check_contains(error_of(""), {"points.csv", "empty"});
  check_contains(error_of("\n  \r\n\t\n"), {"points.csv", "empty"});
  check_contains(error_of("\nx,y\n\n"), {"points.csv", "header", "line 2", "no data rows"});
}

TEST_CASE("csv rejects rows whose number of columns differs") {
  check_contains(error_of("1,2\n3,4\n5,6,7\n"),
                 {"points.csv line 3", "3 values", "line 1 has 2", "same number"});
  check_contains(error_of("x,y\n\n1,2\n3\n"), {"line 4", "1 values", "line 3 has 2"});
  check_contains(error_of("x,y,z\n1,2\n"), {"line 2", "2 values", "header (line 1) has 3"});
}

TEST_CASE("csv names the line, column and text of a value that is not a finite float32") {
  check_contains(error_of("1,2\n3,abc\n"),
                 {"points.csv line 2, column 2", "'abc' is not a number", "expected 2"});
  check_contains(error_of("1,2\n3,\n"), {"line 2, column 2", "empty field", "not a number"});
  check_contains(error_of("1,2\n,4\n"), {"line 2, column 1", "empty field"});
  check_contains(error_of("1,2\n3,4x\n"), {"'4x' is not a number"});
  check_contains(error_of("1,2\n3,1.5.2\n"), {"'1.5.2' is not a number"});
  check_contains(error_of("1,2\nnan,4\n"), {"line 2, column 1", "'nan' is not finite"});
  check_contains(error_of("1,2\n3,-inf\n"), {"'-inf' is not finite"});
  check_contains(error_of("1,2\n3,1e999\n"), {"'1e999' is not finite"});
  check_contains(error_of("1,2\n3,1e39\n"), {"'1e39' is outside the float32 range"});
  // A first line with some numbers is a data row, not a header.
  check_contains(error_of("1,2,abc\n4,5,6\n"), {"line 1, column 3", "'abc' is not a number"});
  // A first line of non-finite numbers is not a header either.
  check_contains(error_of("nan,inf\n1,2\n"), {"line 1, column 1", "'nan' is not finite"});
}

TEST_CASE("csv quotes offending text safely: control bytes and invalid UTF-8 escaped, long text shortened") {
  check_contains(error_of("1,2\n3,4\t5\n"), {"line 2, column 2", "'4\\x095'"});
  check_contains(error_of("1,2\n3,\xff\xfe\n"), {"'\\xff\\xfe' is not a number"});
  check_contains(error_of("1,2\n3,caf\xc3\xa9\n"), {"'caf\xc3\xa9' is not a number"});  // valid UTF-8 kept
  const std::string long_field(200, 'q');
  const std::string message = error_of("1," + long_field + "\n");
  check_contains(message, {"'qqqq", "...'"});
  CHECK(message.size() < 200);
}

TEST_CASE("csv refuses a binary file by its first control byte, naming line and column") {
  std::string with_nul = "x,y\n1,2\n3,4";
  with_nul += '\0';
  with_nul += "5\n";
  check_contains(error_of(with_nul), {"points.csv is not a text file", "line 3", "'\\x00'", "column 4"});
  check_contains(error_of("\x89PNG\r\n\x1a\n"), {"not a text file", "line 2", "'\\x1a'", "column 1"});
  check_contains(error_of("1,2\n\x7f\n"), {"not a text file", "line 2", "'\\x7f'"});
  // Tabs and carriage returns are text: a tab-padded field and CRLF line ends read.
  CHECK(read("1,\t2\r\n3,4\r\n").points.shape(0) == 2);
}

TEST_CASE("csv writes shortest round-trip floats, and reads them back bit for bit") {
  Rng rng(3);
  Tensor2 points = Tensor2::from_shape({200, 3});
  rng.fill_normal(points.data(), points.size());
  for (std::size_t i = 0; i < 200; ++i)
    points(i, 1) *= std::pow(10.0f, static_cast<float>(i % 60) - 30);
  const float specials[] = {0.0f, -0.0f, FLT_MAX, -FLT_MAX, FLT_MIN, FLT_TRUE_MIN, 0.1f, 1.0f / 3};
  for (std::size_t k = 0; k < std::size(specials); ++k) points(k, 2) = specials[k];

  std::ostringstream out;
  csv_write_points(out, points, {"a", "b", "c"});
  std::istringstream in(out.str());
  const CsvPoints back = csv_read(in);
  CHECK(back.header == std::vector<std::string>{"a", "b", "c"});
  REQUIRE(back.points.shape() == points.shape());
  CHECK(std::memcmp(back.points.data(), points.data(), points.size() * sizeof(float)) == 0);

  Tensor2 small = {{0.1f, 1.0f}, {-2.5f, 100.0f}};
  std::ostringstream text;
  csv_write_points(text, small);
  CHECK(text.str() == "0.1,1\n-2.5,100\n");
}

TEST_CASE("csv writer rejects a header that does not fit the columns") {
  const Tensor2 points = Tensor2::from_shape({1, 2});
  std::ostringstream out;
  CHECK_THROWS_WITH(csv_write_points(out, points, {"x"}), Catch::Contains("1 names for 2 columns"));
  CHECK_THROWS_WITH(csv_write_points(out, points, {"x", "a,b"}), Catch::Contains("'a,b'"));
  CHECK_THROWS_WITH(csv_write_points(out, points, {"x", " "}), Catch::Contains("non-blank"));
}

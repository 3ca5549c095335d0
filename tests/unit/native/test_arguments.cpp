// Flag validators (the messages users see) and the checks of output paths before any work.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "base/error.hpp"
#include "support/arguments.hpp"

using namespace diffuse;
using namespace diffuse::cli;
namespace fs = std::filesystem;

namespace {

std::string check(const CLI::Validator& validator, std::string text) {
  return validator(text);
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "diffuse-args-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

TEST_CASE("int_range accepts exactly the integers of the range") {
  const CLI::Validator v = int_range(1, 100);
  CHECK(check(v, "1").empty());
  CHECK(check(v, "100").empty());
  for (const char* bad :
       {"0", "101", "-1", "2.5", "1e2", "", " 5", "5 ", "nan", "0x10", "99999999999999999999"}) {
    INFO(bad);
    CHECK(check(v, bad) == std::string(bad) + " is invalid: allowed is an integer in [1, 100]");
  }
}

TEST_CASE("number_range and positive_number reject NaN, infinities and text") {
  const CLI::Validator unit = number_range(0, 1, false, true);
  CHECK(check(unit, "0").empty());
  CHECK(check(unit, "0.999").empty());
  CHECK(check(unit, "1") == "1 is invalid: allowed is a finite number in [0, 1)");
  const CLI::Validator positive = positive_number();
  CHECK(check(positive, "1e-8").empty());
  for (const char* bad : {"0", "-1", "nan", "NaN", "inf", "-inf", "1e999", "abc", "1.5x", ""}) {
    INFO(bad);
    CHECK(check(positive, bad) == std::string(bad) + " is invalid: allowed is a finite number > 0");
  }
}

TEST_CASE("one_of lists the allowed names; seeds span 64 bits") {
  CHECK(check(one_of({"a", "b"}), "a").empty());
  CHECK(check(one_of({"a", "b"}), "c") == "'c' is unknown: allowed are a, b");
  CHECK(check(seed_text(), "18446744073709551615").empty());
  CHECK(!check(seed_text(), "18446744073709551616").empty());
  CHECK(!check(seed_text(), "-1").empty());
  CHECK(!check(seed_text(), "+1").empty());
  CHECK(parse_seed("18446744073709551615") == 18446744073709551615ull);
}

TEST_CASE("check_output_path: extension, directory, writability; nothing left behind") {
  TempDir dir;
  const std::string good = (dir.path / "out.CSV").string();
  CHECK(check_output_path("--out", good, {".csv"}) == ".csv");
  CHECK_THROWS_WITH(check_output_path("--out", (dir.path / "out.txt").string(), {".csv", ".npy"}),
                    Catch::Contains("unknown extension .txt: allowed are .csv, .npy"));
  CHECK_THROWS_WITH(check_output_path("--out", (dir.path / "none" / "o.csv").string(), {".csv"}),
                    Catch::Contains("No such file or directory"));
  fs::create_directory(dir.path / "d.csv");
  CHECK_THROWS_WITH(check_output_path("--out", (dir.path / "d.csv").string(), {".csv"}),
                    Catch::Contains("is a directory"));
  std::ofstream((dir.path / "file").string()) << "x";
  CHECK_THROWS_WITH(check_output_path("--out", (dir.path / "file" / "o.csv").string(), {".csv"}),
                    Catch::Contains("is not a directory"));
  CHECK_THROWS_WITH(check_output_path("--out", "/proc/o.csv", {".csv"}), Catch::Contains("/proc"));
  if (::geteuid() != 0) {  // root ignores permission bits
    fs::create_directory(dir.path / "locked");
    ::chmod((dir.path / "locked").c_str(), 0555);
    CHECK_THROWS_WITH(
        check_output_path("--out", (dir.path / "locked" / "o.csv").string(), {".csv"}),
        Catch::Contains("Permission denied"));
    ::chmod((dir.path / "locked").c_str(), 0755);
  }
  std::size_t entries = 0;
  for (auto it = fs::directory_iterator(dir.path); it != fs::directory_iterator(); ++it) ++entries;
  CHECK(entries == (::geteuid() != 0 ? 3u : 2u));  // d.csv, file (and locked): no probe files
}

TEST_CASE("same_file sees through different spellings of one path") {
  TempDir dir;
  const std::string a = (dir.path / "a.npy").string();
  CHECK(same_file(a, (dir.path / "." / "a.npy").string()));
  CHECK(!same_file(a, (dir.path / "b.npy").string()));
  std::ofstream(a) << "x";
  CHECK(same_file(a, (dir.path / "." / "a.npy").string()));
}

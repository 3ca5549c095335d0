// atomic_write_folder: a new folder appears complete or not at all, an empty one may be replaced,
// a non-empty one never; check_output_folder refuses what the write would refuse, up front.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

#include "base/error.hpp"
#include "support/atomic_folder.hpp"

using namespace diffuse;
using namespace diffuse::cli;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path = fs::temp_directory_path() / ("diffuse-folder-test-" + std::to_string(::getpid()));
  TempDir() { fs::remove_all(path), fs::create_directories(path); }
  ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<FolderFile> two_files() {
  return {{"a.json", [](std::ostream& o) { o << "{}\n"; }},
          {"sub/b.bin", [](std::ostream& o) { o << "bytes"; }}};
}

std::size_t entries(const fs::path& dir) {
  return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

}  // namespace

TEST_CASE("atomic_write_folder: files and subfolders, into a new or an empty folder") {
  TempDir tmp;
  const fs::path out = tmp.path / "pipe";
  check_output_folder("--out", out.string());
  atomic_write_folder(out.string() + "/", two_files());  // a trailing slash names the same folder
  CHECK(read(out / "a.json") == "{}\n");
  CHECK(read(out / "sub" / "b.bin") == "bytes");
  CHECK(entries(tmp.path) == 1);  // no temporary folder left
  fs::create_directory(tmp.path / "empty");
  check_output_folder("--out", (tmp.path / "empty").string());
  atomic_write_folder((tmp.path / "empty").string(), two_files());
  CHECK(read(tmp.path / "empty" / "a.json") == "{}\n");
}

TEST_CASE("atomic_write_folder: a non-empty folder is never replaced, a failing writer leaves nothing") {
  TempDir tmp;
  const fs::path out = tmp.path / "pipe";
  fs::create_directory(out);
  std::ofstream(out / "keep.txt") << "mine";
  CHECK_THROWS_WITH(check_output_folder("--out", out.string()), Contains("--out '") && Contains("exists and is not empty"));
  CHECK_THROWS_WITH(atomic_write_folder(out.string(), two_files()), Contains("is not empty"));
  CHECK(read(out / "keep.txt") == "mine");
  CHECK(entries(out) == 1);
  const fs::path fresh = tmp.path / "fresh";
  std::vector<FolderFile> files = two_files();
  files.push_back({"c.txt", [](std::ostream&) { throw std::runtime_error("writer failed"); }});
  CHECK_THROWS_WITH(atomic_write_folder(fresh.string(), files), "writer failed");
  CHECK_FALSE(fs::exists(fresh));
  CHECK(entries(tmp.path) == 1);  // only "pipe": the temporary folder is gone
}

TEST_CASE("check_output_folder: a file, a missing parent, an empty name") {
  TempDir tmp;
  std::ofstream(tmp.path / "file") << "x";
  CHECK_THROWS_WITH(check_output_folder("--out", (tmp.path / "file").string()), Contains("is a file"));
  CHECK_THROWS_WITH(check_output_folder("--out", (tmp.path / "no" / "pipe").string()), Contains("cannot use directory"));
  CHECK_THROWS_WITH(check_output_folder("--out", ""), Contains("--out is empty"));
}

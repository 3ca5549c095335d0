// atomic_write_file: complete content or the old file, never a part, and no temporary files left
// behind, whichever way the write ends.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "base/error.hpp"
#include "support/atomic_file.hpp"

using namespace diffuse;
namespace fs = std::filesystem;

namespace {

// A fresh directory per test, removed at the end.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "diffuse-atomic-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::permissions(path, fs::perms::owner_all, ignored);
    fs::remove_all(path, ignored);
  }
  std::size_t entries() const {
    std::size_t n = 0;
    for (auto it = fs::directory_iterator(path); it != fs::directory_iterator(); ++it) ++n;
    return n;
  }
};

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Whether a file can be created in dir (tried, then removed).
bool can_create_in(const fs::path& dir) {
  const std::string probe = (dir / ".diffuse-probe").string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

std::string error_of(const std::string& path) {
  try {
    atomic_write_file(path, "data");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("atomic_write_file writes the content and leaves only the target") {
  TempDir dir;
  const std::string target = (dir.path / "out.csv").string();
  atomic_write_file(target, "x,y\n1,2\n");
  CHECK(contents(target) == "x,y\n1,2\n");
  CHECK(dir.entries() == 1);

  // Larger than the 64 KiB stream buffer, written in pieces: every byte arrives in order.
  std::string big(1 << 20, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 131 % 251);
  atomic_write_file(target, [&](std::ostream& out) {
    for (std::size_t i = 0; i < big.size(); i += 1000)
      out.write(&big[i], std::min<std::size_t>(1000, big.size() - i));
  });
  CHECK(contents(target) == big);
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic_write_file gives a new file the umask's permissions, not the temporary 0600") {
  TempDir dir;
  const mode_t old_mask = ::umask(022);
  const std::string target = (dir.path / "f").string();
  atomic_write_file(target, "data");
  ::umask(old_mask);
  struct stat info {};
  REQUIRE(::stat(target.c_str(), &info) == 0);
  CHECK((info.st_mode & 0777) == 0644);
}

TEST_CASE("atomic_write_file leaves the target unchanged when the writer throws") {
  TempDir dir;
  const std::string target = (dir.path / "model.safetensors").string();
  atomic_write_file(target, "old content");
  // The writer has already written part of the new content when it fails.
  CHECK_THROWS_WITH(atomic_write_file(target,
                                      [](std::ostream& out) {
                                        out << std::string(100000, 'n');
                                        throw std::runtime_error("writer failed halfway");
                                      }),
                    "writer failed halfway");
  CHECK(contents(target) == "old content");
  CHECK(dir.entries() == 1);
  // A diffuse::Error from the writer propagates unchanged too.
  CHECK_THROWS_WITH(atomic_write_file(target, [](std::ostream&) { fail("bad tensor"); }),
                    "bad tensor");
  CHECK(contents(target) == "old content");
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic_write_file reports a failed stream and keeps the target") {
  TempDir dir;
  const std::string target = (dir.path / "t.csv").string();
  atomic_write_file(target, "old");
  CHECK_THROWS_WITH(
      atomic_write_file(target, [](std::ostream& out) { out.setstate(std::ios::badbit); }),
      Catch::Contains("cannot write '" + target + "': writing failed"));
  CHECK(contents(target) == "old");
  CHECK(dir.entries() == 1);
}

TEST_CASE("atomic_write_file names the path and the errno text for unusable directories") {
  TempDir dir;
  // A missing directory, and a regular file used as a directory.
  const std::string missing = (dir.path / "no-such-dir" / "out.csv").string();
  CHECK_THAT(error_of(missing), Catch::Contains("cannot write '" + missing + "'") &&
                                    Catch::Contains("cannot create a temporary file in") &&
                                    Catch::Contains("No such file or directory"));
  atomic_write_file((dir.path / "file").string(), "x");
  const std::string under_file = (dir.path / "file" / "out.csv").string();
  CHECK_THAT(error_of(under_file),
             Catch::Contains(under_file) && Catch::Contains("Not a directory"));

  // An unwritable directory: mode 0555, or, when running as root (which ignores modes), /sys,
  // where nobody may create files. The probe makes sure the directory really is unwritable.
  fs::path unwritable = dir.path / "read-only";
  fs::create_directory(unwritable);
  fs::permissions(unwritable, fs::perms::owner_read | fs::perms::owner_exec);
  if (can_create_in(unwritable)) unwritable = "/sys";
  REQUIRE_FALSE(can_create_in(unwritable));
  const std::string target = (unwritable / "out.csv").string();
  CHECK_THAT(
      error_of(target),
      Catch::Contains("cannot write '" + target + "'") &&
          Catch::Contains("cannot create a temporary file in '" + unwritable.string() + "'") &&
          (Catch::Contains("Permission denied") || Catch::Contains("Read-only file system")));
  CHECK_FALSE(fs::exists(target));
}

TEST_CASE("atomic_write_file over a directory fails, removes the temporary, keeps the directory") {
  TempDir dir;
  const fs::path target = dir.path / "a-directory";
  fs::create_directory(target);
  fs::create_directory(target / "inside");
  CHECK_THAT(error_of(target.string()), Catch::Contains("cannot rename the temporary file") &&
                                            Catch::Contains("Is a directory"));
  CHECK(fs::is_directory(target / "inside"));
  CHECK(dir.entries() == 1);
}

TEST_CASE("temporary files of a killed writer are removed by the next write; a live writer's stay") {
  TempDir dir;
  const std::string target = (dir.path / "out.csv").string();
  // A PID that no longer runs: a child that has exited and been waited for.
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) ::_exit(0);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  const fs::path stale = dir.path / (".out.csv.tmp-" + std::to_string(child) + "-3");
  const fs::path live = dir.path / (".out.csv.tmp-" + std::to_string(::getppid()) + "-0");
  const fs::path other = dir.path / (".other.csv.tmp-" + std::to_string(child) + "-0");
  for (const fs::path& p : {stale, live, other}) std::ofstream(p) << "partial";
  atomic_write_file(target, std::string_view("x,y\n"));
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(live));   // the parent process is alive: maybe writing right now
  CHECK(fs::exists(other));  // another target's
  CHECK(dir.entries() == 3);  // out.csv, and the two kept
}

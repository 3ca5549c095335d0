#include "support/atomic_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/error.hpp"
#include "support/atomic_file.hpp"

namespace diffuse::cli {
namespace {

namespace fs = std::filesystem;

std::atomic<unsigned> folder_counter{0};

// "runs/x/" -> "runs/x": a trailing separator would leave the folder without a name.
fs::path folder_path(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  return fs::path(trimmed);
}

fs::path parent_of(const fs::path& folder) {
  return folder.has_parent_path() ? folder.parent_path() : fs::path(".");
}

void sync_path(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort, as atomic_write_file
  (void)::fsync(fd);
  ::close(fd);
}

[[noreturn]] void fail_errno(const fs::path& folder, const std::string& step, int error) {
  fail("cannot write '", folder.string(), "': ", step, ": ", std::strerror(error));
}

fs::path make_temp_folder(const fs::path& folder) {
  const std::string name = folder.filename().string();
  if (name.empty() || name == "." || name == "..") fail("cannot write '", folder.string(), "': not a folder name");
  for (int attempt = 0;; ++attempt) {
    const fs::path temp = parent_of(folder) / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" +
                                               std::to_string(folder_counter++));
    if (::mkdir(temp.c_str(), 0777) == 0) return temp;
    if (errno != EEXIST || attempt >= 100) {
      fail_errno(folder, "cannot create a temporary folder in '" + parent_of(folder).string() + "'", errno);
    }
  }
}

}  // namespace

void check_output_folder(const std::string& flag, const std::string& path) {
  if (path.empty()) fail(flag, " is empty: give a folder name");
  const fs::path folder = folder_path(path);
  struct stat info {};
  if (::stat(folder.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) fail(flag, " '", path, "' is a file: give a new folder's name");
    std::error_code error;
    if (!fs::is_empty(folder, error) || error) {
      fail(flag, " '", path, "' exists and is not empty: the export writes a new folder (remove it ",
           "or give another name)");
    }
  }
  const fs::path dir = parent_of(folder);
  if (::stat(dir.c_str(), &info) != 0) {
    fail(flag, " '", path, "': cannot use directory '", dir.string(), "': ", std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) fail(flag, " '", path, "': '", dir.string(), "' is not a directory");
  const fs::path probe = dir / (".diffuse-probe-" + std::to_string(::getpid()));
  if (::mkdir(probe.c_str(), 0700) != 0) {
    fail(flag, " '", path, "': cannot write to directory '", dir.string(), "': ", std::strerror(errno));
  }
  ::rmdir(probe.c_str());
}

void atomic_write_folder(const std::string& path, const std::vector<FolderFile>& files) {
  const fs::path folder = folder_path(path);
  const fs::path temp = make_temp_folder(folder);
  try {
    for (const FolderFile& file : files) {
      const fs::path target = temp / file.path;
      std::error_code error;
      fs::create_directories(target.parent_path(), error);
      if (error) fail_errno(folder, "cannot create '" + target.parent_path().string() + "'", error.value());
      atomic_write_file(target.string(), file.write);
      sync_path(target.parent_path());
    }
    sync_path(temp);
    if (::rename(temp.c_str(), folder.c_str()) != 0) {
      const int error = errno;
      fail_errno(folder, error == ENOTEMPTY || error == EEXIST
                             ? "it appeared meanwhile and is not empty"
                             : "cannot rename the temporary folder '" + temp.string() + "' to it",
                 error);
    }
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(temp, ignored);
    throw;
  }
  sync_path(parent_of(folder));
}

}  // namespace diffuse::cli

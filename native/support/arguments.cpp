#include "support/arguments.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/error.hpp"
#include "cli.hpp"

namespace diffuse::cli {
namespace {

bool parse_int(const std::string& text, std::int64_t& value) {
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, value);
  return !text.empty() && ptr == end && error == std::errc();
}

bool parse_double(const std::string& text, double& value) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  char* end = nullptr;
  errno = 0;
  value = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

std::string interval_text(double lo, double hi, bool lo_open, bool hi_open) {
  if (std::isinf(hi)) return std::string(lo_open ? "> " : ">= ") + format_number(lo);
  return std::string(lo_open ? "(" : "[") + format_number(lo) + ", " + format_number(hi) +
         (hi_open ? ")" : "]");
}

}  // namespace

CLI::Validator int_range(std::int64_t lo, std::int64_t hi) {
  const std::string allowed =
      "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi, allowed](std::string& text) -> std::string {
        std::int64_t value = 0;
        if (!parse_int(text, value) || value < lo || value > hi) {
          return text + " is invalid: allowed is " + allowed;
        }
        return {};
      },
      "", "int_range");
}

CLI::Validator int_range(const IntRange& range) {
  return int_range(range.min, range.max);
}

CLI::Validator number_range(const NumberRange& range) {
  return number_range(range.min, range.max, range.min_open, range.max_open || std::isinf(range.max));
}

CLI::Validator class_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::int64_t value = 0;
        if (text == "all" || (parse_int(text, value) && value >= 0)) return {};
        return text + " is invalid: allowed is a class number (0, 1, ...) or all";
      },
      "", "class_text");
}

std::int64_t parse_integer(const std::string& flag, const std::string& text) {
  std::int64_t value = 0;
  if (!parse_int(text, value)) fail(flag, " '", text, "' is not an integer");
  return value;
}

CLI::Validator number_range(double lo, double hi, bool lo_open, bool hi_open) {
  const std::string allowed = "a finite number " + std::string(std::isinf(hi) ? "" : "in ") +
                              interval_text(lo, hi, lo_open, hi_open);
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        double value = 0;
        const bool ok = parse_double(text, value) && std::isfinite(value) &&
                        (lo_open ? value > lo : value >= lo) &&
                        (hi_open ? value < hi : value <= hi);
        if (!ok) return text + " is invalid: allowed is " + allowed;
        return {};
      },
      "", "number_range");
}

CLI::Validator positive_number() {
  return number_range(0.0, std::numeric_limits<double>::infinity(), true, false);
}

CLI::Validator one_of(const std::vector<std::string>& names) {
  const std::string list = join_names(names, ", ");
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        if (std::find(names.begin(), names.end(), text) == names.end()) {
          return "'" + text + "' is unknown: allowed are " + list;
        }
        return {};
      },
      "", "one_of");
}

CLI::Validator seed_text() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t seed = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, error] = std::from_chars(text.data(), end, seed);
        if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) || ptr != end ||
            error != std::errc()) {
          return text + " is invalid: allowed is an integer in [0, 18446744073709551615]";
        }
        return {};
      },
      "", "seed");
}

std::uint64_t parse_seed(const std::string& text) {
  std::uint64_t seed = 0;
  const auto [ptr, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error != std::errc() || ptr != text.data() + text.size())
    fail("seed '", text, "' is invalid");
  return seed;
}

std::string join_names(const std::vector<std::string>& names, const std::string& separator) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : separator) + name;
  return out;
}

std::string path_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

std::string check_output_path(const std::string& flag, const std::string& path,
                              const std::vector<std::string>& allowed) {
  if (path.empty()) fail(flag, " is empty: give a file name");
  const std::string ext = path_extension(path);
  if (std::find(allowed.begin(), allowed.end(), ext) == allowed.end()) {
    fail(flag, " '", path, "' has ", ext.empty() ? "no extension" : "the unknown extension " + ext,
         ": allowed are ", join_names(allowed, ", "));
  }
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) fail(flag, " '", path, "' is a directory: give a file name");
    // The atomic write replaces the file by a rename, which a read-only file does not stop (and
    // root passes every permission check): honour the mode bits as `rm` does.
    if ((info.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) {
      fail(flag, " '", path, "' is read-only: make it writable or choose another name");
    }
  }
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  if (::stat(dir.c_str(), &info) != 0) {
    fail(flag, " '", path, "': cannot use directory '", dir, "': ", std::strerror(errno));
  }
  if (!S_ISDIR(info.st_mode)) fail(flag, " '", path, "': '", dir, "' is not a directory");
  // The probe is named as atomic_write_file names its temporary file (".NAME.tmp-PID-K", K here a
  // word at least as long as the counter), so a name too long for the file system fails here,
  // before any work, and not after it.
  const std::string probe = (std::filesystem::path(dir) /
                             ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-probe"))
                                .string();
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0 && errno == ENAMETOOLONG) {
    fail(flag, " '", path, "': the file name is too long for the file system (", target.filename().string().size(),
         " bytes; diffuse adds 20 for its temporary file)");
  }
  if (fd < 0) {
    fail(flag, " '", path, "': cannot write to directory '", dir, "': ", std::strerror(errno));
  }
  ::close(fd);
  ::unlink(probe.c_str());
  return ext;
}

void check_not_input(const std::string& out_flag, const std::string& out, const std::string& in_flag,
                     const std::string& in) {
  std::error_code error;
  if (std::filesystem::equivalent(out, in, error)) {
    fail(out_flag, " '", out, "' is the ", in_flag, " file: writing it would replace the input; choose another name");
  }
}

void check_input_file(const std::string& flag, const std::string& path) {
  struct stat info {};
  if (path.empty()) fail(flag, " is empty: give a file name");
  if (::stat(path.c_str(), &info) != 0) {
    fail(flag, " '", path, "': cannot read it: ", std::strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) fail(flag, " '", path, "' is a directory, not a file");
  if (::access(path.c_str(), R_OK) != 0) {
    fail(flag, " '", path, "': cannot read it: ", std::strerror(errno));
  }
}

std::string read_input_file(const std::string& flag, const std::string& path) {
  check_input_file(flag, path);
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in && !in.eof()) fail(flag, " '", path, "': reading failed");
  return contents.str();
}

bool same_file(const std::string& a, const std::string& b) {
  std::error_code error_a, error_b;
  if (std::filesystem::equivalent(a, b, error_a)) return true;
  const auto canonical_a = std::filesystem::weakly_canonical(a, error_a);
  const auto canonical_b = std::filesystem::weakly_canonical(b, error_b);
  return !error_a && !error_b && canonical_a == canonical_b;
}

}  // namespace diffuse::cli

#include "support/atomic_file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <ostream>
#include <string>
#include <system_error>
#include <streambuf>
#include <vector>

#include "base/error.hpp"

namespace diffuse {
namespace {

// A stream buffer over a file descriptor that remembers the first write error's errno.
class FdBuffer : public std::streambuf {
 public:
  explicit FdBuffer(int fd) : fd_(fd), buffer_(1 << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type c) override {
    if (!drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(c, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(c);
      pbump(1);
    }
    return traits_type::not_eof(c);
  }
  int sync() override { return drain() ? 0 : -1; }

 private:
  bool drain() {
    const char* p = pbase();
    std::size_t left = static_cast<std::size_t>(pptr() - pbase());
    while (left > 0 && error_ == 0) {
      const ssize_t written = ::write(fd_, p, left);
      if (written < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      p += written;
      left -= static_cast<std::size_t>(written);
    }
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return error_ == 0;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

std::atomic<unsigned> temp_counter{0};

[[noreturn]] void fail_errno(const std::string& path, const std::string& step, int error) {
  fail("cannot write '", path, "': ", step, ": ", std::strerror(error));
}

// The temporary file: created exclusively, so that concurrent writers never share one.
int create_temp(const std::string& path, std::string& temp) {
  const std::filesystem::path target(path);
  const std::string name = target.filename().string();
  if (name.empty() || name == "." || name == "..")
    fail("cannot write '", path, "': not a file name");
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  for (int attempt = 0;; ++attempt) {
    temp = (dir / ("." + name + ".tmp-" + std::to_string(::getpid()) + "-" +
                   std::to_string(temp_counter++)))
               .string();
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt >= 100) {
      fail_errno(path, "cannot create a temporary file in '" + dir.string() + "'", errno);
    }
  }
}

// Temporary files of this target left by writers that were killed mid-write (".NAME.tmp-PID-K" of
// a PID that no longer runs): removed before a new write, so they do not pile up. A live PID's
// file may be another process writing the same target right now, and is left alone.
void remove_stale_temps(const std::string& path) {
  const std::filesystem::path target(path);
  const std::filesystem::path dir = target.has_parent_path() ? target.parent_path() : ".";
  const std::string prefix = "." + target.filename().string() + ".tmp-";
  std::error_code error;
  for (std::filesystem::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = name.substr(prefix.size());  // "PID-K"
    const std::size_t dash = rest.find('-');
    if (dash == 0 || dash == std::string::npos ||
        rest.find_first_not_of("0123456789-") != std::string::npos || dash > 9) {
      continue;
    }
    const pid_t pid = static_cast<pid_t>(std::stol(rest.substr(0, dash)));
    if (pid > 0 && pid != ::getpid() && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::filesystem::remove(it->path(), error);
      error.clear();
    }
  }
}

void sync_directory(const std::string& path) {
  const std::filesystem::path target(path);
  const std::string dir = target.has_parent_path() ? target.parent_path().string() : ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the file itself is complete and in place
  (void)::fsync(fd);
  ::close(fd);
}

// Writes, flushes, fsyncs and closes fd (closed on every path); returns 0 or the errno of the step
// that failed, with `step` naming it.
int write_and_close(int fd, const std::function<void(std::ostream&)>& write, std::string& step) {
  int error = 0;
  try {
    FdBuffer buffer(fd);
    std::ostream out(&buffer);
    write(out);
    out.flush();
    if (buffer.error() != 0 || !out) {
      step = "writing failed";
      error = buffer.error() != 0 ? buffer.error() : EIO;
    } else if (::fsync(fd) != 0) {
      step = "fsync failed";
      error = errno;
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (::close(fd) != 0 && error == 0) {
    step = "closing failed";
    error = errno;
  }
  return error;
}

}  // namespace

void atomic_write_file(const std::string& path, const std::function<void(std::ostream&)>& write) {
  remove_stale_temps(path);
  std::string temp;
  const int fd = create_temp(path, temp);
  std::string step;
  int error = 0;
  try {
    error = write_and_close(fd, write, step);
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (error == 0 && ::rename(temp.c_str(), path.c_str()) != 0) {
    step = "cannot rename the temporary file '" + temp + "' over it";
    error = errno;
  }
  if (error != 0) {
    ::unlink(temp.c_str());
    fail_errno(path, step, error);
  }
  sync_directory(path);
}

void atomic_write_file(const std::string& path, std::string_view contents) {
  atomic_write_file(path, [contents](std::ostream& out) {
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  });
}

}  // namespace diffuse

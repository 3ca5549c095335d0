#pragma once
// Writing a file so that readers see either the old file or the complete new one, never a part:
// the content goes to a temporary file in the same directory (".NAME.tmp-PID-K", created with
// O_EXCL and mode 0666 minus the umask), which is flushed, fsync'ed and closed, then renamed over
// the target; the directory is fsync'ed afterwards so the rename survives a crash.
//
// Temporary files of the same target left by a writer that was killed (their PID no longer runs)
// are removed first. On any failure the temporary file is removed and the target is left as it
// was: an I/O error throws diffuse::Error naming the target path, the step and the errno text
// ("cannot write 'out/x.csv': cannot create a temporary file in 'out': Permission denied"); an
// exception from the writer callback propagates unchanged.
#include <functional>
#include <iosfwd>
#include <string>
#include <string_view>

namespace diffuse {

void atomic_write_file(const std::string& path, const std::function<void(std::ostream&)>& write);
void atomic_write_file(const std::string& path, std::string_view contents);

}  // namespace diffuse

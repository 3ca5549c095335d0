#pragma once
// Writing a new folder of files so that readers see it complete or not at all (the folder
// counterpart of support/atomic_file.hpp): the files are written into a temporary sibling folder
// ".NAME.tmp-PID-K" (each through atomic_write_file, so flushed and fsync'ed), which is then
// renamed to NAME and the parent directory fsync'ed. rename(2) replaces an empty folder of that
// name and never a non-empty one, so an existing export is never clobbered, even by a race.
//
// On any failure the temporary folder is removed and nothing appears at NAME: an I/O error throws
// diffuse::Error naming the folder and the step; an exception from a writer propagates unchanged.
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

namespace diffuse::cli {

struct FolderFile {
  std::string path;  // relative to the folder, "/"-separated; missing subfolders are created
  std::function<void(std::ostream&)> write;
};

// Checks before any work that `path` can become a new folder: it does not exist, or is an empty
// directory; its parent directory exists and accepts a new entry (probed). Throws Error naming
// the flag and the path ("--out 'runs/x' exists and is not empty: ...").
void check_output_folder(const std::string& flag, const std::string& path);

void atomic_write_folder(const std::string& path, const std::vector<FolderFile>& files);

}  // namespace diffuse::cli

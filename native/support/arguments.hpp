#pragma once
// Validating command-line values at the edge, before any work starts.
//
// Numbers are checked on their text by CLI11 validators, so that every message names the flag
// ("--lr: nan is invalid: allowed is a finite number > 0") and so that values CLI11 would accept
// silently never reach a command: NaN passes CLI::Range (every comparison with NaN is false), and
// CLI11 2.1 wraps "-1" around when it fills an unsigned variable. Commands therefore store integers
// as signed std::int64_t and let these validators enforce the range.
//
// Files: an output path is checked (known extension, existing writable directory, not a directory
// itself) before a command computes anything, so a bad path costs nothing and never leaves a file
// behind; the write itself goes through support/atomic_file.hpp.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "base/ranges.hpp"

namespace diffuse::cli {

// An integer in [lo, hi] (decimal, no sign for lo >= 0, no fraction, no exponent).
CLI::Validator int_range(std::int64_t lo, std::int64_t hi);
// An integer in a core setting's range (base/ranges.hpp: the one place limits are defined).
CLI::Validator int_range(const IntRange& range);
// A class: a non-negative integer, or "all".
CLI::Validator class_text();

// The integer value of text, or Error naming the flag (for values checked by hand).
std::int64_t parse_integer(const std::string& flag, const std::string& text);
// A finite number in [lo, hi] (or (lo, hi] etc. with the open flags).
CLI::Validator number_range(double lo, double hi, bool lo_open = false, bool hi_open = false);
// A finite number > 0.
CLI::Validator positive_number();
// A number in a core setting's range (base/ranges.hpp).
CLI::Validator number_range(const NumberRange& range);
// One of the names; the help shows them as "a | b | c".
CLI::Validator one_of(const std::vector<std::string>& names);
// An unsigned 64-bit seed, 0..18446744073709551615.
CLI::Validator seed_text();

// The seed's value (text already checked by seed_text()).
std::uint64_t parse_seed(const std::string& text);

// "a | b | c"
std::string join_names(const std::vector<std::string>& names, const std::string& separator = " | ");

// The lower-case extension of a path including the dot (".csv"), or "" if it has none.
std::string path_extension(const std::string& path);

// Checks an output path before any work: the extension is one of `allowed` (lower-case, with the
// dot), the path is not a directory nor an existing read-only file (no write permission bit, as
// `rm` sees it, also for root), and its directory exists and accepts the write's temporary file
// (probed by creating and removing a file of the same name length, which is the only reliable
// test: permission bits do not bind root and say nothing about read-only file systems or name
// lengths). Throws Error naming the flag and path. Returns the extension.
std::string check_output_path(const std::string& flag, const std::string& path,
                              const std::vector<std::string>& allowed);

// Throws Error if the output path names the same file as an input (an existing one; a hard link or
// another spelling of the path counts): writing would replace what is being read.
void check_not_input(const std::string& out_flag, const std::string& out, const std::string& in_flag,
                     const std::string& in);

// Checks that an input path names a readable regular file. Throws Error naming the flag and path.
void check_input_file(const std::string& flag, const std::string& path);

// The whole file, or Error naming the flag and path.
std::string read_input_file(const std::string& flag, const std::string& path);

// True if both paths name the same file (or would: equal after normalization when absent).
bool same_file(const std::string& a, const std::string& b);

}  // namespace diffuse::cli

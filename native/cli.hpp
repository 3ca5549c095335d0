#pragma once
// What every command shares: running the parser with the project's error conventions, and
// printing numbers so that they round-trip.
#include <CLI/CLI.hpp>
#include <string>

namespace diffuse::cli {

// Parses and runs. Help and --version print to stdout and return 0. A bad argument (CLI11's parse
// errors and diffuse::Error from validation) prints "diffuse: error: ..." and the usage of the
// command on stderr and returns 2. Anything else is an internal error: message on stderr, 1.
int run(CLI::App& app, int argc, char** argv);

// The shortest decimal that reads back as the same double (std::to_chars): at least 17
// significant digits where needed, "0.0001" rather than "0.00010000000000000000479".
std::string format_number(double value);

// "diffuse 0.1.0 (SIMD: avx512bw, 16 float lanes)"
std::string version_text();

}  // namespace diffuse::cli

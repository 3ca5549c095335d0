// diffuse data: draw one of the 2D toy data sets (docs/reference-workload.md, "2D data sets") and
// write it as CSV with a header "x,y", each value the shortest decimal that reads back as the same
// float32. The points are those a training run with the same seed trains on (Rng stream
// toy2d_rng_stream). The file is written atomically: a bad argument or a failed write leaves no
// file, and never a clobbered one.
#include <cctype>
#include <charconv>
#include <iostream>
#include <memory>
#include <string>

#include "base/error.hpp"
#include "base/rng.hpp"
#include "cli.hpp"
#include "commands/commands.hpp"
#include "data/csv.hpp"
#include "data/toy2d.hpp"
#include "support/atomic_file.hpp"

namespace diffuse::cli {
namespace {

constexpr long long max_points = 10'000'000;

struct DataOptions {
  std::string dataset;
  long long n = 10000;
  std::string seed_text = "0";
  std::string out;
};

std::uint64_t parse_seed(const std::string& text) {
  std::uint64_t seed = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, error] = std::from_chars(text.data(), end, seed);
  if (text.empty() || !std::isdigit(static_cast<unsigned char>(text[0])) || ptr != end ||
      error != std::errc()) {
    fail("--seed '", text, "' is invalid: allowed is an integer 0..18446744073709551615");
  }
  return seed;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void run_data(const DataOptions& options) {
  const Toy2d set = toy2d_sets.value(options.dataset);
  const std::uint64_t seed = parse_seed(options.seed_text);
  if (options.n < 1 || options.n > max_points) {
    fail("--n ", options.n, " is invalid: allowed is 1..", max_points);
  }
  if (!ends_with(options.out, ".csv")) {
    fail("--out '", options.out, "' has an unsupported extension: allowed is .csv");
  }
  Rng rng(seed, toy2d_rng_stream);
  const Tensor2 points = toy2d_sample(set, static_cast<std::size_t>(options.n), rng);  // (n, 2)
  atomic_write_file(options.out, [&](std::ostream& out) {
    csv_write_points(out, points, {"x", "y"});
  });
  std::cout << "wrote " << options.n << " points of " << toy2d_sets.name(set) << " (seed " << seed
            << ") to " << options.out << '\n';
}

}  // namespace

void add_data_command(CLI::App& app) {
  auto options = std::make_shared<DataOptions>();
  std::string names;
  for (const auto& name : toy2d_sets.names()) names += (names.empty() ? "" : " | ") + name;
  CLI::App* command =
      app.add_subcommand("data", "Draw a 2D toy data set and write it as CSV (header x,y)");
  command->add_option("--dataset", options->dataset, names)->required();
  command->add_option("--n", options->n, "Number of points (1..10000000)")->capture_default_str();
  // Parsed here: CLI11 2.1 wraps "-1" around to 2^64 - 1 and saturates 2^64.
  command->add_option("--seed", options->seed_text, "Random seed (as for diffuse train), 0..2^64-1")
      ->capture_default_str();
  command->add_option("--out", options->out, "Output file, .csv (written atomically)")->required();
  command->callback([options] { run_data(*options); });
}

}  // namespace diffuse::cli

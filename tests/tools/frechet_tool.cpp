// A helper for tests/cli/test_frechet_numpy.py: the Fréchet distance and the symmetric
// eigendecomposition (core/metrics) on CSV files, so that an independent numpy computation can be
// compared with them.
//   frechet_tool distance X.csv Y.csv   {"distance", "mean_term", "trace_term"} of the rows of X
//   and Y frechet_tool eigen A.csv            {"values": [...ascending], "sweeps"} of the square
//   matrix A
// Numbers are printed as JSON (shortest round-trip decimals). Errors go to stderr with exit code 1.
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/error.hpp"
#include "data/csv.hpp"
#include "metrics/frechet.hpp"
#include "metrics/symmetric_eigen.hpp"

using namespace diffuse;

namespace {

Tensor2 read(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("cannot open ", path);
  return csv_read_points(in, path);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string command = argc > 1 ? argv[1] : "";
    nlohmann::ordered_json out;
    if (command == "distance" && argc == 4) {
      const FrechetDistance d = frechet_distance(read(argv[2]), read(argv[3]));
      out = {{"distance", d.distance}, {"mean_term", d.mean_term}, {"trace_term", d.trace_term}};
    } else if (command == "eigen" && argc == 3) {
      const Tensor2 a = read(argv[2]);
      Matrix64 m = Matrix64::from_shape({a.shape(0), a.shape(1)});
      std::copy(a.begin(), a.end(), m.begin());
      const SymmetricEigen e = symmetric_eigen(m, false);
      out = {{"values", std::vector<double>(e.values.begin(), e.values.end())},
             {"sweeps", e.sweeps}};
    } else {
      std::cerr << "usage: frechet_tool distance X.csv Y.csv | frechet_tool eigen A.csv\n";
      return 1;
    }
    std::cout << out.dump() << '\n';
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "frechet_tool: " << e.what() << '\n';
    return 1;
  }
}

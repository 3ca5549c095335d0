#include "cli.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "base/error.hpp"
#include "base/version.hpp"
#include "kernels/arch.hpp"

namespace diffuse::cli {
namespace {

// The deepest subcommand that was given on the command line (or the app itself).
const CLI::App* invoked_command(const CLI::App& app) {
  const CLI::App* current = &app;
  for (bool descended = true; descended;) {
    descended = false;
    for (const CLI::App* sub : current->get_subcommands()) {
      current = sub;
      descended = true;
      break;
    }
  }
  return current;
}

// The message, then the command's usage line and where to find the rest: the full help of a
// command with forty options would bury the one line that matters.
int usage_error(const CLI::App& app, const std::string& message) {
  const CLI::App* command = invoked_command(app);
  std::string path = command->get_name();
  for (const CLI::App* parent = command->get_parent(); parent != nullptr;
       parent = parent->get_parent()) {
    path = parent->get_name() + " " + path;
  }
  std::cerr << "diffuse: error: " << message << "\n"
            << CLI::Formatter().make_usage(command, path) << "Run '" << path
            << " --help' for the options.\n";
  return exit_usage;
}

}  // namespace

int run(CLI::App& app, int argc, char** argv) {
  // CLI11 would report an unknown command, or an option before any command, as "a subcommand is
  // required"; name it instead.
  const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
  std::string names;
  for (const CLI::App* c : commands) names += (names.empty() ? "" : ", ") + c->get_name();
  if (argc > 1 && argv[1][0] != '-') {
    const bool known = std::any_of(commands.begin(), commands.end(),
                                   [&](const CLI::App* c) { return c->check_name(argv[1]); });
    if (!known) {
      return usage_error(app,
                         std::string("unknown command '") + argv[1] + "': allowed are " + names);
    }
  } else if (argc > 1) {
    const std::string first = argv[1];
    if (first != "-h" && first != "--help" && first != "--version") {
      return usage_error(app, "unknown option '" + first + "' before a command: the options are " +
                                  "the command's (diffuse COMMAND [OPTIONS]); commands are " + names);
    }
  }
  try {
    app.parse(argc, argv);
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    return usage_error(app, e.what());
  } catch (const Error& e) {
    return usage_error(app, e.what());
  } catch (const Failure& e) {
    std::cerr << "diffuse: error: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    std::cerr << "diffuse: internal error: " << e.what() << "\n";
    return exit_failure;
  }
}

std::string format_number(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

std::string version_text() {
  std::ostringstream out;
  out << "diffuse " << version_string << " (SIMD: " << kernels::simd_arch_name() << ", "
      << kernels::simd_float_lanes() << " float lanes)";
  return out.str();
}

}  // namespace diffuse::cli

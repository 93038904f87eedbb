#include "cli/cli_util.h"

#include <iostream>

#include "cli/command.h"
#include "common/core/logging.h"

namespace mer::cli {

void PrintError(const std::string& command, const std::string& message) {
  std::cerr << "mer " << command << ": error: " << message << "\n";
}

int UsageError(const std::string& command, const std::string& message) {
  std::cerr << "mer " << command << ": error: " << message
            << " (try 'mer " << command << " --help')\n";
  return kExitUsage;
}

void PrintHelp(const std::string& command, const std::string& usage,
               const std::string& summary,
               const po::options_description& options,
               const std::string& extra) {
  std::cout << "Usage: mer " << command << " " << usage << "\n\n"
            << summary << "\n\n"
            << options << "\n";
  if (!extra.empty()) std::cout << extra << "\n";
}

std::optional<ParsedArgs> ParseArgs(
    const std::vector<std::string>& args, po::options_description& options,
    const po::options_description& hidden,
    const po::positional_options_description& positional) {
  const std::string& command = args.at(0);
  options.add_options()
      ("help,h", "print this help and exit")
      ("log-level", po::value<std::string>()->default_value("warn"),
       "debug, info, warn, error or off");
  ParsedArgs parsed;
  try {
    std::vector<std::string> rest(args.begin() + 1, args.end());
    po::options_description all;
    all.add(options).add(hidden);
    po::store(po::command_line_parser(rest)
                  .options(all)
                  .positional(positional)
                  .run(),
              parsed.vm);
    if (parsed.vm.count("help")) {
      parsed.help = true;
      return parsed;
    }
    po::notify(parsed.vm);
  } catch (const po::error& e) {
    UsageError(command, e.what());
    return std::nullopt;
  }
  auto level = core::ParseLogLevel(parsed.vm["log-level"].as<std::string>());
  if (!level.ok()) {
    UsageError(command, level.status().message());
    return std::nullopt;
  }
  core::InitLogging(*level);
  return parsed;
}

}  // namespace mer::cli

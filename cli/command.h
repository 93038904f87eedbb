// The `mer` subcommands. main() only dispatches: each subcommand parses its
// own options with Boost.Program_options into an options struct and calls one
// Run(options) (CONVENTIONS rule 3).
//
// Exit status of every command:
//   0  success
//   1  the work failed (bad input file, failed track, database error)
//   2  the command line was wrong (unknown option, bad value)
#ifndef MER_CLI_COMMAND_H_
#define MER_CLI_COMMAND_H_

#include <string>
#include <vector>

namespace mer::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// argv[0] is the command name ("probe"); the rest are its arguments.
using CommandMain = int (*)(const std::vector<std::string>& args);

struct Command {
  const char* name;
  const char* summary;  // one line for `mer --help`
  CommandMain main;
};

const std::vector<Command>& Commands();

// The whole `mer` command line: dispatches to a subcommand and returns the
// exit status. main() is this call; test builds of the CLI wrap it.
int RunMer(int argc, char** argv);

int ProbeMain(const std::vector<std::string>& args);
int FeaturesMain(const std::vector<std::string>& args);
int ExtractMain(const std::vector<std::string>& args);
int IndexMain(const std::vector<std::string>& args);
int QueryMain(const std::vector<std::string>& args);
int ServeMain(const std::vector<std::string>& args);
int TrainMain(const std::vector<std::string>& args);
int EvalMain(const std::vector<std::string>& args);
int PredictMain(const std::vector<std::string>& args);
int ExportMain(const std::vector<std::string>& args);
int EnsembleMain(const std::vector<std::string>& args);

}  // namespace mer::cli

#endif  // MER_CLI_COMMAND_H_

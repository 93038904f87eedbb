// Shared plumbing of the subcommands: option parsing with one-line errors,
// common options (--log-level), and printing.
#ifndef MER_CLI_CLI_UTIL_H_
#define MER_CLI_CLI_UTIL_H_

#include <boost/program_options.hpp>

#include <optional>
#include <string>
#include <vector>

#include "common/core/status.h"

namespace mer::cli {

namespace po = boost::program_options;

struct ParsedArgs {
  po::variables_map vm;
  bool help = false;
};

// Parses args[1..] against `options` (+ `positional`). Returns std::nullopt
// after printing a one-line error ("mer CMD: error: ...") on bad usage; the
// caller then exits with kExitUsage. Adds --help and --log-level itself and
// initialises logging.
// `hidden` holds the positional arguments, which --help does not list.
std::optional<ParsedArgs> ParseArgs(
    const std::vector<std::string>& args, po::options_description& options,
    const po::options_description& hidden,
    const po::positional_options_description& positional);

// Prints "Usage: mer CMD USAGE\n\nSUMMARY\n\n<options>\n<extra>" to stdout.
void PrintHelp(const std::string& command, const std::string& usage,
               const std::string& summary,
               const po::options_description& options,
               const std::string& extra = "");

// Prints "mer CMD: error: MESSAGE" to stderr.
void PrintError(const std::string& command, const std::string& message);

// One-line usage error, with a hint to --help. Returns kExitUsage.
int UsageError(const std::string& command, const std::string& message);

// --precision of the commands that run a model (index, predict, eval);
// nn::PredictorOptions::precision.
inline constexpr char kPrecisionHelp[] =
    "float32, or bfloat16: the conv layers in bfloat16, about 1.5x the "
    "model's rate on a CPU with AVX512-BF16 or AMX (labels checked against "
    "float32 by scripts/bench/precision-4q.sh)";

}  // namespace mer::cli

#endif  // MER_CLI_CLI_UTIL_H_

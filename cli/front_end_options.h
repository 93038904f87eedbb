// Front-end options shared by every command that computes log-mel features
// (features, extract, train, index): a preset plus per-parameter overrides.
#ifndef MER_CLI_FRONT_END_OPTIONS_H_
#define MER_CLI_FRONT_END_OPTIONS_H_

#include "cli/cli_util.h"
#include "common/core/result.h"
#include "common/dsp/front_end_params.h"

namespace mer::cli {

// Adds --preset, --sample-rate, --n-fft, --hop, --n-mels, --fmin, --fmax,
// --mel-scale, --mel-norm, --top-db, --pad-mode, --no-center.
void AddFrontEndOptions(po::options_description& options);

// The preset named by --preset with the overrides applied, validated.
core::Result<dsp::FrontEndParams> FrontEndFromArgs(const po::variables_map& vm);

}  // namespace mer::cli

#endif  // MER_CLI_FRONT_END_OPTIONS_H_

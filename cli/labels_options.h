// Labels-CSV options shared by every command that reads a labelled set
// (extract, train, eval): --va-scale, --group-by, --tags-column and the
// lexicon that turns mood words into continuous valence/arousal.
#ifndef MER_CLI_LABELS_OPTIONS_H_
#define MER_CLI_LABELS_OPTIONS_H_

#include "cli/cli_util.h"
#include "common/core/labels.h"
#include "common/core/result.h"

namespace mer::cli {

// Adds --va-scale, --group-by, --tags-column, --lexicon, --lexicon-words,
// --lexicon-columns.
void AddLabelsOptions(po::options_description& options);

// The options those flags ask for; InvalidArgument on a bad value.
core::Result<core::LabelsOptions> LabelsFromArgs(const po::variables_map& vm);

}  // namespace mer::cli

#endif  // MER_CLI_LABELS_OPTIONS_H_

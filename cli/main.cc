// mer-torch: the `mer` command line with the models (cli/model_runtime.h).
// Users run `mer`, which runs this program for the commands that need it.
#include "cli/command.h"
#include "common/core/allocator.h"

MER_THREAD_ENVIRONMENT_PREINIT();

int main(int argc, char** argv) { return mer::cli::RunMer(argc, argv); }

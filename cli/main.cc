// mer: label music catalogues by emotion and answer emotion queries.
#include "cli/command.h"
#include "common/core/allocator.h"

MER_THREAD_ENVIRONMENT_PREINIT();

int main(int argc, char** argv) { return mer::cli::RunMer(argc, argv); }

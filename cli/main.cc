// mer: label music catalogues by emotion and answer emotion queries.
#include "cli/command.h"

int main(int argc, char** argv) { return mer::cli::RunMer(argc, argv); }

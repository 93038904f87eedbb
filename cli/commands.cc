// The `mer` command table and dispatch: RunMer() hands argv to the
// subcommand it names (cli/*_command.cc).
#include <iostream>
#include <string>
#include <vector>

#include "cli/command.h"
#include "common/core/allocator.h"

namespace mer::cli {

const std::vector<Command>& Commands() {
  static const std::vector<Command> kCommands = {
      {"probe", "print what an audio file holds (container, codec, rate, "
                "duration) as JSON lines",
       ProbeMain},
      {"features", "decode a file and write its log-mel spectrogram (.npy)",
       FeaturesMain},
      {"extract", "log-mel feature shards of a labelled set, across MPI ranks",
       ExtractMain},
      {"index", "label a catalogue by emotion into an index, across MPI ranks",
       IndexMain},
      {"query", "emotion queries on an index (mood, V-A, similar, stats)",
       QueryMain},
      {"serve", "the index over HTTP: JSON API and the web emotion map",
       ServeMain},
      {"train", "train an emotion model (data-parallel under mpirun; CV with --folds)",
       TrainMain},
      {"eval", "metrics of a model on a labelled set", EvalMain},
      {"predict", "emotion of a few audio files, one JSON line each", PredictMain},
      {"export", "write a model as a PyTorch state dict and architecture JSON",
       ExportMain},
      {"ensemble", "several trained models in one bundle, averaged",
       EnsembleMain},
  };
  return kCommands;
}

namespace {

void PrintUsage(std::ostream& out) {
  out << "Usage: mer COMMAND [OPTIONS]\n\n"
         "Labels music by emotion (valence, arousal, Russell quadrant) and "
         "answers emotion queries.\n\nCommands:\n";
  for (const Command& c : Commands()) {
    out << "  " << c.name << std::string(12 - std::string(c.name).size(), ' ')
        << c.summary << "\n";
  }
  out << "\n'mer COMMAND --help' describes a command's options.\n";
}

}  // namespace

int RunMer(int argc, char** argv) {
  core::TuneAllocatorForBatches();  // before any thread (common/core/allocator.h)
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    PrintUsage(std::cerr);
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "--help" || name == "-h" || name == "help") {
    PrintUsage(std::cout);
    return kExitOk;
  }
  if (name == "--version") {
    std::cout << "mer " << MER_VERSION << "\n";
    return kExitOk;
  }
  for (const Command& c : Commands()) {
    if (name == c.name) return c.main(args);
  }
  std::cerr << "mer: error: unknown command '" << name
            << "' (try 'mer --help')\n";
  return kExitUsage;
}

}  // namespace mer::cli

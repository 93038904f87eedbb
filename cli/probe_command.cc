// mer probe FILE...: one JSON object per file, what FFmpeg sees or the error.
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "common/audio/audio_decoder.h"

namespace mer::cli {
namespace {

struct ProbeOptions {
  std::vector<std::string> files;
};

int Run(const ProbeOptions& options) {
  int failed = 0;
  for (const std::string& file : options.files) {
    nlohmann::json j;
    j["path"] = file;
    auto info = audio::Probe(file);
    if (info.ok()) {
      j["container"] = info->container;
      j["codec"] = info->codec;
      j["sample_rate"] = info->sample_rate;
      j["channels"] = info->channels;
      j["duration"] = info->duration_seconds;
      j["bit_rate"] = info->bit_rate;
    } else {
      ++failed;
      j["error"] = info.status().message();
      j["code"] = core::Status::CodeName(info.status().code());
    }
    std::cout << j.dump() << "\n";
  }
  if (failed) {
    std::cerr << "mer probe: " << failed << " of " << options.files.size()
              << " file(s) could not be read\n";
  }
  return failed ? kExitFailure : kExitOk;
}

}  // namespace

int ProbeMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  hidden.add_options()("file", po::value<std::vector<std::string>>(),
                       "audio file(s) to probe");
  po::positional_options_description pos;
  pos.add("file", -1);
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("probe", "FILE...",
              "Prints one JSON object per line for each FILE: path, "
              "container, codec, sample_rate,\nchannels, duration (s), "
              "bit_rate; or path, error and code when the file cannot be "
              "read.\nExit status 1 when any file failed.",
              desc);
    return kExitOk;
  }
  ProbeOptions options;
  if (parsed->vm.count("file")) {
    options.files = parsed->vm["file"].as<std::vector<std::string>>();
  }
  if (options.files.empty()) return UsageError("probe", "no FILE given");
  return Run(options);
}

}  // namespace mer::cli

// The light `mer`'s hand-over to mer-torch (cli/model_runtime.h).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "cli/model_runtime.h"

namespace mer::cli {
namespace {

// The first of `names` set to a whole non-negative number, else -1.
long FirstNumber(std::initializer_list<const char*> names) {
  for (const char* name : names) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') continue;
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(v, &end, 10);
    if (errno == 0 && *end == '\0' && n >= 0) return n;
  }
  return -1;
}

}  // namespace

bool CoordinatorOnlyRank() {
  const long rank = FirstNumber({"OMPI_COMM_WORLD_RANK", "PMI_RANK", "SLURM_PROCID"});
  const long size = FirstNumber({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_STEP_NUM_TASKS"});
  return rank == 0 && size > 1;
}

int RunInModelBinary(const std::vector<std::string>& args) {
  std::string path;
  if (const char* v = std::getenv("MER_TORCH"); v != nullptr && *v != '\0') {
    path = v;
  } else {
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (ec) {
      PrintError(args.at(0), "cannot find this program's folder (/proc/self/exe: " +
                                 ec.message() + ") to run mer-torch; set MER_TORCH");
      return kExitFailure;
    }
    path = (self.parent_path() / "mer-torch").string();
  }
  std::vector<char*> argv;
  argv.push_back(path.data());
  std::vector<std::string> copy = args;
  for (std::string& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(path.c_str(), argv.data());
  PrintError(args.at(0), "cannot run " + path + " (" + std::strerror(errno) +
                             "): it runs the models and is built and installed "
                             "beside mer");
  return kExitFailure;
}

}  // namespace mer::cli

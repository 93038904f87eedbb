#include "cli/mpi_session.h"

#include "common/core/logging.h"

namespace mer::cli {

core::Result<std::unique_ptr<MpiSession>> StartMpi() {
  auto session = std::make_unique<MpiSession>();
  MER_ASSIGN_OR_RETURN(session->env, comm::MpiEnvironment::Init(nullptr, nullptr));
  session->world.emplace(comm::Communicator::DuplicateWorld());
  if (session->env->size() > 1) {
    // Re-initialise the line format with the rank; keep the level.
    auto level = spdlog::get_level();
    spdlog::drop_all();
    core::InitLogging(core::LogLevel::kInfo, session->env->rank());
    spdlog::set_level(level);
  }
  return session;
}

}  // namespace mer::cli

#include "common/core/fault_point.h"

#include <atomic>

namespace mer::core {
namespace {

std::atomic<FaultHandler> g_handler{nullptr};

}  // namespace

void SetFaultHandler(FaultHandler handler) {
  g_handler.store(handler, std::memory_order_release);
}

void FaultPoint(const char* point, uint64_t count) {
  if (FaultHandler h = g_handler.load(std::memory_order_acquire)) {
    h(point, count);
  }
}

}  // namespace mer::core

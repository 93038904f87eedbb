// Service::Impl, shared by service.cc (lifetime, catch-up, HTTP set-up) and
// routes.cc (the API handlers). Private to service/.
#ifndef MER_SERVICE_SERVICE_IMPL_H_
#define MER_SERVICE_SERVICE_IMPL_H_

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <tuple>

#include "service/by_example.h"
#include "service/service.h"
#include "storage/emotion_index.h"

namespace mer::service {

struct Service::Impl {
  ServeOptions options;
  std::string secondary_dir;  // the secondary instance's files; removed
  std::unique_ptr<storage::EmotionIndex> index;
  std::unique_ptr<ExampleAnalyzer> example;  // null without --model
  httplib::Server server;

  // Catch-up thread; `generation` grows whenever a catch-up saw the index
  // change, and invalidates the caches below.
  std::thread catch_up;
  std::mutex stop_mu;
  std::condition_variable stop_cv;
  bool stopping = false;
  std::atomic<uint64_t> generation{0};
  std::atomic<int> bound_port{0};

  std::mutex cache_mu;
  uint64_t points_generation = UINT64_MAX;
  std::shared_ptr<const std::string> points_json;
  // (quadrant, k, generation) -> themes computed on demand
  std::map<std::tuple<int, int, uint64_t>, nlohmann::json> themes;

  ~Impl();
  void CatchUpLoop();
  void InstallRoutes();          // routes.cc (calls the two below)
  void InstallExampleRoutes();   // example_routes.cc
  void InstallPlaylistRoutes();  // playlist_routes.cc
};

}  // namespace mer::service

#endif  // MER_SERVICE_SERVICE_IMPL_H_

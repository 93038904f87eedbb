// Service: `mer serve`, the emotion index over HTTP (DESIGN.md §6a).
//
// Opens the index as a RocksDB secondary instance (its own files in a temp
// folder) and catches up with a running `mer index` every few seconds, so a
// catalogue being indexed is searchable as it grows. Serves the JSON API
// under /api/v1 (service/routes.cc: parse, call the query layer in
// storage/query.h, format) and the web page compiled into the binary. Read
// only; never serves a path a request names (audio is looked up by id).
//
//   ServeOptions o;
//   o.index_dir = "out/demo/index";
//   MER_ASSIGN_OR_RETURN(auto service, Service::Open(o));
//   MER_RETURN_IF_ERROR(service->Listen());   // until Stop() or a signal
//
// Thread-safety: Stop() may be called from any thread (a signal handler's
// thread included); the rest from the owning thread.
#ifndef MER_SERVICE_SERVICE_H_
#define MER_SERVICE_SERVICE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "common/core/result.h"

namespace mer::service {

struct ServeOptions {
  std::string index_dir;
  // A model bundle for POST /by-example; its model id and front end must be
  // the index's. Empty: /by-example answers 400 saying so. Default: ""
  std::string model_path;
  std::string host = "127.0.0.1";  // Default: loopback only
  int port = 8080;                 // 0: any free port (see port())
  // HTTP worker threads; a keep-alive connection holds one while it is
  // open. Default: 32
  int threads = 32;
  // Seconds between catch-ups with a writer of the index. Default: 5
  double catch_up_seconds = 5;
  // Largest request body (by-example uploads). Default: 64 MiB
  size_t max_body_bytes = 64u << 20;
  // Longest clip /by-example analyses. Default: 900 s
  double max_example_seconds = 900;
  // One log line per request on stderr. Default: true
  bool log_requests = true;

  core::Status Validate() const;
};

class Service {
 public:
  static core::Result<std::unique_ptr<Service>> Open(const ServeOptions& options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Binds and serves until Stop(). Unavailable naming host:port when the
  // address cannot be bound.
  core::Status Listen();
  // Bound port (after Listen started; 0 before).
  int port() const;
  void Stop();

  struct Impl;

 private:
  explicit Service(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mer::service

#endif  // MER_SERVICE_SERVICE_H_

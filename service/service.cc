// Service (service/service.h): lifetime, the catch-up thread and the HTTP
// server's set-up (threads, limits, logging, JSON errors).
#include "service/service.h"

#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "service/service_impl.h"

namespace mer::service {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Start of the request this thread is handling (for the log line).
thread_local Clock::time_point request_start;

std::string SecondaryDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/mer-serve-XXXXXX";
  if (!::mkdtemp(dir.data())) return {};
  return dir;
}

}  // namespace

core::Status ServeOptions::Validate() const {
  if (index_dir.empty()) return core::Status::InvalidArgument("--index", "is required");
  if (port < 0 || port > 65535) {
    return core::Status::InvalidArgument("port", "must be in 0..65535");
  }
  if (threads < 1 || threads > 1024) {
    return core::Status::InvalidArgument("--threads", "must be in 1..1024");
  }
  if (!(catch_up_seconds > 0)) {
    return core::Status::InvalidArgument("--catch-up", "must be > 0 seconds");
  }
  if (!(max_example_seconds > 0)) {
    return core::Status::InvalidArgument("--max-example-seconds", "must be > 0");
  }
  return core::Status::Ok();
}

Service::Impl::~Impl() {
  {
    std::lock_guard<std::mutex> lock(stop_mu);
    stopping = true;
  }
  stop_cv.notify_all();
  if (catch_up.joinable()) catch_up.join();
  index.reset();
  if (!secondary_dir.empty()) {
    std::error_code ec;
    fs::remove_all(secondary_dir, ec);
  }
}

void Service::Impl::CatchUpLoop() {
  auto last = index->Stats();
  std::unique_lock<std::mutex> lock(stop_mu);
  for (;;) {
    stop_cv.wait_for(lock, std::chrono::duration<double>(options.catch_up_seconds),
                     [&] { return stopping; });
    if (stopping) return;
    lock.unlock();
    if (auto st = index->CatchUp(); !st.ok()) {
      spdlog::warn("serve: catching up with the index: {}", st.message());
    } else if (auto now = index->Stats(); now.ok()) {
      if (!last.ok() || now->tracks != last->tracks ||
          now->failures != last->failures ||
          now->audio_hours != last->audio_hours ||
          now->ann_fresh != last->ann_fresh) {
        const long long before = last.ok() ? static_cast<long long>(last->tracks) : 0;
        std::fprintf(stderr, "serve: caught up: %llu tracks (%+lld)\n",
                     static_cast<unsigned long long>(now->tracks),
                     static_cast<long long>(now->tracks) - before);
        generation.fetch_add(1);
      }
      last = std::move(now);
    }
    lock.lock();
  }
}

Service::Service(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Service::~Service() = default;

core::Result<std::unique_ptr<Service>> Service::Open(const ServeOptions& options) {
  MER_RETURN_IF_ERROR(options.Validate());
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (!fs::is_directory(options.index_dir)) {
    return core::Status::NotFound("index " + options.index_dir,
                                  "no such folder (make one with 'mer index')");
  }
  impl->secondary_dir = SecondaryDir();
  if (impl->secondary_dir.empty()) {
    return core::Status::IOError("temp folder", "cannot create one for the index");
  }
  storage::OpenOptions open;
  open.create_if_missing = false;
  open.secondary_path = impl->secondary_dir;
  MER_ASSIGN_OR_RETURN(impl->index, storage::EmotionIndex::Open(options.index_dir, open));
  if (!options.model_path.empty()) {
    MER_ASSIGN_OR_RETURN(auto identity, impl->index->GetIdentity());
    MER_ASSIGN_OR_RETURN(impl->example,
                         ExampleAnalyzer::Open(options.model_path, identity,
                                               options.max_example_seconds));
  }

  httplib::Server& s = impl->server;
  const int threads = options.threads;
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_payload_max_length(options.max_body_bytes);
  s.set_keep_alive_max_count(10000);
  // Headers and body go out in two writes: without this, Nagle's algorithm
  // holds the body for the client's delayed ACK (~40 ms per request).
  s.set_tcp_nodelay(true);
  // httplib's default adds SO_REUSEPORT, which lets a second server bind
  // the same port and share its connections: keep only SO_REUSEADDR, so
  // a port in use is an error.
  s.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_read_timeout(30);
  s.set_write_timeout(30);
  s.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  if (options.log_requests) {
    s.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      const double ms =
          std::chrono::duration<double, std::milli>(Clock::now() - request_start).count();
      std::fprintf(stderr, "serve: %s \"%s %s\" %d %zu B %.1f ms\n",
                   req.remote_addr.c_str(), req.method.c_str(), req.target.c_str(),
                   res.status, res.body.empty() ? res.content_length_ : res.body.size(), ms);
    });
  }
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string message;
    switch (res.status) {
      case 404: message = "no such resource: " + req.path; break;
      case 413: message = "request body too large"; break;
      case 400: message = "malformed request"; break;
      default: message = "HTTP " + std::to_string(res.status); break;
    }
    res.set_content(nlohmann::json{{"error", message}}.dump(), "application/json");
  });
  s.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        res.status = 500;
        res.set_content(nlohmann::json{{"error", "internal error: " + what}}.dump(),
                        "application/json");
      });
  impl->InstallRoutes();
  return std::unique_ptr<Service>(new Service(std::move(impl)));
}

core::Status Service::Listen() {
  Impl& im = *impl_;
  const auto& o = im.options;
  int port = o.port;
  if (port == 0) {
    port = im.server.bind_to_any_port(o.host);
  } else if (!im.server.bind_to_port(o.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    return core::Status::IOError(o.host + ":" + std::to_string(o.port),
                                 "cannot listen there (in use, or not this host's address)");
  }
  im.bound_port = port;
  im.catch_up = std::thread([&im] { im.CatchUpLoop(); });
  auto stats = im.index->Stats();
  std::fprintf(stderr,
               "serve: %s: %llu tracks; by example: %s; listening on "
               "http://%s:%d/ (Ctrl-C stops)\n",
               o.index_dir.c_str(),
               stats.ok() ? static_cast<unsigned long long>(stats->tracks) : 0ULL,
               im.example ? im.example->model_id().c_str() : "off (no --model)",
               o.host.c_str(), port);
  if (!im.server.listen_after_bind()) {
    return core::Status::IOError(o.host + ":" + std::to_string(port), "the server failed");
  }
  return core::Status::Ok();
}

int Service::port() const { return impl_->bound_port; }

void Service::Stop() { impl_->server.stop(); }

}  // namespace mer::service

// mer serve --index DIR [--model M] [--listen HOST:PORT]: the emotion index
// over HTTP, with the web page (service/service.h). SIGINT/SIGTERM stop it.
#include <signal.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <iostream>
#include <thread>

#include "cli/cli_util.h"
#include "cli/command.h"
#include "service/service.h"

namespace mer::cli {
namespace {

int g_stop_pipe[2] = {-1, -1};

void OnStopSignal(int) {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(g_stop_pipe[1], &byte, 1);
}

// "HOST:PORT", ":PORT" or "PORT" -> host and port; false when malformed.
bool ParseListen(const std::string& text, std::string* host, int* port) {
  const size_t colon = text.rfind(':');
  std::string port_text = text;
  if (colon != std::string::npos) {
    if (colon > 0) *host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  if (port_text.empty() || port_text.size() > 5 ||
      port_text.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *port = std::stoi(port_text);
  return *port <= 65535;
}

}  // namespace

int ServeMain(const std::vector<std::string>& args) {
  po::options_description desc("Options"), hidden;
  desc.add_options()("index,i", po::value<std::string>(), "index folder (made by 'mer index')")(
      "model,m", po::value<std::string>(),
      "the index's model bundle: enables search by example")(
      "listen", po::value<std::string>()->default_value("127.0.0.1:8080"),
      "HOST:PORT to serve on (port 0: any free port)")(
      "threads", po::value<int>()->default_value(32),
      "HTTP worker threads (each open keep-alive connection holds one)")(
      "catch-up", po::value<double>()->default_value(5.0),
      "seconds between catch-ups with a job writing the index")(
      "max-upload-mb", po::value<double>()->default_value(64),
      "largest by-example upload, MiB")(
      "max-example-seconds", po::value<double>()->default_value(900),
      "longest by-example clip analysed")(
      "quiet", "no log line per request");
  po::positional_options_description pos;
  auto parsed = ParseArgs(args, desc, hidden, pos);
  if (!parsed) return kExitUsage;
  if (parsed->help) {
    PrintHelp("serve", "--index DIR [--model M] [--listen 127.0.0.1:8080]",
              "Serves an index read-only over HTTP: the web emotion map at / and "
              "a JSON API under\n/api/v1 (stats, tracks/ID, tracks/ID/audio, "
              "search, by-example, playlists/arc,\nthemes, audio-features; see "
              "the README). The index is opened as a secondary instance\nthat "
              "catches up with a running 'mer index', so a catalogue being "
              "indexed is\nsearchable as it grows. Binds to 127.0.0.1 unless "
              "--listen says otherwise.",
              desc);
    return kExitOk;
  }
  const auto& vm = parsed->vm;
  if (!vm.count("index")) return UsageError("serve", "--index is required");
  service::ServeOptions o;
  o.index_dir = vm["index"].as<std::string>();
  if (vm.count("model")) o.model_path = vm["model"].as<std::string>();
  if (!ParseListen(vm["listen"].as<std::string>(), &o.host, &o.port)) {
    return UsageError("serve", "--listen takes HOST:PORT (e.g. 127.0.0.1:8080), not '" +
                                   vm["listen"].as<std::string>() + "'");
  }
  o.threads = vm["threads"].as<int>();
  o.catch_up_seconds = vm["catch-up"].as<double>();
  const double mb = vm["max-upload-mb"].as<double>();
  if (!(mb > 0 && mb <= 4096)) return UsageError("serve", "--max-upload-mb must be in (0, 4096]");
  o.max_body_bytes = static_cast<size_t>(mb * 1024 * 1024);
  o.max_example_seconds = vm["max-example-seconds"].as<double>();
  o.log_requests = vm.count("quiet") == 0;
  if (auto st = o.Validate(); !st.ok()) return UsageError("serve", st.message());

  // A client that hangs up mid-answer must not end the service.
  ::signal(SIGPIPE, SIG_IGN);

  auto service = service::Service::Open(o);
  if (!service.ok()) {
    PrintError("serve", service.status().message());
    return kExitFailure;
  }
  // SIGINT/SIGTERM: the handler only writes a byte to a pipe (any thread may
  // take the signal: libraries start threads before main); a waiter thread
  // reads it and stops the server.
  if (::pipe(g_stop_pipe) != 0) {
    PrintError("serve", "cannot create a pipe for signals");
    return kExitFailure;
  }
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  std::atomic<bool> ended{false};
  std::thread waiter([&] {
    char byte = 0;
    while (::read(g_stop_pipe[0], &byte, 1) < 0 && errno == EINTR) {
    }
    if (!ended) {
      std::cerr << "serve: stopping\n";
      (*service)->Stop();
    }
  });
  const core::Status st = (*service)->Listen();
  ended = true;
  OnStopSignal(0);  // wake the waiter when the server ended on its own
  waiter.join();
  if (!st.ok()) {
    PrintError("serve", st.message());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace mer::cli

// mer_serve_bench: closed-loop load on a running `mer serve` (the JSON API
// of notes/api.md). Prints one JSON line.
//
//   mer_serve_bench --url http://127.0.0.1:PORT [--clients 64] [--seconds 10]
//                   --kind mood|box|near|similar|example
//                   [--ids-file F] [--body-file F] [--timeout 120]
//
// Each client is one thread with one keep-alive httplib::Client that sends
// one untimed warm-up request (one client at a time, so that the connects
// do not overflow the server's listen backlog), waits for the others, then
// sends requests back to back until --seconds have passed (a request started
// before the deadline is waited for and counted):
//   mood     POST /api/v1/search {"mood": one of the four, "limit": 20}
//   box      POST /api/v1/search {"box": a 0.2 x 0.2 square in [-1,1]^2,
//                                 "limit": 20}
//   near     POST /api/v1/search {"near": a point in [-1,1]^2, "limit": 20}
//   similar  POST /api/v1/search {"similar_to": an id of --ids-file (one id
//                                 a line), "limit": 20}
//   example  POST /api/v1/by-example?limit=10 with the bytes of --body-file
//            (application/octet-stream)
// Random choices come from a fixed seed per client, so two runs send the
// same requests. A response that is not 2xx, or no response, is an error
// (the first one's body goes to stderr); errors are counted in "requests"
// and in the latencies. Latency is steady_clock time from send to the whole
// body received; rps is requests over the wall time of the run, which is
// "seconds" in the output. --timeout bounds each connect, read and write.
#include <httplib.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::array<const char*, 4> kMoods = {"happy", "tense", "sad", "calm"};
constexpr int kSearchLimit = 20;        // "limit" of every search
constexpr int kExampleLimit = 10;       // ?limit= of by-example
constexpr double kBoxSide = 0.2;        // side of the random V-A boxes
constexpr uint64_t kSeed = 20'240'601;  // client c seeds with kSeed + c

enum class Kind { kMood, kBox, kNear, kSimilar, kExample };

struct BenchOptions {
  std::string url;        // http://HOST:PORT. Required
  int clients = 64;       // concurrent client threads. Default: 64
  double seconds = 10;    // duration of the run. Default: 10
  std::string kind;       // mood|box|near|similar|example. Required
  std::string ids_file;   // --kind similar: track ids, one a line
  std::string body_file;  // --kind example: the audio bytes to send
  int timeout_s = 120;    // per-request read/write timeout. Default: 120

  // Empty when the options can run; else what is wrong.
  std::string Validate() const {
    if (url.rfind("http://", 0) != 0) {
      return "--url must be http://HOST:PORT (got '" + url + "')";
    }
    if (clients < 1) return "--clients must be at least 1";
    if (!(seconds > 0)) return "--seconds must be positive";
    if (kind != "mood" && kind != "box" && kind != "near" &&
        kind != "similar" && kind != "example") {
      return "--kind must be mood, box, near, similar or example";
    }
    if (kind == "similar" && ids_file.empty()) {
      return "--kind similar needs --ids-file";
    }
    if (kind == "example" && body_file.empty()) {
      return "--kind example needs --body-file";
    }
    if (timeout_s < 1) return "--timeout must be at least 1 second";
    return "";
  }
};

Kind KindOf(const std::string& k) {
  if (k == "mood") return Kind::kMood;
  if (k == "box") return Kind::kBox;
  if (k == "near") return Kind::kNear;
  if (k == "similar") return Kind::kSimilar;
  return Kind::kExample;
}

bool ParseArgs(int argc, char** argv, BenchOptions* o) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "-h" || a == "--help") return false;
    if (v == nullptr) return false;
    ++i;
    try {
      if (a == "--url") {
        o->url = v;
      } else if (a == "--clients") {
        o->clients = std::stoi(v);
      } else if (a == "--seconds") {
        o->seconds = std::stod(v);
      } else if (a == "--kind") {
        o->kind = v;
      } else if (a == "--ids-file") {
        o->ids_file = v;
      } else if (a == "--body-file") {
        o->body_file = v;
      } else if (a == "--timeout") {
        o->timeout_s = std::stoi(v);
      } else {
        return false;
      }
    } catch (const std::exception&) {
      std::cerr << "mer_serve_bench: bad value '" << v << "' for " << a << "\n";
      return false;
    }
  }
  return true;
}

// Reads a whole file; false if it cannot be opened.
bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out->assign(std::istreambuf_iterator<char>(f), {});
  return true;
}

// The ids of an ids file as JSON string literals (quoted and escaped once
// here, so the clients only splice them). Blank lines and a trailing '\r'
// are dropped.
std::vector<std::string> ReadIds(const std::string& text) {
  std::vector<std::string> ids;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) ids.push_back(nlohmann::json(line).dump());
  }
  return ids;
}

// What one client thread saw. Written by that thread only; read after join.
struct ClientResult {
  std::vector<double> latency_ms;
  uint64_t errors = 0;
};

// Shared by the clients: the first error is reported once.
struct FirstError {
  std::once_flag once;
  void Report(int client, const std::string& what) {
    std::call_once(once, [&] {
      std::cerr << "mer_serve_bench: first error (client " << client
                << "): " << what << "\n";
    });
  }
};

// The body of the next request of `kind` (not used for kExample).
std::string NextSearchBody(Kind kind, std::mt19937_64& rng,
                           const std::vector<std::string>& ids) {
  char buf[192];
  std::uniform_real_distribution<double> coord(-1.0, 1.0);
  std::uniform_real_distribution<double> corner(-1.0, 1.0 - kBoxSide);
  switch (kind) {
    case Kind::kMood:
      std::snprintf(buf, sizeof(buf), R"({"mood":"%s","limit":%d})",
                    kMoods[rng() % kMoods.size()], kSearchLimit);
      return buf;
    case Kind::kBox: {
      double v = corner(rng), a = corner(rng);
      std::snprintf(buf, sizeof(buf),
                    R"({"box":{"valence":[%.6f,%.6f],"arousal":[%.6f,%.6f]},)"
                    R"("limit":%d})",
                    v, v + kBoxSide, a, a + kBoxSide, kSearchLimit);
      return buf;
    }
    case Kind::kNear: {
      double v = coord(rng), a = coord(rng);
      std::snprintf(buf, sizeof(buf),
                    R"({"near":{"valence":%.6f,"arousal":%.6f},"limit":%d})", v,
                    a, kSearchLimit);
      return buf;
    }
    case Kind::kSimilar: {
      std::uniform_int_distribution<size_t> pick(0, ids.size() - 1);
      return R"({"similar_to":)" + ids[pick(rng)] + R"(,"limit":)" +
             std::to_string(kSearchLimit) + "}";
    }
    case Kind::kExample:
      break;
  }
  return "";
}

// Sends one request of the run's kind; the latency goes to result (when
// not null), an error is counted and reported.
struct Sender {
  const BenchOptions& o;
  Kind kind;
  const std::vector<std::string>& ids;
  const std::string& body;  // --kind example
  FirstError* first_error;

  void Send(int c, httplib::Client& cli, std::mt19937_64& rng,
            ClientResult* result) const {
    const char* when = result == nullptr ? " (warm-up)" : "";
    static const std::string kExamplePath =
        "/api/v1/by-example?limit=" + std::to_string(kExampleLimit);
    std::string request;
    if (kind != Kind::kExample) request = NextSearchBody(kind, rng, ids);
    const auto t0 = Clock::now();
    httplib::Result res =
        kind == Kind::kExample
            ? cli.Post(kExamplePath, body, "application/octet-stream")
            : cli.Post("/api/v1/search", request, "application/json");
    const double ms =
        std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    bool ok = true;
    if (!res) {
      ok = false;
      first_error->Report(c, std::string("no response") + when + ": " +
                                 httplib::to_string(res.error()));
    } else if (res->status < 200 || res->status > 299) {
      ok = false;
      first_error->Report(
          c, "HTTP " + std::to_string(res->status) + when + ": " + res->body);
    }
    if (result != nullptr) {
      result->latency_ms.push_back(ms);
      if (!ok) ++result->errors;
    }
  }
};

// The start of the timed part: every client has connected and sent one
// untimed warm-up request, one client at a time: cpp-httplib listens with a
// backlog of 5, and 64 simultaneous connects overflow it (SYN cookies, 1 s
// SYN retransmits, resets).
struct StartGate {
  explicit StartGate(int clients) : ready(clients) {}
  std::mutex warm_up;          // held by the client warming up
  std::latch ready;            // counted down by each client after its warm-up
  std::latch go{1};            // counted down by main once deadline is set
  Clock::time_point deadline;  // written by main before go, read after
};

void RunClient(int c, const Sender& sender, StartGate* gate,
               ClientResult* result) {
  httplib::Client cli(sender.o.url);
  cli.set_keep_alive(true);
  cli.set_tcp_nodelay(true);  // headers and body go in two writes
  cli.set_connection_timeout(sender.o.timeout_s, 0);
  cli.set_read_timeout(sender.o.timeout_s, 0);
  cli.set_write_timeout(sender.o.timeout_s, 0);
  std::mt19937_64 rng(kSeed + static_cast<uint64_t>(c));
  {
    std::lock_guard<std::mutex> lock(gate->warm_up);
    sender.Send(c, cli, rng, nullptr);  // not counted
  }
  gate->ready.count_down();
  gate->go.wait();
  result->latency_ms.reserve(1 << 14);
  while (Clock::now() < gate->deadline) sender.Send(c, cli, rng, result);
}

// x rounded to `digits` decimals (prints short in JSON).
double Round(double x, int digits) {
  const double scale = std::pow(10.0, digits);
  return std::round(x * scale) / scale;
}

}  // namespace

int main(int argc, char** argv) {
  BenchOptions o;
  if (!ParseArgs(argc, argv, &o)) {
    std::cerr << "usage: mer_serve_bench --url http://HOST:PORT "
                 "--kind mood|box|near|similar|example [--clients 64] "
                 "[--seconds 10] [--ids-file F] [--body-file F] "
                 "[--timeout 120]\n";
    return 2;
  }
  if (std::string error = o.Validate(); !error.empty()) {
    std::cerr << "mer_serve_bench: " << error << "\n";
    return 2;
  }
  while (!o.url.empty() && o.url.back() == '/') o.url.pop_back();
  std::signal(SIGPIPE, SIG_IGN);  // a server that hangs up is an error

  const Kind kind = KindOf(o.kind);
  std::vector<std::string> ids;
  std::string body;
  if (kind == Kind::kSimilar) {
    std::string text;
    if (!ReadFile(o.ids_file, &text)) {
      std::cerr << "mer_serve_bench: cannot read --ids-file " << o.ids_file
                << "\n";
      return 1;
    }
    ids = ReadIds(text);
    if (ids.empty()) {
      std::cerr << "mer_serve_bench: no ids in " << o.ids_file << "\n";
      return 1;
    }
  }
  if (kind == Kind::kExample && !ReadFile(o.body_file, &body)) {
    std::cerr << "mer_serve_bench: cannot read --body-file " << o.body_file
              << "\n";
    return 1;
  }

  FirstError first_error;
  const Sender sender{o, kind, ids, body, &first_error};
  StartGate gate(o.clients);
  std::vector<ClientResult> results(o.clients);
  std::vector<std::thread> threads;
  threads.reserve(o.clients);
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back(RunClient, c, std::cref(sender), &gate, &results[c]);
  }
  gate.ready.wait();
  const auto start = Clock::now();
  gate.deadline = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(o.seconds));
  gate.go.count_down();
  for (std::thread& t : threads) t.join();
  const double wall_s =
      std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> ms;
  uint64_t errors = 0;
  for (const ClientResult& r : results) {
    ms.insert(ms.end(), r.latency_ms.begin(), r.latency_ms.end());
    errors += r.errors;
  }
  std::sort(ms.begin(), ms.end());
  auto pct = [&](double q) {
    return ms.empty() ? 0.0
                      : ms[std::min(ms.size() - 1,
                                    static_cast<size_t>(q * ms.size()))];
  };
  nlohmann::ordered_json out;  // keys in the documented order
  out["kind"] = o.kind;
  out["clients"] = o.clients;
  out["seconds"] = Round(wall_s, 3);
  out["requests"] = ms.size();
  out["errors"] = errors;
  out["rps"] = Round(static_cast<double>(ms.size()) / wall_s, 1);
  out["p50_ms"] = Round(pct(0.50), 3);
  out["p90_ms"] = Round(pct(0.90), 3);
  out["p99_ms"] = Round(pct(0.99), 3);
  out["max_ms"] = Round(ms.empty() ? 0.0 : ms.back(), 3);
  std::cout << out.dump() << std::endl;
  return 0;
}

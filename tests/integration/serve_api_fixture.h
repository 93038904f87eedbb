// The fixture of serve_api_test.cc: one catalogue of clips encoded with the
// ffmpeg CLI, indexed by the real `mer index`, served by the real `mer
// serve` on a free loopback port for every test of the suite, and HTTP
// helpers that parse the answers.
#ifndef MER_TESTS_INTEGRATION_SERVE_API_FIXTURE_H_
#define MER_TESTS_INTEGRATION_SERVE_API_FIXTURE_H_

#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <thread>

#include "tests/integration/index_job_fixture.h"

namespace mer {

using nlohmann::json;

// One catalogue, index and running service for every test of the suite.
struct Served {
  std::unique_ptr<test::TempDir> tmp;
  fs::path dir;
  std::string model, index, log;
  std::set<std::string> good;  // indexed track ids
  pid_t pid = -1;
  int port = 0;
};
inline Served* g = nullptr;

inline std::string Cat() { return (g->dir / "cat").string(); }

inline void Encode(const std::string& rel, double seconds, int seed) {
  fs::create_directories((g->dir / "cat" / rel).parent_path());
  const std::string cmd =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i 'sine=frequency=" +
      std::to_string(180 + 90 * seed) + ":duration=" + std::to_string(seconds) +
      "' -f lavfi -i 'anoisesrc=color=" + (seed % 2 ? "pink" : "brown") +
      ":amplitude=" + std::to_string(0.05 + 0.05 * (seed % 4)) +
      ":seed=" + std::to_string(seed) + ":duration=" + std::to_string(seconds) +
      "' -filter_complex amix=inputs=2 " + Quote((g->dir / "cat" / rel).string());
  ASSERT_EQ(Shell(cmd, nullptr, g->log), 0) << rel;
}

inline std::string IndexCmd() {
  return Quote(kMer) + " index --catalogue " + Quote(Cat()) + " --model " +
         Quote(g->model) + " --index " + Quote(g->index) +
         " --no-progress --json --decode-threads 1 --model-threads 1";
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string Enc(const std::string& id) {
  std::string out;
  for (unsigned char c : id) {
    char buf[4];
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

class ServeApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!HaveFfmpeg()) return;
    // A client write to a server that already answered 413 must not end us.
    ::signal(SIGPIPE, SIG_IGN);
    g = new Served;
    g->tmp = std::make_unique<test::TempDir>();
    g->dir = g->tmp->path();
    g->log = (g->dir / "log").string();
    g->model = (g->dir / "model.merm").string();
    g->index = (g->dir / "index").string();
    fs::create_directories(g->dir / "cat");
    ASSERT_EQ(Shell(Quote(kMakeBundle) + " " + Quote(g->model), nullptr, g->log), 0);
    const char* names[] = {"a.ogg",          "b.mp3",  "c.flac",     "d.wav",
                           "sub/e f.ogg",    "g.m4a",  "sub/h.mp3",  "i.ogg",
                           "j.flac",         "k.ogg"};
    for (int i = 0; i < 10; ++i) {
      Encode(names[i], 9 + i % 4, i);
      g->good.insert(names[i]);
    }
    std::ofstream(g->dir / "cat" / "notes.mp3") << "this is not audio\n";
    std::string out;
    ASSERT_EQ(Shell(IndexCmd(), &out, g->log), 0) << ReadFile(g->log);
    // Serve it on a free port; the log line says which.
    const std::string serve_log = (g->dir / "serve.log").string();
    g->pid = ::fork();
    if (g->pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
      const int fd = ::open(serve_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(fd, 2);
      ::execl(kMer.c_str(), kMer.c_str(), "serve", "--index", g->index.c_str(),
              "--model", g->model.c_str(), "--listen", "127.0.0.1:0",
              "--catch-up", "0.5", "--max-upload-mb", "2", "--quiet", nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 300 && g->port == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      const std::string text = ReadFile(serve_log);
      const size_t at = text.find("listening on http://127.0.0.1:");
      if (at != std::string::npos) g->port = std::atoi(text.c_str() + at + 30);
    }
    ASSERT_GT(g->port, 0) << ReadFile(serve_log);
  }

  static void TearDownTestSuite() {
    if (!g) return;
    if (g->pid > 0) {
      ::kill(g->pid, SIGTERM);
      int st = 0;
      ::waitpid(g->pid, &st, 0);
      EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
          << "mer serve did not stop cleanly on SIGTERM: " << st;
    }
    delete g;
    g = nullptr;
  }

  void SetUp() override {
    if (!HaveFfmpeg()) GTEST_SKIP() << "the ffmpeg CLI is not installed";
    ASSERT_NE(g, nullptr);
    ASSERT_GT(g->port, 0);
  }

  httplib::Client Client() {
    httplib::Client c("127.0.0.1", g->port);
    c.set_read_timeout(60);
    return c;
  }
  // GET/POST -> (status, parsed JSON body); a non-JSON body fails.
  std::pair<int, json> Get(const std::string& path) {
    auto c = Client();
    auto r = c.Get(path.c_str());
    EXPECT_TRUE(r) << path;
    if (!r) return {0, json()};
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << ": " << r->body;
    return {r->status, j};
  }
  std::pair<int, json> Post(const std::string& path, const std::string& body,
                            const char* type = "application/json") {
    auto c = Client();
    auto r = c.Post(path.c_str(), body, type);
    EXPECT_TRUE(r) << path;
    if (!r) return {0, json()};
    json j = json::parse(r->body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << path << ": " << r->body;
    return {r->status, j};
  }
  std::pair<int, json> Search(const json& body) {
    return Post("/api/v1/search", body.dump());
  }
  static std::unique_ptr<storage::EmotionIndex> Index() {
    storage::OpenOptions o;
    o.read_only = true;
    o.create_if_missing = false;
    auto idx = storage::EmotionIndex::Open(g->index, o);
    EXPECT_TRUE(idx.ok());
    return idx.ok() ? std::move(*idx) : nullptr;
  }
};

}  // namespace mer

#endif  // MER_TESTS_INTEGRATION_SERVE_API_FIXTURE_H_

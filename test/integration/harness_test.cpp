// Self-test of test/support: the fixtures every other integration test relies on. If this fails,
// look here before suspecting eventhub.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>

#include "eventhub_process.hpp"
#include "http_client.hpp"
#include "nats_server.hpp"
#include "ports.hpp"
#include "postgres_server.hpp"
#include "process.hpp"
#include "temp_dir.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>

using namespace eventhub::test;
using namespace std::chrono_literals;

namespace {

// Alive and not a zombie: an orphan's zombie may linger if PID 1 of a container does not reap.
bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] != 'Z' &&
         text[paren + 2] != 'X';
}

class RawSocket {
 public:
  explicit RawSocket(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~RawSocket() { ::close(fd_); }
  void send(const std::string& data) {
    REQUIRE(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(data.size()));
  }
  // Reads until `complete(received so far)` holds; gives up after 5 s and returns what it has.
  template <class Complete>
  const std::string& read_until(Complete complete) {
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!complete(buf_) && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
    return buf_;
  }

 private:
  int fd_;
  std::string buf_;
};

// One JetStream API request over the raw NATS protocol, enough to create a stream without a client
// library. Returns the reply payload.
std::string nats_request(std::uint16_t port, const std::string& subject,
                         const std::string& payload) {
  RawSocket s(port);
  s.send("CONNECT {\"verbose\":false,\"pedantic\":false}\r\nSUB _INBOX.harness 1\r\nPUB " +
         subject + " _INBOX.harness " + std::to_string(payload.size()) + "\r\n" + payload + "\r\n");
  // "MSG <subject> <sid> <size>\r\n<payload>\r\n"
  const std::string marker = "MSG _INBOX.harness 1 ";
  std::size_t body = 0, size = 0;
  const std::string& in = s.read_until([&](const std::string& buf) {
    const auto msg = buf.find(marker);
    if (msg == std::string::npos) return false;
    const auto eol = buf.find("\r\n", msg);
    if (eol == std::string::npos) return false;
    body = eol + 2;
    size = std::stoul(buf.substr(msg + marker.size(), eol - msg - marker.size()));
    return buf.size() >= body + size;
  });
  REQUIRE(body != 0);
  REQUIRE(in.size() >= body + size);
  return in.substr(body, size);
}

std::string jsz(const NatsServer& nats) { return http_get(nats.monitor_port(), "/jsz").body; }

// Serves each accepted connection the next canned response (after reading the request head), then
// closes it.
class CannedHttpServer {
 public:
  explicit CannedHttpServer(std::vector<std::string> responses)
      : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)), responses_(std::move(responses)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd_, 8) == 0);
    REQUIRE(::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    thread_.join();
    ::close(fd_);
  }
  std::uint16_t port() const { return port_; }

 private:
  void serve() {
    for (const auto& response : responses_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char ch;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(c, &ch, 1, 0) == 1) head += ch;
      ::send(c, response.data(), response.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }

  int fd_;
  std::uint16_t port_ = 0;
  std::vector<std::string> responses_;
  std::thread thread_;
};

}  // namespace

TEST_CASE("ChildProcess: exit status, environment, signals, spawn errors", "[harness]") {
  ProcessOptions p;
  p.argv = {"sh", "-c", "echo \"out $FOO-${HOME:-unset}\"; echo err >&2; exit 3"};
  p.env = {{"FOO", "bar"}, {"HOME", std::nullopt}};
  const ProcessResult r = run_process(p);
  CHECK(r.exit_status == 3);
  CHECK(r.out == "out bar-unset\n");
  CHECK(r.err == "err\n");

  // A descriptor we leak without O_CLOEXEC (like an in-process server's listening socket) must not
  // be inherited: a long-lived server child would keep it open.
  const int leaked = ::open("/dev/null", O_RDONLY);
  REQUIRE(leaked > 2);
  const ProcessResult fds = run_process(ProcessOptions{.argv = {"ls", "/proc/self/fd"}});
  ::close(leaked);
  CHECK(fds.out == "0\n1\n2\n3\n");  // stdio, and the directory ls itself is reading

  ChildProcess sleeper(ProcessOptions{.argv = {"sleep", "30"}});
  const pid_t pid = sleeper.pid();
  CHECK(sleeper.running());
  CHECK(sleeper.stop(5s) == 128 + SIGTERM);
  CHECK_FALSE(alive(pid));
  CHECK_FALSE(sleeper.signal(SIGTERM));

  // SIGTERM ignored: stop() must escalate to SIGKILL after its timeout.
  ChildProcess stubborn(ProcessOptions{.argv = {"sh", "-c", "trap '' TERM; exec sleep 30"}});
  REQUIRE(wait_until(2s, [&] {
    std::ifstream cmd("/proc/" + std::to_string(stubborn.pid()) + "/comm");
    std::string name;
    return std::getline(cmd, name) && name == "sleep";
  }));
  CHECK(stubborn.stop(200ms) == 128 + SIGKILL);

  CHECK_THROWS_WITH(ChildProcess(ProcessOptions{.argv = {"eventhub-no-such-program"}}),
                    Catch::Contains("not found in PATH"));
  TempDir dir;
  std::ofstream(dir / "script") << "#!/nonexistent/interpreter\n";
  ::chmod((dir / "script").c_str(), 0755);
  CHECK_THROWS_WITH(ChildProcess(ProcessOptions{.argv = {(dir / "script").string()}}),
                    Catch::Contains("execve"));
}

TEST_CASE("ChildProcess: runs as another user when root", "[harness]") {
  if (::geteuid() != 0) return;
  const UserIds pg = lookup_user("postgres");
  ProcessOptions p;
  p.argv = {"id", "-u"};
  p.run_as_user = "postgres";
  p.working_dir = "/";
  const ProcessResult r = run_process(p);
  CHECK(r.exit_status == 0);
  CHECK(r.out == std::to_string(pg.uid) + "\n");
}

TEST_CASE("ChildProcess: child dies with the process that spawned it", "[harness]") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t middle = ::fork();
  REQUIRE(middle >= 0);
  if (middle == 0) {
    ::close(fds[0]);
    ChildProcess grandchild(ProcessOptions{.argv = {"sleep", "30"}});
    const pid_t gpid = grandchild.pid();
    (void)!::write(fds[1], &gpid, sizeof gpid);
    ::_exit(0);  // no destructors: only PR_SET_PDEATHSIG can end the grandchild now
  }
  ::close(fds[1]);
  pid_t gpid = -1;
  REQUIRE(::read(fds[0], &gpid, sizeof gpid) == static_cast<ssize_t>(sizeof gpid));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(middle, &status, 0) == middle);
  CHECK(wait_until(5s, [&] { return !alive(gpid); }));
}

TEST_CASE("free_port, wait_for_port, TempDir", "[harness]") {
  std::set<std::uint16_t> ports;
  for (int i = 0; i < 20; ++i) ports.insert(free_port());
  CHECK(ports.size() == 20);
  CHECK_FALSE(ports.count(0));
  CHECK_FALSE(wait_for_port(*ports.begin(), 30ms));
  CHECK(wait_for_port_closed(*ports.begin(), 30ms));

  std::filesystem::path kept;
  {
    TempDir dir("eventhub-harness");
    kept = dir.path();
    std::filesystem::create_directories(dir / "a/b");
    std::ofstream(dir / "a/b/file") << "x";
    CHECK(std::filesystem::is_directory(kept));
  }
  CHECK_FALSE(std::filesystem::exists(kept));
}

TEST_CASE("http_request: Content-Length, chunked, read to close, early answer", "[harness]") {
  CannedHttpServer server({
      "HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\nX-Dup: a\r\nx-dup: b\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n6\r\npedia \r\n"
      "0\r\nTrailer: t\r\n\r\n",
      "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n\r\nuntil close",
      // Answers without reading the (large) body, like a 413 from a body limit.
      "HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\n{}",
  });
  auto r = http_post_json(server.port(), "/webhook/event", "{}");
  CHECK(r.status == 202);
  CHECK(r.reason == "Accepted");
  CHECK(r.body == "hello");
  CHECK(r.header("X-DUP") == "a, b");

  r = http_get(server.port(), "/chunked");
  CHECK(r.status == 200);
  CHECK(r.body == "Wikipedia ");

  r = http_get(server.port(), "/close");
  CHECK(r.status == 503);
  CHECK(r.headers.at("retry-after") == "1");
  CHECK(r.body == "until close");

  r = http_post_json(server.port(), "/big", std::string(8 * 1024 * 1024, 'x'));
  CHECK(r.status == 413);
  CHECK(r.body == "{}");

  CHECK_THROWS_AS(http_get(free_port(), "/", 1s), HttpError);
}

TEST_CASE("EventhubProcess: a binary that exits while starting is reported with its log",
          "[harness]") {
  EventhubProcess p({"-c", "echo starting; echo boom >&2; exit 4"}, {}, "/bin/sh");
  try {
    p.wait_ready(free_port(), 5s);
    FAIL("wait_ready should have thrown");
  } catch (const StartupError& e) {
    CHECK(e.exited());
    CHECK_THAT(e.what(), Catch::Contains("status 4") && Catch::Contains("boom"));
  }
  CHECK(p.log_tail(1) == "boom");

  const ProcessResult r = EventhubProcess::run({"-c", "echo $0"}, {}, 5s, "/bin/sh");
  CHECK(r.exit_status == 0);
}

TEST_CASE("NatsServer: JetStream up, restart on the same port and store, stop", "[harness]") {
  NatsServer nats;
  const std::uint16_t port = nats.port();
  CHECK(nats.url() == "nats://127.0.0.1:" + std::to_string(port));
  CHECK_THAT(nats_info(port), Catch::Contains("\"jetstream\":true"));
  CHECK(http_get(nats.monitor_port(), "/healthz").status == 200);

  const std::string created =
      nats_request(port, "$JS.API.STREAM.CREATE.HARNESS",
                   R"({"name":"HARNESS","subjects":["harness.>"],"storage":"file"})");
  CHECK_THAT(created, Catch::Contains("\"name\":\"HARNESS\""));
  CHECK_THAT(jsz(nats), Catch::Contains("\"streams\": 1"));

  const pid_t first = nats.pid();
  nats.restart();
  CHECK(nats.port() == port);
  CHECK(nats.pid() != first);
  CHECK_FALSE(alive(first));
  CHECK_THAT(nats_info(port), Catch::Contains("\"jetstream\":true"));
  CHECK_THAT(jsz(nats), Catch::Contains("\"streams\": 1"));  // same store dir

  const pid_t second = nats.pid();
  nats.kill();
  CHECK_FALSE(nats.running());
  CHECK_FALSE(alive(second));
  nats.start();
  CHECK_THAT(jsz(nats), Catch::Contains("\"streams\": 1"));

  const pid_t third = nats.pid();
  CHECK(nats.stop() == 0);
  CHECK_FALSE(alive(third));
  CHECK(wait_for_port_closed(port, 1s));
  CHECK_THAT(nats.log_tail(), Catch::Contains("Server Exiting"));
}

TEST_CASE("PostgresServer: queries, databases, restart, immediate stop, fast stop", "[harness]") {
  PostgresServer pg;
  const std::uint16_t port = pg.port();
  CHECK(pg.url("harness") ==
        "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/harness");
  CHECK(pg.query_scalar("postgres", "select 1") == "1");
  CHECK(pg.query_scalar("postgres", "show timezone") == "UTC");
  CHECK(pg.query_scalar("postgres", "show max_connections") == "300");
  if (::geteuid() == 0) {
    struct stat st {};
    REQUIRE(::stat(("/proc/" + std::to_string(pg.pid())).c_str(), &st) == 0);
    CHECK(st.st_uid == lookup_user("postgres").uid);
  }

  pg.create_database("harness");
  pg.exec("harness",
          "create table t (id int primary key, v text); insert into t values (1, 'a'), (2, null)");
  const auto rows = pg.query_rows("harness", "select id, v from t order by id");
  REQUIRE(rows.size() == 2);
  CHECK(rows[0] == PostgresServer::Row{"1", "a"});
  CHECK(rows[1] == PostgresServer::Row{"2", std::nullopt});
  CHECK_THROWS_WITH(pg.query_scalar("harness", "select v from t where id = 2"),
                    Catch::Contains("NULL"));
  CHECK_THROWS_WITH(pg.exec("harness", "select * from missing"),
                    Catch::Contains("relation \"missing\" does not exist"));

  const pid_t first = pg.pid();
  pg.restart();
  CHECK(pg.port() == port);
  CHECK_FALSE(alive(first));
  CHECK(pg.query_scalar("harness", "select count(*) from t") == "2");

  pg.exec("harness", "insert into t values (3, 'c')");
  const pid_t second = pg.pid();
  pg.stop_immediate();
  CHECK_FALSE(pg.running());
  CHECK_FALSE(alive(second));
  pg.start();  // crash recovery
  CHECK(pg.query_scalar("harness", "select count(*) from t") == "3");

  pg.drop_database("harness");
  CHECK(pg.query_scalar("postgres", "select count(*) from pg_database where datname = 'harness'") ==
        "0");

  const pid_t third = pg.pid();
  CHECK(pg.stop_fast() == 0);
  CHECK_FALSE(alive(third));
  CHECK(wait_for_port_closed(port, 1s));
  CHECK_THROWS(pg.query_scalar("postgres", "select 1"));
}

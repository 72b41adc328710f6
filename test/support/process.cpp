#include "process.hpp"

#include "temp_dir.hpp"
#include "wait.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

extern char** environ;

namespace eventhub::test {

namespace fs = std::filesystem;

namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

Fd open_or_throw(const fs::path& path, int flags) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) throw_errno("open " + path.string());
  return Fd(fd);
}

bool is_executable_file(const fs::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

// Resolved before fork because execvp may allocate, which is unsafe in the child of a threaded
// process; doing it here also turns "not installed" into a clear exception.
std::string resolve_executable(const std::string& name, const std::string& path_var) {
  if (name.find('/') != std::string::npos) {
    if (!is_executable_file(name)) throw std::runtime_error("not an executable file: " + name);
    return name;
  }
  std::stringstream dirs(path_var);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
    if (is_executable_file(candidate)) return candidate.string();
  }
  throw std::runtime_error("executable not found in PATH: " + name);
}

std::vector<std::string> build_environment(
    const std::map<std::string, std::optional<std::string>>& overrides) {
  std::map<std::string, std::string> merged;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    merged.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  for (const auto& [name, value] : overrides) {
    if (value) {
      merged[name] = *value;
    } else {
      merged.erase(name);
    }
  }
  std::vector<std::string> out;
  out.reserve(merged.size());
  for (const auto& [name, value] : merged) out.push_back(name + "=" + value);
  return out;
}

std::vector<char*> c_strings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct Credentials {
  uid_t uid;
  gid_t gid;
  std::vector<gid_t> groups;
};

std::optional<Credentials> credentials_for(const std::optional<std::string>& user) {
  if (!user) return std::nullopt;
  const UserIds ids = lookup_user(*user);
  if (::geteuid() != 0) {
    if (ids.uid == ::geteuid()) return std::nullopt;
    throw std::runtime_error("cannot run as user " + *user + " without root");
  }
  // initgroups is not async-signal-safe, so the supplementary groups are computed here.
  int count = 32;
  std::vector<gid_t> groups(static_cast<std::size_t>(count));
  while (::getgrouplist(user->c_str(), ids.gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<std::size_t>(count) + 1);
    count = static_cast<int>(groups.size());
  }
  groups.resize(static_cast<std::size_t>(count));
  return Credentials{ids.uid, ids.gid, std::move(groups)};
}

// What failed in the child, sent back through the exec-error pipe.
enum class ChildStage : int { kDup = 1, kSetgroups, kSetgid, kSetuid, kPdeathsig, kChdir, kExec };

const char* stage_name(int stage) {
  switch (static_cast<ChildStage>(stage)) {
    case ChildStage::kDup: return "redirecting stdio";
    case ChildStage::kSetgroups: return "setgroups";
    case ChildStage::kSetgid: return "setgid";
    case ChildStage::kSetuid: return "setuid";
    case ChildStage::kPdeathsig: return "prctl(PR_SET_PDEATHSIG)";
    case ChildStage::kChdir: return "chdir";
    case ChildStage::kExec: return "execve";
  }
  return "child setup";
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Only async-signal-safe calls from here to execve: the parent may have other threads, one of which
// could have held the malloc lock at the moment of fork.
[[noreturn]] void child_after_fork(pid_t parent, int err_fd, int max_fd, int in_fd, int out_fd,
                                   int err_out_fd, const Credentials* creds, const char* cwd,
                                   const char* exe, char* const* argv, char* const* envp) {
  auto fail = [err_fd](ChildStage stage) {
    int payload[2] = {static_cast<int>(stage), errno};
    ssize_t ignored = ::write(err_fd, payload, sizeof payload);
    (void)ignored;
    ::_exit(127);
  };

  // Blocked or ignored signals survive execve; servers expect a clean slate (e.g. SIGPIPE default).
  sigset_t all;
  ::sigemptyset(&all);
  ::sigprocmask(SIG_SETMASK, &all, nullptr);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &dfl, nullptr);

  auto place = [&](int from, int to) {
    if (from < 0) return;
    if (from == to) {
      if (::fcntl(to, F_SETFD, 0) < 0) fail(ChildStage::kDup);
    } else if (::dup2(from, to) < 0) {
      fail(ChildStage::kDup);
    }
  };
  place(in_fd, STDIN_FILENO);
  place(out_fd, STDOUT_FILENO);
  place(err_out_fd, STDERR_FILENO);

  if (creds != nullptr) {
    if (::setgroups(creds->groups.size(), creds->groups.data()) < 0) fail(ChildStage::kSetgroups);
    if (::setgid(creds->gid) < 0) fail(ChildStage::kSetgid);
    if (::setuid(creds->uid) < 0) fail(ChildStage::kSetuid);
  }
  // After the credential change: changing uid/gid clears the parent-death signal.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) fail(ChildStage::kPdeathsig);
  // The parent may have died before prctl took effect; then nobody would ever kill us.
  if (::getppid() != parent) ::_exit(127);
  if (cwd != nullptr && ::chdir(cwd) < 0) fail(ChildStage::kChdir);

  // Descriptors the test process opened without O_CLOEXEC (a listening socket of an in-process
  // server, say) would otherwise be held open by a long-lived server child.
  auto close_fds = [max_fd](int first, int last) {
    if (first > last) return;
    const auto lo = static_cast<unsigned>(first), hi = static_cast<unsigned>(last);
    if (::syscall(SYS_close_range, lo, hi, 0U) == 0) return;
    for (int fd = first; fd <= std::min(last, max_fd); ++fd) ::close(fd);  // kernels before 5.9
  };
  close_fds(3, err_fd - 1);
  close_fds(err_fd + 1, INT_MAX);

  ::execve(exe, argv, envp);
  fail(ChildStage::kExec);
  ::_exit(127);
}

}  // namespace

ChildProcess::ChildProcess(ProcessOptions options) {
  if (options.argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");

  std::string path_var = "/usr/local/bin:/usr/bin:/bin";
  if (auto it = options.env.find("PATH"); it != options.env.end() && it->second) {
    path_var = *it->second;
  } else if (const char* p = std::getenv("PATH"); p != nullptr) {
    path_var = p;
  }
  const std::string exe = resolve_executable(options.argv.front(), path_var);
  std::vector<std::string> env_strings = build_environment(options.env);
  std::vector<char*> envp = c_strings(env_strings);
  std::vector<std::string> argv_strings = options.argv;
  std::vector<char*> argv = c_strings(argv_strings);
  const std::optional<Credentials> creds = credentials_for(options.run_as_user);
  const std::string cwd = options.working_dir.string();

  Fd in = open_or_throw("/dev/null", O_RDONLY);
  Fd out, err_out;
  if (!options.log_file.empty()) {
    out = open_or_throw(options.log_file, O_WRONLY | O_CREAT | O_APPEND);
    log_file_ = options.log_file;
  }
  if (!options.stderr_file.empty()) {
    err_out = open_or_throw(options.stderr_file, O_WRONLY | O_CREAT | O_APPEND);
  }
  const int err_target = err_out.get() >= 0 ? err_out.get() : out.get();

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) < 0) throw_errno("pipe2");
  Fd pipe_read(pipe_fds[0]);
  Fd pipe_write(pipe_fds[1]);

  // close_range fallback bound, computed here because sysconf is not async-signal-safe.
  const int max_fd = static_cast<int>(std::clamp(::sysconf(_SC_OPEN_MAX), 1024L, 65536L));
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw_errno("fork " + exe);
  if (pid == 0) {
    child_after_fork(parent, pipe_write.get(), max_fd, in.get(), out.get(), err_target,
                     creds ? &*creds : nullptr, cwd.empty() ? nullptr : cwd.c_str(), exe.c_str(),
                     argv.data(), envp.data());
  }
  pid_ = pid;
  reaped_ = false;
  pipe_write.reset();

  // EOF means execve succeeded (the pipe is close-on-exec); a payload means the child gave up.
  int payload[2] = {0, 0};
  ssize_t n;
  do {
    n = ::read(pipe_read.get(), payload, sizeof payload);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof payload)) {
    reap_if_exited(true);
    pid_ = -1;
    throw std::system_error(payload[1], std::generic_category(),
                            "spawn " + exe + ": " + stage_name(payload[0]));
  }
}

ChildProcess::~ChildProcess() { release(); }

void ChildProcess::release() noexcept {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
  }
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      reaped_(std::exchange(other.reaped_, true)),
      exit_status_(std::exchange(other.exit_status_, std::nullopt)),
      log_file_(std::move(other.log_file_)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    release();
    pid_ = std::exchange(other.pid_, -1);
    reaped_ = std::exchange(other.reaped_, true);
    exit_status_ = std::exchange(other.exit_status_, std::nullopt);
    log_file_ = std::move(other.log_file_);
  }
  return *this;
}

void ChildProcess::reap_if_exited(bool block) {
  if (reaped_ || pid_ <= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r == pid_) {
    reaped_ = true;
    exit_status_ = decode_status(status);
  } else if (r < 0 && errno == ECHILD) {
    // Someone else reaped it (SIGCHLD set to SIG_IGN, or a stray waitpid(-1)); the status is lost.
    reaped_ = true;
    exit_status_ = -1;
  }
}

bool ChildProcess::running() {
  reap_if_exited(false);
  return !reaped_;
}

bool ChildProcess::signal(int signo) {
  reap_if_exited(false);
  if (reaped_) return false;
  if (::kill(pid_, signo) < 0) throw_errno("kill " + std::to_string(pid_));
  return true;
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  wait_until(timeout, [this] { return !running(); });
  return reaped_ ? exit_status_ : std::nullopt;
}

int ChildProcess::stop(std::chrono::milliseconds timeout, int signo) {
  if (signal(signo)) {
    if (auto status = wait_exit(timeout)) return *status;
    return kill();
  }
  return exit_status_.value_or(-1);
}

int ChildProcess::kill() {
  if (signal(SIGKILL)) reap_if_exited(true);
  return exit_status_.value_or(-1);
}

std::string ChildProcess::log_tail(std::size_t max_lines) const {
  return log_file_.empty() ? std::string() : file_tail(log_file_, max_lines);
}

void wait_child_ready(ChildProcess& child, std::string_view what, std::chrono::milliseconds timeout,
                      const std::function<bool()>& ready) {
  bool exited = false;
  const bool ok = wait_until(
      timeout,
      [&] {
        if (!child.running()) {
          exited = true;
          return true;
        }
        return ready();
      },
      std::chrono::milliseconds(20));
  if (ok && !exited) return;
  std::string message(what);
  if (exited) {
    message += " exited with status " + std::to_string(child.exit_status().value_or(-1)) +
               " while starting";
  } else {
    child.kill();
    message += " was not ready after " + std::to_string(timeout.count()) + " ms (killed)";
  }
  message += "; log " + child.log_file().string() + ":\n" + child.log_tail(40);
  throw StartupError(message, exited);
}

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

ProcessResult run_process(ProcessOptions options, std::chrono::milliseconds timeout) {
  TempDir dir("eventhub-run");
  options.log_file = dir / "stdout";
  options.stderr_file = dir / "stderr";
  const std::string name = options.argv.empty() ? std::string() : options.argv.front();
  ChildProcess child(std::move(options));
  auto status = child.wait_exit(timeout);
  if (!status) {
    child.kill();
    throw std::runtime_error("run_process " + name + ": still running after " +
                             std::to_string(timeout.count()) + " ms; stderr:\n" +
                             file_tail(dir / "stderr"));
  }
  return ProcessResult{*status, read_file(dir / "stdout"), read_file(dir / "stderr")};
}

std::string file_tail(const fs::path& file, std::size_t max_lines) {
  constexpr std::streamoff kMaxBytes = 256 * 1024;
  std::ifstream in(file, std::ios::binary | std::ios::ate);
  if (!in) return {};
  const std::streamoff size = in.tellg();
  const std::streamoff start = std::max<std::streamoff>(0, size - kMaxBytes);
  in.seekg(start);
  std::string text(static_cast<std::size_t>(size - start), '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));

  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (max_lines == 0) return {};
  std::size_t pos = text.size();
  std::size_t lines = 0;
  while (pos > 0) {
    const std::size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (++lines == max_lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return text.substr(pos);
}

bool pid_exists(pid_t pid) {
  if (pid <= 0) return false;
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

bool wait_stopped(pid_t pid, std::chrono::milliseconds timeout) {
  if (pid <= 0) return false;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  return wait_until(
      timeout,
      [&] {
        std::error_code ec;
        bool any = false;
        for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
          std::ifstream in(task.path() / "stat");
          std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
          // "pid (comm) S ...": the state follows the last ')' (comm may contain anything).
          const auto close = stat.rfind(')');
          if (close == std::string::npos || close + 2 >= stat.size()) continue;  // thread just exited
          if (stat[close + 2] != 'T') return false;
          any = true;
        }
        return !ec && any;
      },
      std::chrono::milliseconds(2));
}

}  // namespace eventhub::test

#pragma once
// ChildProcess: one spawned program, owned by the test that constructs it, identified by its pid
// only (no process groups), always reaped by its owner. Not thread-safe: use each object from one
// thread at a time.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL), so a test binary that crashes or is killed by CTest's
// timeout does not leave servers behind. The kernel ties that signal to the *thread* that forked,
// so spawn long-lived servers from the test's main thread, not from a short-lived helper thread.

#include <sys/types.h>

#include <chrono>
#include <csignal>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace eventhub::test {

struct ProcessOptions {
  // argv[0] is looked up in PATH when it has no '/'.
  std::vector<std::string> argv{};
  // Overrides on top of this process's environment; std::nullopt removes the variable.
  std::map<std::string, std::optional<std::string>> env{};
  // When set and we are root: setgroups/setgid/setuid to this user before exec (postgres refuses to
  // run as root). When not root, naming any user other than ourselves is an error.
  std::optional<std::string> run_as_user{};
  // stdout (and stderr unless stderr_file is set) go here, appended; empty = inherit ours.
  std::filesystem::path log_file{};
  std::filesystem::path stderr_file{};
  // Empty = inherit ours. Set it when running as another user who may not be able to enter our cwd.
  std::filesystem::path working_dir{};
};

class ChildProcess {
 public:
  // Throws std::system_error when the program cannot be found or executed (the reason from the
  // child's failed execve/setuid is reported back through a close-on-exec pipe).
  explicit ChildProcess(ProcessOptions options);
  ~ChildProcess();  // SIGKILL and reap if still running.

  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // False when the child has already been reaped (nothing is signalled then).
  bool signal(int signo);

  // Exit status once the child has exited: its exit code, or 128 + signal number when a signal
  // ended it (the shell's convention). std::nullopt if still running after `timeout`.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // Sends `signo` (default SIGTERM), waits up to `timeout`, then SIGKILLs. Returns the exit status.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(10), int signo = SIGTERM);
  int kill();  // SIGKILL and reap.
  std::optional<int> exit_status() const { return exit_status_; }

  const std::filesystem::path& log_file() const { return log_file_; }
  std::string log_tail(std::size_t max_lines = 40) const;

 private:
  void reap_if_exited(bool block);
  void release() noexcept;

  pid_t pid_ = -1;
  bool reaped_ = true;
  std::optional<int> exit_status_;
  std::filesystem::path log_file_;
};

// A server child that exited or did not become ready in time. what() carries the log tail.
class StartupError : public std::runtime_error {
 public:
  StartupError(const std::string& message, bool exited)
      : std::runtime_error(message), exited_(exited) {}
  // True when the child exited by itself (e.g. its port was taken), false on timeout.
  bool exited() const { return exited_; }

 private:
  bool exited_;
};

// Polls `ready` (short, growing pauses) until it returns true. Throws StartupError naming `what`
// with the child's log tail if the child exits first, or after `timeout` (the child is then
// killed so that a half-started server does not linger).
void wait_child_ready(ChildProcess& child, std::string_view what, std::chrono::milliseconds timeout,
                      const std::function<bool()>& ready);

// Runs a program to completion, capturing stdout and stderr separately (for CLI tests).
struct ProcessResult {
  int exit_status = -1;  // same convention as ChildProcess::wait_exit
  std::string out;
  std::string err;
};
// Kills the program and throws std::runtime_error if it does not exit within `timeout`.
ProcessResult run_process(ProcessOptions options,
                          std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Last `max_lines` lines of a (log) file, "" when it does not exist. Reads at most the last 256
// KiB.
std::string file_tail(const std::filesystem::path& file, std::size_t max_lines = 40);

// True while a process with this pid exists (zombies included).
bool pid_exists(pid_t pid);

// kill(SIGSTOP) returns before the target has stopped: its threads stop when next scheduled, which
// on a busy machine can be after the test's next request. Polls /proc/<pid>/task/*/stat until every
// thread is in state 'T' (stopped); false after `timeout`.
bool wait_stopped(pid_t pid, std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace eventhub::test

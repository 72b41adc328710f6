#include "eventhub_process.hpp"

#include "http_client.hpp"

#include <csignal>
#include <cstdlib>
#include <stdexcept>

namespace eventhub::test {

namespace {

ProcessOptions make_options(const std::filesystem::path& binary, std::vector<std::string> args,
                            EnvOverrides env) {
  ProcessOptions p;
  p.argv.reserve(args.size() + 1);
  p.argv.push_back(binary.string());
  for (auto& a : args) p.argv.push_back(std::move(a));
  p.env = std::move(env);
  return p;
}

}  // namespace

std::filesystem::path EventhubProcess::default_binary() {
  if (const char* v = std::getenv("EVENTHUB_BINARY"); v != nullptr && *v != '\0') return v;
#ifdef EVENTHUB_BINARY
  return EVENTHUB_BINARY;
#else
  throw std::runtime_error(
      "EventhubProcess: no binary; build with EVENTHUB_BINARY defined or set $EVENTHUB_BINARY");
#endif
}

EventhubProcess::EventhubProcess(std::vector<std::string> args, EnvOverrides env,
                                 std::filesystem::path binary)
    : dir_("eventhub-proc"), log_file_(dir_ / "eventhub.log"), process_([&] {
        ProcessOptions p = make_options(binary, std::move(args), std::move(env));
        p.log_file = log_file_;
        return p;
      }()) {}

EventhubProcess::~EventhubProcess() = default;

ProcessResult EventhubProcess::run(std::vector<std::string> args, EnvOverrides env,
                                   std::chrono::milliseconds timeout,
                                   std::filesystem::path binary) {
  return run_process(make_options(binary, std::move(args), std::move(env)), timeout);
}

void EventhubProcess::wait_ready(std::uint16_t port, std::chrono::milliseconds timeout,
                                 const std::string& path) {
  const std::string what =
      "eventhub (pid " + std::to_string(pid()) + ") on 127.0.0.1:" + std::to_string(port) + path;
  wait_child_ready(process_, what, timeout, [port, &path] {
    try {
      return http_get(port, path, std::chrono::seconds(1)).status == 200;
    } catch (const HttpError&) {
      return false;  // not listening yet
    }
  });
}

int EventhubProcess::stop(std::chrono::milliseconds timeout) {
  return process_.stop(timeout, SIGTERM);
}

std::string EventhubProcess::log_tail(std::size_t max_lines) const {
  return file_tail(log_file_, max_lines);
}

}  // namespace eventhub::test

#include <eventhub/publish/progress.hpp>

#include <algorithm>
#include <cstdio>

namespace eventhub::publish {
namespace {

std::string human(double v) {
  char buf[32];
  if (v >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fM", v / 1e6);
  else if (v >= 1e4)
    std::snprintf(buf, sizeof buf, "%.1fk", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

int64_t done(const ProgressSnapshot& s) { return s.accepted + s.rejected + s.failed; }

}  // namespace

ProgressDisplay::ProgressDisplay(ProgressMode mode, std::FILE* out) : mode_(mode), out_(out) {}

std::chrono::milliseconds ProgressDisplay::interval() const {
  return mode_ == ProgressMode::tty ? std::chrono::milliseconds{250} : std::chrono::milliseconds{5000};
}

std::string ProgressDisplay::tty_line(const ProgressSnapshot& s, double rate, int width) {
  const double fraction = s.total > 0 ? std::clamp(static_cast<double>(done(s)) / static_cast<double>(s.total), 0.0, 1.0) : 0;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.append(static_cast<std::size_t>(width - filled), '.');
  char buf[256];
  std::snprintf(buf, sizeof buf, "[%s] %3.0f%% %s/%s ev | %s ev/s | accepted %s dup %s | rejected %s | errors %s failed %s | %.1fs",
                bar.c_str(), fraction * 100, human(static_cast<double>(done(s))).c_str(),
                human(static_cast<double>(s.total)).c_str(), human(rate).c_str(),
                human(static_cast<double>(s.accepted)).c_str(), human(static_cast<double>(s.duplicates)).c_str(),
                human(static_cast<double>(s.rejected)).c_str(), human(static_cast<double>(s.errors)).c_str(),
                human(static_cast<double>(s.failed)).c_str(), s.elapsed_s);
  return buf;
}

std::string ProgressDisplay::plain_line(const ProgressSnapshot& s, double rate) {
  char buf[256];
  std::snprintf(buf, sizeof buf,
                "publish: %lld/%lld events answered, %.0f ev/s, accepted=%lld duplicates=%lld rejected=%lld "
                "failed=%lld errors=%lld retries=%lld elapsed=%.1fs",
                static_cast<long long>(done(s)), static_cast<long long>(s.total), rate,
                static_cast<long long>(s.accepted), static_cast<long long>(s.duplicates),
                static_cast<long long>(s.rejected), static_cast<long long>(s.failed),
                static_cast<long long>(s.errors), static_cast<long long>(s.retries), s.elapsed_s);
  return buf;
}

double ProgressDisplay::recent_rate(const ProgressSnapshot& now) {
  const double dt = now.elapsed_s - last_elapsed_;
  if (dt >= 0.2) {
    last_rate_ = static_cast<double>(done(now) - last_done_) / dt;
    last_done_ = done(now);
    last_elapsed_ = now.elapsed_s;
  }
  return last_rate_;
}

void ProgressDisplay::update(const ProgressSnapshot& now) {
  if (mode_ == ProgressMode::none) return;
  const double rate = recent_rate(now);
  if (mode_ == ProgressMode::tty)
    std::fprintf(out_, "\r\033[2K%s", tty_line(now, rate, 24).c_str());
  else
    std::fprintf(out_, "%s\n", plain_line(now, rate).c_str());
  std::fflush(out_);
}

void ProgressDisplay::finish(const ProgressSnapshot& now) {
  if (mode_ == ProgressMode::none) return;
  const double rate = now.elapsed_s > 0 ? static_cast<double>(done(now)) / now.elapsed_s : 0;
  if (mode_ == ProgressMode::tty)
    std::fprintf(out_, "\r\033[2K%s\n", tty_line(now, rate, 24).c_str());
  else
    std::fprintf(out_, "%s\n", plain_line(now, rate).c_str());
  std::fflush(out_);
}

void ProgressDisplay::message(std::string_view text) {
  if (mode_ == ProgressMode::tty) std::fprintf(out_, "\r\033[2K");
  std::fprintf(out_, "%.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(out_);
}

}  // namespace eventhub::publish

#include <eventhub/common/health.hpp>

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <algorithm>

namespace eventhub::common {

Health::Health(prometheus::Registry& registry)
    : ready_gauge_(prometheus::BuildGauge()
                       .Name("eventhub_ready")
                       .Help("1 when the role's readiness checks pass, 0 otherwise (last evaluation)")
                       .Register(registry)) {}

void Health::add_check(const std::string& role, const std::string& name, Check check) {
  std::lock_guard lock(mutex_);
  checks_.push_back({role, name, std::move(check)});
  ready_gauge_.Add({{"role", role}});
}

bool Health::ready(const std::string& role, std::vector<CheckReport>* reports) const {
  std::vector<Entry> checks;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : checks_)
      if (e.role == role) checks.push_back(e);
  }
  bool ok = true;
  if (draining_) {
    ok = false;
    if (reports) reports->push_back({"shutdown", {false, "draining"}});
  }
  for (const auto& e : checks) {
    CheckResult r;
    try {
      r = e.check();
    } catch (const std::exception& ex) {
      r = {false, ex.what()};
    }
    ok = ok && r.ok;
    if (reports) reports->push_back({e.name, std::move(r)});
  }
  ready_gauge_.Add({{"role", role}}).Set(ok ? 1 : 0);
  return ok;
}

void Health::refresh() const {
  std::vector<std::string> roles;
  {
    std::lock_guard lock(mutex_);
    for (const auto& e : checks_)
      if (std::find(roles.begin(), roles.end(), e.role) == roles.end()) roles.push_back(e.role);
  }
  for (const auto& role : roles) ready(role);
}

}  // namespace eventhub::common

// eventhub: parse the command line, then hand over to one subcommand. Nothing else lives here.

#include <eventhub/analytics/analytics_role.hpp>
#include <eventhub/common/cli.hpp>
#include <eventhub/common/log.hpp>
#include <eventhub/common/runtime.hpp>
#include <eventhub/dlq/dlq_tool.hpp>
#include <eventhub/ingest/ingest_role.hpp>
#include <eventhub/pg/migrations.hpp>
#include <eventhub/publish/publish.hpp>
#include <eventhub/rollup/rollup_tool.hpp>
#include <eventhub/worker/worker_role.hpp>

#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <memory>
#include <vector>

namespace {

using namespace eventhub;

void log_start(const char* role, const CLI::App& command) {
  std::string line;
  for (const auto& [name, value] : common::effective_options(command)) line += " " + name + "=" + value;
  log::info("starting", "role", role, "version", common::version_string(), "config", line.substr(line.empty() ? 0 : 1));
}

void apply_migrations(const common::DatabaseConfig& db) {
  pg::Connection conn(db.url, static_cast<int>(db.connect_timeout.count()), "eventhub-migrate");
  const auto applied = pg::migrate(conn);
  std::string list;
  for (const auto& v : applied) list += (list.empty() ? "" : ",") + v;
  log::info("migrations applied", "count", applied.size(), "versions", list.empty() ? "none" : list);
}

// Roles migrate at start; a database that is down does not stop them (they report not-ready and
// the migration is retried by `eventhub migrate` or the next start).
void try_migrations(const common::DatabaseConfig& db) {
  if (!db.migrate_on_start) return;
  try {
    apply_migrations(db);
  } catch (const std::exception& e) {
    log::warn("migrations not applied at start", "error", e.what());
  }
}

struct RoleSet {
  bool ingest = false;
  bool worker = false;
  bool analytics = false;
};

int run_roles(const char* label, const CLI::App& command, const common::CliConfig& c, RoleSet set, int io_threads) {
  log_start(label, command);
  if (set.worker) try_migrations(c.worker.db);
  else if (set.analytics) try_migrations(c.analytics.db);
  common::Runtime runtime(label);
  std::vector<std::unique_ptr<common::Role>> roles;
  if (set.ingest) roles.push_back(ingest::make_ingest_role(c.ingest, runtime));
  if (set.worker) roles.push_back(worker::make_worker_role(c.worker, runtime));
  if (set.analytics) roles.push_back(analytics::make_analytics_role(c.analytics, runtime));
  for (auto& r : roles) r->start();
  const bool drained = runtime.run_until_signal(io_threads, c.process.drain_timeout);
  roles.clear();
  return drained ? 0 : 1;
}

// One line naming what is wrong: the unknown command, or the flag (and the environment variable when
// the bad value came from there).
std::string usage_error(const CLI::App& app, int argc, char** argv, const CLI::ParseError& e) {
  if (argc > 1 && argv[1][0] != '-' && app.get_subcommands([&](const CLI::App* sub) {
                                          return sub->get_name() == argv[1];
                                        }).empty())
    return std::string("unknown command '") + argv[1] + "'";
  std::string what = e.what();
  if (const auto nl = what.find('\n'); nl != std::string::npos) what.resize(nl);
  if (what.rfind("--", 0) == 0) {
    const std::string flag = what.substr(0, what.find(':'));
    std::vector<const CLI::App*> apps{&app};
    for (std::size_t i = 0; i < apps.size(); ++i) {
      for (const auto* sub : apps[i]->get_subcommands([](const CLI::App*) { return true; })) apps.push_back(sub);
      const auto* opt = apps[i]->get_option_no_throw(flag);
      if (opt && apps[i]->parsed() && opt->count() > 0 && !opt->get_envname().empty() &&
          std::getenv(opt->get_envname().c_str()) != nullptr) {
        bool on_command_line = false;
        for (int a = 1; a < argc; ++a) on_command_line |= std::string_view(argv[a]).rfind(flag, 0) == 0;
        if (!on_command_line) return what + " (from environment variable " + opt->get_envname() + ")";
      }
    }
  }
  return what;
}

int dispatch(const common::Subcommands& s, const common::CliConfig& c) {
  if (s.serve_ingest->parsed())
    return run_roles("ingest", *s.serve_ingest, c, {.ingest = true}, c.ingest.http.io_threads);
  if (s.run_worker->parsed()) return run_roles("worker", *s.run_worker, c, {.worker = true}, 1);
  if (s.serve_analytics->parsed())
    return run_roles("analytics", *s.serve_analytics, c, {.analytics = true}, c.analytics.http.io_threads);
  if (s.all->parsed())
    return run_roles("all", *s.all, c, {.ingest = true, .worker = true, .analytics = true},
                     c.ingest.http.io_threads + 1);
  if (s.migrate->parsed()) return rollup::run_migrate(c.migrate);
  if (s.rollup_rebuild->parsed()) return rollup::run_rebuild(c.rollup);
  if (s.rollup_verify->parsed()) return rollup::run_verify(c.rollup);
  if (s.publish->parsed()) return publish::run_publish(c.publish);
  if (s.dlq_list->parsed()) return dlq::run_list(c.dlq);
  if (s.dlq_replay->parsed()) return dlq::run_replay(c.dlq);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"eventhub: marketing event ingestion, persistence and analytics", "eventhub"};
  common::CliConfig config;
  const auto subcommands = common::declare_cli(app, config);
  try {
    app.parse(argc, argv);
    common::finalize_config(config, subcommands);
    log::configure(config.process.log.level, config.process.log.format);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "eventhub: %s (see eventhub --help)\n", usage_error(app, argc, argv, e).c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "eventhub: %s\n", e.what());
    return 2;
  }
  try {
    return dispatch(subcommands, config);
  } catch (const std::exception& e) {
    log::error("fatal", "error", e.what());
    std::fprintf(stderr, "eventhub: %s\n", e.what());
    return 1;
  }
}

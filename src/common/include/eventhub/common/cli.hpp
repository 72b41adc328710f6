#pragma once
// The command line: every subcommand and option, declared once (src/common/cli.cpp).
// main() parses with it and dispatches; tests inspect it to check every option is documented.

#include <eventhub/common/config.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace CLI {
class App;
}

namespace eventhub::common {

struct CliConfig {
  ProcessConfig process;
  // The chosen command's configuration (finalize_config fills these for `all` too).
  IngestConfig ingest;
  WorkerConfig worker;
  AnalyticsConfig analytics;
  RollupToolConfig migrate;  // migrate applies sql/ and builds the rollups of stored events
  RollupToolConfig rollup;
  PublishConfig publish;
  DlqConfig dlq;

  // Database URL parts (DATABASE_HOST, ...) used when no --database-url / DATABASE_URL is given.
  struct DatabaseParts {
    std::string host, port, user, password, name;
  };
  // Storage private to each subcommand: CLI11 applies environment variables to every subcommand,
  // used or not, so two subcommands must never bind the same variable.
  DatabaseParts worker_db_parts, analytics_db_parts, all_db_parts, migrate_db_parts, rollup_db_parts;
  IngestConfig all_ingest;
  WorkerConfig all_worker;
  AnalyticsConfig all_analytics;
};

struct Subcommands {
  CLI::App* serve_ingest = nullptr;
  CLI::App* run_worker = nullptr;
  CLI::App* serve_analytics = nullptr;
  CLI::App* all = nullptr;
  CLI::App* migrate = nullptr;
  CLI::App* publish = nullptr;
  CLI::App* dlq = nullptr;
  CLI::App* dlq_list = nullptr;
  CLI::App* dlq_replay = nullptr;
  CLI::App* rollup = nullptr;
  CLI::App* rollup_rebuild = nullptr;
  CLI::App* rollup_verify = nullptr;
};

// A configuration that parsed but cannot work (exit code 2, like a bad flag).
struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string version_string();

Subcommands declare_cli(CLI::App& app, CliConfig& config);

// After parsing: resolve the database URL from its parts, share options between roles in `all`,
// check cross-field rules. Throws ConfigError.
void finalize_config(CliConfig& config, const Subcommands& subs);

// The options of `command` with their effective values, secrets removed: for the start-up log.
std::vector<std::pair<std::string, std::string>> effective_options(const CLI::App& command);

// postgresql://user:secret@host/db -> postgresql://user:***@host/db (also password=... key/values).
std::string redact_secrets(std::string_view text);

}  // namespace eventhub::common

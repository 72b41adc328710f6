// `eventhub publish`: options -> generator + load -> one JSON summary line on stdout.
#include <eventhub/publish/publish.hpp>

#include <eventhub/common/time.hpp>

#include <eventhub/publish/client.hpp>
#include <eventhub/publish/generator.hpp>
#include <eventhub/publish/progress.hpp>
#include <eventhub/publish/summary.hpp>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <unistd.h>

namespace eventhub::publish {

int run_publish(const common::PublishConfig& config) {
  const auto url = parse_http_url(config.url);
  if (!url) throw std::invalid_argument("--url: expected http://host[:port]/path, got '" + config.url + "'");

  GeneratorOptions gen;
  gen.seed = config.seed;
  gen.duplicate_ratio = config.duplicate_ratio;
  gen.invalid_ratio = config.invalid_ratio;
  gen.nominal_rate = config.rate;
  if (config.base_time.empty()) {
    gen.base_time_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
  } else {
    const auto base = common::parse_rfc3339(config.base_time, {.allow_space_separator = true});
    if (!base) throw std::invalid_argument("--base-time: not an RFC 3339 date-time: '" + config.base_time + "'");
    gen.base_time_ms = common::to_unix_us(*base) / 1000;
  }
  const EventGenerator generator(gen);

  LoadOptions load;
  load.url = *url;
  load.count = config.count;
  load.batch = config.batch;
  load.connections = config.connections;
  load.rate = config.rate;
  load.max_retries = config.max_retries;
  load.api_key = config.api_key;
  load.gzip = config.gzip;
  load.jitter_seed = config.seed ^ 0x6A09E667F3BCC909ULL;

  ProgressDisplay progress(resolve_progress_mode(config.progress, isatty(STDERR_FILENO) == 1), stderr);
  const Summary summary = run_load(load, generator, progress);
  std::printf("%s\n", summary_json(summary).c_str());
  std::fflush(stdout);
  const bool complete = summary.failed == 0 && !summary.interrupted && !summary.aborted;
  return complete ? 0 : 1;
}

}  // namespace eventhub::publish

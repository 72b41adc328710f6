#include <eventhub/publish/client.hpp>
#include <eventhub/publish/progress.hpp>
#include <eventhub/publish/summary.hpp>

#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <zlib.h>

using namespace eventhub::publish;

TEST_CASE("summary line: contract keys first, then extras", "[publish][summary]") {
  Summary s;
  s.sent = 1000;
  s.accepted = 900;
  s.duplicates = 10;
  s.rejected = 95;
  s.failed = 5;
  s.seconds = 2.0;
  s.unique_accepted = 890;
  s.requests = 12;
  s.retries = 2;
  s.p50_ms = 1.5;
  s.p99_ms = 9.25;
  s.max_ms = 12;
  s.start_unix_ms = 1000;
  s.end_unix_ms = 3000;
  s.seed = 7;
  const auto line = summary_json(s);
  CHECK(line.rfind(R"({"sent":1000,"accepted":900,"duplicates":10,"rejected":95,"failed":5,"seconds":2.000,"eventsPerSecond":450.0,)", 0) == 0);
  CHECK(line.find('\n') == std::string::npos);
  const auto o = boost::json::parse(line).as_object();
  CHECK(o.at("uniqueAccepted").as_int64() == 890);
  CHECK(o.at("p99Ms").as_double() == Approx(9.25));
  CHECK(o.at("interrupted").as_bool() == false);
  CHECK(o.at("aborted").as_bool() == false);
  s.seconds = 0;
  CHECK(boost::json::parse(summary_json(s)).at("eventsPerSecond").as_double() == 0.0);
}

TEST_CASE("ingest answers: accepted, duplicates, rejected indexes", "[publish][summary]") {
  const auto a = parse_ingest_answer(
      R"({"accepted":3,"duplicates":1,"rejected":[{"index":1,"eventId":"x","errors":["eventId: too long"]},{"index":4,"eventId":null,"errors":[]}]})", 5);
  REQUIRE(a);
  CHECK(a->duplicates == 1);
  CHECK(a->rejected_indexes == std::vector<int64_t>{1, 4});
  CHECK(parse_ingest_answer(R"({"accepted":2,"duplicates":0,"rejected":[]})", 2)->rejected_indexes.empty());
  CHECK(parse_ingest_answer(R"({"accepted":2})", 2)->duplicates == 0);
  // A repeated index counts once.
  CHECK(parse_ingest_answer(R"({"accepted":0,"duplicates":0,"rejected":[{"index":0},{"index":0}]})", 1)->rejected_indexes.size() == 1);
  CHECK_FALSE(parse_ingest_answer("not json", 1));
  CHECK_FALSE(parse_ingest_answer("[]", 1));
  CHECK_FALSE(parse_ingest_answer(R"({"rejected":[{"index":5}]})", 5));
  CHECK_FALSE(parse_ingest_answer(R"({"rejected":[{"index":-1}]})", 5));
  CHECK_FALSE(parse_ingest_answer(R"({"rejected":{}})", 5));
  CHECK_FALSE(parse_ingest_answer(R"({"duplicates":9})", 5));
}

TEST_CASE("latency percentiles within a bucket (1%)", "[publish][summary]") {
  LatencyHistogram h;
  CHECK(h.percentile(50) == 0);
  for (int i = 1; i <= 1000; ++i) h.record(i * 0.1);  // 0.1 .. 100 ms
  CHECK(h.count() == 1000);
  CHECK(h.percentile(50) == Approx(50.0).epsilon(0.011));
  CHECK(h.percentile(99) == Approx(99.0).epsilon(0.011));
  CHECK(h.percentile(100) == Approx(100.0));
  CHECK(h.max() == Approx(100.0));
  LatencyHistogram one;
  one.record(0.001);
  CHECK(one.percentile(50) <= 0.01);
}

TEST_CASE("progress lines and modes", "[publish][summary]") {
  CHECK(resolve_progress_mode("auto", true) == ProgressMode::tty);
  CHECK(resolve_progress_mode("auto", false) == ProgressMode::plain);
  CHECK(resolve_progress_mode("none", true) == ProgressMode::none);
  CHECK(resolve_progress_mode("plain", true) == ProgressMode::plain);
  ProgressSnapshot s;
  s.total = 200'000;
  s.accepted = 99'000;
  s.rejected = 500;
  s.failed = 500;
  s.errors = 7;
  s.elapsed_s = 4;
  const auto tty = ProgressDisplay::tty_line(s, 25'000, 20);
  CHECK(tty.rfind("[##########..........]  50%", 0) == 0);
  CHECK(tty.find("25.0k ev/s") != std::string::npos);
  CHECK(tty.find("errors 7") != std::string::npos);
  const auto plain = ProgressDisplay::plain_line(s, 25'000);
  CHECK(plain.find("100000/200000 events answered") != std::string::npos);
  CHECK(plain.find("accepted=99000") != std::string::npos);
}

TEST_CASE("ingest URL parsing", "[publish][summary]") {
  const auto u = parse_http_url("http://127.0.0.1:3001/webhook/event");
  REQUIRE(u);
  CHECK(u->host == "127.0.0.1");
  CHECK(u->port == "3001");
  CHECK(u->target == "/webhook/event");
  CHECK(parse_http_url("http://ingest/webhook/event")->port == "80");
  CHECK(parse_http_url("http://localhost:8080")->target == "/");
  CHECK(parse_http_url("http://[::1]:3001/x")->host == "::1");
  CHECK_FALSE(parse_http_url("https://x/y"));
  CHECK_FALSE(parse_http_url("http://:80/y"));
  CHECK_FALSE(parse_http_url("http://host:99999/y"));
  CHECK_FALSE(parse_http_url("http://host:port/y"));
}

TEST_CASE("gzip bodies round-trip through zlib", "[publish][summary]") {
  const std::string text(10'000, 'a');
  const auto gz = gzip_compress(text);
  REQUIRE(gz.size() > 18);
  CHECK(static_cast<unsigned char>(gz[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(gz[1]) == 0x8b);
  CHECK(gz.size() < text.size() / 10);
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  std::string back(text.size() + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  zs.next_out = reinterpret_cast<Bytef*>(back.data());
  zs.avail_out = static_cast<uInt>(back.size());
  CHECK(inflate(&zs, Z_FINISH) == Z_STREAM_END);
  back.resize(zs.total_out);
  inflateEnd(&zs);
  CHECK(back == text);
}

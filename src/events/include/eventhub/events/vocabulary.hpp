#pragma once
// The event vocabulary of CONTRACT.md: which sources exist, their funnel stages and the event types
// of each (source, stage). Read from the schema table in event.cpp, the one place it is written:
// OpenAPI enums, metric label sets, analytics filters and rollup keys iterate over these lists, so
// adding a source or a type is one edit there. Static data: any thread.

#include <array>
#include <optional>
#include <string>
#include <span>
#include <string_view>

namespace eventhub::events {

struct StageVocabulary {
  std::string_view name;                          // "top" | "bottom"
  std::span<const std::string_view> event_types;  // schema order
};

struct SourceVocabulary {
  std::string_view name;                 // "facebook" | "tiktok"
  std::array<StageVocabulary, 2> stages;  // top, bottom
};

std::span<const SourceVocabulary> sources();
std::span<const std::string_view> source_names();      // facebook, tiktok
std::span<const std::string_view> stage_names();       // top, bottom
std::span<const std::string_view> event_type_names();  // every type once, in schema order

const SourceVocabulary* find_source(std::string_view source);
// The stage an event type belongs to within a source; nullopt when the source has no such type.
std::optional<std::string_view> stage_of(std::string_view source, std::string_view event_type);
// "a|b|c" (or another separator): for messages listing what is accepted.
std::string joined(std::span<const std::string_view> names, std::string_view separator = "|");

}  // namespace eventhub::events

// Text that leaves maskwatch as JSON, and values from outside quoted in
// messages: the one place where bytes nobody checked (paths, query values,
// file names, object keys, form fields) are made safe to show.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

#include "maskwatch.h"

namespace mw {

inline constexpr std::size_t kMaxQuotedBytes = 120;  // of a value shown in a message

// JSON text of `value` (indent -1: one line). Bytes that are not UTF-8 in a
// string become U+FFFD instead of failing: every JSON that maskwatch writes
// for others to read goes through here.
std::string json_text(const json& value, int indent = -1);

// `outside` made safe to print: printable ASCII and valid UTF-8 as they are,
// control characters, quotes, backslashes and other bytes as \xNN, cut after
// kMaxQuotedBytes with "..." and the length.
std::string escape_text(std::string_view outside);
// escape_text(outside) in single quotes, for a message.
std::string quote_text(std::string_view outside);

// A string field of a JSON object from outside: "" when `object` is not an
// object, or the field is missing or not a string.
std::string text_field(const json& object, const char* name);

}  // namespace mw

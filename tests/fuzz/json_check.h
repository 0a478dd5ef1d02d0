// Whether text is one JSON value (RFC 8259), strings valid UTF-8 included: what the core
// harness asks of every --json output. A validator, not a parser: it builds nothing, so it
// costs a fraction of nlohmann::json::accept on the hundreds of outputs a second a fuzzer
// checks.
#pragma once

#include <string_view>

namespace goinspect::fuzz {

bool isJson(std::string_view text);

}  // namespace goinspect::fuzz

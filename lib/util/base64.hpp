// Base64 (RFC 4648, standard alphabet, padded) as Kubernetes uses it for Secret data and
// kubeconfig certificate fields. Knows nothing about labs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace meshlab::util {

// `bytes` as padded base64, no line breaks.
std::string base64_encode(std::string_view bytes);

// The bytes `text` encodes; nullopt when it is not base64 (wrong character, bad length or
// padding). Line breaks are ignored, as `base64 -d` does.
std::optional<std::string> base64_decode(std::string_view text);

} // namespace meshlab::util

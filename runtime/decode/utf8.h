// UTF-8 validation helpers shared by the decoder (error positions) and the
// dead-letter encoder (choosing a lossless record encoding).
#pragma once

#include <cstddef>
#include <string_view>

namespace pipec {

// SIMD-accelerated (simdjson) validity check.
bool is_valid_utf8(std::string_view bytes);

// Offset of the first byte that starts an invalid UTF-8 sequence (overlong
// forms, surrogates and code points above U+10FFFF are invalid), or
// bytes.size() when the text is valid. Scalar; meant for error paths.
size_t first_invalid_utf8(std::string_view bytes);

}  // namespace pipec

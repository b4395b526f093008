#pragma once
// Reading a whole text file, plain or gzip-compressed (the readers of CSV tables share it).

#include <string>

namespace soma::data {

// The file's bytes, decompressed when it is gzip (zlib reads plain files unchanged). Errors
// (cannot open, corrupt or truncated stream) name `who` (the calling reader) and the path.
std::string read_text_file(const std::string& path, const char* who);

}  // namespace soma::data

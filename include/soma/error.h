#pragma once
// soma::Error: the one exception type the library throws for bad input.
// Messages name the operation and the values involved, e.g.
//   "matmul: shapes (3, 4) and (5, 2) cannot be multiplied (4 != 5)".

#include <sstream>
#include <stdexcept>
#include <string>

namespace soma {

class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Streams every part into one message and throws it as soma::Error.
template <class... Parts>
[[noreturn]] void fail(const Parts&... parts) {
    std::ostringstream message;
    (message << ... << parts);
    throw Error(message.str());
}

// Throws unless `ok`. The parts are only formatted on failure, so checks are cheap on hot paths.
template <class... Parts>
inline void check(bool ok, const Parts&... parts) {
    if (!ok) [[unlikely]]
        fail(parts...);
}

}  // namespace soma

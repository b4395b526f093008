#include "data/text_file.h"

#include <zlib.h>

#include <memory>

#include "soma/error.h"

namespace soma::data {

namespace {

struct GzCloser {
    void operator()(gzFile f) const { gzclose(f); }
};

}  // namespace

std::string read_text_file(const std::string& path, const char* who) {
    std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
    check(f != nullptr, who, ": cannot open ", path);
    std::string text;
    char buf[1 << 16];
    for (;;) {
        const int n = gzread(f.get(), buf, sizeof buf);
        if (n < 0) {
            int code = 0;
            const char* msg = gzerror(f.get(), &code);
            fail(who, ": ", path, ": cannot decompress (", msg ? msg : "zlib error", ")");
        }
        if (n == 0) break;
        text.append(buf, n);
    }
    // At the end of input gzread returns what it has; a stream cut short shows only here.
    int code = Z_OK;
    gzerror(f.get(), &code);
    check(code == Z_OK, who, ": ", path, ": cannot decompress (unexpected end of file)");
    return text;
}

}  // namespace soma::data

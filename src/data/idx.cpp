#include "soma/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace soma::data {

namespace {

std::string hex(std::uint32_t v, int digits) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%0*X", digits, v);
    return buf;
}

std::string dims_str(const std::vector<std::int64_t>& dims) {
    std::string s = "(";
    for (std::size_t k = 0; k < dims.size(); ++k) s += (k ? ", " : "") + std::to_string(dims[k]);
    return s + (dims.size() == 1 ? ",)" : ")");  // like Shape::str
}

// Decompressed bytes come in chunks this small, so that an error can be placed within them.
constexpr std::size_t kGzChunk = std::size_t{1} << 16;

// A gzip (or, transparently, plain) file read front to back, tracking the decompressed offset.
class GzReader {
public:
    GzReader(const std::string& path, const char* who) : path_(path), who_(who) {
        errno = 0;
        file_ = gzopen(path.c_str(), "rb");
        if (!file_)
            fail(who, ": cannot open ", path, ": ", errno ? std::strerror(errno) : "out of memory");
        gzbuffer(file_, 1 << 17);
    }
    ~GzReader() { gzclose(file_); }
    GzReader(const GzReader&) = delete;
    GzReader& operator=(const GzReader&) = delete;

    // Reads up to n bytes; fewer only at the end of the data. Throws on corrupt gzip data.
    std::size_t read(void* buf, std::size_t n) {
        std::size_t total = 0;
        while (total < n) {
            unsigned chunk = static_cast<unsigned>(std::min(n - total, kGzChunk));
            int got = gzread(file_, static_cast<char*>(buf) + total, chunk);
            if (got < 0) {
                int err = 0;
                std::string msg = gzerror(file_, &err);
                if (msg.rfind(path_ + ": ", 0) == 0) msg.erase(0, path_.size() + 2);
                const std::size_t at = offset_ + total;
                fail(who_, ": ", path_, ": corrupt gzip data between offsets ", at, " and ",
                     at + chunk, " of the decompressed data: ", msg);
            }
            if (got == 0) break;
            total += static_cast<std::size_t>(got);
        }
        offset_ += total;
        return total;
    }

    std::size_t offset() const { return offset_; }

    // Why a read came up short: a gzip stream cut off, or just the end of the file.
    std::string end_reason() {
        int err = 0;
        gzerror(file_, &err);
        return err == Z_BUF_ERROR ? " (the gzip stream ends early)" : "";
    }

private:
    gzFile file_ = nullptr;
    std::string path_;
    const char* who_;
    std::size_t offset_ = 0;
};

// Bytes in memory read front to back: inflated when they start with gzip's magic number, as
// zlib's gzread does for a file, else taken as they are. The same parser reads both sources.
class MemoryReader {
public:
    MemoryReader(std::string_view bytes, const std::string& name, const char* who)
        : bytes_(bytes), path_(name), who_(who) {
        gzip_ = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
                static_cast<unsigned char>(bytes[1]) == 0x8b;
        if (!gzip_) return;
        stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
        // 16 + MAX_WBITS: a gzip wrapper, as gzopen expects.
        if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK)
            fail(who, ": ", name, ": cannot start zlib (out of memory)");
        live_ = true;
    }
    ~MemoryReader() {
        if (live_) inflateEnd(&stream_);
    }
    MemoryReader(const MemoryReader&) = delete;
    MemoryReader& operator=(const MemoryReader&) = delete;

    std::size_t read(void* buf, std::size_t n) {
        std::size_t total = 0;
        if (!gzip_) {
            total = std::min(n, bytes_.size() - pos_);
            std::memcpy(buf, bytes_.data() + pos_, total);
            pos_ += total;
        } else {
            while (total < n && !ended_) {
                // Output in the file reader's chunks (errors are placed the same way); input
                // in pieces below 2^32, as zlib counts in 32-bit units.
                const std::size_t chunk = std::min(n - total, kGzChunk);
                const std::size_t in_left = bytes_.size() - pos_;
                stream_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes_.data() + pos_));
                stream_.avail_in = static_cast<uInt>(std::min(in_left, std::size_t{1} << 30));
                stream_.next_out = static_cast<Bytef*>(buf) + total;
                stream_.avail_out = static_cast<uInt>(chunk);
                const uInt in_before = stream_.avail_in, out_before = stream_.avail_out;
                const int rc = inflate(&stream_, Z_NO_FLUSH);
                const std::size_t at = offset_ + total;
                pos_ += in_before - stream_.avail_in;
                total += out_before - stream_.avail_out;
                if (rc == Z_STREAM_END) {
                    ended_ = true;  // one member, as the writers of IDX files make
                } else if (rc == Z_BUF_ERROR && stream_.avail_in == 0) {
                    truncated_ = true;  // the input ran out inside the stream
                    break;
                } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
                    fail(who_, ": ", path_, ": corrupt gzip data between offsets ", at, " and ",
                         at + chunk,
                         " of the decompressed data: ", stream_.msg ? stream_.msg : "zlib error");
                }
            }
        }
        offset_ += total;
        return total;
    }

    std::string end_reason() const { return truncated_ ? " (the gzip stream ends early)" : ""; }

private:
    std::string_view bytes_;
    std::string path_;
    const char* who_;
    bool gzip_ = false, live_ = false, ended_ = false, truncated_ = false;
    z_stream stream_{};
    std::size_t pos_ = 0, offset_ = 0;
};

// Reads an unsigned-byte IDX file; `want_dims` > 0 demands that many dimensions (so the
// magic number must be 0x000008<want_dims>).
template <class Reader>
IdxArray parse(Reader& in, const std::string& path, int want_dims, const char* who,
               const char* kind) {
    unsigned char magic[4];
    std::size_t got = in.read(magic, 4);
    if (got < 4)
        fail(who, ": ", path, ": truncated at offset ", got, in.end_reason(),
             ": an IDX file starts with a 4-byte magic number");
    const std::uint32_t m = (std::uint32_t{magic[0]} << 24) | (std::uint32_t{magic[1]} << 16) |
                            (std::uint32_t{magic[2]} << 8) | magic[3];
    if (want_dims > 0 && m != 0x800u + static_cast<std::uint32_t>(want_dims))
        fail(who, ": ", path, ": wrong magic number ", hex(m, 8), " at offset 0, expected ",
             hex(0x800u + want_dims, 8), " (", kind, ")");
    if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0)
        fail(who, ": ", path, ": wrong magic number ", hex(m, 8),
             " at offset 0: not an IDX file (0x00 0x00 <type> <number of dimensions>)");
    if (magic[2] != 0x08)
        fail(who, ": ", path, ": element type ", hex(magic[2], 2),
             " at offset 2 is not supported (only unsigned bytes, 0x08)");

    const int nd = magic[3];
    std::vector<unsigned char> header(4 * static_cast<std::size_t>(nd));
    got = in.read(header.data(), header.size());
    if (got < header.size())
        fail(who, ": ", path, ": truncated at offset ", 4 + got, in.end_reason(),
             ": the header declares ", nd, " dimensions of 4 bytes each");
    IdxArray a;
    std::int64_t total = 1;
    for (int k = 0; k < nd; ++k) {
        const unsigned char* p = header.data() + 4 * k;
        std::int64_t d = (std::int64_t{p[0]} << 24) | (std::int64_t{p[1]} << 16) |
                         (std::int64_t{p[2]} << 8) | p[3];
        a.dims.push_back(d);
        // 2^40 bytes is far beyond any real data set and keeps the product from overflowing.
        check(d == 0 || total <= (std::int64_t{1} << 40) / d, who, ": ", path, ": dimensions ",
              dims_str(a.dims), "... at offset 4 are implausibly large");
        total *= d;
    }
    const std::size_t header_size = 4 + header.size();
    // The header alone must not decide how much memory is taken (16 bytes can declare 2^40):
    // the buffer grows as data actually arrives, so it never exceeds twice what the file holds.
    // The size of a gzip stream is unknown before it is read, so this also serves .gz files.
    const auto want = static_cast<std::size_t>(total);
    constexpr std::size_t kFirstChunk = std::size_t{1} << 20;
    while (a.data.size() < want) {
        const std::size_t have = a.data.size();
        const std::size_t chunk = std::min(want - have, std::max(have, kFirstChunk));
        a.data.resize(have + chunk);
        got = in.read(a.data.data() + have, chunk);
        if (got < chunk)
            fail(who, ": ", path, ": truncated at offset ", header_size + have + got,
                 in.end_reason(), ": dimensions ", dims_str(a.dims), " need ", total,
                 " bytes of data after the ", header_size, "-byte header, found ", have + got);
    }
    unsigned char extra;
    if (in.read(&extra, 1) != 0)
        fail(who, ": ", path, ": unexpected data at offset ", header_size + a.data.size(),
             ": dimensions ", dims_str(a.dims), " account for ", total, " bytes after the header");
    return a;
}

IdxArray read_checked(const std::string& path, int want_dims, const char* who, const char* kind) {
    GzReader in(path, who);
    return parse(in, path, want_dims, who, kind);
}

IdxArray parse_checked(std::string_view bytes, const std::string& name, int want_dims,
                       const char* who, const char* kind) {
    MemoryReader in(bytes, name, who);
    return parse(in, name, want_dims, who, kind);
}

// (N, rows, cols) bytes -> (N, 1, rows, cols) float32 in [0, 1]
Tensor images_tensor(const IdxArray& a) {
    Tensor out = Tensor::empty({a.dims[0], 1, a.dims[1], a.dims[2]});
    float* p = out.data<float>();
    for (std::size_t i = 0; i < a.data.size(); ++i) p[i] = static_cast<float>(a.data[i]) / 255.0f;
    return out;
}

Tensor labels_tensor(const IdxArray& a) {
    Tensor out = Tensor::empty({a.dims[0]}, kInt64);
    std::int64_t* p = out.data<std::int64_t>();
    for (std::size_t i = 0; i < a.data.size(); ++i) p[i] = a.data[i];
    return out;
}

constexpr const char* kImages = "an images file";
constexpr const char* kLabels = "a labels file";

}  // namespace

IdxArray read_idx(const std::string& path) { return read_checked(path, 0, "read_idx", ""); }

Tensor read_idx_images(const std::string& path) {
    return images_tensor(read_checked(path, 3, "read_idx_images", kImages));
}

Tensor read_idx_labels(const std::string& path) {
    return labels_tensor(read_checked(path, 1, "read_idx_labels", kLabels));
}

IdxArray read_idx_bytes(std::string_view bytes, const std::string& name) {
    return parse_checked(bytes, name, 0, "read_idx", "");
}

Tensor read_idx_images_bytes(std::string_view bytes, const std::string& name) {
    return images_tensor(parse_checked(bytes, name, 3, "read_idx_images", kImages));
}

Tensor read_idx_labels_bytes(std::string_view bytes, const std::string& name) {
    return labels_tensor(parse_checked(bytes, name, 1, "read_idx_labels", kLabels));
}

Example read_idx_pair(const std::string& images_path, const std::string& labels_path) {
    Tensor images = read_idx_images(images_path);
    Tensor labels = read_idx_labels(labels_path);
    check(images.shape()[0] == labels.shape()[0], "read_idx_pair: the images file ", images_path,
          " holds ", images.shape()[0], " images but the labels file ", labels_path, " holds ",
          labels.shape()[0], " labels (the counts at offset 4 disagree)");
    return {images, labels};
}

}  // namespace soma::data

// The safetensors reader. Everything in the file is untrusted: the header is checked completely
// (fields, types, sizes, coverage of the data) before any tensor is allocated.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "soma/io/safetensors.h"

namespace soma::io {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; soma reads it in place");

namespace {

// nlohmann's ordered_json would keep the header's order, but it finds keys by linear search,
// so a header of n tensors cost O(n^2) to parse (400k empty tensors took > 20 s). The plain
// json's std::map is O(n log n); the header order, needed for ties between empty tensors, is
// taken from the parser's key events instead (see HeaderChecker).
using Json = nlohmann::json;

// The reference implementation refuses larger headers too; it bounds memory spent on a
// hostile header before anything is validated.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr int kMaxDepth = 16;  // a valid header nests 3 deep ({ name: { shape: [ ] } })

template <class... Parts>
[[noreturn]] void bad(const std::string& source, const Parts&... parts) {
    fail("load_safetensors: '", source, "': ", parts...);
}

// A JSON value for an error message, cut short if long.
std::string show(const Json& j) {
    std::string s = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

struct Entry {
    std::string name;
    DType dtype;
    Shape shape;
    std::uint64_t begin, end;
    std::size_t index;  // position in the header
};

DType parse_dtype(const std::string& src, const std::string& name, const Json& j) {
    if (!j.is_string()) bad(src, "tensor '", name, "': dtype must be a string, got ", show(j));
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "F32") return kFloat32;
    if (s == "F64") return kFloat64;
    if (s == "I64") return kInt64;
    static const std::set<std::string> known = {
        "BOOL", "U8",  "I8",  "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16",     "U16",    "F16",
        "BF16", "I32", "U32", "U64",     "C64",     "F4",      "F6_E2M3", "F6_E3M2"};
    if (known.count(s))
        bad(src, "tensor '", name, "': unsupported dtype '", s, "' (soma reads F32, F64 and I64)");
    bad(src, "tensor '", name, "': unknown dtype ", show(j));
}

Shape parse_shape(const std::string& src, const std::string& name, const Json& j) {
    auto wrong = [&] {
        bad(src, "tensor '", name, "': shape must be a list of non-negative integers, got ",
            show(j));
    };
    if (!j.is_array()) wrong();
    if (j.size() > static_cast<std::size_t>(Shape::kMaxDims))
        bad(src, "tensor '", name, "': shape has ", j.size(), " dimensions, soma supports at most ",
            Shape::kMaxDims);
    Shape shape;
    for (const Json& d : j) {
        // nlohmann stores non-negative integers as unsigned, negative ones as signed.
        if (!d.is_number_unsigned()) wrong();
        std::uint64_t v = d.get<std::uint64_t>();
        if (v > static_cast<std::uint64_t>(INT64_MAX))
            bad(src, "tensor '", name, "': shape ", show(j), " has a dimension too large");
        shape.push_back(static_cast<std::int64_t>(v));
    }
    return shape;
}

Entry parse_entry(const std::string& src, const std::string& name, const Json& j,
                  std::uint64_t data_size) {
    if (!j.is_object()) bad(src, "tensor '", name, "': entry must be an object, got ", show(j));
    for (const auto& [key, value] : j.items())
        if (key != "dtype" && key != "shape" && key != "data_offsets")
            bad(src, "tensor '", name, "': unexpected field '", key, "'");
    for (const char* key : {"dtype", "shape", "data_offsets"})
        if (!j.contains(key)) bad(src, "tensor '", name, "': missing field '", key, "'");

    Entry e;
    e.name = name;
    e.dtype = parse_dtype(src, name, j["dtype"]);
    e.shape = parse_shape(src, name, j["shape"]);

    const Json& off = j["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() ||
        !off[1].is_number_unsigned())
        bad(src, "tensor '", name, "': data_offsets must be two non-negative integers, got ",
            show(off));
    e.begin = off[0].get<std::uint64_t>();
    e.end = off[1].get<std::uint64_t>();
    if (e.begin > e.end)
        bad(src, "tensor '", name, "': data_offsets ", show(off), " begin after they end");
    if (e.end > data_size)
        bad(src, "tensor '", name, "': data_offsets ", show(off), " run past the end of the data (",
            data_size, " bytes)");

    std::uint64_t bytes = itemsize(e.dtype);
    for (std::int64_t d : e.shape)
        if (__builtin_mul_overflow(bytes, static_cast<std::uint64_t>(d), &bytes))
            bad(src, "tensor '", name, "': shape ", e.shape, " is too large (its size overflows)");
    if (e.end - e.begin != bytes)
        bad(src, "tensor '", name, "': data_offsets ", show(off), " hold ", e.end - e.begin,
            " bytes, but shape ", e.shape, " of ", j["dtype"].get<std::string>(), " needs ", bytes);
    return e;
}

Metadata parse_metadata(const std::string& src, const Json& j) {
    if (!j.is_object()) bad(src, "__metadata__ must be an object, got ", show(j));
    Metadata m;
    for (const auto& [key, value] : j.items()) {
        if (!value.is_string())
            bad(src, "__metadata__ must map strings to strings, but '", key, "' is ", show(value));
        m[key] = value.get<std::string>();
    }
    return m;
}

// A first, validating pass over the header as SAX events: nlohmann keeps one of two equal keys
// silently, so duplicates are caught here, as are deep nesting and parse errors; it also notes
// the top-level keys in header order. (A parse callback would do the same in one pass, but
// nlohmann's callback parser scans the whole enclosing object each time an object ends, which
// made a header of n tensors cost O(n^2): 400k empty tensors took minutes.)
class HeaderChecker {
public:
    HeaderChecker(const std::string& src, std::vector<std::string>* order)
        : src_(src), order_(order) {}

    bool null() { return true; }
    bool boolean(bool) { return true; }
    bool number_integer(Json::number_integer_t) { return true; }
    bool number_unsigned(Json::number_unsigned_t) { return true; }
    bool number_float(Json::number_float_t, const Json::string_t&) { return true; }
    bool string(Json::string_t&) { return true; }
    bool binary(Json::binary_t&) { return true; }
    bool start_object(std::size_t) {
        enter();
        open_objects_.emplace_back();
        return true;
    }
    bool end_object() {
        open_objects_.pop_back();
        --depth_;
        return true;
    }
    bool start_array(std::size_t) {
        enter();
        return true;
    }
    bool end_array() {
        --depth_;
        return true;
    }
    bool key(Json::string_t& key) {
        if (!open_objects_.back().insert(key).second) {
            if (open_objects_.size() == 1) bad(src_, "duplicate tensor name '", key, "'");
            bad(src_, "duplicate key '", key, "' in the header");
        }
        if (depth_ == 1) order_->push_back(key);
        return true;
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
        // e.what() starts with "[json.exception.parse_error.101] "; the rest is the useful part.
        std::string what = e.what();
        std::size_t cut = what.find("] ");
        bad(src_, "invalid JSON header: ", cut == std::string::npos ? what : what.substr(cut + 2));
    }

private:
    void enter() {
        if (++depth_ > kMaxDepth) bad(src_, "header nests deeper than ", kMaxDepth, " levels");
    }
    const std::string& src_;
    std::vector<std::string>* order_;
    std::vector<std::unordered_set<std::string>> open_objects_;
    int depth_ = 0;
};

// Checks the header (above), then builds it as a DOM: both passes are linear in its size.
Json parse_json(const std::string& src, std::string_view text, std::vector<std::string>* order) {
    HeaderChecker checker(src, order);
    Json::sax_parse(text.begin(), text.end(), &checker);
    return Json::parse(text.begin(), text.end());
}

struct Header {
    std::vector<Entry> entries;  // sorted by position in the data
    Metadata metadata;
};

Header parse_header(const std::string& src, std::string_view text, std::uint64_t data_size) {
    std::vector<std::string> order;
    Json root = parse_json(src, text, &order);
    if (!root.is_object()) bad(src, "header must be a JSON object, got ", show(root));
    Header h;
    h.entries.reserve(order.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
        const std::string& key = order[i];
        const Json& value = root.find(key).value();
        if (key == "__metadata__") {
            h.metadata = parse_metadata(src, value);
        } else {
            h.entries.push_back(parse_entry(src, key, value, data_size));
            h.entries.back().index = i;
        }
    }
    std::sort(h.entries.begin(), h.entries.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.begin, a.end, a.index) < std::tie(b.begin, b.end, b.index);
    });
    // The tensors must tile the data exactly: each starts where the previous one ended.
    std::uint64_t cursor = 0;
    const Entry* prev = nullptr;
    for (const Entry& e : h.entries) {
        if (e.begin < cursor)
            bad(src, "tensors '", prev->name, "' [", prev->begin, ", ", prev->end, "] and '",
                e.name, "' [", e.begin, ", ", e.end, "] overlap");
        if (e.begin > cursor)
            bad(src, "gap in the data: bytes [", cursor, ", ", e.begin, ") before tensor '", e.name,
                "' belong to no tensor");
        cursor = e.end;
        prev = &e;
    }
    if (cursor != data_size)
        bad(src, data_size - cursor, " trailing bytes after the last tensor (the data is ",
            data_size, " bytes, the tensors cover ", cursor, ")");
    return h;
}

// The format pads the header with spaces (0x20) only. nlohmann's parser takes a NUL byte for
// the end of its input, so "{...}\0\0" or "{...}\0garbage" would pass unseen; JSON itself
// allows no raw NUL anywhere (inside strings control characters must be escaped). Other
// whitespace after the JSON is refused too, as the format does.
void check_padding(const std::string& src, std::string_view text) {
    if (std::size_t z = text.find('\0'); z != std::string_view::npos)
        bad(src, "NUL byte at offset ", 8 + z,
            " in the header (the JSON header may be padded only with spaces)");
    std::size_t end = text.find_last_not_of(' ');
    if (end != std::string_view::npos &&
        (text[end] == '\n' || text[end] == '\r' || text[end] == '\t'))
        bad(src, "byte 0x", "0123456789ABCDEF"[text[end] >> 4], "0123456789ABCDEF"[text[end] & 15],
            " at offset ", 8 + end, " after the JSON header (it may be padded only with spaces)");
}

// The whole format, over a source that can read `n` bytes at an offset into `dst`.
using ReadAt = std::function<void(std::uint64_t offset, void* dst, std::uint64_t n)>;

SafetensorsFile read(const std::string& src, std::uint64_t size, const ReadAt& read_at) {
    if (size < 8) bad(src, "file is ", size, " bytes, shorter than the 8-byte header length");
    std::uint64_t n = 0;
    read_at(0, &n, 8);
    if (n > kMaxHeaderBytes)
        bad(src, "header length ", n, " is absurd (more than ", kMaxHeaderBytes, " bytes)");
    if (n > size - 8)
        bad(src, "header length ", n, " exceeds the file (", size, " bytes, ", size - 8,
            " after the length)");
    std::string text(n, '\0');
    read_at(8, text.data(), n);
    check_padding(src, text);
    Header h = parse_header(src, text, size - 8 - n);

    SafetensorsFile out;
    out.metadata = std::move(h.metadata);
    for (const Entry& e : h.entries) {
        Tensor t = Tensor::empty(e.shape, e.dtype);
        if (e.end > e.begin) read_at(8 + n + e.begin, t.raw_data(), e.end - e.begin);
        out.tensors.insert(e.name, t);
    }
    return out;
}

}  // namespace

SafetensorsFile load_safetensors(const std::string& path) {
    auto sys_error = [&](const char* what) {
        bad(path, what, ": ", std::system_category().message(errno));
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) sys_error("cannot open");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) sys_error("cannot stat");
    if (!S_ISREG(st.st_mode)) bad(path, "not a regular file");

    return read(path, static_cast<std::uint64_t>(st.st_size),
                [&](std::uint64_t offset, void* dst, std::uint64_t n) {
                    char* p = static_cast<char*>(dst);
                    while (n > 0) {
                        ssize_t got = ::pread(fd, p, n, static_cast<off_t>(offset));
                        if (got < 0 && errno == EINTR) continue;
                        if (got < 0) sys_error("read failed");
                        if (got == 0) bad(path, "file shrank while being read");
                        p += got;
                        offset += static_cast<std::uint64_t>(got);
                        n -= static_cast<std::uint64_t>(got);
                    }
                });
}

SafetensorsFile load_safetensors_bytes(std::string_view bytes, const std::string& source) {
    return read(source, bytes.size(), [&](std::uint64_t offset, void* dst, std::uint64_t n) {
        std::memcpy(dst, bytes.data() + offset, n);
    });
}

}  // namespace soma::io

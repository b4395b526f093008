// The IDX reader (plain and gzip'd files, and every malformed case naming file and offset) and
// Fashion-MNIST from the Debian package.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/io_test_util.h"
#include "soma/data/fashion_mnist.h"
#include "soma/data/idx.h"
#include "soma/ops.h"

namespace soma::data {
namespace {

std::string be32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

std::string le32(std::uint32_t v) {
    return {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16),
            static_cast<char>(v >> 24)};
}

std::uint32_t crc32(const std::string& bytes) {
    std::uint32_t c = 0xFFFFFFFFu;
    for (unsigned char b : bytes) {
        c ^= b;
        for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return ~c;
}

// A gzip member holding `bytes` in uncompressed ("stored") deflate blocks: valid gzip without
// linking zlib into the tests.
std::string gzip_stored(const std::string& bytes) {
    std::string out("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
    std::size_t pos = 0;
    do {
        const std::size_t n = std::min<std::size_t>(bytes.size() - pos, 65535);
        const bool last = pos + n == bytes.size();
        out += static_cast<char>(last ? 1 : 0);
        out += static_cast<char>(n & 0xFF);
        out += static_cast<char>(n >> 8);
        out += static_cast<char>(~n & 0xFF);
        out += static_cast<char>((~n >> 8) & 0xFF);
        out += bytes.substr(pos, n);
        pos += n;
    } while (pos < bytes.size());
    return out + le32(crc32(bytes)) + le32(static_cast<std::uint32_t>(bytes.size()));
}

// 3 images of 2x4 pixels with values 0, 10, 20, ... and labels 0..2.
std::string images_idx(std::uint32_t n = 3) {
    std::string s = be32(0x803) + be32(n) + be32(2) + be32(4);
    for (std::uint32_t i = 0; i < n * 8; ++i) s += static_cast<char>(i * 10);
    return s;
}

std::string labels_idx(std::uint32_t n = 3) {
    std::string s = be32(0x801) + be32(n);
    for (std::uint32_t i = 0; i < n; ++i) s += static_cast<char>(i);
    return s;
}

std::string error_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const Error& e) {
        return e.what();
    }
    return "no error";
}

// EXPECTs the error to name the file and contain `needle` (the offset and the problem).
void expect_file_error(const std::function<void()>& fn, const std::string& file,
                       const std::string& needle) {
    std::string msg = error_of(fn);
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << "expected '" << needle << "' in: " << msg;
}

TEST(Idx, ReadsPlainAndGzipFiles) {
    test::TempDir dir;
    test::write_bytes(dir.file("img"), images_idx());
    test::write_bytes(dir.file("img.gz"), gzip_stored(images_idx()));
    test::write_bytes(dir.file("lab.gz"), gzip_stored(labels_idx()));
    for (const char* name : {"img", "img.gz"}) {
        Tensor x = read_idx_images(dir.file(name));
        EXPECT_EQ(x.shape(), (Shape{3, 1, 2, 4}));
        EXPECT_EQ(x.dtype(), kFloat32);
        EXPECT_FLOAT_EQ(x.at<float>({1, 0, 1, 2}), 140.0f / 255.0f);  // pixel 8 + 6
    }
    Tensor y = read_idx_labels(dir.file("lab.gz"));
    EXPECT_EQ(y.dtype(), kInt64);
    EXPECT_EQ(y.to_vector<std::int64_t>(), (std::vector<std::int64_t>{0, 1, 2}));
    IdxArray a = read_idx(dir.file("img.gz"));
    EXPECT_EQ(a.dims, (std::vector<std::int64_t>{3, 2, 4}));
    EXPECT_EQ(a.data.size(), 24u);
    Example e = read_idx_pair(dir.file("img.gz"), dir.file("lab.gz"));
    EXPECT_EQ(e.input.shape()[0], e.target.shape()[0]);
}

TEST(Idx, LargeGzipSpansManyBlocks) {
    test::TempDir dir;
    test::write_bytes(dir.file("big.gz"), gzip_stored(images_idx(20000)));  // 160 KB of pixels
    EXPECT_EQ(read_idx_images(dir.file("big.gz")).shape(), (Shape{20000, 1, 2, 4}));
}

TEST(Idx, MalformedFilesNameFileAndOffset) {
    test::TempDir dir;
    auto bad = [&](const std::string& name, const std::string& bytes) {
        test::write_bytes(dir.file(name), bytes);
        return dir.file(name);
    };
    std::string f = bad("missing_header", std::string(2, '\0'));
    expect_file_error([&] { read_idx_images(f); }, f, "truncated at offset 2");

    f = bad("labels_as_images", labels_idx());
    expect_file_error([&] { read_idx_images(f); }, f,
                      "wrong magic number 0x00000801 at offset 0, expected 0x00000803");
    f = bad("not_idx", "PK\x03\x04" + std::string(20, 'x'));
    expect_file_error([&] { read_idx(f); }, f, "wrong magic number 0x504B0304 at offset 0");
    f = bad("floats", be32(0x0D01) + be32(1) + "abcd");
    expect_file_error([&] { read_idx(f); }, f, "element type 0x0D at offset 2 is not supported");

    f = bad("short_dims", be32(0x803) + be32(3) + std::string(2, '\0'));
    expect_file_error([&] { read_idx_images(f); }, f, "truncated at offset 10");
    std::string img = images_idx();
    f = bad("short_data", img.substr(0, img.size() - 5));
    expect_file_error([&] { read_idx_images(f); }, f,
                      "truncated at offset 35: dimensions (3, 2, 4) need 24 bytes of data after "
                      "the 16-byte header, found 19");
    f = bad("trailing", img + "zz");
    expect_file_error([&] { read_idx_images(f); }, f, "unexpected data at offset 40");

    // gzip damage: a stream cut short, and a corrupt block.
    std::string gz = gzip_stored(img);
    f = bad("cut.gz", gz.substr(0, gz.size() - 20));
    expect_file_error([&] { read_idx_images(f); }, f, "truncated at offset");
    std::string corrupt = gz;
    corrupt[10] = '\x07';  // block type 3 does not exist
    f = bad("corrupt.gz", corrupt);
    expect_file_error([&] { read_idx_images(f); }, f, "corrupt gzip data");

    f = dir.file("absent.gz");
    expect_file_error([&] { read_idx_labels(f); }, f, "cannot open");

    std::string images = bad("i.gz", gzip_stored(images_idx(3)));
    std::string labels = bad("l.gz", gzip_stored(labels_idx(2)));
    std::string msg = error_of([&] { read_idx_pair(images, labels); });
    EXPECT_NE(msg.find(images + " holds 3 images but the labels file " + labels + " holds 2"),
              std::string::npos)
        << msg;
    EXPECT_NE(msg.find("offset 4"), std::string::npos) << msg;
}

// A 16-byte header may declare up to 2^40 bytes of data; the reader must not allocate for the
// declaration, only for data that arrives (this used to resize a buffer to 1 TiB first).
TEST(Idx, HeaderCannotDemandMemoryTheFileLacks) {
    test::TempDir dir;
    const std::string header = be32(0x803) + be32(65536) + be32(4096) + be32(4096);  // 2^40
    test::write_bytes(dir.file("huge"), header);
    test::write_bytes(dir.file("huge.gz"), gzip_stored(header + std::string(100, '\x01')));
    expect_file_error([&] { read_idx_images(dir.file("huge")); }, dir.file("huge"),
                      "truncated at offset 16: dimensions (65536, 4096, 4096) need 1099511627776 "
                      "bytes of data after the 16-byte header, found 0");
    expect_file_error([&] { read_idx(dir.file("huge.gz")); }, dir.file("huge.gz"),
                      "truncated at offset 116");
    // Beyond 2^40 the header is refused outright.
    test::write_bytes(dir.file("absurd"), be32(0x803) + be32(65536) + be32(65536) + be32(65536));
    expect_file_error([&] { read_idx(dir.file("absurd")); }, dir.file("absurd"),
                      "dimensions (65536, 65536, 65536)... at offset 4 are implausibly large");
}

// The in-memory entry points (the fuzzing harness's) parse exactly as the file readers do:
// same arrays for plain and gzip bytes, same errors with the name in place of the path.
TEST(Idx, BytesInMemoryReadLikeFiles) {
    test::TempDir dir;
    const std::string img = images_idx(), gz = gzip_stored(img);
    std::string corrupt = gz;
    corrupt[10] = '\x07';
    const std::vector<std::string> inputs = {img,
                                             gz,
                                             labels_idx(),
                                             gzip_stored(labels_idx()),
                                             std::string(2, '\0'),
                                             img + "zz",
                                             img.substr(0, img.size() - 5),
                                             gz.substr(0, gz.size() - 20),
                                             corrupt,
                                             be32(0x803) + be32(65536) + be32(4096) + be32(4096),
                                             be32(0x0D01) + be32(1) + "abcd"};
    for (std::size_t k = 0; k < inputs.size(); ++k) {
        const std::string path = dir.file("in" + std::to_string(k));
        test::write_bytes(path, inputs[k]);
        const std::string from_file = error_of([&] { (void)read_idx(path); });
        const std::string from_bytes = error_of([&] { (void)read_idx_bytes(inputs[k], path); });
        EXPECT_EQ(from_bytes, from_file) << "input " << k;
        if (from_file != "no error") continue;
        EXPECT_EQ(read_idx_bytes(inputs[k]).data, read_idx(path).data) << "input " << k;
        const bool images = read_idx(path).dims.size() == 3;
        if (images)
            EXPECT_EQ(read_idx_images_bytes(inputs[k]).to_vector<float>(),
                      read_idx_images(path).to_vector<float>());
        else
            EXPECT_EQ(read_idx_labels_bytes(inputs[k]).to_vector<std::int64_t>(),
                      read_idx_labels(path).to_vector<std::int64_t>());
    }
    const std::string msg = error_of([&] { (void)read_idx_images_bytes(labels_idx()); });
    EXPECT_NE(msg.find("read_idx_images: <memory>: wrong magic number"), std::string::npos) << msg;
}

// No images but huge rows and columns: a valid, empty file whose (N, 1, rows, cols) tensor
// would have overflowing row-major strides.
TEST(Idx, EmptyFileWithHugeDimensionsLoads) {
    test::TempDir dir;
    test::write_bytes(dir.file("empty"),
                      be32(0x803) + be32(0) + be32(0xFFFFFFFFu) + be32(0xFFFFFFFFu));
    Tensor x = read_idx_images(dir.file("empty"));
    EXPECT_EQ(x.shape(), (Shape{0, 1, 0xFFFFFFFFll, 0xFFFFFFFFll}));
    EXPECT_EQ(x.numel(), 0);
    EXPECT_TRUE(x.is_contiguous());
}

TEST(FashionMNIST, MissingFilesSayHowToInstall) {
    test::TempDir dir;
    std::string msg = error_of([&] { datasets::FashionMNIST(dir.path.string()); });
    EXPECT_NE(msg.find(dir.file("train-images-idx3-ubyte.gz") + " not found"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("apt-get install dataset-fashion-mnist"), std::string::npos) << msg;
    EXPECT_FALSE(datasets::FashionMNIST::available(dir.path.string()));
}

TEST(FashionMNIST, LoadsBothSplits) {
    using datasets::FashionMNIST;
    using datasets::Split;
    if (!FashionMNIST::available() ||
        !FashionMNIST::available(datasets::kFashionMnistRoot, Split::Test))
        GTEST_SKIP() << "Fashion-MNIST is not installed (apt-get install dataset-fashion-mnist)";
    FashionMNIST train;
    FashionMNIST test(datasets::kFashionMnistRoot, Split::Test);
    EXPECT_EQ(train.images().shape(), (Shape{60000, 1, 28, 28}));
    EXPECT_EQ(test.images().shape(), (Shape{10000, 1, 28, 28}));
    EXPECT_EQ(train.labels().shape(), (Shape{60000}));
    EXPECT_EQ(test.size(), 10000);
    for (const FashionMNIST* d : {&train, &test}) {
        EXPECT_EQ(d->labels().dtype(), kInt64);
        EXPECT_EQ(min(d->labels().to(kFloat32)).item(), 0);
        EXPECT_EQ(max(d->labels().to(kFloat32)).item(), 9);
        EXPECT_EQ(min(d->images()).item(), 0);
        EXPECT_EQ(max(d->images()).item(), 1);
    }
    // Balanced classes: 6000 of each in training.
    Tensor counts = sum(one_hot(train.labels(), 10), {0});
    EXPECT_TRUE(allclose(counts, full({10}, 6000.0), 0, 0));
    EXPECT_EQ(FashionMNIST::classes().at(9), "Ankle boot");
}

}  // namespace
}  // namespace soma::data

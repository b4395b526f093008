#include <gtest/gtest.h>
#include <unistd.h>

#include <stdexcept>

#include "io/io_test_util.h"
#include "soma/io/atomic_file.h"

namespace soma::io {
namespace {

using test::read_bytes;
using test::TempDir;

TEST(AtomicFile, WritesNewFileAndLeavesNoTemporary) {
    TempDir dir;
    std::string path = dir.file("out.bin");
    write_file_atomic(path, std::string_view("hello\0world", 11));
    EXPECT_EQ(read_bytes(path), std::string("hello\0world", 11));
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, RemovesTemporariesThatAKilledWriterLeft) {
    TempDir dir;
    // A dead process's leftovers go, whichever file they were for; a live process's (this one's
    // parent: still writing, as far as we know) and a stranger's stay.
    const pid_t dead = 2147483646;  // above any pid_max Linux allows (4194304)
    test::write_bytes(dir.file("out.bin.tmp-" + std::to_string(dead) + "-0"), "half a file");
    const std::string live = "out.bin.tmp-" + std::to_string(::getppid()) + "-3";
    test::write_bytes(dir.file(live), "being written");
    test::write_bytes(dir.file("other.bin.tmp-" + std::to_string(dead) + "-0"), "x");
    test::write_bytes(dir.file("out.bin.tmp-notapid"), "x");
    write_file_atomic(dir.file("out.bin"), "new");
    EXPECT_EQ(dir.entries(), (std::vector<std::string>{"out.bin", live, "out.bin.tmp-notapid"}));
}

TEST(AtomicFile, ReplacesExistingFileInPieces) {
    TempDir dir;
    std::string path = dir.file("out.txt");
    test::write_bytes(path, "old contents that are longer than the new ones");
    write_file_atomic(path, [](FileSink& sink) {
        sink.write("new ");
        sink.write("contents");
        EXPECT_EQ(sink.bytes_written(), 12u);
    });
    EXPECT_EQ(read_bytes(path), "new contents");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"out.txt"});
}

TEST(AtomicFile, WriterFailingMidwayKeepsOldFile) {
    TempDir dir;
    std::string path = dir.file("model.safetensors");
    test::write_bytes(path, "the old, complete file");
    struct DiskFull : std::runtime_error {
        using std::runtime_error::runtime_error;
    };
    EXPECT_THROW(write_file_atomic(path,
                                   [](FileSink& sink) {
                                       sink.write(std::string(100000, 'x'));  // half written...
                                       throw DiskFull("simulated failure");
                                   }),
                 DiskFull);  // the writer's own exception comes through unchanged
    EXPECT_EQ(read_bytes(path), "the old, complete file");
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"model.safetensors"});
}

TEST(AtomicFile, MissingDirectoryNamesPathAndReason) {
    TempDir dir;
    std::string path = dir.file("no/such/dir/out.bin");
    try {
        write_file_atomic(path, "data");
        FAIL() << "no error";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << msg;
        EXPECT_NE(msg.find("No such file or directory"), std::string::npos) << msg;
    }
}

TEST(AtomicFile, RenameOntoDirectoryFailsAndCleansUp) {
    TempDir dir;
    std::filesystem::create_directory(dir.path / "target");
    std::filesystem::create_directory(dir.path / "target" / "child");  // rename() refuses
    try {
        write_file_atomic(dir.file("target"), "data");
        FAIL() << "no error";
    } catch (const Error& e) {
        std::string msg = e.what();
        EXPECT_NE(msg.find("cannot rename"), std::string::npos) << msg;
        EXPECT_NE(msg.find(dir.file("target")), std::string::npos) << msg;
    }
    EXPECT_EQ(dir.entries(), std::vector<std::string>{"target"});
}

}  // namespace
}  // namespace soma::io

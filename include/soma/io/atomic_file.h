#pragma once
// Atomic file replacement: a file written through these functions is, at every moment, either
// its old complete contents or its new complete contents, even if the program crashes or the
// machine loses power midway.
//
// The data goes to a temporary file in the same directory (so the rename stays within one file
// system), which is fsync'ed, renamed over the target, and then the directory is fsync'ed so the
// rename itself is durable. On any error the temporary is removed and soma::Error names the path
// and the system's reason (errno text); an exception thrown by the writer callback is rethrown
// unchanged after the clean-up. The target's previous contents are untouched in both cases.
// Temporaries that a killed writer (SIGKILL, power loss) left in the target's folder are removed
// by the next write into that folder.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace soma::io {

// The open temporary file handed to the writer callback.
class FileSink {
public:
    // Appends bytes; throws soma::Error (naming the temporary file) if the write fails.
    void write(const void* data, std::size_t size);
    void write(std::string_view bytes) { write(bytes.data(), bytes.size()); }
    std::size_t bytes_written() const { return written_; }

private:
    friend void write_file_atomic(const std::string&, const std::function<void(FileSink&)>&);
    FileSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
    std::size_t written_ = 0;
};

// Replaces `path` with whatever `fill` writes. The new file gets the usual permissions of a newly
// created file (0666 minus the umask).
void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& fill);
void write_file_atomic(const std::string& path, std::string_view bytes);

}  // namespace soma::io

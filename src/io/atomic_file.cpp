#include "soma/io/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <system_error>

#include "soma/error.h"

namespace soma::io {

namespace {

std::string errno_text(int err) { return std::system_category().message(err); }

// Closes the descriptor and removes the temporary unless released (i.e. unless the rename
// happened), so every early exit, exceptions from the writer included, cleans up.
class TempFile {
public:
    TempFile(int fd, std::string path) : fd(fd), path(std::move(path)) {}
    ~TempFile() {
        if (fd >= 0) ::close(fd);
        if (!renamed) ::unlink(path.c_str());
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;

    int fd;
    std::string path;
    bool renamed = false;
};

// A name no other writer (thread or process) uses at the same time: O_EXCL settles races.
int create_temp(const std::string& path, std::string& temp_path) {
    static std::atomic<unsigned> counter{0};
    for (int attempt = 0;; ++attempt) {
        temp_path = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
        int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        int err = errno;
        if (err != EEXIST || attempt == 100)
            fail("write_file_atomic: cannot create temporary file '", temp_path, "' for '", path,
                 "': ", errno_text(err));
    }
}

// Removes the temporaries that killed writers left in the folder of `path`
// ("<name>.tmp-<pid>-<n>" whose process no longer exists): a run killed mid-write leaves
// nothing behind once it writes again, whichever of its files was being written. Best effort:
// a folder that cannot be listed is the caller's error to meet when it creates its own file.
void remove_stale_temps(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path parent = fs::path(path).parent_path();
    const fs::path dir = parent.empty() ? fs::path(".") : parent;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const std::size_t at = name.rfind(".tmp-");
        if (at == std::string::npos || at == 0) continue;
        const std::string rest = name.substr(at + 5);  // "<pid>-<n>"
        const std::size_t dash = rest.find('-');
        const bool digits = dash > 0 && dash != std::string::npos && dash + 1 < rest.size() &&
                            rest.find_first_not_of("0123456789") == dash &&
                            rest.find_first_not_of("0123456789", dash + 1) == std::string::npos &&
                            dash <= 10;
        if (!digits) continue;  // not one of ours
        const long pid = std::stol(rest.substr(0, dash));
        if (pid > 0 && pid != ::getpid() && ::kill(static_cast<pid_t>(pid), 0) != 0 &&
            errno == ESRCH)
            ::unlink(it->path().c_str());
    }
}

void fsync_directory(const std::string& path) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        fail("write_file_atomic: cannot open directory '", dir.string(), "' of '", path,
             "': ", errno_text(errno));
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    // Some file systems cannot sync directories; that is no reason to report a failed write.
    if (rc != 0 && err != EINVAL && err != ENOTSUP)
        fail("write_file_atomic: cannot sync directory '", dir.string(), "' of '", path,
             "': ", errno_text(err));
}

}  // namespace

void FileSink::write(const void* data, std::size_t size) {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t n = ::write(fd_, p, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write_file_atomic: cannot write '", path_, "': ", errno_text(errno));
        }
        p += n;
        size -= static_cast<std::size_t>(n);
        written_ += static_cast<std::size_t>(n);
    }
}

void write_file_atomic(const std::string& path, const std::function<void(FileSink&)>& fill) {
    remove_stale_temps(path);
    std::string temp_path;
    int fd = create_temp(path, temp_path);
    TempFile temp(fd, temp_path);

    FileSink sink(fd, temp_path);
    fill(sink);

    // fsync before rename: otherwise a crash can leave the new name pointing at empty data.
    if (::fsync(fd) != 0)
        fail("write_file_atomic: cannot sync '", temp_path, "': ", errno_text(errno));
    int rc = ::close(temp.fd);
    temp.fd = -1;
    if (rc != 0) fail("write_file_atomic: cannot close '", temp_path, "': ", errno_text(errno));
    if (::rename(temp_path.c_str(), path.c_str()) != 0)
        fail("write_file_atomic: cannot rename '", temp_path, "' to '", path,
             "': ", errno_text(errno));
    temp.renamed = true;
    fsync_directory(path);
}

void write_file_atomic(const std::string& path, std::string_view bytes) {
    write_file_atomic(path, [&](FileSink& sink) { sink.write(bytes); });
}

}  // namespace soma::io

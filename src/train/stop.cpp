// The stop flag of fit() and the signal handlers that set it.

#include <atomic>
#include <csignal>

#include "soma/train/engine.h"

namespace soma::train {

namespace {

// lock-free so that the signal handlers may set them
std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};
using Handler = void (*)(int);
Handler g_previous_int = SIG_DFL, g_previous_term = SIG_DFL;

extern "C" void on_stop_signal(int sig) {
    if (g_stop.load()) {
        // A second signal: the user really wants out.
        std::signal(sig, SIG_DFL);
        std::raise(sig);
        return;
    }
    g_signal.store(sig);
    g_stop.store(true);
}

Handler install(int sig) {
    Handler previous = std::signal(sig, on_stop_signal);
    return previous == SIG_ERR ? SIG_DFL : previous;
}

}  // namespace

void request_stop() { g_stop.store(true); }
bool stop_requested() { return g_stop.load(); }
void clear_stop() {
    g_stop.store(false);
    g_signal.store(0);
}
int stop_signal() { return g_signal.load(); }

void install_stop_handlers() {
    static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
    g_previous_int = install(SIGINT);
    g_previous_term = install(SIGTERM);
}

void restore_stop_handlers() {
    std::signal(SIGINT, g_previous_int);
    std::signal(SIGTERM, g_previous_term);
}

}  // namespace soma::train

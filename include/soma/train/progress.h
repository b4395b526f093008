#pragma once
// A progress bar for one epoch. On a terminal it redraws one line in place (at most ten times
// a second):
//   epoch 3/10 [#########.........]  2816/55000  1843 samples/s  loss 0.4121  ETA 28s
// Elsewhere (a log file, a pipe) it writes a plain line at every tenth of the epoch instead,
// so logs stay readable.

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace soma::train {

// Whether stdout is a terminal (isatty).
bool stdout_is_terminal();

class ProgressBar {
public:
    // total: samples in the epoch; done: those already behind it (a resumed epoch).
    ProgressBar(std::ostream& os, bool terminal, std::string label, std::int64_t total,
                std::int64_t done = 0);

    void update(std::int64_t done, double running_loss);
    // Ends the line (terminal) or writes nothing more (plain).
    void finish();

    // The line as drawn for `done` samples after `seconds`, without the bar on plain output.
    std::string line(std::int64_t done, double running_loss, double seconds) const;

private:
    std::ostream& os_;
    bool terminal_;
    std::string label_;
    std::int64_t total_, start_done_;
    std::chrono::steady_clock::time_point start_, last_draw_;
    int next_tenth_ = 1;
    bool drawn_ = false;
};

}  // namespace soma::train

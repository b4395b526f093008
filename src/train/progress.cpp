// The progress bar: a carriage-return line on terminals, tenths as lines elsewhere.

#include "soma/train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace soma::train {

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

ProgressBar::ProgressBar(std::ostream& os, bool terminal, std::string label, std::int64_t total,
                         std::int64_t done)
    : os_(os),
      terminal_(terminal),
      label_(std::move(label)),
      total_(std::max<std::int64_t>(total, 1)),
      start_done_(done),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {
    while (next_tenth_ <= 10 && done * 10 >= next_tenth_ * total_) ++next_tenth_;
}

std::string ProgressBar::line(std::int64_t done, double running_loss, double seconds) const {
    // Rates count only this session's samples, so a resumed epoch does not look faster.
    const double rate = seconds > 0 ? (done - start_done_) / seconds : 0;
    const double eta = rate > 0 ? (total_ - done) / rate : 0;
    std::string bar;
    if (terminal_) {
        const int width = 24, filled = int(width * std::min<double>(1, double(done) / total_));
        bar = " [" + std::string(filled, '#') + std::string(width - filled, '.') + "]";
    }
    char buf[256];
    std::snprintf(buf, sizeof buf, "%s%s %6lld/%lld  %6.0f samples/s  loss %.4f  ETA %.0fs",
                  label_.c_str(), bar.c_str(), static_cast<long long>(done),
                  static_cast<long long>(total_), rate, running_loss, eta);
    return buf;
}

void ProgressBar::update(std::int64_t done, double running_loss) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start_).count();
    if (terminal_) {
        if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100) && drawn_) return;
        last_draw_ = now;
        drawn_ = true;
        os_ << '\r' << line(done, running_loss, seconds) << "\033[K" << std::flush;
        return;
    }
    bool crossed = false;
    while (next_tenth_ <= 10 && done * 10 >= next_tenth_ * total_) ++next_tenth_, crossed = true;
    if (crossed) os_ << line(done, running_loss, seconds) << '\n' << std::flush;
}

void ProgressBar::finish() {
    if (terminal_ && drawn_) os_ << '\n' << std::flush;
    drawn_ = false;
}

}  // namespace soma::train

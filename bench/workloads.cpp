// The workloads of ../shared/bench/WORKLOADS.md on soma, one JSON line per run:
//
//   bench_workloads --workload fmnist-mlp --threads 1 [--quick] [--peak-gflops 117]
//   bench_workloads --list        every workload, and why the missing ones are missing
//   bench_workloads               all implemented workloads on 1 thread and all cores
//
// One workload and thread count per process, so the peak RSS (VmHWM) is that workload's own; with
// no arguments the program runs itself once per combination. Timing: 10 warm-up steps, then at
// least 50 steps and 2 seconds; the median step. --quick (or SOMA_BENCH_QUICK): 3 and 10 steps.
// pct_peak divides by the FMA peak measured on the same number of threads (bench/fma_peak.h);
// the driver bench/run.py passes it in, otherwise it is measured here first.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

#include "fma_peak.h"
#include "workloads_models.h"
#include "workloads_seq.h"

namespace {

using namespace soma_bench;
using Clock = std::chrono::steady_clock;

struct Entry {
    const char* name;
    Setup (*make)();    // null: not implemented yet
    const char* needs;  // what a missing workload waits for
};

// In WORKLOADS.md's order. To add one: write its factory in workloads_models.h or
// workloads_seq.h (and its twin in bench/pytorch/workloads.py) and list it here; a workload
// waiting for a module is listed with a null factory and what it needs, e.g.
//   {"name", nullptr, "the module it waits for (include/soma/nn/...)"},
const Entry kWorkloads[] = {
    {"xor-mlp", xor_mlp, ""},
    {"xor-infer", xor_infer, ""},
    {"cos2sin-rnn", cos2sin_rnn, ""},
    {"cos2sin-gru", cos2sin_gru, ""},
    {"fmnist-mlp", fmnist_mlp, ""},
    {"fmnist-cnn", fmnist_cnn, ""},
    {"fmnist-lstm", fmnist_lstm, ""},
    {"attention", attention, ""},
    {"transformer", transformer, ""},
    {"vae", vae, ""},
    {"gan", gan, ""},
    {"seq2seq", seq2seq, ""},
    {"g2p", g2p, ""},
    {"gemm", gemm, ""},
};

const Entry* find(const std::string& name) {
    for (const Entry& e : kWorkloads)
        if (name == e.name) return &e;
    return nullptr;
}

int all_cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// VmHWM, the high-water mark of this process image alone: ru_maxrss would also count the
// parent's memory from before exec (Linux carries it over), e.g. the Python driver's.
double peak_rss_mb() {
    if (FILE* f = std::fopen("/proc/self/status", "r")) {
        char line[256];
        long kb = -1;
        while (std::fgets(line, sizeof line, f))
            if (std::sscanf(line, "VmHWM: %ld kB", &kb) == 1) break;
        std::fclose(f);
        if (kb >= 0) return kb / 1024.0;
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;  // kB on Linux
}

double load1() {
    double l[1] = {0};
    return getloadavg(l, 1) == 1 ? l[0] : -1;
}

struct Timing {
    double median_us;
    int steps;
    double mean_us;  // the mean shows the rare very slow steps that the median hides
    double cpu_us;   // mean process CPU time per timed step
};

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

// Step times are kept at a stride that doubles whenever kMaxSamples are held (every other one
// is dropped): a uniform sample of the whole run in fixed memory, so that a microsecond step
// run for 2 s does not grow the very RSS being measured by megabytes.
constexpr std::size_t kMaxSamples = 8192;

Timing time_steps(const std::function<void()>& step, bool quick) {
    const int warmup = quick ? 3 : 10, min_steps = quick ? 10 : 50;
    const double min_seconds = quick ? 0 : 2;
    for (int i = 0; i < warmup; ++i) step();
    std::vector<double> us;
    us.reserve(kMaxSamples);
    long steps = 0, stride = 1;
    const double cpu0 = cpu_seconds();
    const auto start = Clock::now();
    while (steps < min_steps ||
           std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
        const auto t0 = Clock::now();
        step();
        const double t = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
        if (steps++ % stride) continue;
        us.push_back(t);
        if (us.size() == kMaxSamples) {
            for (std::size_t i = 0; i < kMaxSamples / 2; ++i) us[i] = us[2 * i];
            us.resize(kMaxSamples / 2);
            stride *= 2;
        }
    }
    const double cpu_us = (cpu_seconds() - cpu0) * 1e6 / steps;
    const double mean_us =
        std::chrono::duration<double, std::micro>(Clock::now() - start).count() / steps;
    std::sort(us.begin(), us.end());
    const std::size_t n = us.size();
    return {n % 2 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2, static_cast<int>(steps), mean_us,
            cpu_us};
}

int run_one(const Entry& e, int threads, bool quick, double peak) {
    if (!e.make) {
        std::printf(
            "{\"workload\":\"%s\",\"framework\":\"soma\",\"threads\":%d,"
            "\"skipped\":\"not implemented yet: needs %s\"}\n",
            e.name, threads, e.needs);
        return 0;
    }
    if (peak <= 0) peak = fma_peak(threads, 0.1, 2).gflops;
    set_num_threads(threads);
    manual_seed(0);
    Setup s = e.make();
    Timing t = time_steps(s.step, quick);
    const double gflops = s.flops_per_step / t.median_us / 1e3;
    std::printf(
        "{\"workload\":\"%s\",\"framework\":\"soma\",\"threads\":%d,\"median_us\":%.2f,"
        "\"steps\":%d,\"mean_us\":%.2f,\"cpu_us\":%.2f,\"peak_rss_mb\":%.1f,\"flops_per_step\":%."
        "0f,\"gflops\":%.3f,"
        "\"pct_peak\":%.2f,\"peak_gflops\":%.1f,\"load1\":%.2f}\n",
        e.name, threads, t.median_us, t.steps, t.mean_us, t.cpu_us, peak_rss_mb(), s.flops_per_step,
        gflops, 100 * gflops / peak, peak, load1());
    return 0;
}

// Runs this program once per implemented workload and thread count (its own process each).
int run_all(const char* self, bool quick) {
    int failures = 0;
    for (const Entry& e : kWorkloads) {
        if (!e.make) continue;
        for (int threads : {1, all_cores()}) {
            std::string cmd = std::string("'") + self + "' --workload " + e.name + " --threads " +
                              std::to_string(threads) + (quick ? " --quick" : "");
            std::fflush(stdout);
            failures += std::system(cmd.c_str()) != 0;
            if (all_cores() == 1) break;
        }
    }
    return failures ? 1 : 0;
}

int usage() {
    std::fprintf(stderr,
                 "usage: bench_workloads [--workload NAME --threads N [--quick] "
                 "[--peak-gflops G]] | --list\n");
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    std::string workload;
    int threads = 1;
    bool quick = std::getenv("SOMA_BENCH_QUICK") != nullptr, list = false;
    double peak = 0;
    for (int i = 1; i < argc; ++i) {
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* a = argv[i];
        const char* v = nullptr;
        if (!std::strcmp(a, "--workload") && (v = value()))
            workload = v;
        else if (!std::strcmp(a, "--threads") && (v = value()))
            threads = std::atoi(v);
        else if (!std::strcmp(a, "--peak-gflops") && (v = value()))
            peak = std::atof(v);
        else if (!std::strcmp(a, "--quick"))
            quick = true;
        else if (!std::strcmp(a, "--list"))
            list = true;
        else
            return usage();
    }
    if (list) {
        for (const Entry& e : kWorkloads)
            std::printf("%s\t%s\n", e.name, e.make ? "implemented" : e.needs);
        return 0;
    }
    if (workload.empty()) {
        // The path itself, not /proc/self/exe, which the shell of system() would resolve to sh.
        char self[4096] = {0};
        if (readlink("/proc/self/exe", self, sizeof self - 1) <= 0) return usage();
        return run_all(self, quick);
    }
    const Entry* e = find(workload);
    if (!e || threads < 1) return usage();
    try {
        return run_one(*e, threads, quick, peak);
    } catch (const std::exception& ex) {
        std::fprintf(stderr, "bench_workloads: %s: %s\n", workload.c_str(), ex.what());
        return 1;
    }
}

// train_epoch, evaluate and the stop flag.

#include "soma/train/loop.h"

#include <atomic>
#include <csignal>

#include "soma/autograd.h"
#include "soma/error.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"

namespace soma::train {

namespace {

// lock-free so that the signal handler may set it
std::atomic<bool> g_stop{false};
using Handler = void (*)(int);
Handler g_previous = SIG_DFL;

extern "C" void on_sigint(int) {
    if (g_stop.load()) {
        // Second Ctrl-C: the user really wants out.
        std::signal(SIGINT, SIG_DFL);
        std::raise(SIGINT);
        return;
    }
    g_stop.store(true);
}

// Correct predictions of (N, C) logits against (N) targets.
std::int64_t count_correct(const Tensor& logits, const Tensor& target) {
    const Tensor pred = argmax(logits.detach(), 1).contiguous();
    const Tensor t = target.contiguous();
    const std::int64_t* p = pred.data<std::int64_t>();
    const std::int64_t* y = t.data<std::int64_t>();
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < pred.numel(); ++i) n += p[i] == y[i];
    return n;
}

}  // namespace

void request_stop() { g_stop.store(true); }
bool stop_requested() { return g_stop.load(); }
void clear_stop() { g_stop.store(false); }

void install_sigint_handler() {
    static_assert(std::atomic<bool>::is_always_lock_free);
    g_previous = std::signal(SIGINT, on_sigint);
    if (g_previous == SIG_ERR) g_previous = SIG_DFL;
}

void restore_sigint_handler() { std::signal(SIGINT, g_previous); }

bool train_epoch(nn::Module& model, optim::Optimizer& opt, const data::DataLoader& loader,
                 std::int64_t epoch, EpochState& st, const BatchCallback& on_batch,
                 double label_smoothing) {
    model.train();
    if (st.batch >= loader.size()) return true;
    for (const data::Example& b : loader.epoch(epoch, st.batch)) {
        if (stop_requested()) return false;
        opt.zero_grad();
        const Tensor logits = model(b.input);
        const Tensor loss =
            nn::cross_entropy(logits, b.target, nn::Reduction::Mean, label_smoothing);
        loss.backward();
        opt.step();
        const std::int64_t n = b.target.numel();
        st.loss_sum += loss.item<double>() * n;
        st.correct += count_correct(logits, b.target);
        st.samples += n;
        ++st.batch;
        if (on_batch) on_batch(st);
    }
    return true;
}

EvalResult evaluate(nn::Module& model, const data::DataLoader& loader, std::int64_t classes) {
    const bool was_training = model.is_training();
    model.eval();
    autograd::NoGrad no_grad;
    EvalResult r;
    r.confusion = zeros({classes, classes}, kInt64);
    std::int64_t* cm = r.confusion.data<std::int64_t>();
    double loss_sum = 0;
    std::int64_t correct = 0;
    for (const data::Example& b : loader.epoch(0)) {
        const Tensor logits = model(b.input);
        const std::int64_t n = b.target.numel();
        loss_sum += nn::cross_entropy(logits, b.target).item<double>() * n;
        const Tensor pred = argmax(logits, 1).contiguous();
        const Tensor t = b.target.contiguous();
        const std::int64_t* p = pred.data<std::int64_t>();
        const std::int64_t* y = t.data<std::int64_t>();
        for (std::int64_t i = 0; i < n; ++i) {
            check(y[i] >= 0 && y[i] < classes && p[i] < classes, "evaluate: label ", y[i],
                  " or prediction ", p[i], " outside [0, ", classes, ")");
            ++cm[y[i] * classes + p[i]];
            correct += p[i] == y[i];
        }
        r.samples += n;
    }
    if (r.samples) {
        r.loss = loss_sum / r.samples;
        r.accuracy = double(correct) / r.samples;
    }
    model.train(was_training);
    return r;
}

}  // namespace soma::train

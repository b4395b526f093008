#pragma once
// Learning-rate schedulers, stepped once per epoch after the optimizer's steps, like
// torch.optim.lr_scheduler:
//
//   optim::SGD opt(params, {.lr = 0.1});
//   optim::StepLR sched(opt, {.step_size = 30, .gamma = 0.1});
//   for (int epoch = 0; epoch < 100; ++epoch) { train(opt); sched.step(); }
//
// A scheduler writes the optimizer's lr. It starts at epoch 0 with the optimizer's lr at
// construction (the base lr) and, like PyTorch's, updates the current lr multiplicatively
// (chainable), so set_lr between steps carries over.

#include <cstdint>
#include <memory>

#include "soma/optim/optimizer.h"

namespace soma::optim {

class LRScheduler {
public:
    explicit LRScheduler(Optimizer& optimizer);
    virtual ~LRScheduler() = default;
    LRScheduler(const LRScheduler&) = delete;
    LRScheduler& operator=(const LRScheduler&) = delete;

    // Ends an epoch: advances last_epoch() and sets the optimizer's lr for the next one.
    virtual void step();
    double get_last_lr() const { return last_lr_; }
    std::int64_t last_epoch() const { return last_epoch_; }
    double base_lr() const { return base_lr_; }

protected:
    // The lr for epoch last_epoch_ (>= 1) given the current one.
    virtual double next_lr(double current) = 0;

    Optimizer& optimizer_;
    double base_lr_;
    std::int64_t last_epoch_ = 0;
    double last_lr_;
};

// lr * gamma every step_size epochs.
struct StepLROptions {
    std::int64_t step_size = 1;
    double gamma = 0.1;
};
class StepLR : public LRScheduler {
public:
    StepLR(Optimizer& optimizer, StepLROptions options);

protected:
    double next_lr(double current) override;

private:
    StepLROptions options_;
};

// lr * gamma every epoch.
class ExponentialLR : public LRScheduler {
public:
    ExponentialLR(Optimizer& optimizer, double gamma);

protected:
    double next_lr(double current) override;

private:
    double gamma_;
};

// Half a cosine from the base lr down to eta_min over t_max epochs, then back up (and so on),
// following PyTorch's recursive form.
struct CosineAnnealingLROptions {
    std::int64_t t_max = 1;
    double eta_min = 0;
};
class CosineAnnealingLR : public LRScheduler {
public:
    CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options);

protected:
    double next_lr(double current) override;

private:
    CosineAnnealingLROptions options_;
};

// Ramps the lr linearly from start_factor * base lr to the base lr over `steps` epochs
// (lr = base (f + (1 - f) e / steps) at epoch e, like PyTorch's LinearLR), then hands over to
// `after` (which then starts at its epoch 0 with the base lr), or keeps the base lr when there is
// none. `after` must drive the same optimizer and not have been stepped.
struct LinearWarmupOptions {
    std::int64_t steps = 1;
    double start_factor = 0;
};
class LinearWarmup : public LRScheduler {
public:
    LinearWarmup(Optimizer& optimizer, LinearWarmupOptions options,
                 std::unique_ptr<LRScheduler> after = nullptr);
    void step() override;

protected:
    double next_lr(double current) override;

private:
    LinearWarmupOptions options_;
    std::unique_ptr<LRScheduler> after_;
};

// Multiplies the lr by `factor` when a metric has stopped improving for more than `patience`
// epochs (torch.optim.lr_scheduler.ReduceLROnPlateau): improving means below best * (1 -
// threshold) in min mode with relative thresholds (best - threshold with absolute ones; max
// mode mirrors both). After a reduction, `cooldown` epochs pass before bad epochs count again.
// The lr never goes below min_lr, and changes smaller than eps are skipped.
struct ReduceLROnPlateauOptions {
    enum class Mode { Min, Max };
    enum class ThresholdMode { Rel, Abs };
    Mode mode = Mode::Min;
    double factor = 0.1;
    std::int64_t patience = 10;
    double threshold = 1e-4;
    ThresholdMode threshold_mode = ThresholdMode::Rel;
    std::int64_t cooldown = 0;
    double min_lr = 0;
    double eps = 1e-8;
};
class ReduceLROnPlateau {
public:
    explicit ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options = {});

    // Ends an epoch whose validation metric was `metric`.
    void step(double metric);
    double get_last_lr() const { return optimizer_.lr(); }
    std::int64_t last_epoch() const { return last_epoch_; }
    double best() const { return best_; }

private:
    bool is_better(double metric) const;

    Optimizer& optimizer_;
    ReduceLROnPlateauOptions options_;
    double best_;
    std::int64_t last_epoch_ = 0, bad_epochs_ = 0, cooldown_counter_ = 0;
};

}  // namespace soma::optim

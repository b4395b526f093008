#include "soma/optim/scheduler.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace soma::optim {

LRScheduler::LRScheduler(Optimizer& optimizer)
    : optimizer_(optimizer), base_lr_(optimizer.lr()), last_lr_(optimizer.lr()) {}

void LRScheduler::step() {
    ++last_epoch_;
    optimizer_.set_lr(next_lr(optimizer_.lr()));
    last_lr_ = optimizer_.lr();
}

StepLR::StepLR(Optimizer& optimizer, StepLROptions options)
    : LRScheduler(optimizer), options_(options) {
    check(options.step_size > 0, "StepLR: step_size must be positive, got ", options.step_size);
    check(options.gamma >= 0, "StepLR: gamma must be >= 0, got ", options.gamma);
}

double StepLR::next_lr(double current) {
    return last_epoch_ % options_.step_size == 0 ? current * options_.gamma : current;
}

ExponentialLR::ExponentialLR(Optimizer& optimizer, double gamma)
    : LRScheduler(optimizer), gamma_(gamma) {
    check(gamma >= 0, "ExponentialLR: gamma must be >= 0, got ", gamma);
}

double ExponentialLR::next_lr(double current) { return current * gamma_; }

CosineAnnealingLR::CosineAnnealingLR(Optimizer& optimizer, CosineAnnealingLROptions options)
    : LRScheduler(optimizer), options_(options) {
    check(options.t_max > 0, "CosineAnnealingLR: t_max must be positive, got ", options.t_max);
}

double CosineAnnealingLR::next_lr(double current) {
    const double pi = std::numbers::pi, t_max = static_cast<double>(options_.t_max);
    const double e = static_cast<double>(last_epoch_), lo = options_.eta_min;
    // The step out of each trough, where the ratio below would divide by zero.
    if ((last_epoch_ - 1 - options_.t_max) % (2 * options_.t_max) == 0)
        return current + (base_lr_ - lo) * (1 - std::cos(pi / t_max)) / 2;
    return (1 + std::cos(pi * e / t_max)) / (1 + std::cos(pi * (e - 1) / t_max)) * (current - lo) +
           lo;
}

LinearWarmup::LinearWarmup(Optimizer& optimizer, LinearWarmupOptions options,
                           std::unique_ptr<LRScheduler> after)
    : LRScheduler(optimizer), options_(options), after_(std::move(after)) {
    check(options.steps > 0, "LinearWarmup: steps must be positive, got ", options.steps);
    check(options.start_factor >= 0 && options.start_factor <= 1,
          "LinearWarmup: start_factor must lie in [0, 1], got ", options.start_factor);
    check(!after_ || after_->last_epoch() == 0,
          "LinearWarmup: the scheduler to hand over to has already been stepped");
    optimizer_.set_lr(base_lr_ * options.start_factor);
    last_lr_ = optimizer_.lr();
}

double LinearWarmup::next_lr(double) {
    const double f = options_.start_factor;
    const double done = static_cast<double>(std::min(last_epoch_, options_.steps));
    return base_lr_ * (f + (1 - f) * done / static_cast<double>(options_.steps));
}

void LinearWarmup::step() {
    if (after_ && last_epoch_ >= options_.steps) {
        ++last_epoch_;
        after_->step();
        last_lr_ = optimizer_.lr();
        return;
    }
    LRScheduler::step();
}

ReduceLROnPlateau::ReduceLROnPlateau(Optimizer& optimizer, ReduceLROnPlateauOptions options)
    : optimizer_(optimizer), options_(options) {
    const char* op = "ReduceLROnPlateau";
    check(options.factor >= 0 && options.factor < 1, op, ": factor must lie in [0, 1), got ",
          options.factor);
    check(options.patience >= 0, op, ": patience must be >= 0, got ", options.patience);
    check(options.cooldown >= 0, op, ": cooldown must be >= 0, got ", options.cooldown);
    check(options.min_lr >= 0, op, ": min_lr must be >= 0, got ", options.min_lr);
    const double inf = std::numeric_limits<double>::infinity();
    best_ = options.mode == ReduceLROnPlateauOptions::Mode::Min ? inf : -inf;
}

bool ReduceLROnPlateau::is_better(double metric) const {
    using O = ReduceLROnPlateauOptions;
    const double t = options_.threshold;
    const bool rel = options_.threshold_mode == O::ThresholdMode::Rel;
    if (options_.mode == O::Mode::Min) return metric < (rel ? best_ * (1 - t) : best_ - t);
    return metric > (rel ? best_ * (1 + t) : best_ + t);
}

void ReduceLROnPlateau::step(double metric) {
    ++last_epoch_;
    if (is_better(metric)) {
        best_ = metric;
        bad_epochs_ = 0;
    } else {
        ++bad_epochs_;
    }
    if (cooldown_counter_ > 0) {
        --cooldown_counter_;
        bad_epochs_ = 0;  // bad epochs during the cooldown do not count
    }
    if (bad_epochs_ > options_.patience) {
        const double old_lr = optimizer_.lr();
        const double new_lr = std::max(old_lr * options_.factor, options_.min_lr);
        if (old_lr - new_lr > options_.eps) optimizer_.set_lr(new_lr);
        cooldown_counter_ = options_.cooldown;
        bad_epochs_ = 0;
    }
}

}  // namespace soma::optim

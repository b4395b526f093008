#pragma once
// What the checks of train::check share: the subject, a seeded sample of its training data, and
// small helpers. Each check is a function of the Context that returns its line.

#include <cstdint>
#include <string>
#include <vector>

#include "soma/random.h"
#include "soma/train/check.h"

namespace soma::train::check_detail {

struct Context {
    const CheckSubject& subject;
    const CheckOptions& options;
    data::Example sample;  // up to options.sample training examples, in a seeded random order
    data::Example batch;   // the first options.batch_size of them

    // A fresh set-up (seeded with options.seed), checked for what every check needs.
    CheckSetup make() const;
    // Examples [begin, begin + n) of the sample.
    data::Example slice(std::int64_t begin, std::int64_t n) const;
    bool classification() const { return subject.task == TaskKind::Classification; }
};

// The line of a check, its group and name filled in by the caller.
CheckLine passed(std::string detail);
CheckLine warned(std::string detail, std::string advice);
CheckLine failed(std::string detail, std::string advice);
CheckLine skipped(std::string detail);

// The evaluation forward pass (CheckSetup::predict, or eval() + forward under NoGrad).
Tensor predict(CheckSetup& setup, const Tensor& input);
// The set-up's loss on `batch` in evaluation mode, without gradients.
double eval_loss(CheckSetup& setup, const data::Example& batch);
// Runs the set-up's own training step `steps` times on batches of `batch_size` drawn (in a
// seeded random order, reshuffled every pass) from `examples`, with the model in training mode.
void train_steps(CheckSetup& setup, const data::Example& examples, std::int64_t steps,
                 std::int64_t batch_size, std::uint64_t seed);

// "[FAILED] group/name: detail" and the advice on an indented line below.
std::string format_line(const CheckLine& line);

// Numbers as the report prints them: 3 significant digits, thousands grouped for counts.
std::string num(double v);
std::string count(std::int64_t n);
std::string percent(double fraction);
std::string shape_string(const Shape& shape);  // "[64, 10]"

// The checks, by group (data.cpp, model.cpp, gradients.cpp, training.cpp).
CheckLine check_labels(Context& c);
CheckLine check_finite_data(Context& c);
CheckLine check_input_scale(Context& c);
CheckLine check_overlap(Context& c);
CheckLine check_initial_loss(Context& c);
CheckLine check_output_form(Context& c);
CheckLine check_activations(Context& c);
CheckLine check_deterministic_eval(Context& c);
CheckLine check_finite_differences(Context& c);
CheckLine check_gradient_flow(Context& c);
CheckLine check_gradients_reset(Context& c);
CheckLine check_update_size(Context& c);
CheckLine check_overfit_batch(Context& c);
CheckLine check_beyond_chance(Context& c);

}  // namespace soma::train::check_detail

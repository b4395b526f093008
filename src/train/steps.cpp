// The steps of the plain and the classification recipes, and the classifier's evaluation.

#include <cmath>

#include "soma/autograd.h"
#include "soma/nn/loss.h"
#include "soma/ops.h"
#include "soma/train/classification.h"
#include "soma/train/engine.h"

namespace soma::train {

double backward_and_step(const Tensor& loss, const std::vector<optim::Optimizer*>& optimizers) {
    const double value = loss.item<double>();
    if (!std::isfinite(value)) return value;
    loss.backward();
    for (optim::Optimizer* opt : optimizers) opt->step();
    return value;
}

namespace {

void zero_grads(const std::vector<optim::Optimizer*>& optimizers) {
    for (optim::Optimizer* opt : optimizers) opt->zero_grad();
}

}  // namespace

std::int64_t count_correct(const Tensor& logits, const Tensor& target) {
    const Tensor pred = argmax(logits.detach(), 1).contiguous();
    const Tensor t = target.contiguous();
    check(pred.numel() == t.numel(), "count_correct: ", pred.numel(), " predictions but ",
          t.numel(), " targets");
    const std::int64_t* p = pred.data<std::int64_t>();
    const std::int64_t* y = t.data<std::int64_t>();
    std::int64_t n = 0;
    for (std::int64_t i = 0; i < pred.numel(); ++i) n += p[i] == y[i];
    return n;
}

TrainStep loss_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers, LossFn loss_fn) {
    check(bool(loss_fn), "loss_step: no loss function");
    return [&model, optimizers = std::move(optimizers),
            loss_fn = std::move(loss_fn)](const data::Example& b) {
        zero_grads(optimizers);
        const Tensor loss = loss_fn(model(b.input), b);
        const double value = backward_and_step(loss, optimizers);
        return StepResult{.samples = b.input.size(0), .metrics = {{"loss", value}}};
    };
}

EvalStep eval_loss(nn::Module& model, LossFn loss_fn) {
    check(bool(loss_fn), "eval_loss: no loss function");
    return [&model, loss_fn = std::move(loss_fn)](const data::Example& b) {
        const double value = loss_fn(model(b.input), b).item<double>();
        return StepResult{.samples = b.input.size(0), .metrics = {{"loss", value}}};
    };
}

TrainStep classification_step(nn::Module& model, std::vector<optim::Optimizer*> optimizers,
                              double label_smoothing) {
    check(label_smoothing >= 0 && label_smoothing <= 1,
          "classification_step: label_smoothing must be in [0, 1], got ", label_smoothing);
    return [&model, optimizers = std::move(optimizers), label_smoothing](const data::Example& b) {
        zero_grads(optimizers);
        const Tensor logits = model(b.input);
        const Tensor loss =
            nn::cross_entropy(logits, b.target, nn::Reduction::Mean, label_smoothing);
        const double value = backward_and_step(loss, optimizers);
        const std::int64_t n = b.target.numel();
        return StepResult{.samples = n,
                          .metrics = {{"loss", value},
                                      {"accuracy", double(count_correct(logits, b.target)) / n}}};
    };
}

EvalStep classification_eval(nn::Module& model) {
    return [&model](const data::Example& b) {
        const Tensor logits = model(b.input);
        const std::int64_t n = b.target.numel();
        return StepResult{.samples = n,
                          .metrics = {{"loss", nn::cross_entropy(logits, b.target).item<double>()},
                                      {"accuracy", double(count_correct(logits, b.target)) / n}}};
    };
}

EvalResult evaluate_classifier(nn::Module& model, const data::DataLoader& loader,
                               std::int64_t classes) {
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
            check(y[i] >= 0 && y[i] < classes && p[i] < classes, "evaluate_classifier: label ",
                  y[i], " or prediction ", p[i], " outside [0, ", classes, ")");
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

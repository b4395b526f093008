#pragma once
// Classifiers evaluated as people report them: loss, accuracy and the confusion matrix.
//
//   train::EvalResult r = train::evaluate_classifier(model, test_loader, 10);
//   r.accuracy;  r.confusion;   // (10, 10) int64: row = true class, column = predicted

#include <cstdint>

#include "soma/data/dataloader.h"
#include "soma/nn/module.h"
#include "soma/tensor.h"

namespace soma::train {

struct EvalResult {
    double loss = 0, accuracy = 0;
    std::int64_t samples = 0;
    Tensor confusion;  // (classes, classes) int64: row = true class, column = predicted
};

// Loss (softmax cross-entropy), accuracy and confusion matrix of `model` (put in eval mode, no
// gradients) over every batch of epoch 0 of `loader`; (N, classes) logits, (N) int64 targets.
EvalResult evaluate_classifier(nn::Module& model, const data::DataLoader& loader,
                               std::int64_t classes);

// Correct predictions of (N, C) logits against (N) class indices.
std::int64_t count_correct(const Tensor& logits, const Tensor& target);

}  // namespace soma::train

#pragma once
// The soundness checks of the Fashion-MNIST recipe (`soma check fmnist`): the model, optimiser,
// learning rate and batch size that `soma train fmnist` with the same options would use, on the
// normalised training split, with the test split for the overlap check.
//
//   train::CheckReport r = train::check(train::fmnist_check_subject({.model = "cnn"}));

#include "soma/train/check.h"
#include "soma/train/fmnist.h"

namespace soma::train {

// The recipe's plain classification step (label smoothing included); the adversarial step of
// --adversarial is not what the checks look at. Throws soma::Error for bad options.
CheckSubject fmnist_check_subject(const FmnistOptions& options);

}  // namespace soma::train

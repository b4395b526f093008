#pragma once
// The soundness checks of the CSV recipe (`soma check csv FILE --target y`): the encoding,
// model, optimiser and step that `soma train csv` with the same settings would use, on its
// training rows, with its validation rows for the overlap check.
//
//   train::CheckReport r = train::check(models::tabular_check_subject(
//       {.file = "houses.csv", .target = "price"}));

#include "soma/models/tabular_train.h"
#include "soma/train/check.h"

namespace soma::models {

// Reads and encodes the table (errors name the file, line and column).
train::CheckSubject tabular_check_subject(const TabularSettings& settings);

}  // namespace soma::models

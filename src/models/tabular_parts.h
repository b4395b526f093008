#pragma once
// Parts of the CSV recipe that its soundness check (tabular_check.cpp) shares.

#include <cstdint>
#include <vector>

#include "soma/data/table.h"
#include "soma/models/tabular_train.h"

namespace soma::models::tabular_detail {

// Throws soma::Error naming the first setting out of range.
void check_settings(const TabularSettings& s);

struct Split {
    std::vector<std::int64_t> train, val;
};
// A permutation drawn from `seed`; its first round(n * fraction) rows validate.
Split split_rows(std::int64_t n, double fraction, std::uint64_t seed);

data::TextTable select_rows(const data::TextTable& t, const std::vector<std::int64_t>& rows);

}  // namespace soma::models::tabular_detail

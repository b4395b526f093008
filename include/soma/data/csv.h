#pragma once
// Reading numeric tables from CSV files (plain or gzip-compressed, detected from the content).
//
//   data::CsvTable t = data::read_csv("iris.csv", {.skip_rows = 1});  // sklearn's "150,4,..."
//   data::Labeled iris = data::split_label(t, -1);  // features (150, 4), labels int64 (150)
//
// Every value must be a number (int or float syntax, also nan/inf); quoted fields are
// unquoted first. Malformed input raises soma::Error naming the file and line, e.g.
// "iris.csv:17: column 3: 'abc' is not a number" or "wine.csv:5: 13 fields, expected 14".

#include <cstdint>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

struct CsvOptions {
    char delimiter = ',';    // ' ' splits on any run of spaces and tabs
    int skip_rows = 0;       // lines dropped before the header/data (metadata lines)
    bool header = false;     // the first line after them holds the column names
    bool skip_blank = true;  // blank lines (e.g. a trailing newline) are ignored
};

struct CsvTable {
    std::vector<std::string> columns;  // the header's names; empty without a header
    std::vector<std::string> skipped;  // the skipped lines, verbatim (sklearn keeps sizes there)
    std::int64_t rows = 0, cols = 0;
    std::vector<double> values;  // row-major, rows * cols

    // The values as a (rows, cols) tensor.
    Tensor tensor(DType dtype = kFloat32) const;
};

// Throws soma::Error if the file cannot be opened or decompressed, a row has a different
// number of fields than the first, a field is not a number, or there are no data rows.
CsvTable read_csv(const std::string& path, const CsvOptions& options = {});
// The same from text already in memory; `name` stands for the file in error messages.
CsvTable parse_csv(const std::string& text, const CsvOptions& options = {},
                   const std::string& name = "<csv>");

struct Labeled {
    Tensor features;  // (N, cols - 1) float32
    Tensor labels;    // (N) int64 class indices, or float32 targets (see split_label)
};

// Splits column `label_column` (negative counts from the end) off as labels. As int64 class
// indices (the default) every label must be a whole number >= 0; otherwise float32 targets.
Labeled split_label(const CsvTable& table, std::int64_t label_column, bool class_indices = true);

}  // namespace soma::data

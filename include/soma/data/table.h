#pragma once
// Tables of mixed data (numbers and categories) from CSV files with a header row, and the
// preprocessing that turns them into float vectors for the recipe models:
//
//   data::TextTable t = data::read_table("houses.csv");            // plain or .csv.gz
//   std::vector<std::int64_t> train_rows = ...;                    // e.g. a seeded split
//   data::TableEncoding enc = data::fit_encoding(t, train_rows, {.target = "price"});
//   Tensor x = enc.transform(t);  // (rows, enc.width()) float32
//   Tensor y = enc.targets(t);    // (rows, 1) float32 standardised, or (rows) int64 classes
//   std::string json = enc.to_json();  // kept in the checkpoint; from_json() reads it back
//
// Rules (all statistics come from the training rows only, so validation rows and new data
// are encoded as the model saw its training data):
// - missing values: an empty field, NA, N/A, nan, null or ? (any case);
// - a column is numeric when every present value in the file is a number, else categorical;
// - numeric: x' = (x - mean) / std with the training rows' mean and std (a constant column:
//   std 1). Missing values become the mean (x' = 0); when the training rows had missing
//   values in the column, a 0/1 column "<name>:missing" follows it;
// - categorical: one 0/1 column per category seen in the training rows ("<name>=<value>", in
//   sorted order). A missing value, or a category the training rows did not have, encodes as
//   all zeros (transform() counts the unseen ones per column so a caller can report them);
// - free text: a categorical column with more than max_categories distinct values, or with a
//   distinct value in every row (10 rows or more), is an error naming the column: drop it
//   with `ignore`;
// - the target: classification when it is not numeric, or holds at most max_classes distinct
//   whole numbers; regression otherwise (TableOptions::task overrides). Classes are the
//   distinct values of the whole table, sorted (numerically when they are numbers).
//   Regression targets are standardised like numeric columns; a missing target is an error.
// Errors are soma::Error naming the file, line and column ("iris.csv:17: column 'species':
// ...").

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

// The fields of a CSV file as text: a header row and the data rows.
struct TextTable {
    std::string source;                          // the file, for error messages
    std::vector<std::string> columns;            // the header's names
    std::vector<std::vector<std::string>> rows;  // unquoted fields, each row columns.size() long
    std::vector<std::int64_t> lines;             // the file line of each row (1-based)

    std::int64_t size() const { return static_cast<std::int64_t>(rows.size()); }
    // The index of the column named `name`, or -1.
    std::int64_t find(const std::string& name) const;
};

// Reads a CSV file with a header row (gzip-compressed or plain, detected from the content).
// Fields may be double-quoted ("a, b" and "say ""hi""" are one field each); blank lines are
// skipped. Throws on an unreadable file, duplicate or empty column names, a row with another
// number of fields than the header, or no data rows.
TextTable read_table(const std::string& path, char delimiter = ',');
// The same from text in memory; `name` stands for the file in error messages.
TextTable parse_table(const std::string& text, const std::string& name = "<csv>",
                      char delimiter = ',');

// Missing-value spellings: "", NA, N/A, nan, null, ? (case-insensitive, after trimming).
bool is_missing(const std::string& field);

enum class Task { Regression, Classification };
const char* task_name(Task task);  // "regression", "classification"
Task parse_task(const std::string& name);

// How one input column is encoded.
struct ColumnEncoding {
    std::string name{};
    bool numeric = true;
    double mean = 0, std = 1;               // numeric: the training rows' statistics
    bool missing_indicator = false;         // numeric: a "<name>:missing" column follows
    std::vector<std::string> categories{};  // categorical: one output column each, sorted

    std::int64_t width() const;
    bool operator==(const ColumnEncoding&) const = default;
};

struct TableOptions {
    std::string target;                 // the target column's name (required)
    std::optional<Task> task{};         // nullopt: detected (see the rules above)
    std::vector<std::string> ignore{};  // columns left out of the inputs
    std::int64_t max_categories = 50;   // more distinct values: a free-text column
    std::int64_t max_classes = 10;      // detection: at most this many whole numbers
};

// The preprocessing of a table, fitted on its training rows.
struct TableEncoding {
    std::vector<ColumnEncoding> inputs;  // in the table's column order, without the target
    std::string target;
    Task task = Task::Regression;
    std::vector<std::string> classes;        // classification: the class names, index = label
    double target_mean = 0, target_std = 1;  // regression: targets are standardised

    // Input vector length: the sum of the columns' widths.
    std::int64_t width() const;
    // The name of every input vector element ("age", "age:missing", "color=red").
    std::vector<std::string> feature_names() const;

    // The rows of `table` (which must have every input column, in any order) as inputs:
    // (rows, width()) float32. `unseen`, when given, receives per column name the number of
    // categorical values encoded as all zeros because training did not see them.
    Tensor transform(const TextTable& table,
                     std::map<std::string, std::int64_t>* unseen = nullptr) const;
    // The target column: regression (rows, 1) float32 standardised; classification (rows)
    // int64 class indices. Throws naming the line on a missing value or an unknown class.
    Tensor targets(const TextTable& table) const;
    // Model outputs back to the target's units: regression (rows, 1) standardised -> values.
    Tensor unstandardise(const Tensor& y) const;

    // The whole encoding as one JSON object (for checkpoint metadata), and back; from_json
    // validates every field and names `source` in errors.
    std::string to_json() const;
    static TableEncoding from_json(const std::string& json, const std::string& source);

    bool operator==(const TableEncoding&) const = default;
};

// Fits the encoding on the rows `train_rows` of `table` (column kinds and classes from all
// rows; statistics and categories from the training rows only).
TableEncoding fit_encoding(const TextTable& table, const std::vector<std::int64_t>& train_rows,
                           const TableOptions& options);

}  // namespace soma::data

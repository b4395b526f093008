#include "soma/data/csv.h"

#include <charconv>
#include <cmath>
#include <memory>

#include "data/text_file.h"
#include "soma/error.h"

namespace soma::data {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::string_view unquote(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
    return s;
}

std::vector<std::string_view> split(std::string_view line, char delimiter) {
    std::vector<std::string_view> fields;
    if (delimiter == ' ') {
        std::size_t i = 0;
        while (i < line.size()) {
            while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
            std::size_t j = i;
            while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
            if (j > i) fields.push_back(line.substr(i, j - i));
            i = j;
        }
        return fields;
    }
    // Delimiters inside double quotes belong to the field.
    std::size_t start = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"') quoted = !quoted;
        if (line[i] == delimiter && !quoted) {
            fields.push_back(line.substr(start, i - start));
            start = i + 1;
        }
    }
    fields.push_back(line.substr(start));
    return fields;
}

bool parse_number(std::string_view s, double* out) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Tensor CsvTable::tensor(DType dtype) const {
    return from_vector(values, {rows, cols}, kFloat64).to(dtype);
}

CsvTable parse_csv(const std::string& text, const CsvOptions& options, const std::string& name) {
    check(options.skip_rows >= 0, "read_csv: skip_rows must be >= 0, got ", options.skip_rows);
    CsvTable table;
    std::string_view rest = text;
    std::int64_t line_no = 0;
    bool header_pending = options.header;
    while (!rest.empty()) {
        std::size_t eol = rest.find('\n');
        std::string_view line = rest.substr(0, eol);
        rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 1);
        ++line_no;
        if (line_no <= options.skip_rows) {
            if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
            table.skipped.emplace_back(line);
            continue;
        }
        if (options.skip_blank && trim(line).empty()) continue;
        std::vector<std::string_view> fields = split(line, options.delimiter);
        // Only a blank line split on whitespace has no fields (with another delimiter it has one
        // empty field, which is not a number). Kept as a row of zero values it would leave
        // rows * cols != values.size() and later reads past the buffer, so refuse it.
        check(!fields.empty(), name, ":", line_no,
              ": blank line (no fields) where a row was expected; set skip_blank to ignore it");
        if (header_pending) {
            for (auto f : fields) table.columns.emplace_back(unquote(f));
            table.cols = static_cast<std::int64_t>(fields.size());
            header_pending = false;
            continue;
        }
        const auto n = static_cast<std::int64_t>(fields.size());
        if (table.cols == 0) table.cols = n;
        check(n == table.cols, name, ":", line_no, ": ", n, " fields, expected ", table.cols,
              table.columns.empty() ? " (as in the first row)" : " (as in the header)");
        for (std::int64_t c = 0; c < n; ++c) {
            std::string_view field = unquote(fields[c]);
            double v;
            check(parse_number(field, &v), name, ":", line_no, ": column ", c + 1, ": '",
                  std::string(field), "' is not a number");
            table.values.push_back(v);
        }
        ++table.rows;
    }
    check(table.rows > 0, name, ": no data rows",
          options.skip_rows || options.header ? " after the skipped/header lines" : "");
    return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
    return parse_csv(read_text_file(path, "read_csv"), options, path);
}

Labeled split_label(const CsvTable& table, std::int64_t label_column, bool class_indices) {
    const std::int64_t cols = table.cols;
    // The table is a plain struct; one assembled by hand must still not be read past its end.
    check(table.rows >= 0 && cols >= 0 &&
              static_cast<std::uint64_t>(table.rows) * static_cast<std::uint64_t>(cols) ==
                  table.values.size(),
          "split_label: the table's ", table.values.size(), " values do not fill its ", table.rows,
          " rows of ", cols, " columns");
    const std::int64_t c = label_column < 0 ? label_column + cols : label_column;
    check(c >= 0 && c < cols, "split_label: column ", label_column, " out of range for ", cols,
          " columns");
    check(cols >= 2, "split_label: need a feature column besides the label");
    std::vector<float> features;
    features.reserve(table.rows * (cols - 1));
    std::vector<std::int64_t> classes;
    std::vector<float> targets;
    for (std::int64_t r = 0; r < table.rows; ++r) {
        for (std::int64_t j = 0; j < cols; ++j) {
            double v = table.values[r * cols + j];
            if (j != c) {
                features.push_back(static_cast<float>(v));
            } else if (class_indices) {
                check(v >= 0 && std::floor(v) == v && v < 9.2e18, "split_label: row ", r + 1,
                      ": label ", v, " is not a class index (a whole number >= 0)");
                classes.push_back(static_cast<std::int64_t>(v));
            } else {
                targets.push_back(static_cast<float>(v));
            }
        }
    }
    Labeled out;
    out.features = from_vector(features, {table.rows, cols - 1});
    out.labels =
        class_indices ? from_vector(classes, {table.rows}) : from_vector(targets, {table.rows});
    return out;
}

}  // namespace soma::data

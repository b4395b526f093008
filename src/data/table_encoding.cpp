// Fitting and applying a table's preprocessing (data/table.h).

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "soma/data/table.h"
#include "soma/error.h"
#include "soma/ops.h"

namespace soma::data {

namespace {

// A finite number in int or float syntax; "inf" and "1e999" are not (they would turn every
// statistic into inf or nan).
bool parse_number(std::string_view s, double* out) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    if (s.empty()) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// "inf", "-nan", "1e999": number syntax, but no finite value.
bool is_nonfinite_number(std::string_view s) {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double v;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    return !s.empty() && end == s.data() + s.size() &&
           (ec == std::errc::result_out_of_range || (ec == std::errc() && !std::isfinite(v)));
}

std::string where(const TextTable& t, std::int64_t row, const std::string& column) {
    return t.source + ":" + std::to_string(t.lines[row]) + ": column '" + column + "'";
}

std::string join(const std::vector<std::string>& names, std::size_t limit = 20) {
    std::string s;
    for (std::size_t i = 0; i < names.size() && i < limit; ++i) s += (i ? ", " : "") + names[i];
    if (names.size() > limit) s += ", ...";
    return s;
}

std::int64_t column_of(const TextTable& t, const std::string& name, const char* role) {
    const std::int64_t c = t.find(name);
    check(c >= 0, t.source, ": no ", role, " column '", name, "' (columns: ", join(t.columns), ")");
    return c;
}

// Numbers sort by value, so classes "2" < "10"; other text sorts as bytes.
void sort_values(std::vector<std::string>& values, bool numeric) {
    if (!numeric) return std::sort(values.begin(), values.end());
    std::sort(values.begin(), values.end(), [](const std::string& a, const std::string& b) {
        double x = 0, y = 0;
        parse_number(a, &x), parse_number(b, &y);
        return x != y ? x < y : a < b;
    });
}

struct ColumnScan {
    bool numeric = true;
    std::int64_t present = 0;
};

// Whether every present value of column c is a number; a non-finite one is an error, since
// the column is clearly meant to be numeric and no encoding of it would be honest.
ColumnScan scan(const TextTable& t, std::int64_t c) {
    ColumnScan s;
    for (std::int64_t r = 0; r < t.size(); ++r) {
        const std::string& f = t.rows[r][c];
        if (is_missing(f)) continue;
        ++s.present;
        double v;
        if (parse_number(f, &v)) continue;
        check(!is_nonfinite_number(f), where(t, r, t.columns[c]), ": '", f,
              "' is not a finite number");
        s.numeric = false;
    }
    return s;
}

ColumnEncoding fit_numeric(const TextTable& t, std::int64_t c,
                           const std::vector<std::int64_t>& rows) {
    ColumnEncoding e{.name = t.columns[c], .numeric = true};
    double sum = 0;
    std::int64_t n = 0;
    for (std::int64_t r : rows) {
        double v;
        if (is_missing(t.rows[r][c])) {
            e.missing_indicator = true;
        } else if (parse_number(t.rows[r][c], &v)) {
            sum += v, ++n;
        }
    }
    // No training value at all: the column carries only its missing indicator.
    e.mean = n ? sum / n : 0;
    double sq = 0;
    for (std::int64_t r : rows) {
        double v;
        if (!is_missing(t.rows[r][c]) && parse_number(t.rows[r][c], &v))
            sq += (v - e.mean) * (v - e.mean);
    }
    e.std = n ? std::sqrt(sq / n) : 0;  // the population std, like sklearn's StandardScaler
    if (!(e.std > 0)) e.std = 1;        // a constant column encodes as 0
    return e;
}

ColumnEncoding fit_categorical(const TextTable& t, std::int64_t c,
                               const std::vector<std::int64_t>& rows, const TableOptions& options) {
    std::set<std::string> seen;
    std::int64_t present = 0;
    for (std::int64_t r : rows) {
        if (is_missing(t.rows[r][c])) continue;
        seen.insert(t.rows[r][c]);
        ++present;
    }
    const auto distinct = static_cast<std::int64_t>(seen.size());
    check(distinct <= options.max_categories && !(present >= 10 && distinct == present), t.source,
          ": column '", t.columns[c], "' looks like free text (", distinct, " distinct values in ",
          present, " training rows; at most ", options.max_categories,
          " categories are one-hot encoded): leave it out (--ignore ", t.columns[c], ")");
    return {.name = t.columns[c], .numeric = false, .categories = {seen.begin(), seen.end()}};
}

}  // namespace

bool is_missing(const std::string& field) {
    std::string f;
    for (char ch : field) f += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return f.empty() || f == "na" || f == "n/a" || f == "nan" || f == "null" || f == "?";
}

const char* task_name(Task task) {
    return task == Task::Regression ? "regression" : "classification";
}

Task parse_task(const std::string& name) {
    if (name == "regression") return Task::Regression;
    if (name == "classification") return Task::Classification;
    fail("unknown task '", name, "' (regression or classification)");
}

std::int64_t ColumnEncoding::width() const {
    return numeric ? 1 + (missing_indicator ? 1 : 0) : static_cast<std::int64_t>(categories.size());
}

std::int64_t TableEncoding::width() const {
    std::int64_t w = 0;
    for (const ColumnEncoding& c : inputs) w += c.width();
    return w;
}

std::vector<std::string> TableEncoding::feature_names() const {
    std::vector<std::string> names;
    for (const ColumnEncoding& c : inputs) {
        if (c.numeric) {
            names.push_back(c.name);
            if (c.missing_indicator) names.push_back(c.name + ":missing");
        } else {
            for (const std::string& v : c.categories) names.push_back(c.name + "=" + v);
        }
    }
    return names;
}

TableEncoding fit_encoding(const TextTable& table, const std::vector<std::int64_t>& train_rows,
                           const TableOptions& options) {
    check(!options.target.empty(), "fit_encoding: no target column given");
    const std::int64_t target = column_of(table, options.target, "target");
    check(!train_rows.empty(), "fit_encoding: no training rows");
    for (std::int64_t r : train_rows)
        check(r >= 0 && r < table.size(), "fit_encoding: training row ", r, " out of range for ",
              table.size(), " rows");
    std::set<std::int64_t> ignored;
    for (const std::string& name : options.ignore) {
        check(name != options.target, "fit_encoding: the target '", name, "' cannot be ignored");
        ignored.insert(column_of(table, name, "ignored"));
    }

    TableEncoding enc;
    enc.target = options.target;
    for (std::int64_t c = 0; c < static_cast<std::int64_t>(table.columns.size()); ++c) {
        if (c == target || ignored.count(c)) continue;
        const ColumnScan s = scan(table, c);
        check(s.present > 0, table.source, ": column '", table.columns[c],
              "' has no values (every field is missing): leave it out (--ignore ", table.columns[c],
              ")");
        enc.inputs.push_back(s.numeric ? fit_numeric(table, c, train_rows)
                                       : fit_categorical(table, c, train_rows, options));
    }
    check(!enc.inputs.empty(), table.source, ": no input columns besides the target '",
          options.target, "'");

    // The target: kind and classes from every row (a class seen only in validation still
    // needs an output), statistics from the training rows.
    for (std::int64_t r = 0; r < table.size(); ++r)
        check(!is_missing(table.rows[r][target]), where(table, r, options.target),
              ": the target is missing");
    const ColumnScan s = scan(table, target);
    std::set<std::string> distinct;
    bool whole = s.numeric;
    for (const auto& row : table.rows) {
        distinct.insert(row[target]);
        double v;
        if (s.numeric && parse_number(row[target], &v) && std::floor(v) != v) whole = false;
    }
    enc.task = options.task.value_or(
        !s.numeric || (whole && static_cast<std::int64_t>(distinct.size()) <= options.max_classes)
            ? Task::Classification
            : Task::Regression);
    if (enc.task == Task::Classification) {
        enc.classes.assign(distinct.begin(), distinct.end());
        sort_values(enc.classes, s.numeric);
        check(enc.classes.size() >= 2, table.source, ": the target '", options.target,
              "' has a single class ('", enc.classes[0], "'): nothing to classify");
    } else {
        check(s.numeric, table.source, ": the target '", options.target,
              "' is not numeric, so it cannot be a regression target");
        ColumnEncoding stats = fit_numeric(table, target, train_rows);
        enc.target_mean = stats.mean;
        enc.target_std = stats.std;
    }
    return enc;
}

Tensor TableEncoding::transform(const TextTable& table,
                                std::map<std::string, std::int64_t>* unseen) const {
    const std::int64_t n = table.size(), w = width();
    std::vector<float> x(static_cast<std::size_t>(n * w), 0.0f);
    std::int64_t offset = 0;
    for (const ColumnEncoding& col : inputs) {
        const std::int64_t c = column_of(table, col.name, "input");
        for (std::int64_t r = 0; r < n; ++r) {
            const std::string& f = table.rows[r][c];
            float* out = x.data() + r * w + offset;
            if (col.numeric) {
                double v = col.mean;
                if (is_missing(f)) {
                    if (col.missing_indicator) out[1] = 1;
                } else {
                    check(parse_number(f, &v), where(table, r, col.name), ": '", f,
                          "' is not a finite number (the column is numeric)");
                }
                out[0] = static_cast<float>((v - col.mean) / col.std);
            } else if (!is_missing(f)) {
                auto it = std::lower_bound(col.categories.begin(), col.categories.end(), f);
                if (it != col.categories.end() && *it == f)
                    out[it - col.categories.begin()] = 1;
                else if (unseen)
                    ++(*unseen)[col.name];
            }
        }
        offset += col.width();
    }
    return from_vector(x, {n, w});
}

Tensor TableEncoding::targets(const TextTable& table) const {
    const std::int64_t c = column_of(table, target, "target");
    const std::int64_t n = table.size();
    if (task == Task::Classification) {
        std::vector<std::int64_t> y(n);
        for (std::int64_t r = 0; r < n; ++r) {
            const std::string& f = table.rows[r][c];
            check(!is_missing(f), where(table, r, target), ": the target is missing");
            auto it = std::find(classes.begin(), classes.end(), f);
            check(it != classes.end(), where(table, r, target), ": class '", f,
                  "' is not one the model knows (", join(classes), ")");
            y[r] = it - classes.begin();
        }
        return from_vector(y, {n});
    }
    std::vector<float> y(n);
    for (std::int64_t r = 0; r < n; ++r) {
        const std::string& f = table.rows[r][c];
        double v;
        check(!is_missing(f), where(table, r, target), ": the target is missing");
        check(parse_number(f, &v), where(table, r, target), ": '", f,
              "' is not a finite number (a regression target)");
        y[r] = static_cast<float>((v - target_mean) / target_std);
    }
    return from_vector(y, {n, 1});
}

Tensor TableEncoding::unstandardise(const Tensor& y) const { return y * target_std + target_mean; }

}  // namespace soma::data

// A table's preprocessing as JSON text, for checkpoint metadata (data/table.h). nlohmann
// writes doubles in their shortest round-trip form, so means and stds read back exactly.

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "soma/data/table.h"
#include "soma/error.h"

namespace soma::data {

namespace {

using nlohmann::json;

constexpr int kVersion = 1;

ColumnEncoding column_from(const json& j, const std::string& source) {
    ColumnEncoding c;
    c.name = j.at("name").get<std::string>();
    const std::string kind = j.at("kind").get<std::string>();
    check(kind == "numeric" || kind == "categorical", source, ": preprocessing: column '", c.name,
          "' has unknown kind '", kind, "'");
    c.numeric = kind == "numeric";
    if (c.numeric) {
        c.mean = j.at("mean").get<double>();
        c.std = j.at("std").get<double>();
        c.missing_indicator = j.at("missing_indicator").get<bool>();
        check(std::isfinite(c.mean) && std::isfinite(c.std) && c.std > 0, source,
              ": preprocessing: column '", c.name, "' has mean ", c.mean, " and std ", c.std);
    } else {
        c.categories = j.at("categories").get<std::vector<std::string>>();
        check(
            std::is_sorted(c.categories.begin(), c.categories.end()) &&
                std::adjacent_find(c.categories.begin(), c.categories.end()) == c.categories.end(),
            source, ": preprocessing: the categories of column '", c.name,
            "' are not sorted and distinct");
    }
    return c;
}

}  // namespace

std::string TableEncoding::to_json() const {
    json cols = json::array();
    for (const ColumnEncoding& c : inputs) {
        if (c.numeric)
            cols.push_back({{"name", c.name},
                            {"kind", "numeric"},
                            {"mean", c.mean},
                            {"std", c.std},
                            {"missing_indicator", c.missing_indicator}});
        else
            cols.push_back(
                {{"name", c.name}, {"kind", "categorical"}, {"categories", c.categories}});
    }
    json j{{"version", kVersion},     {"target", target},   {"task", task_name(task)},
           {"inputs", cols},          {"classes", classes}, {"target_mean", target_mean},
           {"target_std", target_std}};
    return j.dump();
}

TableEncoding TableEncoding::from_json(const std::string& text, const std::string& source) {
    TableEncoding e;
    try {
        const json j = json::parse(text);
        check(j.is_object(), source, ": preprocessing is not a JSON object");
        const int version = j.at("version").get<int>();
        check(version == kVersion, source, ": preprocessing version ", version,
              " (this soma reads ", kVersion, ")");
        e.target = j.at("target").get<std::string>();
        e.task = parse_task(j.at("task").get<std::string>());
        for (const json& c : j.at("inputs")) e.inputs.push_back(column_from(c, source));
        e.classes = j.at("classes").get<std::vector<std::string>>();
        e.target_mean = j.at("target_mean").get<double>();
        e.target_std = j.at("target_std").get<double>();
    } catch (const json::exception& ex) {
        fail(source, ": malformed preprocessing metadata: ", ex.what());
    }
    check(!e.inputs.empty() && e.width() > 0, source, ": preprocessing has no input columns");
    check(e.task == Task::Regression || e.classes.size() >= 2, source,
          ": preprocessing: a classification needs two classes or more");
    check(std::isfinite(e.target_mean) && std::isfinite(e.target_std) && e.target_std > 0, source,
          ": preprocessing: target mean ", e.target_mean, " and std ", e.target_std);
    return e;
}

}  // namespace soma::data

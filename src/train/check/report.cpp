// The report of train::check: its lines as text and JSON, and how numbers are printed.
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "train/check/context.h"

namespace soma::train {

const char* to_string(CheckStatus s) {
    switch (s) {
        case CheckStatus::Passed:
            return "passed";
        case CheckStatus::Warned:
            return "warned";
        case CheckStatus::Failed:
            return "FAILED";
        case CheckStatus::Skipped:
            return "skipped";
    }
    return "?";
}

bool CheckReport::passed() const { return count(CheckStatus::Failed) == 0; }

bool CheckReport::clean() const { return passed() && count(CheckStatus::Warned) == 0; }

std::int64_t CheckReport::count(CheckStatus s) const {
    std::int64_t n = 0;
    for (const auto& l : lines) n += l.status == s;
    return n;
}

const CheckLine& CheckReport::at(const std::string& name) const {
    std::string names;
    for (const auto& l : lines) {
        if (l.name == name) return l;
        names += (names.empty() ? "" : ", ") + l.name;
    }
    fail("CheckReport: no check named '", name, "' (there are: ", names, ")");
}

std::string CheckReport::to_text() const {
    std::string s;
    for (const auto& l : lines) s += check_detail::format_line(l) + "\n";
    s += count(CheckStatus::Failed) == 0 ? "soundness checks passed" : "soundness checks FAILED";
    s += " (" + std::to_string(count(CheckStatus::Passed)) + " passed, " +
         std::to_string(count(CheckStatus::Warned)) + " warned, " +
         std::to_string(count(CheckStatus::Failed)) + " failed, " +
         std::to_string(count(CheckStatus::Skipped)) + " skipped)\n";
    return s;
}

std::string CheckReport::to_json() const {
    nlohmann::ordered_json checks = nlohmann::ordered_json::array();
    for (const auto& l : lines)
        checks.push_back(
            {{"group", l.group},
             {"name", l.name},
             {"status", l.status == CheckStatus::Failed ? "failed" : to_string(l.status)},
             {"detail", l.detail},
             {"advice", l.advice}});
    return nlohmann::ordered_json{{"passed", passed()}, {"checks", checks}}.dump(2) + "\n";
}

namespace check_detail {

std::string format_line(const CheckLine& l) {
    std::string s = std::string("[") + to_string(l.status) + "] " + l.group + "/" + l.name;
    if (!l.detail.empty()) s += ": " + l.detail;
    if (!l.advice.empty()) s += "\n    -> " + l.advice;
    return s;
}

namespace {
CheckLine line(CheckStatus status, std::string detail, std::string advice) {
    CheckLine l;
    l.status = status;
    l.detail = std::move(detail);
    l.advice = std::move(advice);
    return l;
}
}  // namespace

CheckLine passed(std::string detail) { return line(CheckStatus::Passed, std::move(detail), ""); }
CheckLine warned(std::string detail, std::string advice) {
    return line(CheckStatus::Warned, std::move(detail), std::move(advice));
}
CheckLine failed(std::string detail, std::string advice) {
    return line(CheckStatus::Failed, std::move(detail), std::move(advice));
}
CheckLine skipped(std::string detail) { return line(CheckStatus::Skipped, std::move(detail), ""); }

std::string num(double v) {
    if (std::isnan(v)) return "nan";
    if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
    char buf[32];
    const double a = std::fabs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e5))
        std::snprintf(buf, sizeof buf, "%.2e", v);
    else
        std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}

std::string count(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return (n < 0 ? "-" : "") + out;
}

std::string shape_string(const Shape& shape) {
    std::ostringstream os;
    os << shape;
    return os.str();
}

std::string percent(double fraction) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", 100 * fraction);
    return buf;
}

}  // namespace check_detail
}  // namespace soma::train

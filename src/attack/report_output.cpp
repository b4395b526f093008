// The robustness report as text, JSON and an SVG figure.

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "soma/attack/report.h"
#include "soma/io/atomic_file.h"
#include "soma/plot/svg.h"

namespace soma::attack {

namespace {

using json = nlohmann::ordered_json;

json to_object(const AttackResult& r) {
    return json{{"attack", r.attack},
                {"norm", to_string(r.norm)},
                {"eps", r.eps},
                {"accuracy", r.accuracy},
                {"success_rate", r.success_rate},
                {"accuracy_first_restart", r.accuracy_first_restart},
                {"mean_l0", r.mean_l0},
                {"mean_l2", r.mean_l2},
                {"mean_linf", r.mean_linf},
                {"seconds", r.seconds}};
}

json to_object(const AttackSpec& s) {
    json j{{"name", s.name},
           {"method", s.fgsm ? "fgsm" : "pgd"},
           {"norm", to_string(s.pgd.norm)},
           {"loss", to_string(s.pgd.loss)},
           {"range", {s.pgd.range.min, s.pgd.range.max}}};
    if (!s.fgsm) {
        j["steps"] = s.pgd.steps;
        j["restarts"] = s.pgd.restarts;
        j["random_start"] = s.pgd.random_start;
        // 0 means a step size per eps; say which rather than write a number that is none.
        if (s.pgd.step_size > 0) {
            j["step_size"] = s.pgd.step_size;
        } else {
            j["step_size"] = nullptr;
            j["step_size_rule"] = "2.5 * eps / steps";
        }
    }
    return j;
}

std::string line(const char* format, auto... args) {
    char buf[512];
    std::snprintf(buf, sizeof buf, format, args...);
    return buf;
}

}  // namespace

std::string RobustnessReport::format() const {
    std::string out = line("robust accuracy on %lld examples (seed %llu); clean accuracy %.2f%%\n",
                           static_cast<long long>(samples), static_cast<unsigned long long>(seed),
                           100 * clean_accuracy);
    std::size_t width = 6;
    for (const AttackResult& r : results) width = std::max(width, r.attack.size());
    const int w = static_cast<int>(width);
    out += line("  %-*s %-5s %8s %9s %8s %8s %8s %8s %8s\n", w, "attack", "norm", "eps", "accuracy",
                "success", "L0", "L2", "Linf", "seconds");
    for (const AttackResult& r : results)
        out += line("  %-*s %-5s %8.4g %8.2f%% %7.1f%% %8.1f %8.4f %8.4f %8.1f\n", w,
                    r.attack.c_str(), to_string(r.norm).c_str(), r.eps, 100 * r.accuracy,
                    100 * r.success_rate, r.mean_l0, r.mean_l2, r.mean_linf, r.seconds);
    out +=
        "  (success: the share of correctly classified examples the attack flipped; norms: "
        "mean perturbation of the flipped ones)\n";
    out += line("sanity checks (~: higher by at most the tolerance, %.2f%% of the examples):\n",
                100 * tolerance);
    for (const SanityCheck& c : checks)
        out += std::string(c.passed ? "  pass  " : "  FAIL  ") + c.name + ": " + c.detail + "\n";
    if (!all_checks_passed())
        out +=
            "A check failed: the attack is broken or the model's gradients are masked, and the "
            "robust accuracies above overestimate the model's robustness.\n";
    return out;
}

std::string RobustnessReport::to_json() const {
    json j{{"samples", samples},
           {"clean_accuracy", clean_accuracy},
           {"seed", seed},
           {"eps", eps},
           {"tolerance", tolerance}};
    json attack_list = json::array();
    for (const AttackSpec& s : attacks) attack_list.push_back(to_object(s));
    j["attacks"] = std::move(attack_list);
    json result_list = json::array();
    for (const AttackResult& r : results) result_list.push_back(to_object(r));
    j["results"] = std::move(result_list);
    if (large_eps_result) {
        json l = to_object(*large_eps_result);
        l["max_accuracy"] = large_eps_max_accuracy;
        j["large_eps"] = std::move(l);
    } else {
        j["large_eps"] = nullptr;
    }
    json check_list = json::array();
    for (const SanityCheck& c : checks)
        check_list.push_back({{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
    j["checks"] = std::move(check_list);
    j["all_checks_passed"] = all_checks_passed();
    return j.dump(2) + "\n";
}

void RobustnessReport::save_json(const std::string& path) const {
    io::write_file_atomic(path, to_json());
}

void RobustnessReport::save_svg(const std::string& path, const std::string& title) const {
    double max_eps = 0;
    for (double e : eps) max_eps = std::max(max_eps, e);
    plot::Figure fig({.title = title,
                      .xlabel = "eps",
                      .ylabel = "accuracy (%)",
                      .xlim = plot::Range{0, max_eps > 0 ? max_eps * 1.05 : 1},
                      .ylim = plot::Range{0, 100},
                      .legend = plot::Legend::BottomLeft});
    fig.line({0, max_eps > 0 ? max_eps * 1.05 : 1}, {100 * clean_accuracy, 100 * clean_accuracy},
             "clean", {.color = "#555555", .width = 1.5, .dashed = true});
    for (std::size_t a = 0; a < attacks.size(); ++a) {
        std::vector<std::pair<double, double>> points;
        for (const AttackResult& r : results)
            if (r.attack == attacks[a].name) points.emplace_back(r.eps, 100 * r.accuracy);
        std::sort(points.begin(), points.end());
        std::vector<double> xs, ys;
        for (const auto& [x, y] : points) {
            xs.push_back(x);
            ys.push_back(y);
        }
        const std::string& color = plot::palette(a);
        fig.line(xs, ys, attacks[a].name, {.color = color});
        fig.scatter(xs, ys, "", {.color = color, .size = 3.5});
    }
    fig.save(path);
}

}  // namespace soma::attack

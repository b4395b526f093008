#pragma once
// A robustness report the way the robustness literature gives one, with the checks that catch a
// broken or masked attack (Carlini et al., "On Evaluating Adversarial Robustness", 2019):
//
//   attack::RobustnessOptions o{.eps = {0.05, 0.1, 0.2},
//                               .attacks = {attack::fgsm_spec(), attack::pgd_spec(20, 10)}};
//   attack::RobustnessReport r = attack::robustness_report(model, test_loader, o);
//   std::cout << r.format();            // the table and the sanity checks
//   r.save_json("robustness.json");     // every number and setting
//   r.save_svg("robustness.svg");       // accuracy against eps, one line per attack
//
// Every attack runs at every eps on the loader's epoch 0 (inputs in the attack's range, targets
// int64 class indices). Sanity checks, each passed or failed with the numbers:
// - PGD never scores above FGSM at the same eps and norm (FGSM is one of PGD's possible paths);
// - more restarts never raise accuracy (after 1 restart vs after all, for attacks with several);
// - accuracy does not rise with eps, per attack;
// - at a very large eps (the whole input range) accuracy falls to ~0 under the strongest attack
//   (the PGD spec with the most steps * restarts, else PGD-20; its step size by Madry's rule).
// A failed check means the attack is broken or the model's gradients are masked (rounding,
// saturating or non-differentiable layers): robust accuracy is then an overestimate, and the
// lecture's "many intuitive defences don't work" applies.
//
// Bad input is a soma::Error: no eps, a negative or non-finite eps, a targeted spec, an empty
// loader, targets that are not int64 class indices (N), inputs outside an attack's range (a
// classifier of normalised inputs belongs in attack::Normalized, fed pixels), logits not (N, C).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "soma/attack/attack.h"
#include "soma/attack/pgd.h"
#include "soma/data/dataloader.h"

namespace soma::attack {

// One attack of the report; its eps is set per run.
struct AttackSpec {
    std::string name;   // shown in the table and the legend: "FGSM", "PGD-20 (10 restarts)"
    bool fgsm = false;  // one signed-gradient step of size eps from x (pgd's fields but norm,
                        // loss and range are ignored)
    PgdOptions pgd{};
};
// Named "FGSM" (L-inf) or "FGM (L2)"; "PGD-20", "PGD-20 (10 restarts, L2, margin loss)".
AttackSpec fgsm_spec(Norm norm = Norm::Linf);
AttackSpec pgd_spec(std::int64_t steps = 20, std::int64_t restarts = 1, Norm norm = Norm::Linf,
                    Loss loss = Loss::CrossEntropy);
// The name fgsm_spec and pgd_spec give a spec with these settings (used for unnamed specs).
std::string default_name(const AttackSpec& spec);

struct RobustnessOptions {
    std::vector<double> eps{0.05, 0.1, 0.2};
    std::vector<AttackSpec> attacks{};  // empty: FGSM and PGD-20
    std::uint64_t seed = 0;             // the random starts
    // The very-large-eps check's radius: 0 is the whole input range (L-inf: max - min; L2:
    // (max - min) * sqrt(input size)); negative skips the check.
    double large_eps = 0;
    double large_eps_max_accuracy = 0.05;  // the check fails above this
    // Tolerance of the comparisons (PGD vs FGSM, restarts, monotonicity), as a fraction of the
    // examples: random starts make two attacks' counts differ by a few examples by chance.
    double tolerance = 0.005;
};

// One attack at one eps.
struct AttackResult {
    std::string attack;
    Norm norm = Norm::Linf;
    double eps = 0;
    double accuracy = 0;      // robust accuracy: correct on the adversarial example
    double success_rate = 0;  // of the examples classified correctly clean, the share flipped
    // After the first restart only (equal to accuracy with one restart).
    double accuracy_first_restart = 0;
    // Mean perturbation norms over the flipped examples (correct clean, wrong under attack), in
    // input units, per example flattened; L0 counts elements changed by more than 1e-6. 0 when
    // none flipped.
    double mean_l0 = 0, mean_l2 = 0, mean_linf = 0;
    double seconds = 0;  // wall time of this run
};

struct SanityCheck {
    std::string name;
    bool passed = true;
    // The numbers behind the verdict; a failed check's ends with what the failure suggests.
    std::string detail;
};

struct RobustnessReport {
    std::int64_t samples = 0;
    double clean_accuracy = 0;
    std::vector<AttackResult> results;  // attack-major, eps-minor
    std::vector<SanityCheck> checks;
    std::vector<double> eps;
    std::uint64_t seed = 0;
    std::vector<AttackSpec> attacks;
    double tolerance = 0;
    // The very-large-eps run (its eps is the radius used); absent when the check was skipped.
    std::optional<AttackResult> large_eps_result;
    double large_eps_max_accuracy = 0;

    bool all_checks_passed() const;
    std::string format() const;  // a table and one line per check
    std::string to_json() const;
    void save_json(const std::string& path) const;  // atomically
    void save_svg(const std::string& path, const std::string& title = "robustness") const;
};

// model: (N, ...) -> (N, C) logits.
RobustnessReport robustness_report(nn::Module& model, const data::DataLoader& loader,
                                   const RobustnessOptions& options);

}  // namespace soma::attack

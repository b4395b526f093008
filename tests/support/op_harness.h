#pragma once
// The op-test harness: replays the PyTorch fixtures written by tools/gen_fixtures.py.
//
//   TEST(Unary, Fixtures) {
//       run_op_group("unary", {
//           {"exp", [](const auto& x, const auto&) { return soma::exp(x[0]); }},
//           {"clamp", [](const auto& x, const nlohmann::json& a) { ... a["min"] ... }},
//       });
//   }
//
// Each case of tests/fixtures/ops_<group>.json goes through ops.at(case.op), and is checked:
//  (a) forward values in float64 (tight tolerance) and float32 (inputs converted; loose),
//  (b) gradients of sum(out * w) against PyTorch's, in float64 and float32,
//  (c) (a) and (b) again with every input made non-contiguous (unless the case says
//      "noncontiguous": false),
//  (d) a float64 central-difference autograd::grad_check, for cases with gradients (unless the
//      case says "gradcheck": false: a gradient that is by design not the derivative, such as
//      embedding's padding row).
// Failures name the case. A case whose op is missing from `ops` fails, so fixtures and tests
// stay in sync.

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "soma/ops.h"

namespace soma::test {

using OpFn = std::function<Tensor(const std::vector<Tensor>& inputs, const nlohmann::json& attrs)>;

void run_op_group(const std::string& group, const std::map<std::string, OpFn>& ops);

// The "cases" array of the fixture file tests/fixtures/<file> (module fixtures such as
// nn_attention.json), parsed once. A missing or unreadable file fails the calling test and
// gives no cases.
const nlohmann::json& fixture_cases(const std::string& file);

// {"shape": [...], "dtype": "float64" | "int64" (default float64), "data": [...]}.
Tensor tensor_from_json(const nlohmann::json& j);

// A leaf with the same values, shape and dtype whose storage is strided (dims reversed in
// memory, every other slot skipped, nonzero offset): non-contiguous whenever numel > 1.
Tensor make_noncontiguous(const Tensor& t);

// EXPECTs that fn throws soma::Error whose message contains `needle`.
void expect_error(const std::function<void()>& fn, const std::string& needle);

// EXPECTs that `got` has `expected`'s shape and dtype and |got - expected| <= atol + rtol *
// |expected| everywhere; `what` names the comparison in the failure message.
void expect_close(const Tensor& got, const Tensor& expected, double rtol, double atol,
                  const std::string& what);

}  // namespace soma::test

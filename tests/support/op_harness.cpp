#include "support/op_harness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iomanip>
#include <map>
#include <sstream>

namespace soma::test {
namespace {

using nlohmann::json;

struct Tolerance {
    double rtol, atol;
};
// float64 results differ from PyTorch's only by summation order and libm ulps.
constexpr Tolerance kTight{1e-10, 1e-12};
constexpr Tolerance kLoose{1e-4, 1e-5};

struct Case {
    std::string name, op;
    json attrs;
    std::vector<Tensor> inputs;  // float64 or int64, never requiring grad
    std::vector<bool> requires_grad;
    Tensor output;
    Tensor weight;              // undefined: forward-only case
    std::vector<Tensor> grads;  // undefined entries: no gradient expected
    bool noncontiguous = true;
    bool gradcheck = true;  // false: the gradient is by design not the derivative
};

Case parse_case(const json& j) {
    Case c;
    c.name = j.at("name").get<std::string>();
    c.op = j.at("op").get<std::string>();
    c.attrs = j.value("attrs", json::object());
    for (const json& in : j.at("inputs")) {
        c.inputs.push_back(tensor_from_json(in));
        c.requires_grad.push_back(in.value("requires_grad", false));
    }
    c.output = tensor_from_json(j.at("output"));
    if (j.contains("weight") && !j["weight"].is_null()) c.weight = tensor_from_json(j["weight"]);
    const json grads = j.value("grads", json::array());
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
        c.grads.push_back(i < grads.size() && !grads[i].is_null() ? tensor_from_json(grads[i])
                                                                  : Tensor());
    c.noncontiguous = j.value("noncontiguous", true);
    c.gradcheck = j.value("gradcheck", true);
    return c;
}

std::string coords(std::int64_t flat, const Shape& shape) {
    std::vector<std::int64_t> idx(shape.size());
    for (int d = shape.size() - 1; d >= 0; --d) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    std::ostringstream os;
    os << '(';
    for (std::size_t i = 0; i < idx.size(); ++i) os << (i ? ", " : "") << idx[i];
    return os.str() + ')';
}

// A fresh leaf per run, so that gradients never accumulate across runs.
Tensor prepare_input(const Tensor& x, DType floating, bool noncontiguous, bool requires_grad) {
    Tensor t = is_floating(x.dtype()) ? x.to(floating) : x;
    t = noncontiguous ? make_noncontiguous(t) : t.clone();
    if (requires_grad) t.requires_grad_(true);
    return t;
}

Tensor as(const Tensor& reference, DType floating) {
    return is_floating(reference.dtype()) ? reference.to(floating) : reference;
}

void run_variant(const Case& c, const OpFn& fn, DType dtype, bool noncontiguous) {
    std::string label = "case '" + c.name + "' (op " + c.op + ", " + dtype_name(dtype) +
                        (noncontiguous ? ", non-contiguous inputs)" : ")");
    const Tolerance tol = dtype == kFloat64 ? kTight : kLoose;
    const bool with_grad = c.weight.defined();
    std::vector<Tensor> inputs;
    for (std::size_t i = 0; i < c.inputs.size(); ++i)
        inputs.push_back(
            prepare_input(c.inputs[i], dtype, noncontiguous, with_grad && c.requires_grad[i]));
    if (noncontiguous) {
        for (const Tensor& x : inputs) {
            if (x.numel() > 1) {
                EXPECT_FALSE(x.is_contiguous()) << label << ": harness bug";
            }
        }
    }

    Tensor out;
    try {
        out = fn(inputs, c.attrs);
    } catch (const std::exception& e) {
        ADD_FAILURE() << label << ": forward threw: " << e.what();
        return;
    }
    if (!out.defined()) {
        ADD_FAILURE() << label << ": forward returned an undefined tensor";
        return;
    }
    expect_close(out, as(c.output, dtype), tol.rtol, tol.atol, label + " forward");
    for (std::size_t i = 0; i < inputs.size(); ++i)
        expect_close(inputs[i].detach(), as(c.inputs[i], dtype), 0, 0,
                     label + " input " + std::to_string(i) + " after forward (modified in place)");
    if (!with_grad) return;

    if (!out.requires_grad()) {
        ADD_FAILURE() << label << ": output does not require grad (no graph was recorded)";
        return;
    }
    try {
        out.backward(c.weight.to(dtype));
    } catch (const std::exception& e) {
        ADD_FAILURE() << label << ": backward threw: " << e.what();
        return;
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        std::string what = label + " gradient of input " + std::to_string(i);
        Tensor got = inputs[i].requires_grad() ? inputs[i].grad() : Tensor();
        if (!c.grads[i].defined()) {
            if (got.defined()) expect_close(got, zeros_like(got), 0, 0, what + " (expected none)");
            continue;
        }
        Tensor expected = as(c.grads[i], dtype);
        if (!got.defined()) {
            // No gradient reached the input; fine only where PyTorch's is zero.
            got = zeros_like(expected);
            what += " (undefined, compared as zeros)";
        }
        expect_close(got, expected, tol.rtol, tol.atol, what);
    }
}

void run_grad_check(const Case& c, const OpFn& fn) {
    // Index inputs go in unchanged: grad_check would hand the op perturbed float64 copies.
    auto f = [&](const std::vector<Tensor>& xs) {
        std::vector<Tensor> args = xs;
        for (std::size_t i = 0; i < args.size(); ++i)
            if (!is_floating(c.inputs[i].dtype()) || !c.requires_grad[i]) args[i] = c.inputs[i];
        return fn(args, c.attrs);
    };
    try {
        autograd::GradCheckResult r = autograd::grad_check(f, c.inputs);
        EXPECT_TRUE(r.ok) << "case '" << c.name << "' (op " << c.op << "): " << r.message;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "case '" << c.name << "' (op " << c.op << "): grad_check threw "
                      << e.what();
    }
}

}  // namespace

Tensor tensor_from_json(const json& j) {
    Shape shape(j.at("shape").get<std::vector<std::int64_t>>());
    const std::string dtype = j.value("dtype", "float64");
    const json& data = j.at("data");
    check(static_cast<std::int64_t>(data.size()) == shape.numel(), "fixture: ", data.size(),
          " values for shape ", shape);
    if (dtype == "int64") {
        Tensor t = Tensor::empty(shape, kInt64);
        for (std::size_t i = 0; i < data.size(); ++i) t.data<std::int64_t>()[i] = data[i];
        return t;
    }
    check(dtype == "float64", "fixture: unknown dtype ", dtype);
    Tensor t = Tensor::empty(shape, kFloat64);
    for (std::size_t i = 0; i < data.size(); ++i) t.data<double>()[i] = data[i].get<double>();
    return t;
}

Tensor make_noncontiguous(const Tensor& t) {
    // Storage shaped (s[n-1], ..., s[0], 2): dim d of the view walks storage dim n-1-d, and
    // only the second slot of each pair is used.
    const int n = t.dim();
    Shape storage_shape;
    for (int d = n - 1; d >= 0; --d) storage_shape.push_back(t.shape()[d]);
    storage_shape.push_back(2);
    Tensor base = zeros(storage_shape, t.dtype());
    Shape strides;
    for (int d = 0; d < n; ++d) strides.push_back(base.strides()[n - 1 - d]);
    Tensor view = Tensor::make_view(base, t.shape(), strides, 1);
    {
        NoGrad no_grad;
        view.copy_(t.detach());
    }
    return view;
}

void expect_error(const std::function<void()>& fn, const std::string& needle) {
    try {
        fn();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
            << "soma::Error message \"" << e.what() << "\" does not contain \"" << needle << '"';
        return;
    } catch (const std::exception& e) {
        ADD_FAILURE() << "expected soma::Error containing \"" << needle
                      << "\", got another exception: " << e.what();
        return;
    }
    ADD_FAILURE() << "expected soma::Error containing \"" << needle << "\", nothing was thrown";
}

void expect_close(const Tensor& got, const Tensor& expected, double rtol, double atol,
                  const std::string& what) {
    if (!got.defined()) {
        ADD_FAILURE() << what << ": undefined tensor";
        return;
    }
    if (got.shape() != expected.shape() || got.dtype() != expected.dtype()) {
        ADD_FAILURE() << what << ": got shape " << got.shape() << ' ' << got.dtype()
                      << ", expected " << expected.shape() << ' ' << expected.dtype();
        return;
    }
    std::vector<double> g = got.to_vector<double>(), e = expected.to_vector<double>();
    std::int64_t bad = 0, worst = -1;
    double worst_excess = 0;
    for (std::size_t i = 0; i < g.size(); ++i) {
        double bound = atol + rtol * std::abs(e[i]);
        double diff = std::abs(g[i] - e[i]);
        bool ok = diff <= bound || g[i] == e[i];
        if (ok) continue;
        ++bad;
        double excess = std::isnan(diff) ? INFINITY : diff - bound;
        if (worst < 0 || excess > worst_excess)
            worst = static_cast<std::int64_t>(i), worst_excess = excess;
    }
    if (bad == 0) return;
    ADD_FAILURE() << std::setprecision(17) << what << ": " << bad << " of " << g.size()
                  << " elements differ; worst at " << coords(worst, got.shape()) << ": got "
                  << g[worst] << ", expected " << e[worst] << " (rtol " << rtol << ", atol " << atol
                  << ")";
}

const json& fixture_cases(const std::string& file) {
    static std::map<std::string, json> docs;  // gtest runs tests on one thread
    auto it = docs.find(file);
    if (it == docs.end()) {
        json doc = {{"cases", json::array()}};
        std::ifstream f(std::string(SOMA_FIXTURE_DIR) + "/" + file);
        if (!f)
            ADD_FAILURE() << "missing fixture " << file;
        else
            try {
                doc = json::parse(f);
            } catch (const std::exception& e) {
                ADD_FAILURE() << file << ": " << e.what();
            }
        it = docs.emplace(file, std::move(doc)).first;
    }
    return it->second["cases"];
}

void run_op_group(const std::string& group, const std::map<std::string, OpFn>& ops) {
    const std::string path = std::string(SOMA_FIXTURE_DIR) + "/ops_" + group + ".json";
    std::ifstream file(path);
    if (!file) {
        ADD_FAILURE() << "cannot open " << path << " (run tools/gen_fixtures.py " << group << ")";
        return;
    }
    json doc;
    try {
        doc = json::parse(file);
    } catch (const std::exception& e) {
        ADD_FAILURE() << path << ": " << e.what();
        return;
    }
    EXPECT_EQ(doc.value("group", ""), group) << path;
    const json& cases = doc.at("cases");
    EXPECT_FALSE(cases.empty()) << path << " has no cases";
    for (const json& j : cases) {
        Case c;
        try {
            c = parse_case(j);
        } catch (const std::exception& e) {
            ADD_FAILURE() << path << ": malformed case " << j.value("name", "?") << ": "
                          << e.what();
            continue;
        }
        auto it = ops.find(c.op);
        if (it == ops.end()) {
            ADD_FAILURE() << "case '" << c.name << "': op \"" << c.op
                          << "\" has no entry in the test's op table";
            continue;
        }
        for (bool noncontiguous : {false, true}) {
            if (noncontiguous && !c.noncontiguous) continue;
            run_variant(c, it->second, kFloat64, noncontiguous);
            run_variant(c, it->second, kFloat32, noncontiguous);
        }
        if (c.weight.defined() && c.gradcheck) run_grad_check(c, it->second);
    }
}

}  // namespace soma::test

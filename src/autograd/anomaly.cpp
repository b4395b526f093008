#include "autograd/anomaly.h"

#include <cmath>
#include <sstream>

namespace soma::autograd::detail {
namespace {

// The first non-finite value of a floating tensor, as text ("nan", "inf", "-inf"); "" when every
// value is finite or the tensor holds no floats.
template <class T>
std::string first_non_finite(const Tensor& contiguous) {
    const T* p = contiguous.data<T>();
    for (std::int64_t i = 0, n = contiguous.numel(); i < n; ++i)
        if (!std::isfinite(p[i])) return std::isnan(p[i]) ? "nan" : (p[i] > 0 ? "inf" : "-inf");
    return "";
}

std::string non_finite(const Tensor& t) {
    if (!t.defined()) return "";
    NoGrad no_grad;  // contiguous() of a view must not record (nor re-enter this check)
    if (t.dtype() == kFloat32) return first_non_finite<float>(t.contiguous());
    if (t.dtype() == kFloat64) return first_non_finite<double>(t.contiguous());
    return "";
}

// Set while a check runs: the copies it makes of strided tensors are ops too, and must not be
// checked (and blamed) themselves.
thread_local bool g_checking = false;

class Checking {
public:
    Checking() : previous_(g_checking) { g_checking = true; }
    ~Checking() { g_checking = previous_; }

private:
    bool previous_;
};

// "LogBackward" -> "Log": the forward op a node records.
std::string forward_name(const char* node_name) {
    std::string s = node_name;
    const std::string suffix = "Backward";
    if (s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0)
        s.resize(s.size() - suffix.size());
    return s;
}

std::string shape_text(const Tensor& t) {
    std::ostringstream os;
    os << t.shape();
    return os.str();
}

}  // namespace

ForwardChecksOff::ForwardChecksOff() : previous_(g_checking) { g_checking = true; }
ForwardChecksOff::~ForwardChecksOff() { g_checking = previous_; }

void check_forward_anomaly(const char* name, const Tensor& out, const Tensor* inputs,
                           std::size_t n) {
    if (g_checking) return;
    Checking checking;
    const std::string bad = non_finite(out);
    if (bad.empty()) return;
    std::string source = "from finite inputs";
    for (std::size_t i = 0; i < n; ++i)
        if (!non_finite(inputs[i]).empty()) {
            source = "because its input " + std::to_string(i) + " already held " +
                     non_finite(inputs[i]) + " (look at where that tensor came from)";
            break;
        }
    fail("detect_anomaly: ", forward_name(name), " produced ", bad, " in its output (shape ",
         shape_text(out), ") ", source);
}

void check_backward_anomaly(const Node& node, const Tensor& grad_output, const Grads& grads) {
    Checking checking;
    for (std::size_t i = 0; i < grads.size(); ++i) {
        const std::string bad = non_finite(grads[i]);
        if (bad.empty()) continue;
        const std::string incoming = non_finite(grad_output);
        fail("detect_anomaly: ", node.name(), " returned ", bad, " in the gradient of input ", i,
             " (shape ", shape_text(grads[i]), ") ",
             incoming.empty() ? std::string("from a finite incoming gradient")
                              : "because the incoming gradient already held " + incoming);
    }
}

}  // namespace soma::autograd::detail

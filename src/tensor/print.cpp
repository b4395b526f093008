// Printing tensors the way PyTorch does: tensor([[1.0000, 2.0000],
//                                                [3.0000, 4.0000]], requires_grad=True)

#include <cmath>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "soma/tensor.h"

namespace soma {
namespace {

constexpr std::int64_t kSummariseAbove = 1000;  // elements; beyond, print the edges only
constexpr std::int64_t kEdgeItems = 3;
constexpr int kLineWidth = 80;

struct Format {
    bool integral = true;     // every value a whole number: print "3." (float) or "3" (int64)
    bool scientific = false;  // values span too many magnitudes for fixed notation
    bool int_dtype = false;
    int width = 0;

    std::string str(double v) const {
        char buf[64];
        if (int_dtype)
            std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
        else if (std::isnan(v))
            std::snprintf(buf, sizeof buf, "nan");
        else if (std::isinf(v))
            std::snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
        else if (scientific)
            std::snprintf(buf, sizeof buf, "%.4e", v);
        else if (integral)
            std::snprintf(buf, sizeof buf, "%.0f.", v);
        else
            std::snprintf(buf, sizeof buf, "%.4f", v);
        return buf;
    }
};

Format choose_format(const std::vector<double>& values, DType dtype) {
    Format f;
    f.int_dtype = dtype == kInt64;
    double lo = INFINITY, hi = 0;
    for (double v : values) {
        if (!std::isfinite(v)) continue;
        if (v != std::floor(v)) f.integral = false;
        double a = std::abs(v);
        if (a > 0) lo = std::min(lo, a);
        hi = std::max(hi, a);
    }
    // torch's rule: whole numbers switch to scientific only for a wide range or huge values.
    if (!f.int_dtype && hi > 0 && (hi / lo > 1000 || hi > 1e8 || (!f.integral && lo < 1e-4)))
        f.scientific = true;
    // Like torch, nan and inf do not widen the columns.
    for (double v : values)
        if (f.int_dtype || std::isfinite(v))
            f.width = std::max<int>(f.width, static_cast<int>(f.str(v).size()));
    return f;
}

class Printer {
public:
    Printer(const Tensor& t, std::ostream& os) : t_(t), os_(os) {
        summarise_ = t.numel() > kSummariseAbove;
        collect(0, t.offset());
        format_ = choose_format(values_, t.dtype());
    }

    void print(int indent) {
        next_ = 0;
        if (t_.dim() == 0) {
            os_ << format_.str(values_.at(0));
            return;
        }
        print_dim(0, indent);
    }

private:
    bool skipped(int d, std::int64_t i) const {
        std::int64_t n = t_.shape()[d];
        return summarise_ && n > 2 * kEdgeItems && i >= kEdgeItems && i < n - kEdgeItems;
    }

    // Gathers the values that will be shown, in printing order.
    void collect(int d, std::int64_t offset) {
        if (d == t_.dim()) {
            values_.push_back(dispatch_all(t_.dtype(), [&](auto tag) {
                using T = decltype(tag);
                return static_cast<double>(static_cast<const T*>(t_.impl()->storage->data())[offset]);
            }));
            return;
        }
        for (std::int64_t i = 0; i < t_.shape()[d]; ++i) {
            if (skipped(d, i)) continue;
            collect(d + 1, offset + i * t_.strides()[d]);
        }
    }

    void print_dim(int d, int indent) {
        os_ << '[';
        const bool vector = d + 1 == t_.dim();
        // As many elements per line as fit in torch's 80 columns.
        const std::int64_t per_line = std::max(1, (kLineWidth - indent) / (format_.width + 2));
        std::int64_t written = 0;  // items so far, "..." included
        for (std::int64_t i = 0, n = t_.shape()[d]; i < n; ++i) {
            const bool skip = skipped(d, i);
            if (skip && i != kEdgeItems) continue;
            if (written > 0) {
                os_ << ',';
                if (!vector)
                    os_ << std::string(t_.dim() - d - 1, '\n') << std::string(indent + 1, ' ');
                else if (written % per_line == 0)
                    os_ << '\n' << std::string(indent + 1, ' ');
                else
                    os_ << ' ';
            }
            ++written;
            if (skip) {
                os_ << (vector ? " ..." : "...");
            } else if (vector) {
                std::string s = format_.str(values_[next_++]);
                if (static_cast<int>(s.size()) < format_.width)
                    os_ << std::string(format_.width - s.size(), ' ');
                os_ << s;
            } else {
                print_dim(d + 1, indent + 1);
            }
        }
        os_ << ']';
    }

    const Tensor& t_;
    std::ostream& os_;
    bool summarise_;
    std::vector<double> values_;
    std::size_t next_ = 0;
    Format format_;
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "tensor(undefined)";
    os << "tensor(";
    if (t.numel() == 0) {
        os << "[]";
        if (t.dim() != 1) os << ", size=" << t.shape();
    } else {
        Printer(t, os).print(static_cast<int>(sizeof("tensor(") - 1));
    }
    if (t.dtype() != kFloat32) os << ", dtype=" << t.dtype();
    if (!t.is_leaf())
        os << ", grad_fn=<" << t.grad_fn_name() << '>';
    else if (t.requires_grad())
        os << ", requires_grad=True";
    return os << ')';
}

std::string Tensor::str() const {
    std::ostringstream os;
    os << *this;
    return os.str();
}

}  // namespace soma

#include "soma/threading.h"

#include <omp.h>

#include <cstdlib>

#include "soma/error.h"

// OpenBLAS's own thread setter (declared in its cblas.h, which this layer does not include).
extern "C" void openblas_set_num_threads(int num_threads);

namespace soma {
namespace {

int initial_threads() {
    if (const char* env = std::getenv("SOMA_NUM_THREADS")) {
        int n = std::atoi(env);
        if (n > 0) return n;
    }
    return omp_get_max_threads();
}

int& current() {
    static int n = [] {
        int t = initial_threads();
        omp_set_num_threads(t);
        // BLAS stays on one thread for good: the GEMM wrapper splits work across OpenMP's
        // threads itself (backend/cpu/gemm.h), so there is one pool, never two.
        openblas_set_num_threads(1);
        return t;
    }();
    return n;
}

// Applies SOMA_NUM_THREADS when the library loads, before any kernel runs.
const int applied_at_load = current();

}  // namespace

void set_num_threads(int n) {
    check(n >= 1, "set_num_threads: need at least one thread, got ", n);
    current() = n;
    omp_set_num_threads(n);
}

int get_num_threads() { return current(); }

}  // namespace soma

#include "soma/threading.h"

#include <omp.h>

#include <cstdlib>

#include "soma/error.h"

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
        // BLAS is put on one thread by the first GEMM soma runs (backend/cpu/gemm.cpp), not
        // here: this runs when the library loads, and must not change the BLAS settings of a
        // host program that links soma.
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

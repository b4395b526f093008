#pragma once
// Thread control: one call sets both soma's OpenMP threads and the BLAS library's threads, so the
// two never oversubscribe the cores. SOMA_NUM_THREADS in the environment sets the default.

namespace soma {

void set_num_threads(int n);
int get_num_threads();

}  // namespace soma

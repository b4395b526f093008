#pragma once
// Thread control: the number of threads soma's kernels use, matrix products included. BLAS itself
// always runs on one thread; soma splits large products across its own OpenMP threads, so one
// pool does all the work and the cores are never oversubscribed. SOMA_NUM_THREADS in the
// environment sets the default (else OpenMP's: OMP_NUM_THREADS or the number of cores).

namespace soma {

void set_num_threads(int n);
int get_num_threads();

}  // namespace soma

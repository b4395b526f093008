# `soma check` end to end: a sound Fashion-MNIST set-up passes, one with a learning rate far too
# large fails naming the update size, the JSON report is written, a CSV table with duplicated
# rows across its split is flagged, usage errors exit with 2, and `soma train --detect-anomaly`
# runs:
#   cmake -DSOMA=<path to soma> -DFIXTURES=<tests/fixtures> -DWORK=<scratch dir> -P check_cli.cmake

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# A table: the validation rows that repeat a training row exactly are counted and the check
# fails (exit 1) with the way out; every other line is printed too.
soma(rc out --threads 1 check csv ${FIXTURES}/csv/mixed_train.csv --target label --ignore id,note)
if(NOT rc EQUAL 1)
    message(FATAL_ERROR "soma check csv should exit with 1, got ${rc}:\n${out}")
endif()
expect_in("${out}" "soma check csv's output" "[FAILED] data/train/test overlap" "exact"
          "the test split leaks into training" "[passed] gradients/finite differences"
          "[passed] training/overfit one batch" "soundness checks FAILED")

soma(rc out check csv ${FIXTURES}/csv/mixed_train.csv --target label --chance-steps 0)
if(NOT rc EQUAL 2)
    message(FATAL_ERROR "--chance-steps 0 should be a usage error (2), got ${rc}:\n${out}")
endif()

# --detect-anomaly reaches the engine through `soma train`'s recipes; a finite run is unaffected.
soma(rc out --threads 1 train csv ${FIXTURES}/csv/mixed_train.csv --target label --ignore id,note
     --epochs 2 --detect-anomaly --out ${WORK}/anomaly)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma train csv --detect-anomaly exited with ${rc}:\n${out}")
endif()
soma(rc out train --help)
expect_in("${out}" "soma train --help" "--detect-anomaly")

if(NOT EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
    message("SKIP: Fashion-MNIST not installed (dataset-fashion-mnist)")
    return()
endif()

soma(rc out --threads 1 check fmnist --model mlp --json ${WORK}/check.json)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma check fmnist exited with ${rc}:\n${out}")
endif()
expect_in("${out}" "soma check fmnist's output" "[passed] model/initial loss"
          "[passed] training/learns beyond chance" "soundness checks passed"
          "near duplicates of the 10,000 test examples in the 60,000 training ones"
          "wrote ${WORK}/check.json")
file(READ ${WORK}/check.json json)
string(JSON passed GET "${json}" passed)
string(JSON checks LENGTH "${json}" checks)
if(NOT passed STREQUAL "ON" OR NOT checks EQUAL 14)
    message(FATAL_ERROR "check.json: passed=${passed}, ${checks} checks:\n${json}")
endif()

soma(rc out --threads 1 check fmnist --model mlp --lr 0.5)
if(NOT rc EQUAL 1)
    message(FATAL_ERROR "soma check fmnist --lr 0.5 should exit with 1, got ${rc}:\n${out}")
endif()
expect_in("${out}" "soma check fmnist --lr 0.5's output" "[FAILED] gradients/update size"
          "the learning rate is far too large")

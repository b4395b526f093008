# `soma attack` end to end: a small mlp trained for a few seconds, attacked on 200 test images
# (text and JSON), its three files, and bad arguments refused with a message:
#   cmake -DSOMA=<path to soma> -DWORK=<dir> -P attack_cli.cmake
# Exits with SKIP (ctest's skip code) when Fashion-MNIST is not installed.
if(NOT EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
    message("SKIP: Fashion-MNIST not installed (dataset-fashion-mnist)")
    return()
endif()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

# Exit code `code` (1: soma's errors, 2: CLI11's usage errors) and a message with `needle`.
function(expect_refused what code needle)
    soma(rc out attack ${ARGN})
    if(NOT rc EQUAL code)
        message(FATAL_ERROR "attack with ${what} exited with ${rc}, not ${code}:\n${out}")
    endif()
    expect_in("${out}" "the error for ${what}" "${needle}")
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
soma(rc out train fmnist --model mlp --epochs 1 --subset 2000 --val-size 100 --test-size 100
     --threads 1 --out ${WORK}/mlp)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma train fmnist exited with ${rc}:\n${out}")
endif()
set(ckpt ${WORK}/mlp/checkpoint.safetensors)

# Text: the table, the checks (an undefended mlp passes them all) and the examples' labels.
soma(rc out attack ${ckpt} --test-size 200 --steps 5 --threads 1 --out ${WORK}/report)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma attack exited with ${rc}:\n${out}")
endif()
expect_in("${out}" "attack's output" "robust accuracy on 200 examples" "FGSM" "PGD-5"
          "sanity checks" "pass  PGD-5 <= FGSM (linf)" "PGD-5: accuracy falls with eps"
          "accuracy near 0 at a very large eps" "clean: " "adversarial: " "robustness.json")
if(out MATCHES "FAIL")
    message(FATAL_ERROR "a sanity check failed on an undefended mlp:\n${out}")
endif()
foreach(file robustness.json robustness.svg adversarial.png)
    if(NOT EXISTS ${WORK}/report/${file})
        message(FATAL_ERROR "soma attack did not write ${file}:\n${out}")
    endif()
endforeach()
file(READ ${WORK}/report/robustness.svg svg)
expect_in("${svg}" "robustness.svg" "<svg" "FGSM" "PGD-5" "clean")

# JSON on stdout, with restarts, the L2 ball and the margin loss: the fields a script reads.
soma(rc out attack ${ckpt} --attack pgd --eps 0.5,1 --norm l2 --loss margin --restarts 2
     --steps 3 --test-size 100 --threads 1 --json --out ${WORK}/l2)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma attack --json exited with ${rc}:\n${out}")
endif()
string(JSON samples GET "${out}" samples)
string(JSON clean GET "${out}" clean_accuracy)
string(JSON name GET "${out}" attacks 0 name)
string(JSON results LENGTH "${out}" results)
string(JSON checks LENGTH "${out}" checks)
string(JSON passed GET "${out}" all_checks_passed)
if(NOT samples EQUAL 100 OR NOT name STREQUAL "PGD-3 (2 restarts, L2, margin loss)"
   OR NOT results EQUAL 2 OR checks LESS 3 OR clean LESS_EQUAL 0.3)
    message(FATAL_ERROR "attack --json: samples ${samples}, attack ${name}, ${results} results, "
                        "${checks} checks, clean ${clean}:\n${out}")
endif()
if(NOT EXISTS ${WORK}/l2/adversarial.png OR NOT EXISTS ${WORK}/l2/robustness.json)
    message(FATAL_ERROR "soma attack --json did not write its files")
endif()

expect_refused("a missing checkpoint" 2 "does not exist" ${WORK}/none.safetensors)
expect_refused("no checkpoint" 2 "checkpoint is required")
expect_refused("a negative eps" 2 "eps must be finite and >= 0" ${ckpt} --eps 0.1,-0.1)
expect_refused("a word as eps" 2 "is not a number" ${ckpt} --eps 0.1,big)
expect_refused("an unknown attack" 2 "--attack" ${ckpt} --attack cw)
expect_refused("an unknown norm" 2 "--norm" ${ckpt} --norm l1)
expect_refused("zero steps" 2 "--steps" ${ckpt} --steps 0)
expect_refused("a file that is no checkpoint" 1 "soma attack:" ${WORK}/report/robustness.json)
expect_refused("--test-size beyond the test set" 1 "the test set has 10000 images" ${ckpt}
               --test-size 10001)
expect_refused("a folder without the data" 1 "not found" ${ckpt} --data ${WORK}
               --test-size 10)

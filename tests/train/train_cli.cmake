# `soma train fmnist` and `soma eval` end to end on a few hundred images, with the best
# recipe's knobs, and a bad option refused with a message:
#   cmake -DSOMA=<path to soma> -DWORK=<scratch dir> -P train_cli.cmake
# Exits with SKIP (ctest's skip code) when Fashion-MNIST is not installed.
if(NOT EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
    message("SKIP: Fashion-MNIST not installed (dataset-fashion-mnist)")
    return()
endif()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

file(REMOVE_RECURSE ${WORK})
soma(rc out train fmnist --model mlp --epochs 2 --subset 256 --val-size 100 --test-size 200
     --optimizer sgd --lr 0.05 --weight-decay 1e-4 --schedule cosine --warmup 1 --augment
     --label-smoothing 0.1 --threads 1 --out ${WORK})
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma train exited with ${rc}:\n${out}")
endif()
# Not a terminal: plain progress lines, then one summary line per epoch and the test result.
expect_in("${out}" "soma train's output"
          "sgd lr 0.05, weight decay 0.0001, cosine schedule, 1 warm-up epochs, augmented, label smoothing 0.1"
          "epoch 1/2: train loss" "epoch 2/2: train loss" "test accuracy" "wrote ${WORK}")
foreach(f checkpoint.safetensors metrics.jsonl curves.svg confusion.svg)
    if(NOT EXISTS ${WORK}/${f})
        message(FATAL_ERROR "soma train did not write ${f}")
    endif()
endforeach()

soma(rc out eval ${WORK}/checkpoint.safetensors --test-size 200)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma eval exited with ${rc}:\n${out}")
endif()
expect_in("${out}" "soma eval's output" "mlp" "200")

soma(rc out train fmnist --optimizer lbfgs --out ${WORK}/bad)
if(rc EQUAL 0)
    message(FATAL_ERROR "soma train accepted --optimizer lbfgs:\n${out}")
endif()
expect_in("${out}" "soma train's error" "--optimizer" "lbfgs")

# --resume: a flag that contradicts the checkpoint is an error naming both values; flags that
# agree with it, and --epochs, are fine.
soma(rc out train fmnist --resume ${WORK}/checkpoint.safetensors --epochs 3 --lr 0.5
     --out ${WORK}/resumed)
if(rc EQUAL 0)
    message(FATAL_ERROR "soma train accepted --lr 0.5 against a checkpoint trained with 0.05:\n${out}")
endif()
expect_in("${out}" "soma train's error" "lr = 0.05" "0.5 was given")
soma(rc out train fmnist --resume ${WORK}/checkpoint.safetensors --epochs 3 --model mlp
     --threads 1 --out ${WORK}/resumed)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma train --resume exited with ${rc}:\n${out}")
endif()
expect_in("${out}" "soma train --resume's output" "resuming from" "epoch 3/3: train loss"
          "test accuracy")

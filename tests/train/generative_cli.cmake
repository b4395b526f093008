# `soma train gan`, `soma train vae` and `soma sample` end to end on tiny runs, and errors that
# name the problem:
#   cmake -DSOMA=<path to soma> -DWORK=<scratch dir> -P generative_cli.cmake
# The mixture part always runs; the Fashion-MNIST part prints SKIP and ends the script when the
# data set is not installed.

function(soma_ok out_var)
    soma(_rc _out ${ARGN})
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "`soma ${ARGN}` exited with ${_rc}:\n${_out}")
    endif()
    set(${out_var} "${_out}" PARENT_SCOPE)
endfunction()

# Expects exit code `code` and every word of WORDS in the output.
function(soma_fails code)
    cmake_parse_arguments(PARSE_ARGV 1 _a "" "" "ARGS;WORDS")
    soma(_rc _out ${_a_ARGS})
    if(NOT _rc EQUAL code)
        message(FATAL_ERROR "`soma ${_a_ARGS}` should exit with ${code}, got ${_rc}:\n${_out}")
    endif()
    expect_in("${_out}" "the error of `soma ${_a_ARGS}`" ${_a_WORDS})
endfunction()

function(expect_files)
    foreach(f IN LISTS ARGN)
        if(NOT EXISTS ${f})
            message(FATAL_ERROR "${f} was not written")
        endif()
    endforeach()
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)
file(REMOVE_RECURSE ${WORK})

# ---- a GAN on the ring: coverage, samples as CSV and SVG ----------------------------------------
soma_ok(out train gan --dataset ring --epochs 1 --train-size 512 --batch-size 64 --latent 4
        --hidden 16,16 --threads 1 --out ${WORK}/ring)
expect_in("${out}" "soma train gan's output" "gan mlp on ring" "epoch 1/1: train d_loss"
          "mode coverage:" "/8 modes captured")
expect_files(${WORK}/ring/checkpoint.safetensors ${WORK}/ring/metrics.jsonl
             ${WORK}/ring/samples.svg)
set(ckpt ${WORK}/ring/checkpoint.safetensors)
soma_ok(out sample ${ckpt} --n 100 --out ${WORK}/points.csv --seed 4)
expect_in("${out}" "soma sample's output" "wrote 100 samples" "mode coverage")
file(STRINGS ${WORK}/points.csv lines)
list(LENGTH lines n)
if(NOT n EQUAL 101)
    message(FATAL_ERROR "points.csv has ${n} lines, not a header and 100 points")
endif()
soma_ok(out sample ${ckpt} --n 100 --out ${WORK}/points.svg)
expect_files(${WORK}/points.svg)

# Errors: usage (2) before any work, or a message and 1.
soma_fails(1 ARGS sample ${ckpt} --out ${WORK}/points.png WORDS "points, not images")
soma_fails(1 ARGS sample ${ckpt} --out ${WORK}/points.txt WORDS "--out must end in")
soma_fails(1 ARGS sample ${WORK}/ring/metrics.jsonl --out ${WORK}/x.png WORDS "metrics.jsonl")
soma_fails(2 ARGS sample ${WORK}/missing.safetensors WORDS "missing.safetensors")
soma_fails(2 ARGS sample ${ckpt} --n 0 WORDS "--n")
soma_fails(2 ARGS train gan --dataset moons WORDS "--dataset")
soma_fails(1 ARGS train gan --dataset ring --model conv --out ${WORK}/bad
           WORDS "conv (DCGAN) model is for images")
soma_fails(1 ARGS train gan --pack 3 --batch-size 64 --out ${WORK}/bad
           WORDS "multiple of pack")
soma_fails(1 ARGS train vae --dataset ring --out ${WORK}/bad WORDS "dataset must be fmnist")
soma_fails(1 ARGS train vae --resume ${ckpt} --out ${WORK}/bad WORDS "holds a gan model, not a vae")
soma_fails(1 ARGS train vae --data ${WORK}/nowhere --out ${WORK}/bad WORDS "${WORK}/nowhere")
soma_fails(1 ARGS train gan --dataset fmnist --data ${WORK}/nowhere --out ${WORK}/bad
           WORDS "${WORK}/nowhere")

# ---- a VAE on Fashion-MNIST: one tiny epoch, a PNG grid and the samples tensor -----------------
if(NOT EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
    message("SKIP: Fashion-MNIST not installed (dataset-fashion-mnist); the VAE part did not run")
    return()
endif()
soma_ok(out train vae --epochs 1 --train-size 256 --val-size 100 --test-size 100 --latent 4
        --hidden 32 --batch-size 32 --threads 1 --out ${WORK}/vae)
expect_in("${out}" "soma train vae's output" "vae conv on fmnist" "epoch 1/1: train loss"
          "test loss" "nats per image" "wrote ${WORK}/vae")
expect_files(${WORK}/vae/checkpoint.safetensors ${WORK}/vae/best.safetensors
             ${WORK}/vae/loss.svg ${WORK}/vae/samples_epoch_001.png)
soma_ok(out sample ${WORK}/vae/checkpoint.safetensors --n 64 --out ${WORK}/grid.png --seed 2)
expect_files(${WORK}/grid.png)
# The samples tensor `soma eval-generative` reads: "samples", (n, 1, 28, 28) float32.
soma_ok(out sample ${WORK}/vae/best.safetensors --n 10 --out ${WORK}/samples.safetensors)
file(READ ${WORK}/samples.safetensors header OFFSET 8 LIMIT 300)
expect_in("${header}" "samples.safetensors' header" "\"samples\"" "\"F32\"" "[10,1,28,28]")
soma_fails(1 ARGS sample ${WORK}/vae/checkpoint.safetensors --out ${WORK}/x.csv WORDS "images")
soma_fails(1 ARGS train gan --resume ${WORK}/vae/checkpoint.safetensors --out ${WORK}/bad
           WORDS "holds a vae model, not a gan")

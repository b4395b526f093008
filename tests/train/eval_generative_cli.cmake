# `soma eval-generative` end to end: a small cnn trained for the features, samples files written
# by write_samples.py, text and JSON output, and every refusal an exit code 1 with a message:
#   cmake -DSOMA=<path to soma> -DPYTHON=<python3> -DWRITE=<write_samples.py> -DWORK=<dir>
#         -P eval_generative_cli.cmake
# Exits with SKIP (ctest's skip code) when Fashion-MNIST is not installed.
if(NOT EXISTS /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz)
    message("SKIP: Fashion-MNIST not installed (dataset-fashion-mnist)")
    return()
endif()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

function(expect_refused what needle)
    soma(rc out eval-generative ${ARGN})
    if(NOT rc EQUAL 1)
        message(FATAL_ERROR "eval-generative with ${what} exited with ${rc}, not 1:\n${out}")
    endif()
    expect_in("${out}" "the error for ${what}" "soma eval-generative:" "${needle}")
endfunction()

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
foreach(model cnn mlp)
    soma(rc out train fmnist --model ${model} --epochs 1 --subset 256 --val-size 100
         --test-size 100 --threads 1 --out ${WORK}/${model})
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "soma train fmnist --model ${model} exited with ${rc}:\n${out}")
    endif()
endforeach()
set(cnn ${WORK}/cnn/checkpoint.safetensors)

foreach(file_args "grey;50;0.5" "logits;50;1.5" "named;50;0.5;images")
    list(GET file_args 0 stem)
    list(SUBLIST file_args 1 -1 args)
    execute_process(COMMAND ${PYTHON} ${WRITE} ${WORK}/${stem}.safetensors ${args}
                    RESULT_VARIABLE rc)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "write_samples.py ${args} failed")
    endif()
endforeach()

# Text: the samples' numbers, then the floor; grey images are far from garments.
soma(rc out eval-generative ${WORK}/grey.safetensors --classifier ${cnn} --threads 1)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma eval-generative exited with ${rc}:\n${out}")
endif()
expect_in("${out}" "eval-generative's output" "50 images" "Frechet distance vs the test set"
          "classifier score" "Frechet distance of 50 training images vs the test set"
          "classifier score of the test images" "189.86 nats per image")

# JSON, the floor alone: one object with the fields a script reads.
soma(rc out eval-generative --real train --n 200 --classifier ${cnn} --threads 1 --json)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma eval-generative --real train exited with ${rc}:\n${out}")
endif()
foreach(key n frechet score confident test_score test_pixel_entropy)
    string(JSON value ERROR_VARIABLE err GET "${out}" ${key})
    if(err)
        message(FATAL_ERROR "eval-generative --json lacks ${key}: ${err}\n${out}")
    endif()
endforeach()
string(JSON n GET "${out}" n)
string(JSON fd GET "${out}" frechet)
string(JSON entropy GET "${out}" test_pixel_entropy)
if(NOT n EQUAL 200 OR fd LESS_EQUAL 0 OR entropy LESS 189.855 OR entropy GREATER 189.865)
    message(FATAL_ERROR "eval-generative --json: n ${n}, frechet ${fd}, entropy ${entropy}:\n${out}")
endif()

expect_refused("values outside [0, 1]" "values must be in [0, 1]"
               ${WORK}/logits.safetensors --classifier ${cnn})
expect_refused("no tensor 'samples'" "no tensor named 'samples'"
               ${WORK}/named.safetensors --classifier ${cnn})
expect_refused("a checkpoint as samples" "no tensor named 'samples'" ${cnn} --classifier ${cnn})
expect_refused("an mlp classifier" "holds a 'mlp' model"
               ${WORK}/grey.safetensors --classifier ${WORK}/mlp/checkpoint.safetensors)
expect_refused("samples as the classifier" "names no model"
               ${WORK}/grey.safetensors --classifier ${WORK}/grey.safetensors)
expect_refused("--n beyond the file" "holds only 50 images"
               ${WORK}/grey.safetensors --n 51 --classifier ${cnn})
expect_refused("a file and --real" "not both"
               ${WORK}/grey.safetensors --real train --classifier ${cnn})
expect_refused("--real equal to --reference" "with itself" --real test --classifier ${cnn})

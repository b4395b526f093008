# `soma train csv` and `soma predict` end to end on a mixed table (categories, missing values,
# a free-text column; tools/csv_fixtures.py writes it), and errors that name the problem:
#   cmake -DSOMA=<path to soma> -DFIXTURES=<tests/fixtures> -DWORK=<scratch dir> -P train_csv_cli.cmake

# Runs soma and fails unless it exits with 0; the output lands in out_var.
function(soma_ok out_var)
    soma(_rc _out ${ARGN})
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "`soma ${ARGN}` exited with ${_rc}:\n${_out}")
    endif()
    set(${out_var} "${_out}" PARENT_SCOPE)
endfunction()

# Runs soma, expects a non-zero exit (an error message, not a crash) naming every word given
# after `--`.
function(soma_fails)
    cmake_parse_arguments(PARSE_ARGV 0 _a "" "" "ARGS;WORDS")
    soma(_rc _out ${_a_ARGS})
    if(_rc EQUAL 0 OR NOT _rc MATCHES "^[0-9]+$" OR _rc GREATER 2)
        message(FATAL_ERROR "`soma ${_a_ARGS}` should fail with exit code 1 or 2, got ${_rc}:\n${_out}")
    endif()
    expect_in("${_out}" "the error of `soma ${_a_ARGS}`" ${_a_WORDS})
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})
set(train ${FIXTURES}/csv/mixed_train.csv)

# The free-text note is refused by name, with the way out.
soma_fails(ARGS train csv ${train} --target label --epochs 1 --out ${WORK}/bad
           WORDS "mixed_train.csv: column 'note' looks like free text" "--ignore note")
soma_fails(ARGS train csv ${train} --target price --out ${WORK}/bad
           WORDS "no target column 'price'" "color")
soma_fails(ARGS train csv ${train} --target label --ignore id,note --hidden 8,x --out ${WORK}/bad
           WORDS "hidden: 'x' is not a positive width")

soma_ok(out train csv ${train} --target label --ignore id,note --hidden 32,32 --epochs 60
        --lr 0.01 --seed 2 --threads 1 --out ${WORK}/mixed)
expect_in("${out}" "soma train csv's output" "300 rows (240 train, 60 validation)"
          "classification of 'label' (2 classes)" "Classifier" "validation accuracy")
string(REGEX MATCH "validation accuracy ([0-9.e+-]+)" _ "${out}")
if(CMAKE_MATCH_1 LESS 0.85)
    message(FATAL_ERROR "validation accuracy ${CMAKE_MATCH_1} < 0.85 on the mixed table:\n${out}")
endif()

foreach(f checkpoint.safetensors best.safetensors metrics.jsonl curves.svg)
    if(NOT EXISTS ${WORK}/mixed/${f})
        message(FATAL_ERROR "soma train csv did not write ${f}")
    endif()
endforeach()

# --resume continues to more epochs; a flag that contradicts the checkpoint is refused.
soma_ok(out train csv ${train} --target label --resume ${WORK}/mixed/checkpoint.safetensors
        --epochs 62 --threads 1 --out ${WORK}/mixed)
expect_in("${out}" "the resumed run's output" "epoch 62/62" "validation accuracy")
soma_fails(ARGS train csv ${train} --target label --hidden 8
           --resume ${WORK}/mixed/checkpoint.safetensors --epochs 63 --out ${WORK}/mixed
           WORDS "hidden" "32,32" "8")

# New rows: an unseen color and missing weights are encoded by the saved rules and reported.
soma_ok(out predict ${WORK}/mixed/best.safetensors ${FIXTURES}/csv/mixed_new.csv
        --out ${WORK}/mixed/predictions.csv)
expect_in("${out}" "soma predict's output" "wrote 20 predictions of 'label'"
          "note: column 'color': 6 value(s) not seen in training")
file(STRINGS ${WORK}/mixed/predictions.csv lines)
list(LENGTH lines n)
list(GET lines 0 header)
list(GET lines 1 first)
if(NOT n EQUAL 21 OR NOT header STREQUAL "label,p(bad),p(good)" OR
   NOT first MATCHES "^(good|bad),[0-9.e-]+,[0-9.e-]+$")
    message(FATAL_ERROR "predictions.csv: ${n} lines, header '${header}', first '${first}'")
endif()

# Bad input to predict: not a model, a column missing, a number that is not finite.
file(WRITE ${WORK}/no_weight.csv "id,color,size,note\n1,red,S,x\n")
soma_fails(ARGS predict ${WORK}/mixed/best.safetensors ${WORK}/no_weight.csv
           WORDS "no_weight.csv: no input column 'weight'")
file(WRITE ${WORK}/inf.csv "id,color,size,weight,note\n1,red,S,12,x\n2,red,S,inf,y\n")
soma_fails(ARGS predict ${WORK}/mixed/best.safetensors ${WORK}/inf.csv
           WORDS "inf.csv:3: column 'weight': 'inf' is not a finite number")
soma_fails(ARGS predict ${train} ${train} WORDS "soma predict")
file(WRITE ${WORK}/nan_target.csv "x,y\n1,0.5\n2,nan\n3,1.5\n")
soma_fails(ARGS train csv ${WORK}/nan_target.csv --target y --out ${WORK}/bad
           WORDS "nan_target.csv:3: column 'y': the target is missing")

# `soma train csv` and `soma predict` on scikit-learn's iris (classification) and diabetes
# (regression) tables, turned into headered CSVs here; asserts that the recipes learn:
#   cmake -DSOMA=<path to soma> -DWORK=<scratch dir> -P train_csv_sklearn_cli.cmake
# Exits with SKIP when the data sets are missing (scripts/setup.sh fetches them); looks where
# src/gallery/sklearn.cpp looks.

set(dirs "$ENV{SOMA_SKLEARN_DATA}" /var/cache/soma/sklearn)
if(DEFINED ENV{XDG_CACHE_HOME})
    list(APPEND dirs "$ENV{XDG_CACHE_HOME}/soma/sklearn")
endif()
list(APPEND dirs "$ENV{HOME}/.cache/soma/sklearn" /usr/lib/python3/dist-packages/sklearn/datasets/data)
set(data "")
foreach(d IN LISTS dirs)
    if(d AND EXISTS ${d}/iris.csv AND EXISTS ${d}/diabetes_data_raw.csv.gz)
        set(data ${d})
        break()
    endif()
endforeach()
find_program(GZIP gzip)
if(NOT data OR NOT GZIP)
    message("SKIP: scikit-learn's data sets (scripts/setup.sh) or gzip not found")
    return()
endif()

function(soma_ok out_var)
    execute_process(COMMAND ${SOMA} ${ARGN} OUTPUT_VARIABLE _out ERROR_VARIABLE _err
                    RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "`soma ${ARGN}` exited with ${_rc}:\n${_out}${_err}")
    endif()
    set(${out_var} "${_out}${_err}" PARENT_SCOPE)
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK})

# ---- iris: sklearn's first line is "150,4,setosa,versicolor,virginica"; labels are 0, 1, 2.
file(STRINGS ${data}/iris.csv lines)
list(POP_FRONT lines first)
string(REPLACE "," ";" first "${first}")
list(SUBLIST first 2 -1 names)
set(csv "sepal_length,sepal_width,petal_length,petal_width,species\n")
set(features "sepal_length,sepal_width,petal_length,petal_width\n")
foreach(line IN LISTS lines)
    string(REGEX MATCH "^(.*),([0-9]+)$" _ "${line}")
    list(GET names ${CMAKE_MATCH_2} name)
    string(APPEND csv "${CMAKE_MATCH_1},${name}\n")
    string(APPEND features "${CMAKE_MATCH_1}\n")
endforeach()
file(WRITE ${WORK}/iris.csv "${csv}")
file(WRITE ${WORK}/iris_features.csv "${features}")

soma_ok(out train csv ${WORK}/iris.csv --target species --hidden 32 --epochs 60 --lr 0.01
        --seed 1 --threads 1 --out ${WORK}/iris)
expect_in("${out}" "soma train csv on iris" "150 rows (120 train, 30 validation)"
          "classification of 'species' (3 classes)")
string(REGEX MATCH "validation accuracy ([0-9.e+-]+)" _ "${out}")
if(NOT CMAKE_MATCH_1 OR CMAKE_MATCH_1 LESS 0.9)
    message(FATAL_ERROR "iris validation accuracy '${CMAKE_MATCH_1}' < 0.9:\n${out}")
endif()
soma_ok(out predict ${WORK}/iris/best.safetensors ${WORK}/iris.csv --out ${WORK}/iris/p.csv)
string(REGEX MATCH "accuracy ([0-9.e+-]+) on 150 rows" _ "${out}")
if(NOT CMAKE_MATCH_1 OR CMAKE_MATCH_1 LESS 0.9)
    message(FATAL_ERROR "soma predict on iris: accuracy '${CMAKE_MATCH_1}' < 0.9:\n${out}")
endif()
# Without the target column: class names on stdout, no metric.
soma_ok(out predict ${WORK}/iris/best.safetensors ${WORK}/iris_features.csv)
expect_in("${out}" "soma predict without a target" "species,p(setosa),p(versicolor),p(virginica)"
          "setosa," "virginica,")
string(FIND "${out}" "accuracy" at)
if(NOT at EQUAL -1)
    message(FATAL_ERROR "soma predict printed an accuracy without a target column:\n${out}")
endif()

# ---- diabetes: ten space-separated features and the targets in a second file.
execute_process(COMMAND ${GZIP} -dc ${data}/diabetes_data_raw.csv.gz OUTPUT_VARIABLE x)
execute_process(COMMAND ${GZIP} -dc ${data}/diabetes_target.csv.gz OUTPUT_VARIABLE y)
string(REGEX REPLACE "\n$" "" x "${x}")
string(REGEX REPLACE "\n$" "" y "${y}")
string(REPLACE "\n" ";" x "${x}")
string(REPLACE "\n" ";" y "${y}")
set(csv "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression\n")
foreach(x_row y_row IN ZIP_LISTS x y)
    string(REGEX REPLACE " +" "," fields "${x_row}")
    string(APPEND csv "${fields},${y_row}\n")
endforeach()
file(WRITE ${WORK}/diabetes.csv "${csv}")

soma_ok(out train csv ${WORK}/diabetes.csv --target progression --hidden 32,32 --epochs 60
        --weight-decay 1e-3 --seed 1 --threads 1 --out ${WORK}/diabetes)
expect_in("${out}" "soma train csv on diabetes" "442 rows" "regression of 'progression'")
string(REGEX MATCH "validation rmse ([0-9.e+-]+) on [0-9]+ rows \\(always the training mean: ([0-9.e+-]+)\\)"
       _ "${out}")
if(NOT CMAKE_MATCH_1 OR NOT CMAKE_MATCH_1 LESS CMAKE_MATCH_2)
    message(FATAL_ERROR "diabetes: validation RMSE '${CMAKE_MATCH_1}' is not below the mean's "
                        "'${CMAKE_MATCH_2}':\n${out}")
endif()
soma_ok(out predict ${WORK}/diabetes/best.safetensors ${WORK}/diabetes.csv
        --out ${WORK}/diabetes/p.csv)
expect_in("${out}" "soma predict on diabetes" "wrote 442 predictions" "rmse")

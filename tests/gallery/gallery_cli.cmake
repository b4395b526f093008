# `soma gallery` picks entries by a unique part of their name, and the per-entry programs run:
#   cmake -DSOMA=<path to soma> -DWORK=<scratch dir> [-DEXAMPLE=<build/examples/01_binary_xor>]
#         -P gallery_cli.cmake
include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

function(run rc_var out_var err_var)
    execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE _out ERROR_VARIABLE _err RESULT_VARIABLE _rc)
    set(${rc_var} "${_rc}" PARENT_SCOPE)
    set(${out_var} "${_out}" PARENT_SCOPE)
    set(${err_var} "${_err}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK})

run(rc out err ${SOMA} gallery --list)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma gallery --list exited with ${rc}:\n${out}${err}")
endif()
expect_in("${out}" "soma gallery --list" "01_binary_xor" "Example: XOR-Network" "07_cos2sin"
          "Example: Cosine-to-Sine prediction" "11_fmnist_classifier")

# "binary" is part of one name only: that entry runs (quick: a fraction of a second).
run(rc out err ${SOMA} gallery binary --quick --out ${WORK}/part)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma gallery binary exited with ${rc}:\n${out}${err}")
endif()
expect_in("${out}" "soma gallery binary" "01_binary_xor" "1 example(s)" "0 failed")
foreach(file index.html 01_binary_xor.svg)
    if(NOT EXISTS ${WORK}/part/${file})
        message(FATAL_ERROR "soma gallery binary wrote no ${file}:\n${out}")
    endif()
endforeach()

# Ambiguous: exit code 2 and the candidates, nothing run.
run(rc out err ${SOMA} gallery xor --quick --out ${WORK}/ambiguous)
if(NOT rc EQUAL 2)
    message(FATAL_ERROR "soma gallery xor exited with ${rc}, expected 2:\n${out}${err}")
endif()
expect_in("${err}" "soma gallery xor's error" "more than one entry matches 'xor'" "01_binary_xor"
          "05_mlp_xor")
string(FIND "${err}" "07_cos2sin" _at)
if(NOT _at EQUAL -1 OR EXISTS ${WORK}/ambiguous/index.html)
    message(FATAL_ERROR "soma gallery xor listed a non-candidate or ran something:\n${err}")
endif()

# Unknown: exit code 2 and every entry as a candidate.
run(rc out err ${SOMA} gallery nope --out ${WORK}/unknown)
if(NOT rc EQUAL 2)
    message(FATAL_ERROR "soma gallery nope exited with ${rc}, expected 2:\n${out}${err}")
endif()
expect_in("${err}" "soma gallery nope's error" "no entry matches 'nope'" "01_binary_xor"
          "11_fmnist_classifier")

if(EXAMPLE)
    run(rc out err ${EXAMPLE} --quick --out ${WORK}/program)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "${EXAMPLE} exited with ${rc}:\n${out}${err}")
    endif()
    expect_in("${out}" "${EXAMPLE}'s output" "x1 x2 | h1 h2 | y" "truth table matches")
    if(NOT EXISTS ${WORK}/program/01_binary_xor.svg)
        message(FATAL_ERROR "${EXAMPLE} wrote no 01_binary_xor.svg:\n${out}")
    endif()
endif()

# `soma inspect` on a good and on malformed safetensors files:
#   cmake -DSOMA=<path to soma> -DFIXTURES=<tests/fixtures> -DWORK=<scratch dir> -P inspect_cli.cmake
function(inspect file rc_var out_var err_var)
    execute_process(COMMAND ${SOMA} inspect ${file} OUTPUT_VARIABLE _out ERROR_VARIABLE _err
                    RESULT_VARIABLE _rc)
    set(${rc_var} "${_rc}" PARENT_SCOPE)
    set(${out_var} "${_out}" PARENT_SCOPE)
    set(${err_var} "${_err}" PARENT_SCOPE)
endfunction()

include(${CMAKE_CURRENT_LIST_DIR}/../support/expect.cmake)

inspect(${FIXTURES}/safetensors/torch.safetensors rc out err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "soma inspect exited with ${rc}:\n${out}${err}")
endif()
# One row per tensor with dtype, shape and statistics; "-" for empty tensors; metadata; totals.
expect_in("${out}" "soma inspect output"
          "name" "dtype" "shape" "min" "max" "mean"
          "layer.weight" "F32" "(3, 4)" "f64.cube" "F64" "(2, 3, 4)" "i64.extremes" "I64"
          "-9223372036854775808" "f32.empty" "  -  " "metadata:" "producer: tools/safetensors_fixtures.py"
          "13 tensors, ")

file(MAKE_DIRECTORY ${WORK})
set(bad ${WORK}/short.safetensors)
file(WRITE ${bad} "abc")
inspect(${bad} rc out err)
if(rc EQUAL 0)
    message(FATAL_ERROR "soma inspect accepted a 3-byte file:\n${out}")
endif()
expect_in("${err}" "soma inspect's error" "short.safetensors" "shorter than the 8-byte header length")

inspect(${WORK}/does-not-exist.safetensors rc out err)
if(rc EQUAL 0)
    message(FATAL_ERROR "soma inspect accepted a missing file:\n${out}")
endif()
expect_in("${err}" "soma inspect's error" "cannot open: No such file or directory")

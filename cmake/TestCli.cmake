# Smoke test of the `soma` command:
#   cmake -DSOMA=<path to soma> -DVERSION=<x.y.z> -P TestCli.cmake
function(run_soma out)
    execute_process(COMMAND ${SOMA} ${ARGN} OUTPUT_VARIABLE _out ERROR_VARIABLE _err
                    RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 0)
        message(FATAL_ERROR "`soma ${ARGN}` exited with ${_rc}\n${_out}${_err}")
    endif()
    set(${out} "${_out}" PARENT_SCOPE)
endfunction()

run_soma(version --version)
if(NOT version STREQUAL "soma ${VERSION}\n")
    message(FATAL_ERROR "`soma --version` printed '${version}', expected 'soma ${VERSION}'")
endif()

run_soma(help --help)
foreach(word gallery train eval eval-generative inspect predict sample --threads --version)
    string(FIND "${help}" "${word}" _at)
    if(_at EQUAL -1)
        message(FATAL_ERROR "`soma --help` does not mention ${word}:\n${help}")
    endif()
endforeach()
# The benchmarks are `make bench` (bench/run.py), not a subcommand.
string(FIND "${help}" "bench" _at)
if(NOT _at EQUAL -1)
    message(FATAL_ERROR "`soma --help` mentions bench:\n${help}")
endif()

# Usage errors exit with 2 and say what was wrong, before any work; numbers must be finite.
foreach(args "train;fmnist;--epochs;0" "train;fmnist;--lr;-1" "train;fmnist;--lr;inf"
             "train;fmnist;--lr;nan" "train;fmnist;--optimizer;lbfgs" "train;fmnist;--seed;-1"
             "train;csv;x.csv;--target;y;--seed;1.5" "train" "frobnicate"
             "train;vae;--epochs;0" "train;vae;--model;rnn" "train;gan;--dataset;moons"
             "train;gan;--pack;0" "sample" "sample;missing.safetensors"
             "eval-generative;--real;train" "eval-generative;--real;val;--classifier;x")
    execute_process(COMMAND ${SOMA} ${args} OUTPUT_VARIABLE _out ERROR_VARIABLE _err
                    RESULT_VARIABLE _rc)
    if(NOT _rc EQUAL 2)
        message(FATAL_ERROR "`soma ${args}` exited with ${_rc}, not 2 (usage):\n${_out}${_err}")
    endif()
    if(_err STREQUAL "")
        message(FATAL_ERROR "`soma ${args}` printed no error message")
    endif()
endforeach()
